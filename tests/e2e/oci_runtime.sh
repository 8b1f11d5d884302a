#!/bin/bash
# The OCI runtime's own command line on a busybox bundle (tests/e2e/oci/make_bundle.sh), as
# the clients and runtime-tools call it: oci_runtime.sh RUNTIME
#   run --bundle B ID: the output, the exit status (42), and the container is gone after;
#   create --bundle B --pid-file F ID, state (created, the pid of F), start, state (running),
#   kill ID 9 (a number, as podman and the shim send it), state (stopped), delete, state
#   (fails: gone); delete --force of an id that does not exist exits 0.
# Everything under a private --root. At the end, and whatever happened: no runtime state, no
# process of the test (found by a marker argument), no cgroup of the test's.
set -u
[ $# -eq 1 ] || { echo "usage: $0 RUNTIME" >&2; exit 2; }
runtime=$(realpath -s -- "$1")
here=$(dirname "$0")
. "$here/oci/lib.sh"
oci_require_root_and jq
[ -x "$runtime" ] || oci_skip "$runtime: not an executable (not installed?)"
exec </dev/null

dir=$(mktemp -d /var/tmp/oci-runtime.XXXXXX) || exit 1
oci_out_file=$dir/step.out oci_err_file=$dir/step.err
# Container ids: runc makes the cgroup /ID when config.json names none.
tag=${dir##*/}
tag=${tag//./-}
ids=("$tag-run" "$tag-life")
marker=$((100000 + RANDOM))$$ # `sleep MARKER`: a workload process we can recognize
rt=("$runtime" --root "$dir/root")
cleanup() {
	set +e
	local id
	for id in "${ids[@]}"; do
		timeout -k 5 20 "${rt[@]}" delete --force "$id" >/dev/null 2>&1
		oci_cgroup_remove "$id"
	done
	oci_kill_procs "sleep $marker"
	oci_unmount_under "$dir"
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

oci_make_bundle "$dir/run" sh -c 'echo "hello from $(hostname)"; exit 42' ||
	oci_fail "cannot build the bundle"
oci_check "run: output and exit status" 42 "hello from oci-test" "${rt[@]}" run --bundle "$dir/run" "${ids[0]}"
oci_check "run: the container is gone" 1 '' "${rt[@]}" state "${ids[0]}"

id=${ids[1]}
oci_make_bundle "$dir/life" sleep "$marker" || oci_fail "cannot build the bundle"
# A detached create's stdio must not be a terminal or a pipe we wait on: files.
oci_step "create" "${rt[@]}" create --bundle "$dir/life" --pid-file "$dir/life.pid" "$id"
[ "$rc" -eq 0 ] || oci_fail "create: exit status $rc: $err"
echo "ok: create"
pid=$(cat "$dir/life.pid" 2>/dev/null)
[ "${pid:-0}" -gt 0 ] || oci_fail "create: no pid in the pid file"
oci_check "state: created" 0 '*' "${rt[@]}" state "$id"
[ "$(jq -r .status <<<"$out") $(jq -r .pid <<<"$out")" = "created $pid" ] ||
	oci_fail "state: expected created with pid $pid: $out"
oci_check "start" 0 '' "${rt[@]}" start "$id"
oci_check "state: running" 0 '*' "${rt[@]}" state "$id"
[ "$(jq -r .status <<<"$out")" = running ] || oci_fail "state: expected running: $out"
oci_check "kill 9" 0 '' "${rt[@]}" kill "$id" 9
oci_wait_for "state: stopped" 30 bash -c \
	'"$@" state "$0" | jq -e ".status == \"stopped\""' "$id" "${rt[@]}"
echo "ok: state: stopped"
oci_check "delete" 0 '' "${rt[@]}" delete "$id"
oci_check "state: gone" 1 '' "${rt[@]}" state "$id"
oci_alive "$pid" && oci_fail "the container's init $pid is still alive"
oci_check "delete --force of a missing id" 0 '' "${rt[@]}" delete --force "$tag-missing"

left=$(oci_procs_matching "sleep $marker")
[ -z "$left" ] || oci_fail "processes left: $(oci_describe_procs $left)"
left=$(oci_state_leftovers "$runtime" "$dir/root" "${ids[@]}")
[ -z "$left" ] || oci_fail "runtime state left: $left"
echo "PASS"
