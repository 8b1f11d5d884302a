#!/bin/bash
# End-to-end tests of `runsc do`: e2e.sh TEST RUNSC DEMO SLEEPER
#   demo_matches_native  the demo prints the same and exits 7 natively and in the sandbox
#   strace               --strace prints the demo's calls to stderr and to --debug-log
#   bad_programs         missing, non-executable, garbage and truncated programs fail clearly
#   no_stub_left         killing runsc kills every stub process of the sandbox too
#   idle_cpu             a sandbox whose program sleeps uses (almost) no CPU
#   fault_regs           on systrap, a fault's frame (trapno, err, cr2) is as natively
#   unsupported_logged   an unimplemented call fails with ENOSYS and is logged once (DEMO is
#                        a program that makes one twice)
#   tty                  terminal ioctls on a host tty (under script(1)) match the native run
#                        (DEMO is tty_check)
#   pipes                a program copying stdin to stdout through pipes and files moves every
#                        byte, and a closed reader gives what an init gets natively (DEMO: copy)
#   busybox              busybox-static applets that need no file system print and exit as
#                        natively, on arguments and on stdin (DEMO: /bin/busybox)
#   net_view             busybox ip addr, ip link, ip -6 addr, ip route and netstat -x in the
#                        sandbox show its lo, 127.0.0.1/8, ::1/128 and local routes (netlink
#                        and /proc/net; DEMO: /bin/busybox), and so does iproute2's ip if
#                        installed (ip route get, ip rule)
#   syscalls_doc         docs/syscalls.md is what `runsc syscalls --markdown` prints (DEMO names the doc)
#   dynamic              dynamically linked Debian programs (ls, python3, sha256sum) and a #!
#                        script print exactly what they print natively
#   host_noexec          a PROT_EXEC mapping of a file on a host noexec filesystem fails with
#                        EPERM as natively; one of an ordinary filesystem maps
#   rootfs_overlay       files written, renamed and removed under / stay in the sandbox: the
#                        host's files are untouched afterwards
#   volume               a --volume bind mount shows the host directory, and writes reach it
#   gofer_dies           with its gofer killed, the program's file operations fail with EIO
#                        and the sandbox carries on and exits normally
#   tty_jobctl           job control on the controlling terminal (under script(1)): foreground
#                        group, SIGTTIN for a background read, tcsetpgrp (DEMO is tty_jobctl)
#   forkbomb             a fork bomb gets EAGAIN at the sandbox's task limit, and every child is
#                        reaped (DEMO is forkbomb)
#   init_exit            when init exits, every other process of the sandbox dies with it, and
#                        no stub process survives runsc
#   pty_*                on a pseudo-terminal that pty_run (the 5th argument) controls, as a
#                        user at a terminal: what the sandbox shows and does matches the native
#                        run (DEMO is tty_signals, the 6th argument tty_ioctls):
#     pty_stty             stty -echo, stty raw and stty size change and show the terminal
#     pty_keys             ^C, ^\ and ^Z typed reach the foreground process group, also when
#                          the terminal was not runsc's controlling terminal (runsc create's case)
#     pty_shell            interactive dash and bash: ^C kills the job (status 130), ^Z stops
#                          it, fg continues it
#     pty_winch            a new window size sends SIGWINCH, and TIOCGWINSZ sees the size
#     pty_tostop           with TOSTOP a background write or tcsetattr stops with SIGTTOU
#     pty_hangup           closing the master sends the session leader SIGHUP
#     pty_ioctls           the terminal ioctls' structures and errors (tty_ioctls's checks), and
#                          TIOCSTI fails with EIO in the sandbox
#   signals_forwarded    signals sent to runsc by another process reach the init process, as
#                        from outside its pid namespace (si_pid 0) (DEMO is tty_signals)
#   processes            a shell script (pipelines, subshells, jobs, traps, redirections) under
#                        bash, dash and busybox sh; gcc compiling and running a program; make -j2
#                        building a small project; python threads, multiprocessing, subprocess,
#                        signal handlers and select: all print what they print natively
set -u
test=$1 runsc=$(realpath -s -- "$2") demo=$(realpath -s -- "$3") sleeper=$(realpath -s -- "$4")
tmp=$(mktemp -d "${TMPDIR:-/tmp}/runsc-e2e.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
fail() {
	echo "FAIL: $*"
	exit 1
}
run() { timeout --kill-after=5 60 "$@"; }

# same_output NAME CMD...: CMD prints the same and exits the same natively and in the sandbox.
same_output() {
	local name=$1
	shift
	(cd "$tmp" && run "$@") >"$tmp/$name.native" 2>&1
	local n=$?
	(cd "$tmp" && run "$runsc" do "$@") >"$tmp/$name.sandbox" 2>&1
	local s=$?
	[ "$n" -eq "$s" ] || fail "$name: native exit $n, sandbox exit $s: $(head -c 2000 "$tmp/$name.sandbox")"
	diff -u "$tmp/$name.native" "$tmp/$name.sandbox" >"$tmp/$name.diff" ||
		fail "$name: output differs: $(head -c 4000 "$tmp/$name.diff")"
}

# same_pty NAME STEP... -- CMD...: pty_run plays the steps with CMD natively and in the
# sandbox; both show the same and end the same. The native output is in $tmp/NAME.native.
same_pty() {
	local name=$1
	shift
	local steps=()
	while [ "$1" != -- ]; do
		steps+=("$1")
		shift
	done
	shift
	(cd "$tmp" && run "$pty_run" "${steps[@]}" -- "$@") >"$tmp/$name.native" 2>&1 ||
		fail "$name: native run failed: $(cat "$tmp/$name.native")"
	(cd "$tmp" && run "$pty_run" "${steps[@]}" -- "$runsc" do "$@") >"$tmp/$name.sandbox" 2>&1 ||
		fail "$name: sandbox run failed: $(cat "$tmp/$name.sandbox")"
	diff -u "$tmp/$name.native" "$tmp/$name.sandbox" >"$tmp/$name.diff" ||
		fail "$name: the terminal differs in the sandbox: $(head -c 4000 "$tmp/$name.diff")"
}

# native_has NAME TEXT: the native run of same_pty NAME showed TEXT (the test tests something).
native_has() {
	grep -qF -- "$2" "$tmp/$1.native" || fail "$1: unexpected native result: $(cat "$tmp/$1.native")"
}

# sandbox_children PID: the stubs and the gofer of `runsc do` PID: the children of the sandbox
# process (the sentry), which is runsc do's child.
sandbox_children() {
	local sentry
	sentry=$(pgrep -P "$1" | head -1)
	[ -n "$sentry" ] && pgrep -P "$sentry"
}

case "$test" in
pty_*)
	pty_run=$(realpath -s -- "$5")
	tty_ioctls=$(realpath -s -- "$6")
	;;
