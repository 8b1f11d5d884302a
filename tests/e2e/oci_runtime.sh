#!/bin/bash
# The OCI runtime's own command line on a busybox bundle (tests/e2e/oci/make_bundle.sh), as
# the clients and runtime-tools call it: oci_runtime.sh RUNTIME
#   run --bundle B ID: the output, the exit status (42), and the container is gone after;
#   create --bundle B --pid-file F ID, state (created, the pid of F), start, state (running),
#   kill ID 9 (a number, as podman and the shim send it), state (stopped), delete, state
#   (fails: gone); delete --force of an id that does not exist exits 0.
# Hooks: one hook of every kind appends its kind and the state on its stdin to a log; the
#   kinds come in the lifecycle's order (create: prestart, createRuntime, createContainer;
#   start: startContainer, poststart; delete: poststop) with the status and pid runc passes,
#   and the prestart hook's state is runc's (same bundle and id, but for the pid). A
#   failing prestart hook fails create with its message and leaves no state, cgroup or
#   process.
# cgroups (the bundles name linux.cgroupsPath /TAG-cg/ID, so the test finds them in every
#   hierarchy): pause freezes the container (state and list say paused, a counter written
#   to a bind-mounted directory stops), resume lets it go on; update (flags and
#   --resources -) writes pids.max and the memory limit; exec is refused while paused, as runc; events --stats prints runc's stats
#   event; delete --force of the paused container removes the cgroup.
# Concurrency: six `run`s of one bundle under one --root at once, with `list` and `state`
#   running beside them: each exits with its container's status, and nothing is left.
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
ids=("$tag-run" "$tag-life" "$tag-hooks" "$tag-badhook" "$tag-cg")
for i in 1 2 3 4 5 6; do ids+=("$tag-par$i"); done
cgparent=$tag-cg
marker=$((100000 + RANDOM))$$ # `sleep MARKER`: a workload process we can recognize
rt=("$runtime" --root "$dir/root")
cleanup() {
	set +e
	local id
	for id in "${ids[@]}"; do
		timeout -k 5 20 "${rt[@]}" delete --force "$id" >/dev/null 2>&1
		oci_cgroup_remove "$id"
	done
	timeout -k 5 20 runc --root "$dir/runc-root" delete --force "$tag-hooks" >/dev/null 2>&1
	oci_cgroup_remove "$cgparent"
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

# --- hooks ---------------------------------------------------------------------------------
# hook.sh LOG KIND: appends "KIND STATE" (the state JSON on its stdin) to LOG.
printf '#!/bin/sh\nprintf "%%s %%s\\n" "$2" "$(cat)" >>"$1"\n' >"$dir/hook.sh" && chmod +x "$dir/hook.sh"
# with_hooks BUNDLE LOG ID: every kind of hook logging to LOG, an annotation, and the cgroup
# /TAG-cg/ID.
with_hooks() {
	local k hooks='{}'
	for k in prestart createRuntime createContainer startContainer poststart poststop; do
		hooks=$(jq -c --arg k "$k" --arg h "$dir/hook.sh" --arg log "$2" \
			'.[$k] = [{path: $h, args: ["hook.sh", $log, $k]}]' <<<"$hooks")
	done
	jq --argjson h "$hooks" --arg cg "/$cgparent/$3" \
		'.hooks = $h | .annotations = {"org.test.note": "hello"} | .linux.cgroupsPath = $cg' \
		"$1/config.json" >"$1/config.json.new" && mv "$1/config.json.new" "$1/config.json"
}
# hook_kinds LOG: the kinds logged, in order, on one line.
hook_kinds() { cut -d' ' -f1 "$1" 2>/dev/null | tr '\n' ' ' | sed 's/ $//'; }
# hook_state LOG KIND: the state KIND got.
hook_state() { sed -n "s/^$2 //p" "$1"; }

id=$tag-hooks
log=$dir/hooks.log
oci_make_bundle "$dir/hooks" sleep "$marker" && with_hooks "$dir/hooks" "$log" "$id" ||
	oci_fail "cannot build the hooks bundle"
oci_check "hooks: create" 0 '' "${rt[@]}" create --bundle "$dir/hooks" --pid-file "$dir/hooks.pid" "$id"
pid=$(cat "$dir/hooks.pid")
[ "$(hook_kinds "$log")" = "prestart createRuntime createContainer" ] ||
	oci_fail "hooks: create ran: $(hook_kinds "$log")"
oci_check "hooks: start" 0 '' "${rt[@]}" start "$id"
[ "$(hook_kinds "$log")" = "prestart createRuntime createContainer startContainer poststart" ] ||
	oci_fail "hooks: create and start ran: $(hook_kinds "$log")"
oci_check "hooks: delete --force" 0 '' "${rt[@]}" delete --force "$id"
[ "$(hook_kinds "$log")" = "prestart createRuntime createContainer startContainer poststart poststop" ] ||
	oci_fail "hooks: the lifecycle ran: $(hook_kinds "$log")"
for ks in prestart:creating createRuntime:creating createContainer:creating startContainer:created \
	poststart:running poststop:stopped; do
	k=${ks%%:*} want_status=${ks#*:}
	state=$(hook_state "$log" "$k")
	want_pid=$pid
	[ "$k" != poststop ] || want_pid=null # no pid once stopped, as runc
	jq -e --arg id "$id" --arg b "$dir/hooks" --arg s "$want_status" --argjson p "$want_pid" \
		'.id == $id and .bundle == $b and .status == $s and .pid == $p and
		 .ociVersion == "1.0.2-dev" and .annotations == {"org.test.note": "hello"}' \
		<<<"$state" >/dev/null || oci_fail "hooks: $k got the state $state"
done
echo "ok: hooks: every kind in order, with its state"
left=$(oci_cgroup_dirs "$cgparent/$id")
[ -z "$left" ] || oci_fail "hooks: the cgroup is left after delete: $left"
echo "ok: hooks: the cgroup is gone after delete"
# runc, on the same bundle and id, gives its prestart hook the same state but for the pid.
if command -v runc >/dev/null; then
	ours=$(hook_state "$log" prestart | jq -c 'del(.pid)')
	jq '.hooks = {prestart: .hooks.prestart}' "$dir/hooks/config.json" >"$dir/hooks/c.new" &&
		mv "$dir/hooks/c.new" "$dir/hooks/config.json" && rm -f "$log"
	oci_check "hooks: runc create" 0 '' runc --root "$dir/runc-root" create --bundle "$dir/hooks" "$id"
	oci_check "hooks: runc delete" 0 '' runc --root "$dir/runc-root" delete --force "$id"
	theirs=$(hook_state "$log" prestart | jq -c 'del(.pid)')
	[ "$ours" = "$theirs" ] || oci_fail "hooks: prestart state: runsc $ours, runc $theirs"
	echo "ok: hooks: the prestart state is runc's"
fi

# A failing prestart hook: create fails with its message; nothing is left.
id=$tag-badhook
oci_make_bundle "$dir/badhook" sleep "$marker" || oci_fail "cannot build the bundle"
jq --arg cg "/$cgparent/$id" '.hooks.prestart = [{path: "/bin/sh",
	args: ["sh", "-c", "echo the-hook-says-no >&2; exit 3"]}] | .linux.cgroupsPath = $cg' \
	"$dir/badhook/config.json" >"$dir/badhook/c.new" && mv "$dir/badhook/c.new" "$dir/badhook/config.json"
