#!/bin/bash
# dockerd (through containerd-shim-runc-v2) driving an OCI runtime: oci_docker.sh RUNTIME
# A private dockerd (no iptables, no bridge; data-root, exec-root, socket and trust key
# under a private directory) on a private containerd (tests/e2e/oci/lib.sh) knows RUNTIME as
# the runtime "runsc" from its daemon.json, as `runsc install` writes it, and every container
# runs with `docker run --runtime runsc --network none`. The image is a busybox-static rootfs,
# `docker import`ed. Each step has its own timeout. Checked, through the docker client:
#   run --rm echo: the output; sh -c 'exit 3': the exit status; -i: stdin; -t (on a script(1)
#   terminal of 30x100): the container has a terminal of that size; -e VAR=x -w /tmp;
#   run -d, then inspect (State.Running, State.Pid) and the runtime's own `state` (running,
#   the same pid); exec: output, exit status 4, -i, -t; stop; rm; rm -f of a running container.
# dockerd adds a prestart hook (libnetwork-setkey) even with --network none, so the runtime
# must run hooks. At the end, and whatever happened: no container left, no process the test
# started, no mount under the private directory, no runtime state, no cgroup of the test's.
set -u
[ $# -eq 1 ] || { echo "usage: $0 RUNTIME" >&2; exit 2; }
runtime=$(realpath -s -- "$1")
here=$(dirname "$0")
. "$here/oci/lib.sh"
oci_require_root_and dockerd docker containerd containerd-shim-runc-v2 script jq
[ -x "$runtime" ] || oci_skip "$runtime: not an executable (not installed?)"
exec </dev/null

dir=$(mktemp -d /var/tmp/oci-docker.XXXXXX) || exit 1
name=${dir##*/}
name=${name//./-} # the containerd namespace and the cgroup parent
oci_out_file=$dir/step.out oci_err_file=$dir/step.err
marker=$((100000 + RANDOM))$$ # `sleep MARKER`: a workload process we can recognize
export DOCKER_HOST=unix://$dir/docker.sock
# The runtime's --root: dockerd 20.10 gives every runtime (runsc too) the shim option
# Root <exec-root>/runtime-runc, and the shim adds the containerd namespace.
runtime_root=$dir/docker/exec/runtime-runc/$name
ids=()
cleanup() {
	set +e
	if [ -n "$oci_dockerd_pid" ] && kill -0 "$oci_dockerd_pid" 2>/dev/null; then
		local c
		for c in $(timeout -k 5 20 docker ps -a -q); do
			timeout -k 5 30 docker rm -f "$c" >/dev/null 2>&1
		done
	fi
	oci_dockerd_stop
	oci_containerd_stop
	local id
	for id in "${ids[@]}"; do
		timeout -k 5 20 "$runtime" --root "$runtime_root" delete --force "$id" >/dev/null 2>&1
	done
	oci_kill_procs "$dir" "containerd-shim-runc-v2 -namespace $name " "sleep $marker" "${ids[@]}"
	oci_unmount_under "$dir"
	rm -rf "$dir"
	oci_cgroup_remove "$name"
	oci_remove_noted_dirs
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

img=localhost/oci-busybox:test
oci_make_rootfs "$dir/rootfs" && oci_rootfs_tar "$dir/rootfs" "$dir/rootfs.tar" ||
	oci_fail "cannot build the busybox rootfs"
oci_containerd_start "$dir" || oci_fail "cannot start containerd"
oci_dockerd_start "$dir" "$name" "runsc=$runtime" || oci_fail "cannot start dockerd"
oci_check "docker import" 0 '*' docker import "$dir/rootfs.tar" "$img"
oci_check "docker version" 0 '*' docker version --format '{{.Client.Version}} {{.Server.Version}}'
echo "docker client/server $out, runtime runsc = $runtime"

run=(docker run --runtime runsc --network none)
oci_check "run --rm echo" 0 hello "${run[@]}" --rm "$img" echo hello
oci_check "exit status" 3 '' "${run[@]}" --rm "$img" sh -c 'exit 3'
oci_check "run -i: stdin" 0 "data from stdin" "${run[@]}" --rm -i "$img" cat <<<"data from stdin"
oci_check "run -t: a terminal of the caller's size" 0 $'tty\n30 100' \
	oci_in_tty 30 100 "${run[@]}" --rm -t "$img" sh -c 'test -t 0 && test -t 1 && echo tty
		for i in $(seq 100); do case $(stty size 2>/dev/null) in [1-9]*) break ;; esac; sleep 0.1; done
		stty size'
oci_check "run -e -w" 0 "x /tmp" "${run[@]}" --rm -e VAR=x -w /tmp "$img" sh -c 'echo "$VAR $(pwd)"'

# A long-running container.
oci_check "run -d" 0 '*' "${run[@]}" -d --name bg "$img" sleep "$marker"
id=$out
ids+=("$id")
oci_check "inspect: running" 0 '*' docker inspect -f '{{.State.Running}} {{.State.Pid}}' bg
read -r running pid <<<"$out"
[ "$running" = true ] && [ "${pid:-0}" -gt 0 ] || oci_fail "inspect: expected running with a pid: $out"
oci_check "runtime state" 0 '*' "$runtime" --root "$runtime_root" state "$id"
status=$(jq -r .status <<<"$out") state_pid=$(jq -r .pid <<<"$out")
[ "$status" = running ] || oci_fail "runtime state: status $status, expected running: $out"
[ "$state_pid" = "$pid" ] || oci_fail "runtime state: pid $state_pid, docker says $pid"
oci_check "exec" 0 "in exec" docker exec bg echo in exec
oci_check "exec: exit status" 4 '' docker exec bg sh -c 'exit 4'
oci_check "exec -i: stdin" 0 "exec stdin" docker exec -i bg cat <<<"exec stdin"
oci_check "exec -t: a terminal" 0 tty oci_in_tty 30 100 docker exec -t bg sh -c 'test -t 0 && echo tty'
oci_check "stop" 0 bg docker stop -t 2 bg
oci_check "inspect: stopped" 0 "false exited" docker inspect -f '{{.State.Running}} {{.State.Status}}' bg
oci_alive "$pid" && oci_fail "stop: the container's init $pid is still alive"
oci_check "rm" 0 bg docker rm bg
oci_check "ps -a: gone" 0 '' docker ps -a -q --filter name=bg

# rm -f of a running container.
oci_check "run -d (for rm -f)" 0 '*' "${run[@]}" -d --name victim "$img" sh -c "sleep $marker & sleep $marker"
id=$out
ids+=("$id")
oci_check "inspect pid" 0 '*' docker inspect -f '{{.State.Pid}}' victim
pid=$out
oci_check "rm -f" 0 victim docker rm -f victim
oci_check "ps -a: empty" 0 '' docker ps -a -q
oci_alive "$pid" && oci_fail "rm -f: the container's init $pid is still alive"

# Nothing may be left behind.
left=$(oci_procs_matching "containerd-shim-runc-v2 -namespace $name " "sleep $marker" "$runtime_root" "${ids[@]}")
[ -z "$left" ] || oci_fail "processes left: $(oci_describe_procs $left)"
left=$(oci_state_leftovers "$runtime" "$runtime_root" "${ids[@]}")
[ -z "$left" ] || oci_fail "runtime state left: $left"
# dockerd keeps its data-root and overlay2 home mounted: its own, not a container's.
left=$(oci_mounts_under "$dir" | grep -v -x -e "$dir/docker/data" -e "$dir/docker/data/overlay2")
[ -z "$left" ] || oci_fail "mounts left: $left"
left=$(oci_cgroup_dirs "$name" | grep -v -x -e "/sys/fs/cgroup/$name" -e "/sys/fs/cgroup/[^/]*/$name")
[ -z "$left" ] || oci_fail "cgroups left: $left"
echo "PASS"