esac

case "$test" in
pty_stty)
	same_pty stty 'expect=end' -- /bin/sh -c \
		'stty -a; stty -echo; stty -a; stty raw; stty -a; stty sane; stty size; echo end'
	native_has stty '-echo'
	native_has stty '24 80'
	same_pty stty_size 'expect=before' 'winsize=40x100' 'send=\n' 'expect=end' -- /bin/sh -c \
		'stty size; echo before; read -r x; stty size; stty rows 10 cols 20; stty size; echo end'
	native_has stty_size '40 100'
	native_has stty_size '10 20'
	;;
pty_keys)
	same_pty keys 'expect=ready 1\r\n' 'send=\x03' 'expect=ready 2\r\n' 'send=\x1c' 'expect=ready 3\r\n' \
		'send=\x1a' 'expect=done' -- "$demo" keys
	native_has keys 'child: killed by signal 2'
	native_has keys 'child: killed by signal 3'
	native_has keys 'child: stopped by signal 20'
	# As runsc create's sandbox process: the terminal on its stdio is not yet its controlling
	# terminal, and the sentry makes it so (a native program would get no ^C at all).
	run "$pty_run" --no-ctty 'expect=ready 1\r\n' 'send=\x03' 'expect=ready 2\r\n' 'send=\x1c' \
		'expect=ready 3\r\n' 'send=\x1a' 'expect=done' -- "$runsc" do "$demo" keys \
		>"$tmp/keys_no_ctty" 2>&1 || fail "keys without a controlling terminal: $(cat "$tmp/keys_no_ctty")"
	diff -u "$tmp/keys.native" "$tmp/keys_no_ctty" ||
		fail "keys without a controlling terminal differ from the native run"
	;;