oci_step "failing prestart: create" "${rt[@]}" create --bundle "$dir/badhook" "$id"
[ "$rc" -ne 0 ] || oci_fail "failing prestart: create succeeded"
[[ $err == *"prestart hook #0"*"the-hook-says-no"* ]] ||
	oci_fail "failing prestart: create's error does not name the hook: $err"
oci_check "failing prestart: list" 0 '' "${rt[@]}" list -q
[ ! -e "$dir/root/$id" ] || oci_fail "failing prestart: the state directory is left"
left=$(oci_cgroup_dirs "$cgparent/$id")
[ -z "$left" ] || oci_fail "failing prestart: the cgroup is left: $left"
left=$(oci_procs_matching "sleep $marker")
[ -z "$left" ] || oci_fail "failing prestart: processes left: $(oci_describe_procs $left)"
echo "ok: failing prestart: create fails with its message, nothing left"

# --- cgroups: pause, resume, update, events ------------------------------------------------
id=$tag-cg
mkdir -p "$dir/shared"
oci_make_bundle "$dir/cg" sh -c \
	"i=0; while :; do i=\$((i+1)); echo \$i >/shared/count.new; mv /shared/count.new /shared/count; usleep 10000; done; sleep $marker" ||
	oci_fail "cannot build the bundle"
