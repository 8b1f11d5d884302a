#!/bin/bash
# runsc --network=host end to end: hostnet.sh RUNSC HOSTNET
#
# HOSTNET (tests/e2e/hostnet.c) is each end of a TCP or UDP exchange on
# loopback, IPv4 and IPv6. On each platform: a client in the sandbox talks
# to a server on the host (the port is the one the server picked), a server
# in the sandbox answers a client on the host, both for TCP and UDP; a
# sandbox of the default network mode does not reach the host's server;
# blocking calls, signals, timeouts and the error queue behave as natively
# (hostnet blocking); iperf3 in the sandbox against the host's, both
# directions (when iperf3 is installed); a ping socket gives in the sandbox what it gives natively, and
# in a network namespace of the test's own whose ping_group_range allows
# it, pings 127.0.0.1. Every program runs natively first, which checks the
# test itself. Then the OCI path: `runsc --network=host run` of a busybox
# bundle whose wget fetches a page from python's http.server on the host,
# and the same bundle without --network=host fails to (skipped without
# busybox-static or python3). Every process is killed by
# pid at the end, and every wait has a timeout.
set -u
runsc=$(realpath -s -- "$1") prog=$(realpath -s -- "$2")
tmp=$(mktemp -d "${TMPDIR:-/tmp}/runsc-hostnet.XXXXXX") || exit 2
pids=()
cleanup() {
	for p in "${pids[@]}"; do
		kill -KILL "$p" 2>/dev/null
	done
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*"
	exit 1
}
run() { timeout --kill-after=5 60 "$@"; }
# await PID: waits at most 60 s for background process PID (a server) to end, and returns
# its status (124 when it did not end; the cleanup kills it). Servers run without timeout(1),
# so that their pid is the process itself: killing a timeout(1) would leave its child behind.
await() {
	local i
	for ((i = 0; i < 1200; i++)); do
		kill -0 "$1" 2>/dev/null || {
			wait "$1"
			return
		}
		sleep 0.05
	done
	return 124
}

# start_server NAME CMD...: runs CMD in the background and sets $port to the port it prints.
start_server() {
	local name=$1
	shift
	"$@" >"$tmp/$name.port" 2>"$tmp/$name.err" &
	server_pid=$!
	pids+=("$server_pid")
	port=
	for _ in $(seq 200); do
		port=$(head -n1 "$tmp/$name.port" 2>/dev/null)
		[ -n "$port" ] && return 0
		kill -0 "$server_pid" 2>/dev/null || break
		sleep 0.05
	done
	fail "$name: no port from the server: $(cat "$tmp/$name.err")"
}

# start_iperf: an iperf3 server for one test on a free port, in $server_pid and $port.
start_iperf() {
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	iperf3 -s -1 --forceflush -B 127.0.0.1 -p "$port" >"$tmp/iperf.log" 2>&1 &
	server_pid=$!
	pids+=("$server_pid")
	for _ in $(seq 100); do
		grep -q 'listening' "$tmp/iperf.log" 2>/dev/null && return 0
		sleep 0.05
	done
	fail "iperf3 -s did not start: $(cat "$tmp/iperf.log")"
}

# finish_server NAME: the server started last ends, successfully.
finish_server() {
	await "$server_pid" || fail "$1: the server failed ($?): $(cat "$tmp/$1.err")"
}