pty_shell)
	# A program blocked in read, ^C: the shell reports 130; ^Z, jobs, fg, then ^C.
	for sh in /bin/dash '/bin/bash --norc --noprofile'; do
		name=$(basename "${sh%% *}")
		same_pty "$name" 'expect=$ ' "send=$demo read\n" 'expect=ready\r\n' 'send=\x03' \
			'expect=$ ' 'send=echo status $?\n' 'expect=status' 'expect=$ ' \
			"send=$demo read\n" 'expect=ready\r\n' 'send=\x1a' 'expect=$ ' 'send=jobs\n' \
			'expect=$ ' 'send=fg\n' 'expect=continued\r\n' 'send=\x03' 'expect=$ ' \
			'send=echo status $?\n' 'expect=status' 'expect=$ ' 'send=exit\n' -- \
			/usr/bin/env PS1='$ ' $sh -i
		[ "$(grep -c 'status 130' "$tmp/$name.native")" -eq 2 ] ||
			fail "$name: unexpected native result: $(cat "$tmp/$name.native")"
		native_has "$name" 'Stopped'
	done
	;;
pty_winch)
	same_pty winch 'expect=ready\r\n' 'winsize=33x111' 'expect=done' -- "$demo" winch
	native_has winch 'SIGWINCH: 33 rows, 111 columns'
	;;
pty_tostop)
	same_pty tostop 'expect=done' -- "$demo" tostop
	native_has tostop 'write with TOSTOP: stopped by signal 22'
	native_has tostop 'tcsetattr: stopped by signal 22'
	;;
pty_hangup)
	same_pty hangup 'expect=ready\r\n' 'hangup' -- "$demo" hangup
	native_has hangup 'exit 42'
	;;
signals_forwarded)
	# A background job of this shell starts with SIGINT ignored, and under nohup SIGHUP is
	# ignored too: not forwarded, as natively. The test wants both.
	env --default-signal=INT,HUP "$runsc" do "$demo" handlers >"$tmp/out" 2>&1 &
	pid=$!
	# wait_line TEXT: waits (up to 20 s) until the sandbox has printed TEXT.
	wait_line() {
		for _ in $(seq 400); do
			grep -qxF -- "$1" "$tmp/out" && return 0
			sleep 0.05
		done
		kill -KILL "$pid"
		fail "no \"$1\" from the sandbox: $(cat "$tmp/out")"
	}
	wait_line ready
	kill -USR1 "$pid"
	wait_line "signal 10 code 0 pid 0"
	kill -INT "$pid"
	wait_line "signal 2 code 0 pid 0"
	kill -HUP "$pid"
	wait_line "signal 1 code 0 pid 0"
	kill -TERM "$pid"
	wait_line "signal 15 code 0 pid 0"
	wait_line done
	wait "$pid" || fail "runsc exited $?: $(cat "$tmp/out")"
	;;
pty_ioctls)
	same_pty ioctls 'expect=ready\r\n' 'send=abc' 'expect=again\r\n' 'send=xyz' -- "$tty_ioctls"
	native_has ioctls 'all checks passed'
	run "$pty_run" -- "$runsc" do "$tty_ioctls" tiocsti >"$tmp/tiocsti" 2>&1
	grep -q 'TIOCSTI: EIO' "$tmp/tiocsti" || fail "TIOCSTI in the sandbox: $(cat "$tmp/tiocsti")"
	;;
forkbomb)
	run "$runsc" do "$demo" >"$tmp/out" 2>&1 || fail "fork bomb: $(cat "$tmp/out")"
	grep -q "Resource temporarily unavailable" "$tmp/out" || fail "no EAGAIN: $(cat "$tmp/out")"
	;;
