#!/bin/bash
# --network=sandbox's plumbing through `runsc run` (docs/network.md), without the inet stack:
# net_takeover.sh RUNSC
# A busybox container in a network namespace the test creates, as CNI would (nt-c-PID: a veth
# end ntaPID with 10.83.N.2/24 and fd83::2/64, a default route via 10.83.N.1; its peer in
# nt-h-PID):
#   - --network=none: the container runs and the namespace keeps its addresses;
#   - --network=sandbox (the default): the container runs; `runsc boot` logged the
#     interface, its addresses and the default route it hands to the sentry (--debug); the
#     namespace has no address left on the veth end; its nsfs mount under /run/netns is
#     still there (the sandbox's pivot_root must not unmount its host peer).
# Everything is removed at exit whatever happened (trap): the containers by id, the
# namespaces by name (which removes the veth pair), the directory.
set -u
[ $# -eq 1 ] || { echo "usage: $0 RUNSC" >&2; exit 2; }
runtime=$(realpath -s -- "$1")
here=$(dirname "$0")
. "$here/oci/lib.sh"
oci_require_root_and jq ip
[ -x "$runtime" ] || oci_skip "$runtime: not an executable"
exec </dev/null
oci_step_timeout=60

n=$(($$ % 250 + 1))
ns_c=nt-c-$$ ns_h=nt-h-$$ if_c=nta$$ if_h=ntb$$
ids=("nt-none-$$" "nt-sandbox-$$")
dir=$(mktemp -d /var/tmp/net-takeover.XXXXXX) || exit 1
oci_out_file=$dir/step.out oci_err_file=$dir/step.err
rt=("$runtime" --root "$dir/root")
cleanup() {
	set +e
	local id
	for id in "${ids[@]}"; do
		timeout -k 5 20 "${rt[@]}" delete --force "$id" >/dev/null 2>&1
	done
	ip netns del "$ns_c" 2>/dev/null
	ip netns del "$ns_h" 2>/dev/null
	oci_unmount_under "$dir"
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

ip netns add "$ns_c" && ip netns add "$ns_h" &&
	ip link add "$if_c" netns "$ns_c" type veth peer name "$if_h" netns "$ns_h" &&
	ip -n "$ns_c" link set "$if_c" up && ip -n "$ns_h" link set "$if_h" up &&
	ip -n "$ns_c" addr add "10.83.$n.2/24" dev "$if_c" &&
	ip -n "$ns_c" -6 addr add fd83::2/64 dev "$if_c" nodad &&
	ip -n "$ns_c" route add default via "10.83.$n.1" || oci_fail "setting up the namespaces"

oci_make_bundle "$dir/b" sh -c 'echo started' || oci_fail "cannot build the bundle"
jq --arg p "/run/netns/$ns_c" \
	'.linux.namespaces |= map(if .type == "network" then .path = $p else . end)' \
	"$dir/b/config.json" >"$dir/config.json" && mv "$dir/config.json" "$dir/b/config.json" ||
	oci_fail "config.json"
addresses() { ip -n "$ns_c" -o addr show dev "$if_c" | grep -oE ' inet6? [0-9a-f.:]+/[0-9]+'; }

oci_check "--network=none: run" 0 started "${rt[@]}" --network=none run --bundle "$dir/b" "${ids[0]}"
left=$(addresses)
grep -q "inet 10.83.$n.2/24" <<<"$left" && grep -q "inet6 fd83::2/64" <<<"$left" ||
	oci_fail "--network=none took addresses away: $left"
echo "ok: --network=none leaves the namespace alone"

oci_check "--network=sandbox: run" 0 started "${rt[@]}" --debug --debug-log "$dir/debug.log" \
	run --bundle "$dir/b" "${ids[1]}"
for want in "link $if_c index " "addr $if_c 10.83.$n.2/24 scope 0" "addr $if_c fd83::2/64 scope 0" \
	"addr $if_c fe80::" "route inet default via 10.83.$n.1 dev $if_c"; do
	grep -qF "$want" "$dir/debug.log" ||
		oci_fail "runsc boot's description lacks '$want': $(grep -A8 'network:' "$dir/debug.log")"
done
echo "ok: runsc boot hands the interface, its addresses and the default route to the sentry"
left=$(addresses)
[ -z "$left" ] || oci_fail "addresses left on the host side: $left"
echo "ok: the host side has no address left"
ip -n "$ns_c" link show "$if_c" >/dev/null 2>&1 ||
	oci_fail "/run/netns/$ns_c no longer names the namespace (its mount is gone)"
echo "ok: the namespace's mount is still there"
echo "PASS"
