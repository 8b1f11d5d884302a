#!/bin/bash
# podman driving an OCI runtime: oci_podman.sh RUNTIME
# RUNTIME (a path: build/runsc-cli/runsc, or runc as the reference) is registered in a private podman
# configuration under the name runsc, so podman calls it as it calls gVisor's runsc (with
# --log-format=json --log FILE; see docs/oci-clients.md). The image is a busybox-static
# rootfs, `podman import`ed into private storage (tests/e2e/oci/lib.sh). Each step has its
# own timeout. Checked, through podman:
#   run --rm echo: the output; sh -c 'exit 3': the exit status; -i: stdin reaches the
#   container; -t (on a script(1) terminal of 30x100): the container has a terminal of that
#   size; -e VAR=x -w /tmp; run -d, then inspect (State.Running, State.Pid) and the
#   runtime's own `state` (running, the same pid); exec: output, exit status 4, -i, -t;
#   stop; rm; rm -f of a running container (its processes are gone).
# At the end, and whatever happened: no container left, no process the test started (conmon,
# the runtime, the workload: found by the private directory, a marker argument and the
# container ids in their command lines), no mount under the private directory, no runtime
# state for the test's containers, no cgroup of theirs.
set -u
[ $# -eq 1 ] || { echo "usage: $0 RUNTIME" >&2; exit 2; }
runtime=$(realpath -s -- "$1")
here=$(dirname "$0")
. "$here/oci/lib.sh"
oci_require_root_and podman conmon script jq unshare
[ -x "$runtime" ] || oci_skip "$runtime: not an executable (not installed?)"
exec </dev/null

dir=$(mktemp -d /var/tmp/oci-podman.XXXXXX) || exit 1
cgparent=${dir##*/}
oci_out_file=$dir/step.out oci_err_file=$dir/step.err
marker=$((100000 + RANDOM))$$ # `sleep MARKER`: a workload process we can recognize
ids=()
cleanup() {
	set +e
	oci_podman_cleanup "$dir"
	local id
	for id in "${ids[@]}"; do
		timeout -k 5 20 "$runtime" delete --force "$id" >/dev/null 2>&1
	done
	oci_kill_procs "$dir" "sleep $marker" "${ids[@]}"
	oci_unmount_under "$dir"
	rm -rf "$dir"
	oci_cgroup_remove "$cgparent"
	oci_remove_noted_dirs
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

img=localhost/oci-busybox:test
oci_make_rootfs "$dir/rootfs" && oci_rootfs_tar "$dir/rootfs" "$dir/rootfs.tar" ||
	oci_fail "cannot build the busybox rootfs"
oci_podman_setup "$dir" "runsc=$runtime" || oci_fail "cannot write the podman configuration"
oci_check "podman import" 0 '*' oci_podman_import "$dir/rootfs.tar" "$img"
echo "podman $(podman version --format '{{.Client.Version}}'), runtime runsc = $runtime"

# Every container goes under the private cgroup parent, so that nothing of ours mixes
# with other containers of the machine.
run=(podman run --cgroup-parent "/$cgparent")

oci_check "run --rm echo" 0 hello "${run[@]}" --rm "$img" echo hello
oci_check "exit status" 3 '' "${run[@]}" --rm "$img" sh -c 'exit 3'
oci_check "run -i: stdin" 0 "data from stdin" "${run[@]}" --rm -i "$img" cat <<<"data from stdin"
oci_check "run -t: a terminal of the caller's size" 0 $'tty\n30 100' \
	oci_in_tty 30 100 "${run[@]}" --rm -t "$img" sh -c 'test -t 0 && test -t 1 && echo tty; stty size'
oci_check "run -e -w" 0 "x /tmp" "${run[@]}" --rm -e VAR=x -w /tmp "$img" sh -c 'echo "$VAR $(pwd)"'

# A long-running container.
oci_check "run -d" 0 '*' "${run[@]}" -d --name bg "$img" sleep "$marker"
id=$out
ids+=("$id")
oci_check "inspect: running" 0 '*' podman inspect -f '{{.State.Running}} {{.State.Pid}}' bg
read -r running pid <<<"$out"
[ "$running" = true ] && [ "${pid:-0}" -gt 0 ] || oci_fail "inspect: expected running with a pid: $out"
oci_check "runtime state" 0 '*' "$runtime" state "$id"
status=$(jq -r .status <<<"$out") state_pid=$(jq -r .pid <<<"$out")
[ "$status" = running ] || oci_fail "runtime state: status $status, expected running: $out"
[ "$state_pid" = "$pid" ] || oci_fail "runtime state: pid $state_pid, podman says $pid"
oci_check "exec" 0 "in exec" podman exec bg echo in exec
oci_check "exec: exit status" 4 '' podman exec bg sh -c 'exit 4'
oci_check "exec -i: stdin" 0 "exec stdin" podman exec -i bg cat <<<"exec stdin"
oci_check "exec -t: a terminal" 0 "tty" oci_in_tty 30 100 podman exec -t bg sh -c 'test -t 0 && echo tty'
oci_check "stop" 0 bg podman stop -t 2 bg
oci_check "inspect: stopped" 0 "false exited" podman inspect -f '{{.State.Running}} {{.State.Status}}' bg
oci_alive "$pid" && oci_fail "stop: the container's init $pid is still alive"
oci_check "rm" 0 bg podman rm bg
oci_check "ps -a: gone" 0 '' podman ps -a -q --filter name=bg

# rm -f of a running container.
oci_check "run -d (for rm -f)" 0 '*' "${run[@]}" -d --name victim "$img" sh -c "sleep $marker & sleep $marker"
id=$out
ids+=("$id")
oci_check "inspect pid" 0 '*' podman inspect -f '{{.State.Pid}}' victim
pid=$out
oci_check "rm -f" 0 victim podman rm -f -t 0 victim
oci_check "ps -a: empty" 0 '' podman ps -a -q
oci_alive "$pid" && oci_fail "rm -f: the container's init $pid is still alive"

# Nothing may be left behind.
left=$(oci_procs_matching "$dir" "sleep $marker" "${ids[@]}")
[ -z "$left" ] || oci_fail "processes left: $(oci_describe_procs $left)"
left=$(oci_state_leftovers "$runtime" '' "${ids[@]}")
[ -z "$left" ] || oci_fail "runtime state left: $left"
# The storage driver keeps its home directory bind-mounted: podman's own, not a container's.
left=$(oci_mounts_under "$dir" | grep -vx "$dir/podman/root/overlay")
[ -z "$left" ] || oci_fail "mounts left: $left"
# podman leaves conmon's cgroup (CGROUP_PARENT/conmon); a container's must be gone.
left=$(oci_cgroup_dirs "$cgparent" | grep -e '/libpod-')
[ -z "$left" ] || oci_fail "cgroups left: $left"
echo "PASS"