jq --arg cg "/$cgparent/$id" --arg s "$dir/shared" '.linux.cgroupsPath = $cg |
	.mounts += [{destination: "/shared", type: "bind", source: $s, options: ["rbind", "rw"]}]' \
	"$dir/cg/config.json" >"$dir/cg/c.new" && mv "$dir/cg/c.new" "$dir/cg/config.json"
oci_check "cgroup: create" 0 '' "${rt[@]}" create --bundle "$dir/cg" --pid-file "$dir/cg.pid" "$id"
pid=$(cat "$dir/cg.pid")
# The cgroup file FILE of the container (v1: in CONTROLLER's hierarchy; v2: the one).
cg_file() {
	local f
	for f in "/sys/fs/cgroup/$1/$cgparent/$id/$2" "/sys/fs/cgroup/$cgparent/$id/$2"; do
		[ -e "$f" ] && { cat "$f"; return 0; }
	done
	return 1
}
grep -qx "$pid" <<<"$(cg_file pids cgroup.procs)" ||
	oci_fail "cgroup: the sandbox $pid is not in the cgroup: $(cg_file pids cgroup.procs)"
echo "ok: cgroup: the sandbox process is in the container's cgroup"
oci_check "cgroup: start" 0 '' "${rt[@]}" start "$id"
# The counter is renamed into place, so a pause never leaves it empty (between the shell's
# truncation and its write, it once did: the resume check then compared with nothing).
count() { cat "$dir/shared/count" 2>/dev/null || echo 0; }
oci_wait_for "cgroup: the counter runs" 30 bash -c '[ "$(cat "$0" 2>/dev/null || echo 0)" -gt 2 ]' "$dir/shared/count"
oci_check "pause" 0 '' "${rt[@]}" pause "$id"
oci_check "pause: state" 0 '*' "${rt[@]}" state "$id"
[ "$(jq -r '"\(.status) \(.pid)"' <<<"$out")" = "paused $pid" ] || oci_fail "pause: state: $out"
oci_check "pause: list" 0 '*' "${rt[@]}" list --format json
[ "$(jq -r --arg id "$id" '.[] | select(.id == $id) | .status' <<<"$out")" = paused ] ||
	oci_fail "pause: list: $out"
c1=$(count)
sleep 1
c2=$(count)
[ "$c1" = "$c2" ] || oci_fail "pause: the counter went on from $c1 to $c2"
echo "ok: pause: the counter stands at $c2"
oci_check "pause: exec refused" 1 '' "${rt[@]}" exec "$id" true
[[ $err == *"cannot exec in a paused container"* ]] || oci_fail "pause: exec: $err"
oci_check "pause again: not running" 1 '' "${rt[@]}" pause "$id"
[[ $err == *"container not running"* ]] || oci_fail "pause again: $err"
oci_check "events --stats" 0 '*' "${rt[@]}" events --stats "$id"
jq -e --arg id "$id" '.type == "stats" and .id == $id and .data.pids.current >= 2 and
	(.data.memory.usage | has("usage")) and (.data.cpu.usage | has("total"))' <<<"$out" >/dev/null ||
	oci_fail "events --stats: $out"