init_exit)
	"$runsc" do /bin/sh -c "$sleeper 60 & $sleeper 60 & $sleeper 60 & sleep 1; exit 3" \
		>"$tmp/out" 2>&1 &
	pid=$!
	stubs=""
	for _ in $(seq 200); do
		stubs=$(sandbox_children "$pid")
		[ "$(echo "$stubs" | wc -w)" -ge 4 ] && break
		sleep 0.01
	done
	[ "$(echo "$stubs" | wc -w)" -ge 4 ] || { kill -KILL "$pid"; fail "expected 4 stubs, saw: $stubs"; }
	status=0
	for _ in $(seq 300); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid"
		fail "runsc still running 30 s after init exited"
	fi
	wait "$pid" || status=$?
	[ "$status" -eq 3 ] || fail "runsc exited $status, expected 3: $(cat "$tmp/out")"
	for s in $stubs; do
		kill -0 "$s" 2>/dev/null && fail "stub $s outlived the sandbox"
	done
	true
	;;
processes)
	dir=$(realpath -s -- "$(dirname "$0")/processes")
	same_output bash /bin/bash "$dir/shell.sh"
	same_output dash /bin/dash "$dir/shell.sh"
	same_output busybox_sh /bin/busybox sh "$dir/shell.sh"
	# bash's process substitution opens /dev/fd/N of an anonymous pipe.
	same_output bash_procsub /bin/bash -c 'diff <(printf "a\nb\n") <(printf "a\nc\n"); cat <(seq 3) <(seq 4 5) | paste -sd+; read -r x < <(echo procsub); echo "$x"'
	same_output gcc /bin/sh -c "gcc -O2 -o $tmp/calc $dir/project/main.c $dir/project/calc.c $dir/project/util.c && $tmp/calc"
	same_output make /bin/sh -c "rm -rf $tmp/p && cp -r $dir/project $tmp/p && make -s -j2 -C $tmp/p && $tmp/p/prog"
	same_output python /usr/bin/python3 "$dir/procs.py"
	;;
dynamic)
	same_output ls /bin/ls -la /etc
	same_output ls_usr /bin/ls -l /usr/lib/x86_64-linux-gnu
	same_output python3 /usr/bin/python3 -c 'import os, sys, json; print(sys.version_info[:2], json.dumps({"a": [1, 2]}), sorted(os.listdir("/etc"))[:5])'
	same_output sha256sum /usr/bin/sha256sum /usr/bin/python3
	printf '#!/usr/bin/python3 -S\nimport sys\nprint("script", sys.argv[1:])\n' >"$tmp/script"
	chmod +x "$tmp/script"
	same_output script "$tmp/script" one 'two three'
	;;
host_noexec)
	# A file on a host filesystem mounted noexec, in a --volume that is not noexec in the
	# sandbox: mapping it PROT_EXEC fails with EPERM, as natively, and a file of an ordinary
	# filesystem maps (systrap queues a PROT_EXEC file mapping only when fstatfs says the
	# host allows it; otherwise the error must be the call's).
	mkdir "$tmp/nx"
	mount -t tmpfs -o noexec,size=1m tmpfs "$tmp/nx" || fail "cannot mount a tmpfs"
	trap 'umount "$tmp/nx"; rm -rf "$tmp"' EXIT
	mkdir "$tmp/x"
	head -c 8192 "$demo" >"$tmp/nx/f"
	head -c 8192 "$demo" >"$tmp/x/f"
	map='import mmap, os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
try:
    mmap.mmap(fd, 4096, flags=mmap.MAP_PRIVATE, prot=mmap.PROT_READ | mmap.PROT_EXEC)
    print("mapped")
except OSError as e:
    print("errno", e.errno)'
	for d in nx x; do
		native=$(run python3 -c "$map" "$tmp/$d/f")
		sandbox=$(run "$runsc" 'do' --volume "$tmp/$d:/mnt/$d" /usr/bin/python3 -c "$map" \
			"/mnt/$d/f" 2>&1)
		[ "$sandbox" = "$native" ] || fail "$d: native '$native', sandbox '$sandbox'"
	done
	[ "$(run python3 -c "$map" "$tmp/nx/f")" = "errno 1" ] || fail "the noexec mount maps PROT_EXEC"
	;;
rootfs_overlay)
	probe=/runsc-e2e-overlay-$$
	[ -e "$probe" ] && fail "$probe exists before the test"
	cp /etc/hostname "$tmp/hostname.before"
	run "$runsc" do /usr/bin/python3 -c "
