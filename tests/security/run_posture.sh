#!/bin/bash
# run_posture.sh RUNSC SLEEPER [oci]: the confinement of a running sandbox, checked from
# outside (docs/architecture.md section 2). `runsc do SLEEPER` runs (or with oci, an OCI
# container of a busybox bundle running `sleep`, through runsc create and start); then for
# the sentry (the child of runsc do; the --pid-file process of the container), the gofer and
# the stubs (the sentry's children):
#   - namespaces: mount, PID, IPC and UTS are not the host's (the gofer's mount namespace is
#     not the sentry's either); the network is the host's, as documented for runsc do, and
#     a new one for the container (config.json asks for one);
#   - every thread: Seccomp 2 (filter), NoNewPrivs 1;
#   - capabilities: none at all for the sentry and the stubs, in any set; for the gofer
#     CHOWN, DAC_OVERRIDE, DAC_READ_SEARCH, FOWNER, FSETID (0x1f) and nothing else;
#   - root and cwd: an empty read-only tmpfs, not the host's root (the gofer's holds only a
#     read-only proc that shows the sandbox's processes, not the host's);
#   - fds: the sentry and the stubs hold no directory and no O_PATH fd; the gofer's
#     directories are O_PATH fds (its mounts and the nodes walked below them: under runsc do
#     that is the host's root, served read-only), and its /proc/self/fd is its own proc's,
#     not the host's /proc.
# Last, runsc do killed (the container deleted with --force): no process of the sandbox is
# left.
set -u
runsc=$(realpath -s -- "$1") sleeper=$2 mode=${3:-do}
tmp=""
fail() {
	echo "FAIL: $*"
	# runsc do first: the sandbox dies with it.
	[ -n "${do_pid:-}" ] && kill -KILL "$do_pid" 2>/dev/null
	[ -n "${pid:-}" ] && kill -KILL "$pid" 2>/dev/null
	[ -n "$tmp" ] && timeout -k 5 20 "$runsc" --root "$tmp/root" delete --force posture >/dev/null 2>&1
	[ -n "$tmp" ] && rm -rf "$tmp"
	exit 1
}

do_pid="" sentry="" gofer="" stubs="" pid=""
if [ "$mode" = oci ]; then
	tmp=$(mktemp -d /var/tmp/runsc-posture.XXXXXX) || exit 1
	"$(dirname "$0")/../e2e/oci/make_bundle.sh" "$tmp/b" sleep 50 >/dev/null ||
		fail "cannot build the bundle"
	timeout -k 5 30 "$runsc" --root "$tmp/root" create --bundle "$tmp/b" --pid-file "$tmp/pid" \
		posture </dev/null >/dev/null 2>"$tmp/err" || fail "create: $(cat "$tmp/err")"
	timeout -k 5 30 "$runsc" --root "$tmp/root" start posture || fail "start"
	sentry=$(cat "$tmp/pid")
else
	timeout --kill-after=5 60 "$runsc" do "$sleeper" 50 </dev/null &
	pid=$!
fi
# runsc do is timeout's child; the sentry is runsc do's; the gofer and the stubs are the sentry's.
for _ in $(seq 200); do
	if [ "$mode" != oci ]; then
		do_pid=$(pgrep -P "$pid" | head -1)
		[ -n "$do_pid" ] && sentry=$(pgrep -P "$do_pid" | head -1)
	fi
	if [ -n "$sentry" ]; then
		gofer="" stubs=""
		for c in $(pgrep -P "$sentry"); do
			if tr '\0' ' ' <"/proc/$c/cmdline" 2>/dev/null | grep -q '^runsc gofer '; then
				gofer=$c
			else
				stubs="$stubs $c"
			fi
		done
		[ -n "$gofer" ] && [ -n "$stubs" ] && break
	fi
	sleep 0.05
done
[ -n "$sentry" ] && [ -n "$gofer" ] && [ -n "$stubs" ] ||
	fail "no sentry, gofer and stub found (sentry '$sentry', gofer '$gofer', stubs '$stubs')"

field() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
is_opath() { # FDINFO: is the fd O_PATH (octal 010000000)?
	local flags
	flags=$(awk '$1 == "flags:" { print $2 }' "$1") || return 1
	(((8#$flags & 8#10000000) != 0))
}
host_root=$(stat -L -c '%d:%i' /)

check_common() { # PID NAME CAPS
	local p=$1 name=$2 caps=$3
	for n in mnt pid ipc uts; do
		[ "$(readlink "/proc/$p/ns/$n")" != "$(readlink "/proc/self/ns/$n")" ] ||
			fail "$name ($p) is in the host's $n namespace"
	done
	if [ "$mode" = oci ]; then
		[ "$(readlink "/proc/$p/ns/net")" != "$(readlink "/proc/self/ns/net")" ] ||
			fail "$name ($p): the container asks for a network namespace, but it has the host's"
	else
		[ "$(readlink "/proc/$p/ns/net")" = "$(readlink "/proc/self/ns/net")" ] ||
			fail "$name ($p): runsc do keeps the host's network namespace, but it has another"
	fi
	for t in /proc/"$p"/task/*; do
		[ "$(awk '$1 == "Seccomp:" { print $2 }' "$t/status")" = 2 ] ||
			fail "$name ($p) thread ${t##*/} has no seccomp filter"
		[ "$(awk '$1 == "NoNewPrivs:" { print $2 }' "$t/status")" = 1 ] ||
			fail "$name ($p) thread ${t##*/} lacks no_new_privs"
	done
	for set in CapPrm CapEff CapBnd; do
		[ "$(field "$p" $set)" = "$caps" ] || fail "$name ($p): $set $(field "$p" $set), want $caps"
	done
	for set in CapInh CapAmb; do
		[ "$(field "$p" $set)" = 0000000000000000 ] || fail "$name ($p): $set $(field "$p" $set)"
	done
	local root
	root=$(stat -L -c '%d:%i' "/proc/$p/root/") || fail "$name ($p): no root"
	[ "$root" != "$host_root" ] || fail "$name ($p): its root is the host's root"
	[ "$(stat -L -c '%d:%i' "/proc/$p/cwd/")" = "$root" ] || fail "$name ($p): cwd is not its root"
	[ "$(stat -f -L -c %T "/proc/$p/root/")" = tmpfs ] || fail "$name ($p): root is not a tmpfs"
	# Its root mount, as its own mount namespace lists it: read-only.
	awk '$5 == "/" { split($6, o, ","); if (o[1] != "ro") exit 1; found = 1 } END { exit !found }' \
		"/proc/$p/mountinfo" || fail "$name ($p): root mount is not read-only: $(cat "/proc/$p/mountinfo")"
}

# No directory and no O_PATH fd at all: nothing to walk the host from.
check_no_dirs() { # PID NAME
	for fd in /proc/"$1"/fd/*; do
		[ -e "$fd" ] || continue
		[ -d "$fd" ] && fail "$2 ($1) holds a directory: fd ${fd##*/} -> $(readlink "$fd")"
		is_opath "/proc/$1/fdinfo/${fd##*/}" && fail "$2 ($1) holds an O_PATH fd ${fd##*/}"
	done
	true
}

check_common "$sentry" sentry 0000000000000000
[ -z "$(ls -A "/proc/$sentry/root/")" ] || fail "the sentry's root is not empty: $(ls -A "/proc/$sentry/root/")"
[ "$(wc -l <"/proc/$sentry/mountinfo")" = 1 ] || fail "the sentry sees mounts: $(cat "/proc/$sentry/mountinfo")"
check_no_dirs "$sentry" sentry

for s in $stubs; do
	check_common "$s" stub 0000000000000000
	[ "$(readlink "/proc/$s/ns/mnt")" = "$(readlink "/proc/$sentry/ns/mnt")" ] ||
		fail "stub $s is not in the sentry's mount namespace"
	check_no_dirs "$s" stub
done

check_common "$gofer" gofer 000000000000001f
[ "$(readlink "/proc/$gofer/ns/mnt")" != "$(readlink "/proc/$sentry/ns/mnt")" ] ||
	fail "the gofer shares the sentry's mount namespace"
[ "$(ls -A "/proc/$gofer/root/")" = proc ] || fail "the gofer's root holds $(ls -A "/proc/$gofer/root/")"
[ "$(stat -f -L -c %T "/proc/$gofer/root/proc/")" = proc ] || fail "the gofer's /proc is not a proc"
# Its proc shows the sandbox's PID namespace: the sentry is 1 there.
[ -d "/proc/$gofer/root/proc/1" ] || fail "the gofer's /proc has no pid 1"
[ "$(tr '\0' ' ' <"/proc/$gofer/root/proc/1/cmdline")" = "$(tr '\0' ' ' <"/proc/$sentry/cmdline")" ] ||
	fail "pid 1 in the gofer's /proc is not the sentry"
host_proc=$(stat -c %d /proc/)
# Its pid as its own PID namespace numbers it (the last NSpid).
ns_pid=$(awk '$1 == "NSpid:" { print $NF }' "/proc/$gofer/status")
proc_fds=0
for fd in /proc/"$gofer"/fd/*; do
	[ -d "$fd" ] || continue
	n=${fd##*/}
	is_opath "/proc/$gofer/fdinfo/$n" || fail "gofer fd $n is a directory opened for reading"
	# Its /proc/self/fd, as it names it: in its own proc, with its own pid there.
	if [[ "$(readlink "$fd")" =~ ^/proc/[0-9]+/fd$ ]]; then
		[ "$(readlink "$fd")" = "/proc/$ns_pid/fd" ] || fail "gofer fd $n is $(readlink "$fd")"
		[ "$(stat -L -c %d "$fd")" != "$host_proc" ] || fail "gofer fd $n is in the host's /proc"
		proc_fds=$((proc_fds + 1))
	fi
done
[ "$proc_fds" = 1 ] || fail "the gofer holds $proc_fds /proc/self/fd fds, want 1"

if [ "$mode" = oci ]; then
	timeout -k 5 30 "$runsc" --root "$tmp/root" delete --force posture || fail "delete --force"
	rm -rf "$tmp"
	tmp=""
else
	# runsc do killed: the sandbox dies with it (PR_SET_PDEATHSIG), and nothing is left
	# behind. (A SIGTERM would go to the sleeper, the sandbox's init, which ignores it without
	# a handler as any PID-namespace init does: e2e/signals_forwarded checks the forwarding.)
	kill -KILL "$do_pid"
	status=0
	wait "$pid" || status=$?
	[ "$status" = $((128 + 9)) ] || fail "runsc do: status $status after SIGKILL, want 137"
fi
for p in "$do_pid" "$sentry" "$gofer" $stubs; do
	for _ in $(seq 100); do
		kill -0 "$p" 2>/dev/null || break
		sleep 0.05
	done
	kill -0 "$p" 2>/dev/null && fail "process $p outlived the sandbox"
done
exit 0
