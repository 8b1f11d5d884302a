#!/bin/bash
# containerd (ctr, containerd-shim-runc-v2) driving an OCI runtime: oci_ctr.sh RUNTIME
# A private containerd (no CRI plugin; its root, state, socket and /opt under a private
# directory) imports a busybox-static OCI image built here (tests/e2e/oci/lib.sh), and every
# container runs with `ctr run --runc-binary RUNTIME --runc-root DIR/runtime-root`, so the
# shim calls RUNTIME --root DIR/runtime-root/NAMESPACE as it would call runsc (see
# docs/oci-clients.md). Each step has its own timeout. Checked, through ctr:
#   run --rm echo: the output; sh -c 'exit 5': the exit status; stdin; -t (on a script(1)
#   terminal of 30x100): the container has a terminal of that size; --env --cwd;
#   run -d, then task ls (RUNNING) and the runtime's own `state` (running, the same pid);
#   task exec: output, exit status 4, -t; task ps (the shim calls the runtime's ps);
#   task kill -s SIGKILL, then task delete (status 137) and container delete;
#   task kill --all of a container with two processes.
# At the end, and whatever happened: no task or container left, no process the test
# started (shims, the runtime, the workload: found by the private directory, the
# namespace, a marker argument and the container ids in their command lines), no mount
# under the private directory, no runtime state, no cgroup of the test's.
set -u
[ $# -eq 1 ] || { echo "usage: $0 RUNTIME" >&2; exit 2; }
runtime=$(realpath -s -- "$1")
here=$(dirname "$0")
. "$here/oci/lib.sh"
oci_require_root_and containerd ctr containerd-shim-runc-v2 script jq
[ -x "$runtime" ] || oci_skip "$runtime: not an executable (not installed?)"
exec </dev/null

dir=$(mktemp -d /var/tmp/oci-ctr.XXXXXX) || exit 1
# The containerd namespace; ctr's default cgroup of a container is /NAMESPACE/ID.
ns=${dir##*/}
ns=${ns//./-}
oci_out_file=$dir/step.out oci_err_file=$dir/step.err
marker=$((100000 + RANDOM))$$ # `sleep MARKER`: a workload process we can recognize
ids=(c-echo c-exit c-stdin c-tty c-env c-bg c-all)
ctrc=(ctr -a "$dir/containerd.sock" -n "$ns")
# The same as a function, for the shell commands of oci_wait_for.
ctr_ns() { ctr -a "$dir/containerd.sock" -n "$ns" "$@"; }
export -f ctr_ns
export dir ns
cleanup() {
	set +e
	local id
	for id in "${ids[@]}"; do
		kill -0 "${oci_containerd_pid:-no}" 2>/dev/null || break
		timeout -k 5 20 "${ctrc[@]}" task delete -f "$id" >/dev/null 2>&1
		timeout -k 5 20 "${ctrc[@]}" container delete "$id" >/dev/null 2>&1
	done
	oci_containerd_stop
	for id in "${ids[@]}"; do
		timeout -k 5 20 "$runtime" --root "$dir/runtime-root/$ns" delete --force "$id" >/dev/null 2>&1
	done
	oci_kill_procs "$dir" "containerd-shim-runc-v2 -namespace $ns " "sleep $marker"
	oci_unmount_under "$dir"
	rm -rf "$dir"
	oci_cgroup_remove "$ns"
	oci_remove_noted_dirs
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

img=localhost/oci-busybox:test
oci_make_rootfs "$dir/rootfs" && oci_make_image_tar "$dir/rootfs" "$dir/image.tar" "$img" ||
	oci_fail "cannot build the busybox image"
oci_containerd_start "$dir" || oci_fail "cannot start containerd"
oci_check "image import" 0 '*' "${ctrc[@]}" image import "$dir/image.tar"
oci_check "image ls" 0 "$img" "${ctrc[@]}" image ls -q
echo "$(ctr --version), runtime $runtime"

mkdir -p "$dir/fifo"
run=("${ctrc[@]}" run --runc-binary "$runtime" --runc-root "$dir/runtime-root" --fifo-dir "$dir/fifo")
# A first container, whose output is not checked: ctr once printed nothing for the first
# short-lived container after containerd's start (with runc, 2026-11-29; containerd's
# issue 770 reports the same), and every later run printed its output.
oci_check "run --rm (warm-up)" 0 '*' "${run[@]}" --rm "$img" c-warm true
oci_check "run --rm echo" 0 hello "${run[@]}" --rm "$img" c-echo echo hello
oci_check "exit status" 5 '' "${run[@]}" --rm "$img" c-exit sh -c 'exit 5'
# ctr never closes the container's stdin (no CloseIO): head reads one line and exits.
oci_check "stdin" 0 "data from stdin" "${run[@]}" --rm "$img" c-stdin head -n 1 <<<"data from stdin"
# ctr sets the terminal's size just after the start (podman before): the container waits for it.
oci_check "run -t: a terminal of the caller's size" 0 $'tty\n30 100' \
	oci_in_tty 30 100 "${run[@]}" --rm -t "$img" c-tty sh -c 'test -t 0 && test -t 1 && echo tty
		for i in $(seq 100); do case $(stty size 2>/dev/null) in [1-9]*) break ;; esac; sleep 0.1; done
		stty size'
oci_check "run --env --cwd" 0 "x /tmp" "${run[@]}" --rm --env VAR=x --cwd /tmp "$img" c-env \
	sh -c 'echo "$VAR $(pwd)"'

# A long-running container.
oci_check "run -d" 0 '' "${run[@]}" -d "$img" c-bg sleep "$marker"
oci_check "task ls" 0 '*' "${ctrc[@]}" task ls
read -r pid status < <(awk '$1 == "c-bg" { print $2, $3 }' <<<"$out")
[ "${status:-}" = RUNNING ] && [ "${pid:-0}" -gt 0 ] || oci_fail "task ls: c-bg is not RUNNING: $out"
oci_check "runtime state" 0 '*' "$runtime" --root "$dir/runtime-root/$ns" state c-bg
[ "$(jq -r .status <<<"$out")" = running ] || oci_fail "runtime state: not running: $out"
[ "$(jq -r .pid <<<"$out")" = "$pid" ] || oci_fail "runtime state: pid is not $pid: $out"
exec=("${ctrc[@]}" task exec --fifo-dir "$dir/fifo")
oci_check "task exec" 0 "in exec" "${exec[@]}" --exec-id e1 c-bg echo in exec
oci_check "task exec: exit status" 4 '' "${exec[@]}" --exec-id e2 c-bg sh -c 'exit 4'
oci_check "task exec -t: a terminal of the caller's size" 0 $'tty\n30 100' \
	oci_in_tty 30 100 "${exec[@]}" -t --exec-id e3 c-bg sh -c 'test -t 0 && echo tty
		for i in $(seq 100); do case $(stty size 2>/dev/null) in [1-9]*) break ;; esac; sleep 0.1; done
		stty size'
oci_check "task ps" 0 '*' "${ctrc[@]}" task ps c-bg
# runc's ps lists host pids; runsc's, as gVisor's, the sandbox's own (its init is 1).
case ${runtime##*/} in
runsc*) ps_pid=1 ;;
*) ps_pid=$pid ;;
esac
grep -qw "^$ps_pid" <<<"$out" || oci_fail "task ps: no pid $ps_pid: $out"
oci_check "task kill" 0 '' "${ctrc[@]}" task kill -s SIGKILL c-bg
oci_wait_for "task stopped after kill" 30 bash -c 'ctr_ns task ls | grep -q "^c-bg .* STOPPED"'
# ctr 1.6's task delete exits 0 and warns "task ID exit with non-zero exit code N".
oci_check "task delete" 0 '' "${ctrc[@]}" task delete c-bg
grep -q "exit code 137" <<<"$err" || oci_fail "task delete: no exit status 137 (SIGKILL): $err"
oci_check "container delete" 0 '' "${ctrc[@]}" container delete c-bg
oci_alive "$pid" && oci_fail "kill: the container's init $pid is still alive"

# kill --all: every process of the container.
oci_check "run -d (two processes)" 0 '' "${run[@]}" -d "$img" c-all \
	sh -c "sleep $marker & sleep $marker; wait"
oci_wait_for "two sleeps in c-all" 30 bash -c \
	'[ "$(ctr_ns task ps c-all | tail -n +2 | wc -l)" -ge 3 ]'
oci_check "task kill --all" 0 '' "${ctrc[@]}" task kill --all -s SIGKILL c-all
oci_wait_for "task stopped after kill --all" 30 bash -c 'ctr_ns task ls | grep -q "^c-all .* STOPPED"'
oci_check "task delete (after kill --all)" 0 '' "${ctrc[@]}" task delete c-all
grep -q "exit code 137" <<<"$err" || oci_fail "task delete: no exit status 137 (SIGKILL): $err"
oci_check "container delete (after kill --all)" 0 '' "${ctrc[@]}" container delete c-all

# Nothing may be left behind.
oci_check "no task left" 0 '' "${ctrc[@]}" task ls -q
oci_check "no container left" 0 '' "${ctrc[@]}" container ls -q
left=$(oci_procs_matching "containerd-shim-runc-v2 -namespace $ns " "sleep $marker" "$dir/runtime-root")
[ -z "$left" ] || oci_fail "processes left: $(oci_describe_procs $left)"
left=$(oci_state_leftovers "$runtime" "$dir/runtime-root/$ns" "${ids[@]}")
[ -z "$left" ] || oci_fail "runtime state left: $left"
left=$(oci_mounts_under "$dir")
[ -z "$left" ] || oci_fail "mounts left: $left"
left=$(oci_cgroup_dirs "$ns" | grep -v -x -e "/sys/fs/cgroup/$ns" -e "/sys/fs/cgroup/[^/]*/$ns")
[ -z "$left" ] || oci_fail "cgroups left: $left"
echo "PASS"