import os
open('$probe', 'w').write('sandbox')
assert open('$probe').read() == 'sandbox'
os.rename('$probe', '$probe.2')
os.mkdir('$probe.d')
open('$probe.d/f', 'w').write('x')
with open('/etc/hostname', 'a') as f: f.write('changed in the sandbox')
os.unlink('/etc/hosts')
assert not os.path.exists('/etc/hosts')
print('ok')
" >"$tmp/out" 2>&1 || fail "sandbox run failed: $(cat "$tmp/out")"
	grep -qx ok "$tmp/out" || fail "no ok: $(cat "$tmp/out")"
	for f in "$probe" "$probe.2" "$probe.d"; do
		[ -e "$f" ] && { rm -rf "$f"; fail "$f reached the host"; }
	done
	cmp -s /etc/hostname "$tmp/hostname.before" || fail "/etc/hostname changed on the host"
	[ -e /etc/hosts ] || fail "/etc/hosts was removed on the host"
	;;
volume)
	mkdir "$tmp/vol"
	echo host-data >"$tmp/vol/in"
	run "$runsc" do --volume "$tmp/vol:/mnt/vol" /usr/bin/python3 -c "
print(open('/mnt/vol/in').read().strip())
open('/mnt/vol/out', 'w').write('from the sandbox')
" >"$tmp/out" 2>&1 || fail "sandbox run failed: $(cat "$tmp/out")"
	grep -qx host-data "$tmp/out" || fail "volume not visible: $(cat "$tmp/out")"
	[ "$(cat "$tmp/vol/out" 2>/dev/null)" = "from the sandbox" ] || fail "write did not reach the host"
	run "$runsc" do --volume "$tmp/vol:/mnt/vol:ro" /usr/bin/python3 -c "
try:
    open('/mnt/vol/x', 'w')
except OSError as e:
    print(e.errno)
" >"$tmp/out" 2>&1 || fail "ro run failed: $(cat "$tmp/out")"
	grep -qx 30 "$tmp/out" || fail "read-only volume accepted a write (want EROFS): $(cat "$tmp/out")"
	[ -e "$tmp/vol/x" ] && fail "read-only volume: file created on the host"
	;;
gofer_dies)
	# The program waits for the go-ahead file (in a volume, so looked up anew each time),
	# then touches paths it never used: with the gofer gone, each is EIO.
	mkdir "$tmp/vol"
	run "$runsc" do --volume "$tmp/vol:/mnt/vol" /usr/bin/python3 -c "
import os, time
open('/mnt/vol/ready', 'w').close()
while True:
    try:
        os.stat('/mnt/vol/go')
        break
    except FileNotFoundError:
        time.sleep(0.05)
    except OSError as e:
        break
for p in ('/usr/share/doc', '/etc/debian_version', '/mnt/vol/new'):
    try:
        os.stat(p)
        print(p, 'ok')
    except OSError as e:
        print(p, e.errno)
try:
    open('/mnt/vol/x', 'w')
except OSError as e:
    print('create', e.errno)
print('done')
" >"$tmp/out" 2>&1 &
	pid=$!
	for _ in $(seq 200); do
		[ -e "$tmp/vol/ready" ] && break
		sleep 0.05
	done
	[ -e "$tmp/vol/ready" ] || { kill "$pid"; fail "the program never started: $(cat "$tmp/out")"; }
	# This sandbox's gofer, told apart from any other by the volume it serves.
	gofer=$(pgrep -f -- "gofer .*--mount $tmp/vol")
	[ -n "$gofer" ] || { kill "$pid"; fail "no gofer process found"; }
	kill -KILL $gofer
	touch "$tmp/vol/go"
	wait "$pid"
	status=$?
	[ $status -eq 0 ] || fail "the sandbox exited $status: $(cat "$tmp/out")"
	grep -qx done "$tmp/out" || fail "the program did not finish: $(cat "$tmp/out")"
	for p in /usr/share/doc /etc/debian_version /mnt/vol/new; do
		grep -qx "$p 5" "$tmp/out" || fail "$p: expected EIO: $(cat "$tmp/out")"
	done
	grep -qx "create 5" "$tmp/out" || fail "create: expected EIO: $(cat "$tmp/out")"
	;;
