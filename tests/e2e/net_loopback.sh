#!/usr/bin/env bash
# e2e/net_loopback: TCP and UDP on 127.0.0.1 and ::1 between programs in one
# sandbox, on the sandbox's own stack (docs/network.md):
#  - python3's http.server answered by python3's urllib (checking a 3 MiB
#    file's sha256) and by busybox wget, on 127.0.0.1 and on [::1];
#  - a redis-style request/response loop (1000 PING/+PONG) with TCP_NODELAY;
#  - UDP echo on both addresses.
# Isolation: before the sandbox starts, a host server listens on the same
# 127.0.0.1 port and answers "HOST"; the sandbox must bind that port itself
# and never get the host's answer: no packet leaves the sandbox.
# Usage: net_loopback.sh RUNSC [PLATFORM]
set -euo pipefail
runsc=$1
platform=${2:-}
plat_args=()
[ -z "$platform" ] || plat_args=(--platform="$platform")
work=$(mktemp -d /tmp/net-loopback.XXXXXX)
host_pid=''
cleanup() {
	[ -z "$host_pid" ] || kill "$host_pid" 2>/dev/null || true
	[ -z "$host_pid" ] || wait "$host_pid" 2>/dev/null || true
	rm -rf -- "$work"
}
trap cleanup EXIT

# A free port: let the host kernel pick one, then serve "HOST" on it.
cat >"$work/host_server.py" <<'PY'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', 0))
s.listen(16)
print(s.getsockname()[1], flush=True)
while True:
    c, _ = s.accept()
    c.sendall(b'HTTP/1.0 200 OK\r\nContent-Length: 4\r\n\r\nHOST')
    c.close()
PY
python3 "$work/host_server.py" >"$work/port" &
host_pid=$!
for _ in $(seq 50); do
	[ -s "$work/port" ] && break
	sleep 0.1
done
port=$(cat "$work/port")
[ -n "$port" ] || { echo "FAIL: the host server did not start" >&2; exit 1; }

head -c $((3 * 1024 * 1024)) /dev/urandom >"$work/www.bin"
want=$(sha256sum "$work/www.bin" | cut -d' ' -f1)

cat >"$work/client.py" <<'PY'
import hashlib, socket, sys, threading, urllib.request
port, want, www = int(sys.argv[1]), sys.argv[2], sys.argv[3]
for host in ('127.0.0.1', '[::1]'):
    body = urllib.request.urlopen('http://%s:%d/www.bin' % (host, port), timeout=20).read()
    got = hashlib.sha256(body).hexdigest()
    assert got == want, (host, got, want)
    print('urllib %s: %d bytes, sha256 ok' % (host, len(body)), flush=True)

# redis-style request/response
srv = socket.socket(socket.AF_INET6)
srv.bind(('::', 0))
srv.listen(8)
rport = srv.getsockname()[1]
def serve():
    c, _ = srv.accept()
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    f = c.makefile('rb')
    while True:
        line = f.readline()
        if not line:
            break
        assert line == b'PING\r\n', line
        c.sendall(b'+PONG\r\n')
    c.close()
t = threading.Thread(target=serve)
t.start()
cl = socket.create_connection(('127.0.0.1', rport), timeout=20)
cl.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
fr = cl.makefile('rb')
for i in range(1000):
    cl.sendall(b'PING\r\n')
    assert fr.readline() == b'+PONG\r\n'
cl.shutdown(socket.SHUT_WR)  # the server's readline sees EOF (fr keeps the fd open)
fr.close()
cl.close()
t.join(20)
print('request/response: 1000 PING/+PONG ok', flush=True)

for fam, addr in ((socket.AF_INET, '127.0.0.1'), (socket.AF_INET6, '::1')):
    a = socket.socket(fam, socket.SOCK_DGRAM)
    a.bind((addr, 0))
    b = socket.socket(fam, socket.SOCK_DGRAM)
    b.settimeout(20)
    b.sendto(b'ping', a.getsockname()[:2])
    data, src = a.recvfrom(100)
    a.sendto(data.upper(), src)
    assert b.recv(100) == b'PING'
    print('udp %s: ok' % addr, flush=True)
PY

cat >"$work/run.sh" <<EOF
set -e
cd $work
python3 -m http.server $port --bind :: >/dev/null 2>&1 &
srv=\$!
for i in \$(seq 100); do
	busybox wget -q -O /dev/null http://127.0.0.1:$port/ 2>/dev/null && break
	sleep 0.1
done
python3 $work/client.py $port $want $work/www.bin
busybox wget -q -O - http://127.0.0.1:$port/www.bin | sha256sum | grep -q $want
echo "busybox wget: sha256 ok"
kill \$srv
EOF

out=$(timeout 120 "$runsc" "${plat_args[@]}" do -- /bin/sh "$work/run.sh" 2>&1) || {
	printf '%s\n' "$out"
	echo "FAIL: the sandbox run failed" >&2
	exit 1
}
printf '%s\n' "$out"
if grep -q HOST <<<"$out"; then
	echo "FAIL: the sandbox reached the host's server" >&2
	exit 1
fi
for w in 'urllib 127.0.0.1' 'urllib \[::1\]' 'request/response' 'udp 127.0.0.1' 'udp ::1' \
	'busybox wget'; do
	grep -q "$w" <<<"$out" || { echo "FAIL: missing '$w'" >&2; exit 1; }
done
# The host's server is still the host's: the sandbox never touched it.
body=$(python3 -c "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:$port/').read().decode())")
[ "$body" = HOST ] || { echo "FAIL: the host server answers '$body'" >&2; exit 1; }
echo PASS
