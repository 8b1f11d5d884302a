#!/bin/bash
# Bad input to the OCI runtime (issue 5, "Bad input"): oci_bad_input.sh RUNTIME
#   config.json: missing, malformed, a field of the wrong type, empty args, a rootfs that
#     is missing or a file, a program that is not in the rootfs: each fails with a message
#     that names what is wrong, and leaves no state directory.
#   ids: state, start, kill, delete, ps and exec of an unknown id fail with "container does
#     not exist"; a second create of a live id fails and leaves the first one as it was;
#     --log-format json writes the error as one JSON line.
#   signals: SIGFOO and 99 are refused by name; start of a running container is refused;
#     delete of a running container without --force is refused, and with --force leaves
#     nothing.
#   a dead sentry (SIGKILL to the pid of the pid file): state says stopped, delete works.
#   a killed gofer: the container's reads of its rootfs fail with EIO (not a hang), the log
#     says why, and exec, kill and delete --force still work.
#   symlinks in the rootfs that point at host paths (absolute, relative with many "..",
#     a symlink to a directory, a mount destination that is a symlink): they resolve
#     inside the rootfs, so the container can neither read a host file nor create one.
# At the end, and whatever happened: no state, no process of the test's, no mount under its
# directory.
set -u
[ $# -eq 1 ] || { echo "usage: $0 RUNTIME" >&2; exit 2; }
runtime=$(realpath -s -- "$1")
here=$(dirname "$0")
. "$here/oci/lib.sh"
oci_require_root_and jq
[ -x "$runtime" ] || oci_skip "$runtime: not an executable (not installed?)"
exec </dev/null

dir=$(mktemp -d /var/tmp/oci-bad.XXXXXX) || exit 1
oci_out_file=$dir/step.out oci_err_file=$dir/step.err
tag=${dir##*/}
tag=${tag//./-}
ids=("$tag-bad" "$tag-dup" "$tag-sentry" "$tag-gofer" "$tag-links")
marker=$((100000 + RANDOM))$$ # `sleep MARKER`: a workload we can recognize
rt=("$runtime" --root "$dir/root")
cleanup() {
	set +e
	local id
	for id in "${ids[@]}"; do
		timeout -k 5 20 "${rt[@]}" delete --force "$id" >/dev/null 2>&1
		oci_cgroup_remove "$id"
	done
	oci_kill_procs "sleep $marker" "$dir/"
	oci_unmount_under "$dir"
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# expect_error DESC WANT CMD...: CMD fails (nonzero) and its stderr contains WANT.
expect_error() {
	local desc=$1 want=$2
	shift 2
	oci_step "$desc" "$@"
	[ "$rc" -ne 0 ] || oci_fail "$desc: succeeded: $*${out:+
stdout: $out}"
	[[ $err == *"$want"* ]] || oci_fail "$desc: the error does not say '$want': $err"
	echo "ok: $desc"
}

# nothing_left DESC: no state, process or mount of the test's is left.
nothing_left() {
	local left
	left=$(oci_state_leftovers "$runtime" "$dir/root" "${ids[@]}")
	[ -z "$left" ] || oci_fail "$1: state left: $left"
	left=$(oci_procs_matching "sleep $marker" "$dir/")
	[ -z "$left" ] || oci_fail "$1: processes left:
$(oci_describe_procs $left)"
	left=$(oci_mounts_under "$dir")
	[ -z "$left" ] || oci_fail "$1: mounts left: $left"
	echo "ok: $1: nothing left"
}

# with_config NAME JQ: bundle DIR/NAME whose config.json is the good one edited by JQ, with
# the good rootfs.
with_config() {
	mkdir -p "$dir/$1" && ln -sfn ../good/rootfs "$dir/$1/rootfs" &&
		jq "$2" "$dir/good/config.json" >"$dir/$1/config.json" ||
		oci_fail "cannot build the bundle $1"
}

oci_make_bundle "$dir/good" sleep "$marker" || oci_fail "cannot build the bundle"
id=${ids[0]}

# --- config.json ------------------------------------------------------------------------
mkdir -p "$dir/noconfig"
expect_error "missing config.json" "config.json" "${rt[@]}" create --bundle "$dir/noconfig" "$id"
mkdir -p "$dir/malformed" && printf '{"ociVersion": "1.0.2", "process": {' >"$dir/malformed/config.json"
expect_error "malformed config.json" "config.json" "${rt[@]}" create --bundle "$dir/malformed" "$id"
with_config wrongtype '.process.args = "sh"'
expect_error "wrong type: process.args" "process.args" "${rt[@]}" run --bundle "$dir/wrongtype" "$id"
with_config wrongtype2 '.process.user.uid = "root"'
expect_error "wrong type: process.user.uid" "process.user.uid" "${rt[@]}" run --bundle "$dir/wrongtype2" "$id"
with_config noargs '.process.args = []'
expect_error "empty process.args" "process.args" "${rt[@]}" run --bundle "$dir/noargs" "$id"
with_config noroot '.root.path = "nowhere"'
expect_error "missing rootfs" "nowhere" "${rt[@]}" run --bundle "$dir/noroot" "$id"
touch "$dir/good/afile"
with_config fileroot '.root.path = "../good/afile"'
expect_error "rootfs is a file" "Not a directory" "${rt[@]}" run --bundle "$dir/fileroot" "$id"
with_config noprog '.process.args = ["no-such-program"]'
expect_error "program not in the rootfs" '"no-such-program": executable file not found in $PATH' \
	"${rt[@]}" run --bundle "$dir/noprog" "$id"
with_config badsource '.mounts += [{"destination": "/mnt", "type": "bind", "source": "'"$dir"'/no-such-dir", "options": ["rbind"]}]'
expect_error "bind mount of a missing source" "no-such-dir" "${rt[@]}" run --bundle "$dir/badsource" "$id"
nothing_left "bad config.json"

# --- ids --------------------------------------------------------------------------------
for verb in state start kill delete ps; do
	expect_error "$verb of an unknown id" "container does not exist" "${rt[@]}" "$verb" "$tag-nosuch"
done
expect_error "exec in an unknown id" "container does not exist" "${rt[@]}" exec "$tag-nosuch" true
oci_check "delete --force of an unknown id" 0 '' "${rt[@]}" delete --force "$tag-nosuch"
oci_step "json error" "$runtime" --root "$dir/root" --log-format json --log "$dir/log.json" state "$tag-nosuch"
[ "$rc" -ne 0 ] || oci_fail "json error: state of an unknown id succeeded"
jq -e 'select(.level == "error") | .msg | test("container does not exist")' "$dir/log.json" >/dev/null ||
	oci_fail "json error: the log is not one JSON error line: $(cat "$dir/log.json")"
echo "ok: json error"

id=${ids[1]}
oci_check "create" 0 '' "${rt[@]}" create --bundle "$dir/good" --pid-file "$dir/dup.pid" "$id"
expect_error "duplicate id" "$id" "${rt[@]}" create --bundle "$dir/good" --pid-file "$dir/dup2.pid" "$id"
oci_check "the first container survives a duplicate create" 0 '*' "${rt[@]}" state "$id"
[ "$(jq -r .status <<<"$out") $(jq -r .pid <<<"$out")" = "created $(cat "$dir/dup.pid")" ] ||
	oci_fail "duplicate id: the first container's state changed: $out"
oci_check "start" 0 '' "${rt[@]}" start "$id"
expect_error "start twice" "running" "${rt[@]}" start "$id"
expect_error "kill SIGFOO" "SIGFOO" "${rt[@]}" kill "$id" SIGFOO
expect_error "kill FOO" "FOO" "${rt[@]}" kill "$id" FOO
expect_error "kill 99" "99" "${rt[@]}" kill "$id" 99
expect_error "delete without --force of a running container" "running" "${rt[@]}" delete "$id"
oci_check "still running" 0 '*' "${rt[@]}" state "$id"
[ "$(jq -r .status <<<"$out")" = running ] || oci_fail "still running: $out"
oci_check "delete --force of a running container" 0 '' "${rt[@]}" delete --force "$id"
nothing_left "ids and signals"

# --- a dead sentry ----------------------------------------------------------------------
id=${ids[2]}
oci_check "create" 0 '' "${rt[@]}" create --bundle "$dir/good" --pid-file "$dir/sentry.pid" "$id"
oci_check "start" 0 '' "${rt[@]}" start "$id"
pid=$(cat "$dir/sentry.pid")
kill -KILL "$pid" || oci_fail "dead sentry: cannot kill $pid"
oci_wait_for "dead sentry: state says stopped" 30 bash -c \
	'[ "$("$@" | jq -r .status)" = stopped ]' bash "${rt[@]}" state "$id"
echo "ok: dead sentry: stopped"
expect_error "dead sentry: exec" "not running" "${rt[@]}" exec "$id" true
oci_check "dead sentry: delete" 0 '' "${rt[@]}" delete "$id"
nothing_left "dead sentry"

# --- a killed gofer ---------------------------------------------------------------------
# The workload waits for /dev/shm/go (a tmpfs: the gofer plays no part), then reads a file
# of its rootfs that nothing has read yet, and keeps its status in /dev/shm/status.
id=${ids[3]}
mkdir -p "$dir/gofer"
cp -a "$dir/good/rootfs" "$dir/gofer/rootfs"
oci_make_config "$dir/gofer" sh -c \
	"while [ ! -e /dev/shm/go ]; do sleep 0.1; done; cat /etc/group; echo \$? >/dev/shm/status; sleep $marker"
oci_check "create" 0 '' "${rt[@]}" --log "$dir/gofer.log" create --bundle "$dir/gofer" "$id"
oci_check "start" 0 '' "${rt[@]}" start "$id"
gofer=''
for p in $(oci_procs_matching "$dir/gofer/rootfs"); do
	[[ $(tr '\0' ' ' <"/proc/$p/cmdline") == *gofer* ]] && gofer=$p
done
[ -n "$gofer" ] || oci_fail "killed gofer: no gofer process found for $dir/gofer/rootfs"
kill -KILL "$gofer"
# The sandbox reaps it when it ends: until then it is a zombie.
for ((i = 0; i < 100; i++)); do oci_alive "$gofer" && sleep 0.1; done
! oci_alive "$gofer" || oci_fail "killed gofer: $gofer lives on after SIGKILL"
# /bin/busybox is the workload's own executable: exec finds it without the gofer.
oci_check "killed gofer: exec" 0 '' "${rt[@]}" exec "$id" /bin/busybox touch /dev/shm/go
oci_wait_for "killed gofer: the workload reads" 10 "${rt[@]}" exec "$id" /bin/busybox test -e /dev/shm/status
oci_check "killed gofer: reading the rootfs fails" 0 1 "${rt[@]}" exec "$id" /bin/busybox cat /dev/shm/status
grep -q "the gofer is gone" "$dir/gofer.log" ||
	oci_fail "killed gofer: the log does not say so: $(grep -v '^W' "$dir/gofer.log" | tail -n 5)"
echo "ok: killed gofer: the log says so"
oci_check "killed gofer: kill" 0 '' "${rt[@]}" kill "$id" KILL
oci_check "killed gofer: delete --force" 0 '' "${rt[@]}" delete --force "$id"
nothing_left "killed gofer"

# --- symlinks to host paths -------------------------------------------------------------
id=${ids[4]}
mkdir -p "$dir/links/host" "$dir/host"
echo secret >"$dir/host/secret"
cp -a "$dir/good/rootfs" "$dir/links/rootfs"
r=$dir/links/rootfs
ups=../../../../../../../../../..
ln -s "$dir/host/secret" "$r/abs"
ln -s "$ups$dir/host/secret" "$r/rel"
ln -s / "$r/slash"
ln -s "$dir/host/created-abs" "$r/abs-new"
ln -s "$ups$dir/host/created-rel" "$r/rel-new"
# A mount destination that is a symlink: the mount goes where the symlink leads inside the
# rootfs (which exists there too: a dangling one is refused).
ln -s "$ups$dir/host" "$r/tmp/mnt-link"
mkdir -p "$r$dir/host"
oci_make_config "$dir/links" sh -c '
	for f in /abs /rel "/slash'"$dir"'/host/secret" /slash/../..'"$dir"'/host/secret; do
		cat "$f" 2>/dev/null && echo "read $f"
	done
	echo pwned >/abs-new && echo pwned >/rel-new && echo pwned >/tmp/mnt-link/created-mnt &&
	cd "'"$dir"'/host" && echo $(ls) $(cat created-abs created-rel)'
jq '.root.readonly = false
    | .mounts += [{"destination": "/tmp/mnt-link", "type": "tmpfs", "source": "tmpfs",
                   "options": ["size=1m"]}]' "$dir/links/config.json" >"$dir/links/c.new" &&
	mv "$dir/links/c.new" "$dir/links/config.json"
# Creating through a dangling symlink creates its target, as on Linux: inside the rootfs
# (the rootfs's $dir/host, on which the tmpfs is mounted).
oci_check "symlinks to host paths: nothing outside the rootfs is read" 0 \
	"created-abs created-mnt created-rel pwned pwned" \
	"${rt[@]}" run --bundle "$dir/links" "$id"
left=$(ls "$dir/host")
[ "$left" = secret ] || oci_fail "symlinks to host paths: the container created host files: $left"
echo "ok: symlinks to host paths: nothing outside the rootfs is written"
nothing_left "symlinks"
echo "PASS"