demo_matches_native)
	run "$demo" a 'b c' >"$tmp/native" 2>&1
	n=$?
	run "$runsc" do "$demo" a 'b c' >"$tmp/sandbox" 2>&1
	s=$?
	[ "$n" -eq 7 ] || fail "native exit $n, expected 7"
	[ "$s" -eq 7 ] || fail "sandbox exit $s, expected 7: $(cat "$tmp/sandbox")"
	diff -u "$tmp/native" "$tmp/sandbox" || fail "output differs"
	;;
strace)
	run "$runsc" --strace do "$demo" >"$tmp/out" 2>"$tmp/err"
	[ $? -eq 7 ] || fail "exit status"
	grep -q '^hello from a static program' "$tmp/out" || fail "stdout lost"
	for pat in 'write(1, "hello from a static program' 'mmap(NULL, 1048576, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x' \
		'munmap(0x' 'nanosleep(' 'uname(' 'exit_group(7) = ?'; do
		grep -qF "$pat" "$tmp/err" || fail "strace output lacks '$pat':
$(cat "$tmp/err")"
	done
	run "$runsc" --strace --debug-log="$tmp/log" do "$demo" >/dev/null 2>"$tmp/err2"
	[ $? -eq 7 ] || fail "exit status with --debug-log"
	grep -qF 'exit_group(7) = ?' "$tmp/log" || fail "--debug-log has no strace"
	grep -qF 'exit_group' "$tmp/err2" && fail "strace went to stderr despite --debug-log"
	;;
bad_programs)
	run "$runsc" do "$tmp/does-not-exist" 2>"$tmp/err"
	[ $? -eq 127 ] || fail "missing program: expected 127"
	grep -q 'No such file' "$tmp/err" || fail "missing program: no clear message"
	printf 'this is not an ELF file\n' >"$tmp/garbage"
	chmod +x "$tmp/garbage"
	run "$runsc" do "$tmp/garbage" 2>"$tmp/err"
	[ $? -eq 126 ] || fail "garbage: expected 126"
	grep -q 'Exec format error' "$tmp/err" || fail "garbage: $(cat "$tmp/err")"
	head -c 100 "$demo" >"$tmp/truncated"
	chmod +x "$tmp/truncated"
	run "$runsc" do "$tmp/truncated" 2>"$tmp/err"
	s=$?
	[ $s -eq 126 ] || fail "truncated: expected 126, got $s"
	cp "$demo" "$tmp/noexec"
	chmod -x "$tmp/noexec"
	run "$runsc" do "$tmp/noexec" 2>"$tmp/err"
	[ $? -eq 126 ] || fail "not executable: expected 126"
	grep -q 'Permission denied' "$tmp/err" || fail "not executable: $(cat "$tmp/err")"
	;;
no_stub_left)
	# Processes that sleep; runsc is killed while they run; no stub may survive it.
	"$runsc" do /bin/sh -c "$sleeper 30 & $sleeper 30 & $sleeper 30" >/dev/null 2>&1 &
	pid=$!
	stubs=""
	for _ in $(seq 300); do
		stubs=$(sandbox_children "$pid")
		[ "$(echo "$stubs" | wc -w)" -ge 4 ] && break
		sleep 0.01
	done
	if [ -z "$stubs" ]; then
		kill -KILL "$pid"
		fail "no stub process found under runsc"
	fi
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null
	for _ in $(seq 100); do
		alive=""
		for s in $stubs; do
			kill -0 "$s" 2>/dev/null && alive="$alive $s"
		done
		[ -z "$alive" ] && break
		sleep 0.05
	done
	[ -z "$alive" ] || fail "stub process(es)$alive outlived runsc"
	;;
fault_regs)
	# The frame's trap number, error code and cr2 of each fault are the host kernel's on
	# systrap: the same as natively (DEMO is fault_regs).
	(cd "$tmp" && run "$demo") >"$tmp/native" 2>&1 || fail "fault_regs failed natively: $(cat "$tmp/native")"
	(cd "$tmp" && run "$runsc" --platform=systrap do "$demo") >"$tmp/sandbox" 2>&1 ||
		fail "fault_regs failed on systrap: $(cat "$tmp/sandbox")"
	diff -u "$tmp/native" "$tmp/sandbox" >"$tmp/diff" || fail "fault_regs differs: $(cat "$tmp/diff")"
	;;
