#!/bin/bash
# runsc install / runsc uninstall on Docker's daemon.json, in a temporary file:
# runsc_install.sh RUNSC
#   - install into a missing file (and directory) writes {"runtimes": {"runsc": {"path":
#     RUNSC's absolute path}}}, mode 0644;
#   - into an existing file: every other key and runtime stays, in its order; the mode stays;
#     --runtime, --path and the runtimeArgs after -- are written; the same again changes
#     nothing; a new --path replaces the entry; a symlink stays a symlink;
#   - uninstall removes only that runtime, and leaves "runtimes" even when empty (a SIGHUP
#     reload changes only the keys the file has); it fails on a missing file, a runtime that
#     is not there, and while "default-runtime" names it;
#   - a file that is not a JSON object, or whose runtimes is not an object, fails and stays
#     byte for byte as it was; bad flags exit 2.
#   - Docker: with root and dockerd installed, a private dockerd started on a file that
#     `runsc install --path RUNC` wrote lists the runtime and runs a container with it
#     (`docker run --runtime runsc`); after `runsc uninstall` and SIGHUP it no longer lists
#     it. (tests/e2e/oci_docker.sh is the full client test.)
set -u
[ $# -eq 1 ] || { echo "usage: $0 RUNSC" >&2; exit 2; }
runsc=$(realpath -- "$1")
here=$(dirname "$0")
. "$here/oci/lib.sh"
command -v jq >/dev/null || oci_skip "jq is not installed (scripts/install-deps.sh)"
exec </dev/null

dir=$(mktemp -d /var/tmp/runsc-install.XXXXXX) || exit 1
oci_out_file=$dir/step.out oci_err_file=$dir/step.err
name=${dir##*/}
name=${name//./-}
cleanup() {
	set +e
	oci_dockerd_stop
	oci_containerd_stop
	oci_kill_procs "$dir" "containerd-shim-runc-v2 -namespace $name "
	oci_unmount_under "$dir"
	rm -rf "$dir"
	oci_cgroup_remove "$name"
	oci_remove_noted_dirs
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# expect_json DESC FILE JQ_FILTER WANT: jq -c FILTER of FILE is WANT.
expect_json() {
	local got
	got=$(jq -c "$3" "$2" 2>&1)
	[ "$got" = "$4" ] || oci_fail "$1: $3 is $got, expected $4; the file: $(cat "$2")"
	echo "ok: $1"
}

# A missing file and directory.
f=$dir/new/docker/daemon.json
oci_check "install: a new file" 0 '*' "$runsc" install --config "$f"
expect_json "install: a new file" "$f" . "{\"runtimes\":{\"runsc\":{\"path\":\"$runsc\"}}}"
[ "$(stat -c %a "$f")" = 644 ] || oci_fail "a new file: mode $(stat -c %a "$f"), expected 644"
oci_check "uninstall: the last runtime" 0 '*' "$runsc" uninstall --config "$f"
expect_json "uninstall: runtimes stays, empty" "$f" . '{"runtimes":{}}'

# An existing file with other keys and runtimes.
f=$dir/daemon.json
cat >"$f" <<'EOF'
{
  "log-level": "warn",
  "runtimes": { "other": { "path": "/usr/bin/other", "runtimeArgs": ["--x"] } },
  "default-runtime": "runc",
  "storage-opts": ["a=1", "b=2"],
  "features": { "buildkit": false }
}
EOF
chmod 600 "$f"
before_keys='["log-level","runtimes","default-runtime","storage-opts","features"]'
oci_check "install --runtime --path -- ARGS" 0 '*' \
	"$runsc" install --config "$f" --runtime runsc-debug --path /bin/true -- --debug --strace
expect_json "other keys kept, in order" "$f" 'keys_unsorted' "$before_keys"
expect_json "other values kept" "$f" '[.["log-level"], .["default-runtime"], .["storage-opts"], .features]' \
	'["warn","runc",["a=1","b=2"],{"buildkit":false}]'
expect_json "other runtime kept, new one after it" "$f" '.runtimes' \
	'{"other":{"path":"/usr/bin/other","runtimeArgs":["--x"]},"runsc-debug":{"path":"/usr/bin/true","runtimeArgs":["--debug","--strace"]}}'
[ "$(stat -c %a "$f")" = 600 ] || oci_fail "the mode changed to $(stat -c %a "$f")"
cp "$f" "$dir/before"
oci_check "install again: unchanged" 0 '*' \
	"$runsc" install --config "$f" --runtime runsc-debug --path /bin/true -- --debug --strace
grep -q "already" <<<"$out" || oci_fail "install again: no 'already': $out"
cmp -s "$f" "$dir/before" || oci_fail "install again changed the file"
oci_check "install: another path replaces" 0 '*' "$runsc" install --config "$f" --runtime runsc-debug
expect_json "the entry replaced" "$f" '.runtimes["runsc-debug"]' "{\"path\":\"$runsc\"}"
oci_check "uninstall: one of two" 0 '*' "$runsc" uninstall --config "$f" --runtime runsc-debug
expect_json "only that runtime removed" "$f" . \
	'{"log-level":"warn","runtimes":{"other":{"path":"/usr/bin/other","runtimeArgs":["--x"]}},"default-runtime":"runc","storage-opts":["a=1","b=2"],"features":{"buildkit":false}}'
oci_check "uninstall: not there" 1 '' "$runsc" uninstall --config "$f" --runtime runsc-debug
oci_check "uninstall: a missing file" 1 '' "$runsc" uninstall --config "$dir/missing.json"
[ ! -e "$dir/missing.json" ] || oci_fail "uninstall created $dir/missing.json"

# default-runtime names it: dockerd would not start without it.
printf '{"default-runtime": "runsc", "runtimes": {"runsc": {"path": "/bin/true"}}}\n' >"$f"
cp "$f" "$dir/before"
oci_check "uninstall: the default runtime" 1 '' "$runsc" uninstall --config "$f"
cmp -s "$f" "$dir/before" || oci_fail "uninstall of the default runtime changed the file"

# A symlink stays one; the file it points to is replaced.
printf '{"debug": true}\n' >"$dir/target.json"
ln -s target.json "$dir/link.json"
oci_check "install: through a symlink" 0 '*' "$runsc" install --config "$dir/link.json"
[ -L "$dir/link.json" ] || oci_fail "the symlink was replaced by a file"
expect_json "the symlink's target updated" "$dir/target.json" 'keys_unsorted' '["debug","runtimes"]'

# What is not Docker's configuration stays untouched.
for bad in '[1, 2]' '{"runtimes": [1]}' '{"a": ' 'not json' '{"a": 1, "a": 2}'; do
	printf '%s\n' "$bad" >"$f"
	cp "$f" "$dir/before"
	oci_check "install into '$bad' fails" 1 '' "$runsc" install --config "$f"
	cmp -s "$f" "$dir/before" || oci_fail "install into '$bad' changed it"
done
[ -z "$(find "$dir" -name '*.runsc-*')" ] || oci_fail "temporary files left: $(find "$dir" -name '*.runsc-*')"
printf '  \n' >"$f"
oci_check "install into an empty file" 0 '*' "$runsc" install --config "$f"
expect_json "an empty file is {}" "$f" 'keys_unsorted' '["runtimes"]'
oci_check "a bad flag" 2 '' "$runsc" install --bogus
oci_check "uninstall takes no --path" 2 '' "$runsc" uninstall --path /bin/true
oci_check "uninstall takes no arguments" 2 '' "$runsc" uninstall extra
oci_check "install: a missing --path" 1 '' "$runsc" install --config "$f" --path "$dir/nothing"

# The file as dockerd reads it.
if [ "$(id -u)" -ne 0 ] || ! command -v dockerd >/dev/null || ! command -v runc >/dev/null ||
	! command -v containerd >/dev/null; then
	echo "PASS (the dockerd part skipped: needs root, dockerd, containerd and runc)"
	exit 0
fi
export DOCKER_HOST=unix://$dir/docker.sock
mkdir -p "$dir/docker"
printf '{"log-level": "warn"}\n' >"$dir/docker/daemon.json"
oci_check "install for dockerd" 0 '*' "$runsc" install --config "$dir/docker/daemon.json" \
	--path "$(command -v runc)"
oci_containerd_start "$dir" || oci_fail "cannot start containerd"
oci_dockerd_start "$dir" "$name" || oci_fail "cannot start dockerd: $(tail -n 5 "$dir/dockerd.log")"
oci_check "dockerd lists runsc" 0 '*' docker info --format '{{json .Runtimes}}'
jq -e '.runsc.path' <<<"$out" >/dev/null || oci_fail "docker info: no runtime runsc: $out"
oci_make_rootfs "$dir/rootfs" && oci_rootfs_tar "$dir/rootfs" "$dir/rootfs.tar" || oci_fail "rootfs"
oci_check "docker import" 0 '*' docker import "$dir/rootfs.tar" localhost/oci-busybox:test
oci_check "docker run --runtime runsc" 0 hello docker run --rm --runtime runsc --network none \
	localhost/oci-busybox:test echo hello
oci_check "uninstall for dockerd" 0 '*' "$runsc" uninstall --config "$dir/docker/daemon.json"
kill -HUP "$oci_dockerd_pid"
oci_wait_for "dockerd drops runsc after SIGHUP" 30 bash -c \
	'! docker info --format "{{json .Runtimes}}" | jq -e .runsc'
echo "ok: dockerd drops runsc after SIGHUP"
echo "PASS"
