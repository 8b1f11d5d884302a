#!/bin/bash
# --network=sandbox end to end (docs/network.md): net_veth.sh RUNSC
# A busybox container in a network namespace the test creates, as CNI would: nv-c-PID with a
# veth end nvaPID (10.82.N.2/24, default route via 10.82.N.1), whose peer nvbPID
# (10.82.N.1/24) is in nv-h-PID, "the host side", where a python3 HTTP server serves a file.
#   - the container fetches the file from the host side (busybox wget): its TCP, ARP and
#     routing go through the sandbox's stack and the packet link;
#   - the host side fetches a file from the container's busybox httpd (python3 urllib);
#   - while the container runs, the host side of its namespace has no address left on the
#     veth end (runsc took them over), and the container sees its address (`ip addr`);
#   (busybox's own wget -T crashes natively: busybox timeout bounds the fetch instead)
#   - at the end: no container state, no process of the test, no namespace.
# Needs the sandbox's inet stack: registered in tests/e2e/meson.build with it.
# Everything is removed at exit whatever happened (trap): the container by id, the server and
# the runtime by pid, the namespaces by name (which removes the veth pair), the directory.
set -u
[ $# -eq 1 ] || { echo "usage: $0 RUNSC" >&2; exit 2; }
runtime=$(realpath -s -- "$1")
here=$(dirname "$0")
. "$here/oci/lib.sh"
oci_require_root_and jq ip python3
[ -x "$runtime" ] || oci_skip "$runtime: not an executable"
exec </dev/null
oci_step_timeout=60

n=$(($$ % 250 + 1))
ns_c=nv-c-$$ ns_h=nv-h-$$ if_c=nva$$ if_h=nvb$$
addr_c=10.82.$n.2 addr_h=10.82.$n.1
id=nv-$$
dir=$(mktemp -d /var/tmp/net-veth.XXXXXX) || exit 1
oci_out_file=$dir/step.out oci_err_file=$dir/step.err
rt=("$runtime" --root "$dir/root")
server_pid='' run_pid=''
cleanup() {
	set +e
	timeout -k 5 20 "${rt[@]}" delete --force "$id" >/dev/null 2>&1
	[ -z "$run_pid" ] || { kill -KILL "$run_pid" 2>/dev/null; wait "$run_pid" 2>/dev/null; }
	[ -z "$server_pid" ] || { kill -KILL "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; }
	ip netns del "$ns_c" 2>/dev/null
	ip netns del "$ns_h" 2>/dev/null
	oci_unmount_under "$dir"
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# --- the namespaces -------------------------------------------------------------------------
ip netns add "$ns_c" && ip netns add "$ns_h" || oci_fail "ip netns add"
ip link add "$if_c" netns "$ns_c" type veth peer name "$if_h" netns "$ns_h" &&
	ip -n "$ns_c" link set lo up && ip -n "$ns_c" link set "$if_c" up &&
	ip -n "$ns_c" addr add "$addr_c/24" dev "$if_c" &&
	ip -n "$ns_c" route add default via "$addr_h" &&
	ip -n "$ns_h" link set lo up && ip -n "$ns_h" link set "$if_h" up &&
	ip -n "$ns_h" addr add "$addr_h/24" dev "$if_h" || oci_fail "setting up the veth pair"

# --- the host side's server -----------------------------------------------------------------
mkdir -p "$dir/www" && echo "hello from the host side $$" >"$dir/www/hello.txt" || exit 1
ip netns exec "$ns_h" python3 -m http.server 8000 --bind "$addr_h" --directory "$dir/www" \
	>"$dir/server.log" 2>&1 &
server_pid=$!
fetch() { # fetch URL: its body, from the host side's namespace (5 s timeout)
	ip netns exec "$ns_h" python3 -c 'import sys, urllib.request
sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())' "$1"
}
oci_wait_for "the host side's server" 20 fetch "http://$addr_h:8000/hello.txt"

# --- the container --------------------------------------------------------------------------
# It serves /www on 8080, fetches the host side's file, prints it and its own address, then
# waits for the test (until /www/done appears: the test cannot write there, so: 60 s).
oci_make_bundle "$dir/b" sh -c "httpd -f -p 8080 -h /www & \
	timeout 10 wget -q -O - http://$addr_h:8000/hello.txt; echo wget=\$?; \
	ip -4 addr show 2>&1 | grep -o 'inet [0-9./]*'; echo ready; sleep 60" ||
	oci_fail "cannot build the bundle"
mkdir -p "$dir/b/rootfs/www" && echo "hello from the container $$" >"$dir/b/rootfs/www/c.txt" ||
	exit 1
jq --arg p "/run/netns/$ns_c" \
	'.linux.namespaces |= map(if .type == "network" then .path = $p else . end)' \
	"$dir/b/config.json" >"$dir/config.json" && mv "$dir/config.json" "$dir/b/config.json" ||
	oci_fail "config.json"

timeout -k 5 120 "${rt[@]}" --network=sandbox run --bundle "$dir/b" "$id" \
	>"$dir/run.out" 2>"$dir/run.err" &
run_pid=$!
ready() { grep -q '^ready$' "$dir/run.out"; }
oci_wait_for "the container's output" 60 ready
out=$(cat "$dir/run.out")
grep -qx "hello from the host side $$" <<<"$out" && grep -qx "wget=0" <<<"$out" ||
	oci_fail "the container could not fetch from the host side:
$out
$(head -c 2000 "$dir/run.err")"
echo "ok: the container reaches the host side's server"
grep -qx "inet $addr_c/24" <<<"$out" || oci_fail "the container's ip addr: $out"
echo "ok: the container has $addr_c/24"
left=$(ip -n "$ns_c" -o addr show dev "$if_c" | grep -E ' inet6? ')
[ -z "$left" ] || oci_fail "the host side still has addresses on $if_c: $left"
echo "ok: the host side of the container's namespace has no address left"
oci_check "the host side reaches the container's httpd" 0 "hello from the container $$" \
	ip netns exec "$ns_h" python3 -c 'import sys, urllib.request
sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())' \
	"http://$addr_c:8080/c.txt"

# --- the end --------------------------------------------------------------------------------
oci_check "kill" 0 '' "${rt[@]}" kill "$id" KILL
oci_wait_for "the runtime's exit" 30 bash -c "! kill -0 $run_pid 2>/dev/null"
wait "$run_pid" 2>/dev/null
run_pid=''
timeout -k 5 20 "${rt[@]}" delete --force "$id" >/dev/null 2>&1
oci_check "the container is gone" 1 '' "${rt[@]}" state "$id"
echo "PASS"