idle_cpu)
	# An idle sandbox (a program asleep) uses no CPU: the sentry, its threads, the gofer, the
	# stub factory and the stubs together use under 3% of one CPU over 3 s, once started. A
	# usage figure, not a timing: a hand-off that spins while the program sleeps uses 100%.
	"$runsc" do "$sleeper" 60 >/dev/null 2>&1 &
	pid=$!
	for _ in $(seq 300); do
		[ "$(sandbox_children "$pid" | wc -w)" -ge 2 ] && break
		sleep 0.01
	done
	sleep 1
	sentry=$(pgrep -P "$pid" | head -1)
	procs="$sentry $(pgrep -P "$sentry" | tr '\n' ' ')"
	# ticks PID...: their user + system CPU time, in clock ticks (every thread's).
	ticks() {
		local p sum=0 t
		for p in "$@"; do
			for t in /proc/"$p"/task/*/stat; do
				[ -r "$t" ] || continue
				sum=$((sum + $(sed 's/.*) //' "$t" | awk '{ print $12 + $13 }')))
			done
		done
		echo "$sum"
	}
	# shellcheck disable=SC2086
	before=$(ticks $procs)
	sleep 3
	# shellcheck disable=SC2086
	after=$(ticks $procs)
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null
	hz=$(getconf CLK_TCK)
	used=$((after - before))
	[ $((used * 100)) -lt $((3 * hz * 3)) ] ||
		fail "an idle sandbox used $used ticks of $hz/s in 3 s ($procs)"
	;;
tty)
	command -v script >/dev/null || fail "script(1) is missing (bsdutils)"
	run script -qec "$demo" /dev/null </dev/null >"$tmp/native" 2>&1 || fail "native run failed"
	run script -qec "$runsc do $demo" /dev/null </dev/null >"$tmp/sandbox" 2>&1 ||
		fail "sandbox run failed: $(cat "$tmp/sandbox")"
	grep -q 'tcgets stdin 0 stdout 0, same flags 1, winsize 0' "$tmp/native" ||
		fail "unexpected native result: $(cat "$tmp/native")"
	diff -u "$tmp/native" "$tmp/sandbox" || fail "the sandbox sees the terminal differently"
	;;
tty_jobctl)
	command -v script >/dev/null || fail "script(1) is missing (bsdutils)"
	run script -qec "$demo" /dev/null </dev/null >"$tmp/native" 2>&1 || fail "native run failed"
	run script -qec "$runsc do $demo" /dev/null </dev/null >"$tmp/sandbox" 2>&1 ||
		fail "sandbox run failed: $(cat "$tmp/sandbox")"
	grep -q 'foreground again: 1' "$tmp/native" || fail "unexpected native result: $(cat "$tmp/native")"
	diff -u "$tmp/native" "$tmp/sandbox" || fail "job control differs in the sandbox"
	;;
pipes)
	head -c 3000000 /dev/urandom >"$tmp/data"
	cat "$tmp/data" | run "$runsc" do "$demo" | cmp - "$tmp/data" || fail "pipe to pipe"
	run "$runsc" do "$demo" <"$tmp/data" >"$tmp/out" && cmp "$tmp/out" "$tmp/data" ||
		fail "file to file"
	# The reader goes away: a write fails with EPIPE, and the SIGPIPE that comes with it is
	# dropped for an init, natively (unshare) as in the sandbox.
	run unshare --pid --fork --kill-child "$demo" <"$tmp/data" | head -c 10 >/dev/null
	n=${PIPESTATUS[0]}
	run "$runsc" do "$demo" <"$tmp/data" | head -c 10 >/dev/null
	s=${PIPESTATUS[0]}
	[ "$n" -eq "$s" ] || fail "broken pipe: native init exit $n, sandbox $s"
	;;
busybox)
	[ -x "$demo" ] || fail "$demo is missing: install busybox-static"
	file -L "$demo" 2>/dev/null | grep -q 'statically linked' ||
		fail "$demo is not static: install busybox-static"
	input=$(printf 'b line\na line\na line\n')
	while IFS= read -r applet; do
		# shellcheck disable=SC2086 # the applet line is split into words on purpose
		n=$(printf '%s\n' "$input" | run "$demo" $applet 2>&1)
		ns=$?
		# shellcheck disable=SC2086
		s=$(printf '%s\n' "$input" | run "$runsc" do "$demo" $applet 2>&1)
		ss=$?
		[ "$n" = "$s" ] && [ "$ns" = "$ss" ] ||
			fail "busybox $applet: native ($ns) '$n', sandbox ($ss) '$s'"
	done <<'APPLETS'
echo hello world
uname -s -m
true
false
seq 1 5
expr 6 * 7
printf %05d\n 42
basename /a/b/c.txt .txt
sleep 0.1
sha256sum
md5sum
wc -c
sort
uniq -c
tr a-z A-Z
od -c
base64
cut -c1-3
APPLETS
	# The shell, with builtins only (no fork or exec until the processes issue).
	# shellcheck disable=SC2016 # expanded by busybox sh, not here
	script='i=0; while [ $i -lt 3 ]; do i=$((i+1)); echo "n=$i"; done; exit 5'
	n=$(run "$demo" sh -c "$script" 2>&1)
	ns=$?
	s=$(run "$runsc" do "$demo" sh -c "$script" 2>&1)
	ss=$?
	[ "$n" = "$s" ] && [ "$ns" = "$ss" ] && [ "$ns" = 5 ] ||
		fail "busybox sh: native ($ns) '$n', sandbox ($ss) '$s'"
	;;
net_view)
	[ -x "$demo" ] || fail "$demo is missing: install busybox-static"
	# expect_lines CMD PATTERN...: the sandbox's `$demo CMD` succeeds and prints each pattern.
	expect_lines() {
		local cmd=$1 out
		shift
		# shellcheck disable=SC2086 # the command is split into words on purpose
		out=$(run "$runsc" do "$demo" $cmd 2>&1) || fail "${demo##*/} $cmd failed: $out"
		for p in "$@"; do
			grep -qE -- "$p" <<<"$out" || fail "${demo##*/} $cmd: no '$p' in:
