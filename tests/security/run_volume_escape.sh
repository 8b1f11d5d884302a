#!/bin/bash
# run_volume_escape.sh RUNSC PROG: a volume full of escape routes (see volume_escape.c),
# a host-side thread swapping one of its directories with a symlink to a host directory
# outside the volume, and the hostile program running in the sandbox. Afterwards nothing
# outside the volume may have changed on the host: not the outside directory, not
# /etc/shadow, not the host's root.
set -u
runsc=$1 prog=$2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/runsc-volesc.XXXXXX") || exit 2
swapper=
cleanup() {
	[ -n "$swapper" ] && kill "$swapper" 2>/dev/null && wait "$swapper" 2>/dev/null
	rm -rf "$tmp"
	rm -f /escaped-up
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*"
	exit 1
}

[ -e /escaped-up ] && fail "/escaped-up exists before the test"
mkdir -p "$tmp/vol/swap.real" "$tmp/outside"
echo secret >"$tmp/outside/victim"
ln -s /etc/shadow "$tmp/vol/shadow"
ln -s ../../ "$tmp/vol/up"
ln -s "$tmp/outside" "$tmp/vol/abs"
ln -s "$tmp/outside" "$tmp/vol/swap.link"
mv "$tmp/vol/swap.real" "$tmp/vol/swap"
shadow_before=$(sha256sum /etc/shadow)
outside_before=$(cd "$tmp/outside" && ls -lA --time-style=+%s . && stat -c "%a %Y" . && sha256sum victim)

# The swapper: the directory and the symlink trade places as fast as the host allows.
(
	while :; do
		mv -T "$tmp/vol/swap" "$tmp/vol/swap.real" 2>/dev/null
		mv -T "$tmp/vol/swap.link" "$tmp/vol/swap" 2>/dev/null
		mv -T "$tmp/vol/swap" "$tmp/vol/swap.link" 2>/dev/null
		mv -T "$tmp/vol/swap.real" "$tmp/vol/swap" 2>/dev/null
	done
) &
swapper=$!

timeout --kill-after=5 90 "$runsc" do --volume "$tmp/vol:/mnt/vol" "$prog" "$tmp/outside" \
	</dev/null >"$tmp/out" 2>&1
status=$?
kill "$swapper" 2>/dev/null
wait "$swapper" 2>/dev/null
swapper=
[ $status -eq 0 ] || fail "the program exited $status: $(head -c 2000 "$tmp/out")"
grep -qx done "$tmp/out" || fail "the program did not finish: $(head -c 2000 "$tmp/out")"

[ "$(sha256sum /etc/shadow)" = "$shadow_before" ] || fail "/etc/shadow changed"
outside_after=$(cd "$tmp/outside" && ls -lA --time-style=+%s . && stat -c "%a %Y" . && sha256sum victim)
[ "$outside_after" = "$outside_before" ] || fail "the directory outside the volume changed:
$outside_before
---
$outside_after"
[ -e /escaped-up ] && fail "a write through ../../ reached the host's root"
[ -e /etc/escaped-etc ] && { rm -f /etc/escaped-etc; fail "a write reached the host's /etc"; }
exit 0