oci_check "resume" 0 '' "${rt[@]}" resume "$id"
oci_check "resume: state" 0 '*' "${rt[@]}" state "$id"
[ "$(jq -r .status <<<"$out")" = running ] || oci_fail "resume: state: $out"
oci_wait_for "resume: the counter goes on" 30 bash -c '[ "$(cat "$0")" -gt "$1" ]' "$dir/shared/count" "$c2"
echo "ok: resume: the counter goes on"
oci_check "resume again: not paused" 1 '' "${rt[@]}" resume "$id"
[[ $err == *"container not paused"* ]] || oci_fail "resume again: $err"
oci_check "update --pids-limit" 0 '' "${rt[@]}" update --pids-limit 50 "$id"
[ "$(cg_file pids pids.max)" = 50 ] || oci_fail "update: pids.max is $(cg_file pids pids.max)"
oci_check "update --resources -" 0 '' "${rt[@]}" update --resources - "$id" \
	< <(echo '{"pids": {"limit": 60}, "memory": {"limit": 268435456}}')
[ "$(cg_file pids pids.max)" = 60 ] || oci_fail "update -r: pids.max is $(cg_file pids pids.max)"
mem=$(cg_file memory memory.limit_in_bytes || cg_file memory memory.max)
[ "$mem" = 268435456 ] || oci_fail "update -r: the memory limit is $mem"
oci_check "update --memory 128m" 0 '' "${rt[@]}" update --memory 128m "$id"
mem=$(cg_file memory memory.limit_in_bytes || cg_file memory memory.max)
[ "$mem" = 134217728 ] || oci_fail "update --memory: the memory limit is $mem"
oci_check "events --stats: pids limit" 0 '*' "${rt[@]}" events --stats "$id"
jq -e '.data.pids.limit == 60' <<<"$out" >/dev/null || oci_fail "events --stats: $out"
echo "ok: update: pids.max and the memory limit"
oci_check "pause before delete" 0 '' "${rt[@]}" pause "$id"
oci_check "delete --force of a paused container" 0 '' "${rt[@]}" delete --force "$id"
oci_check "cgroup: state: gone" 1 '' "${rt[@]}" state "$id"
left=$(oci_cgroup_dirs "$cgparent/$id")
[ -z "$left" ] || oci_fail "cgroup: left after delete: $left"
oci_alive "$pid" && oci_fail "cgroup: the sandbox $pid is still alive"
echo "ok: delete: the cgroup is gone"

# Many runsc commands on one --root at once: the state directories' locks keep them apart.
oci_make_bundle "$dir/par" sh -c 'exit 9' || oci_fail "cannot build the bundle"
pids=()
for i in 1 2 3 4 5 6; do
	timeout -k 5 60 "${rt[@]}" run --bundle "$dir/par" "$tag-par$i" >"$dir/par$i.out" 2>&1 &
	pids+=($!)
	timeout -k 5 60 "${rt[@]}" list >/dev/null 2>&1 &
	timeout -k 5 60 "${rt[@]}" state "$tag-par$i" >/dev/null 2>&1 &
done
for i in 1 2 3 4 5 6; do
	st=0
	wait "${pids[$((i - 1))]}" || st=$?
	[ "$st" = 9 ] || oci_fail "concurrent run $i: exit status $st, want 9: $(cat "$dir/par$i.out")"
done
wait
echo "ok: six concurrent runs on one --root"

left=$(oci_procs_matching "sleep $marker")
[ -z "$left" ] || oci_fail "processes left: $(oci_describe_procs $left)"
left=$(oci_state_leftovers "$runtime" "$dir/root" "${ids[@]}")
[ -z "$left" ] || oci_fail "runtime state left: $left"
echo "PASS"