$out"
		done
	}
	expect_lines "ip addr" '^1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536' \
		'inet 127\.0\.0\.1/8 scope host lo' 'inet6 ::1/128 scope host'
	expect_lines "ip link" '^1: lo: <LOOPBACK,UP,LOWER_UP>' 'link/loopback 00:00:00:00:00:00'
	expect_lines "ip -6 addr" 'inet6 ::1/128' '^1: lo:'
	expect_lines "ip route show table all" \
		'^local 127\.0\.0\.1 dev lo table local scope host +src 127\.0\.0\.1' \
		'^local ::1 dev lo table local'
	expect_lines "ip route"
	expect_lines "cat /proc/net/dev" '^ +lo: +[0-9]+'
	expect_lines "netstat -x" '^Active UNIX domain sockets'
	# iproute2 too when installed (dynamic; it asks with strict checking and extended acks).
	if [ -x /usr/bin/ip ]; then
		demo=/usr/bin/ip
		expect_lines "-s link" '^1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN'
		expect_lines "addr show dev lo" 'inet 127\.0\.0\.1/8 scope host lo' 'inet6 ::1/128'
		expect_lines "route get 127.0.0.1" '^local 127\.0\.0\.1 dev lo src 127\.0\.0\.1'
		expect_lines "rule" '^0:.*lookup local' '^32766:.*lookup main'
		expect_lines "-6 route show table local" '^local ::1 dev lo'
	fi
	;;
unsupported_logged)
	run "$runsc" --debug-log="$tmp/log" do "$demo" || fail "the program saw no ENOSYS"
	n=$(grep -c 'unsupported syscall 246 (kexec_load)' "$tmp/log")
	[ "$n" -eq 1 ] || fail "logged $n times, expected once:
$(cat "$tmp/log")"
	;;
syscalls_doc)
	"$runsc" syscalls --markdown >"$tmp/doc" || fail "runsc syscalls failed"
	diff -u "$demo" "$tmp/doc" >"$tmp/diff" ||
		fail "docs/syscalls.md is stale: regenerate it with runsc syscalls --markdown
$(head -40 "$tmp/diff")"
	;;
*)
	fail "unknown test $test"
	;;
esac
echo "ok: $test"
