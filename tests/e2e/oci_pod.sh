#!/bin/bash
# Containers of a pod in one sandbox, as Kubernetes' CRI plugin creates them (the
# annotations io.kubernetes.cri.container-type and io.kubernetes.cri.sandbox-id; see
# runsc-cli/pod.h): oci_pod.sh RUNSC
#   the pod's sandbox container (sleep), then a container that joins it: it runs in the same
#   sandbox (its ps inside shows the sandbox's sleep), on its own root (a file only its
#   rootfs has), its stdout is create's, `runsc wait` prints its exit status, and its --pid-file
#   process is gone once it ended; a second, long-running one: state running with the pid
#   of its pid file, exec in it (its root), ps lists its processes only, kill ends it
#   (stopped) while the sandbox runs on; delete of each; a container naming a sandbox that
#   does not exist fails with a message and leaves no state.
# Everything under a private --root. At the end, and whatever happened: no runtime state, no
# process of the test (found by a marker argument).
set -u
[ $# -eq 1 ] || { echo "usage: $0 RUNSC" >&2; exit 2; }
runtime=$(realpath -s -- "$1")
here=$(dirname "$0")
. "$here/oci/lib.sh"
oci_require_root_and jq
exec </dev/null

dir=$(mktemp -d /var/tmp/oci-pod.XXXXXX) || exit 1
oci_out_file=$dir/step.out oci_err_file=$dir/step.err
tag=${dir##*/}
tag=${tag//./-}
pod=$tag-pod
ids=("$tag-c1" "$tag-c2" "$pod")
marker=$((100000 + RANDOM))$$ # `sleep MARKER`: a workload process we can recognize
rt=("$runtime" --root "$dir/root")
cleanup() {
	set +e
	local id
	for id in "${ids[@]}"; do
		timeout -k 5 20 "${rt[@]}" delete --force "$id" >/dev/null 2>&1
		oci_cgroup_remove "$id"
	done
	oci_kill_procs "sleep $marker" "$dir"
	oci_unmount_under "$dir"
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# pod_bundle DIR TYPE ARG...: a bundle whose config.json puts it in the pod as TYPE.
pod_bundle() {
	local b=$1 type=$2
	shift 2
	oci_make_bundle "$b" "$@" || oci_fail "cannot build the bundle $b"
	jq --arg t "$type" --arg s "$pod" '.annotations = {
		"io.kubernetes.cri.container-type": $t, "io.kubernetes.cri.sandbox-id": $s }' \
		"$b/config.json" >"$b/config.new" && mv "$b/config.new" "$b/config.json" ||
		oci_fail "cannot annotate $b/config.json"
}

pod_bundle "$dir/sb" sandbox sleep "$marker"
oci_check "create the pod's sandbox" 0 '' "${rt[@]}" create --bundle "$dir/sb" \
	--pid-file "$dir/sb.pid" "$pod"
oci_check "start the pod's sandbox" 0 '' "${rt[@]}" start "$pod"

# A container that joins it, sees its own root and the sandbox's processes, and exits 7.
pod_bundle "$dir/c1" container sh -c 'ls /only-c1; ps -o comm | grep -c "^sleep"; exit 7'
touch "$dir/c1/rootfs/only-c1"
id=${ids[0]}
# Its stdio is create's: a file of its own, not the steps' (they are rewritten).
timeout -k 5 30 "${rt[@]}" create --bundle "$dir/c1" --pid-file "$dir/c1.pid" "$id" \
	>"$dir/c1.out" 2>"$dir/c1.err" || oci_fail "create c1: $(cat "$dir/c1.err")"
echo "ok: create c1"
pid1=$(cat "$dir/c1.pid")
oci_check "state c1: created" 0 '*' "${rt[@]}" state "$id"
[ "$(jq -r '.status + " " + (.pid|tostring)' <<<"$out")" = "created $pid1" ] ||
	oci_fail "state c1: expected created with pid $pid1: $out"
oci_check "start c1" 0 '' "${rt[@]}" start "$id"
oci_check "wait c1: its exit status" 0 '{"exit_status":7}' "${rt[@]}" wait "$id"
oci_wait_for "c1's pid-file process ends" 20 bash -c "! kill -0 $pid1 2>/dev/null ||
	grep -q '^State:.*Z' /proc/$pid1/status"
[ "$(tr -d '\r' <"$dir/c1.out")" = "/only-c1
1" ] || oci_fail "c1: expected its own root and the sandbox's sleep: $(cat "$dir/c1.out")"
echo "ok: c1 ran in the sandbox on its own root"
oci_check "state c1: stopped" 0 '*' "${rt[@]}" state "$id"
[ "$(jq -r .status <<<"$out")" = stopped ] || oci_fail "state c1: expected stopped: $out"
oci_check "delete c1" 0 '' "${rt[@]}" delete "$id"

# A long-running one: exec, ps, kill.
pod_bundle "$dir/c2" container sleep "$marker"
touch "$dir/c2/rootfs/only-c2"
id=${ids[1]}
oci_check "create c2" 0 '' "${rt[@]}" create --bundle "$dir/c2" --pid-file "$dir/c2.pid" "$id"
oci_check "start c2" 0 '' "${rt[@]}" start "$id"
oci_check "state c2: running" 0 '*' "${rt[@]}" state "$id"
[ "$(jq -r '.status + " " + (.pid|tostring)' <<<"$out")" = "running $(cat "$dir/c2.pid")" ] ||
	oci_fail "state c2: expected running with the pid of its pid file: $out"
oci_check "exec in c2: its root" 0 /only-c2 "${rt[@]}" exec "$id" sh -c 'ls /only-*'
oci_check "ps c2: its own processes" 0 '*' "${rt[@]}" ps --format json "$id"
[ "$(jq length <<<"$out")" = 1 ] || oci_fail "ps c2: expected one process: $out"
oci_check "kill c2" 0 '' "${rt[@]}" kill "$id" KILL
oci_wait_for "state c2: stopped" 30 bash -c \
	'"$@" state "$0" | jq -e ".status == \"stopped\""' "$id" "${rt[@]}"
echo "ok: state c2: stopped"
oci_check "the pod's sandbox runs on" 0 '*' "${rt[@]}" state "$pod"
[ "$(jq -r .status <<<"$out")" = running ] || oci_fail "the sandbox: expected running: $out"
oci_check "delete c2" 0 '' "${rt[@]}" delete "$id"

# A container of a pod whose sandbox does not exist.
pod_bundle "$dir/bad" container true
jq '.annotations["io.kubernetes.cri.sandbox-id"] = "no-such-sandbox"' "$dir/bad/config.json" \
	>"$dir/bad/config.new" && mv "$dir/bad/config.new" "$dir/bad/config.json"
oci_check "create in a missing sandbox fails" 1 '' "${rt[@]}" create --bundle "$dir/bad" \
	"$tag-bad"
[[ $err == *"no-such-sandbox"* ]] || oci_fail "create in a missing sandbox: unclear error: $err"
[ ! -e "$dir/root/$tag-bad" ] || oci_fail "create in a missing sandbox left its state"

oci_check "delete --force the pod's sandbox" 0 '' "${rt[@]}" delete --force "$pod"
for _ in $(seq 100); do
	[ -z "$(oci_procs_matching "sleep $marker")" ] && break
	sleep 0.1
done
left=$(oci_procs_matching "sleep $marker" "$dir/")
[ -z "$left" ] || oci_fail "processes left: $(oci_describe_procs $left)"
left=$(oci_state_leftovers "$runtime" "$dir/root" "${ids[@]}")
[ -z "$left" ] || oci_fail "runtime state left: $left"
echo "PASS"