# pair NAME SERVER... -- CLIENT...: the server's port is appended to the client's arguments
# before its last one (the address family).
pair() {
	local name=$1 server=() client=()
	shift
	while [ "$1" != -- ]; do
		server+=("$1")
		shift
	done
	shift
	client=("$@")
	local fam=${client[${#client[@]} - 1]}
	unset 'client[${#client[@]}-1]'
	start_server "$name" "${server[@]}"
	out=$(run "${client[@]}" "$port" "$fam" 2>&1) || fail "$name: the client failed: $out"
	finish_server "$name"
}

for fam in 4 6; do
	pair "native tcp v$fam" "$prog" tcp_server "$fam" -- "$prog" tcp_client "$fam"
	pair "native udp v$fam" "$prog" udp_server "$fam" -- "$prog" udp_client "$fam"
done
native_ping=$("$prog" ping)
for fam in 4 6; do
	out=$(run "$prog" blocking "$fam" 2>&1) || fail "native blocking v$fam: $out"
done
# A network namespace where ping sockets are allowed (the sysctl is per namespace).
in_ping_ns() {
	run unshare --net sh -c 'ip link set lo up &&
		sysctl -qw net.ipv4.ping_group_range="0 2147483647" && exec "$@"' sh "$@"
}
ns_ping=$(in_ping_ns "$prog" ping 2>&1)
case $ns_ping in
*answered) ;;
*) fail "native ping in a namespace of our own: $ns_ping" ;;
esac

for platform in ptrace systrap; do
	sb=("$runsc" --platform="$platform" "do" --network=host)
	for fam in 4 6; do
		pair "$platform tcp v$fam: sandbox client" "$prog" tcp_server "$fam" -- \
			"${sb[@]}" "$prog" tcp_client "$fam"
		pair "$platform tcp v$fam: sandbox server" "${sb[@]}" "$prog" tcp_server "$fam" -- \
			"$prog" tcp_client "$fam"
		pair "$platform udp v$fam: sandbox client" "$prog" udp_server "$fam" -- \
			"${sb[@]}" "$prog" udp_client "$fam"
		pair "$platform udp v$fam: sandbox server" "${sb[@]}" "$prog" udp_server "$fam" -- \
			"$prog" udp_client "$fam"
	done
	# The default network mode never reaches the host's server (today the sandbox has no
	# inet sockets; later its own stack, whose 127.0.0.1 is not the host's).
	start_server "$platform default mode" "$prog" tcp_server 4
	out=$(run "$runsc" --platform="$platform" "do" "$prog" connect_fails "$port" 2>&1) ||
		fail "$platform: the default network mode reached the host: $out"
	# Release the waiting server with a connection of our own.
	run "$prog" tcp_client "$port" 4 >/dev/null 2>&1
	finish_server "$platform default mode"
	for fam in 4 6; do
		out=$(run "${sb[@]}" "$prog" blocking "$fam" 2>&1) || fail "$platform blocking v$fam: $out"
	done
	# iperf3 (a real program: select, non-blocking sockets, TCP_INFO) against the host's
	# server, one second each way, when it is installed.
	if command -v iperf3 >/dev/null; then
		for dir in "" -R; do
			start_iperf
			out=$(run "${sb[@]}" "$(command -v iperf3)" -c 127.0.0.1 -p "$port" -t 1 $dir 2>&1)
			grep -q receiver <<<"$out" || fail "$platform iperf3 $dir: $out"
			await "$server_pid" || fail "$platform iperf3 $dir: the server failed"
		done
	fi
	sandbox_ping=$(run "${sb[@]}" "$prog" ping 2>"$tmp/ping.err")
	[ "$sandbox_ping" = "$native_ping" ] ||
		fail "$platform ping: native '$native_ping', sandbox '$sandbox_ping'"
	sandbox_ping=$(in_ping_ns "${sb[@]}" "$prog" ping 2>"$tmp/ping.err")
	[ "$sandbox_ping" = "$ns_ping" ] ||
		fail "$platform ping in a namespace: native '$ns_ping', sandbox '$sandbox_ping'"
done

# The view: the sandbox's netlink shows the host's up Ethernet interfaces under their host
# indexes (an IPv6 scope id passes to host sockets unchanged). The first one's IPv4 address:
want=$(ip -o -4 addr show up | awk '$2 != "lo" { print $1, $2, $4; exit }')
if [ -n "$want" ] && [ -x /bin/busybox ]; then
	got=$(run "$runsc" --network=host do -- /bin/busybox ip -o -4 addr 2>&1 |
		awk -v w="$want" '{ if ($1 " " $2 " " $4 == w) print "found" }')
	[ "$got" = found ] || fail "the view: '$want' is not in the sandbox's ip addr"
fi

# The OCI path: runsc run passes --network=host on to runsc boot.
bundle_sh=$(dirname -- "$(realpath -- "$0")")/oci/make_bundle.sh
if ! file -L /bin/busybox 2>/dev/null | grep -q 'statically linked' || ! command -v python3 >/dev/null; then
	echo "hostnet: ok (ping: $native_ping); the OCI case skipped: no busybox-static or python3"
	exit 0
fi
mkdir -p "$tmp/www" && echo "hello from the host" >"$tmp/www/index.html"
(cd "$tmp/www" && exec python3 -m http.server --bind 127.0.0.1 0) \
	>"$tmp/http.log" 2>&1 &
pids+=("$!")
port=
for _ in $(seq 200); do
	port=$(grep -o 'port [0-9]*' "$tmp/http.log" 2>/dev/null | awk '{print $2}')
	[ -n "$port" ] && break
	sleep 0.05
done
[ -n "$port" ] || fail "python's http.server did not start: $(cat "$tmp/http.log")"
"$bundle_sh" "$tmp/bundle" wget -q -O - "http://127.0.0.1:$port/" >/dev/null 2>&1 ||
	fail "cannot build the busybox bundle"
oci=("$runsc" --root "$tmp/root")
out=$(run "${oci[@]}" --network=host run --bundle "$tmp/bundle" hostnet-oci 2>/dev/null)
[ "$out" = "hello from the host" ] || fail "OCI --network=host: wget printed '$out'"
run "${oci[@]}" delete --force hostnet-oci >/dev/null 2>&1
if out=$(run "${oci[@]}" run --bundle "$tmp/bundle" hostnet-oci2 2>/dev/null); then
	fail "OCI default network: wget reached the host: '$out'"
fi
run "${oci[@]}" delete --force hostnet-oci2 >/dev/null 2>&1
echo "hostnet: ok (ping: $native_ping)"
