#!/bin/bash
# run_test.sh RUNSC EXPECTED_STATUS PROG [ARGS...]
#
# Runs one syscall test natively, then under `RUNSC do --platform=P` for each platform P
# (ptrace, systrap and systrap with patching, or those in RUNSC_TEST_PLATFORMS; skipped when RUNSC
# is `none`). Both runs get the same conditions: stdin is PROG itself (a readable regular file
# that starts with "\x7fELF"), stdout and stderr go to a temporary regular file, the
# environment is exactly RUNSC_TEST_ENV=hello and PATH, and a 60 s timeout applies. Each run
# must end with EXPECTED_STATUS as the shell reports it: the exit code, or 128+N for death by
# signal N (`runsc do` exits 128+N when signal N killed the program, and `timeout` re-raises
# the child's signal, so the shell sees the same number both ways).
#
# In the sandbox the program is PID 1, the init of the sandbox's pid namespace, and Linux
# treats an init specially (it drops signals with a default action sent from inside its
# namespace, even SIGKILL). So the native run is made an init too, with `unshare --pid
# --fork`, and both runs see the same rules.
set -u

if [ $# -lt 3 ]; then
	echo "usage: $0 RUNSC EXPECTED_STATUS PROG [ARGS...]" >&2
	exit 2
fi
runsc=$1
expected=$2
case $expected in
'' | *[!0-9]*)
	echo "run_test.sh: EXPECTED_STATUS must be a number, not '$expected'" >&2
	exit 2
	;;
esac
# An absolute path, so that both runs execute the same file whatever their working directory.
prog=$(realpath -s -- "$3") || exit 2
shift 3
set -- "$prog" "$@"

if [ "$runsc" != none ]; then
	path=$(command -v -- "$runsc") || {
		echo "run_test.sh: runsc not found: $runsc" >&2
		exit 2
	}
	runsc=$path
fi

limit=60
out=$(mktemp "${TMPDIR:-/tmp}/runsc-test.XXXXXX") || exit 2
trap 'rm -f "$out"' EXIT
# A test that dies of SIGSEGV or SIGABRT must not leave a core file behind.
ulimit -c 0

# describe STATUS prints "exit N" or "killed by signal N (SIGNAME)".
describe() {
	if [ "$1" -gt 128 ] && [ "$1" -lt 193 ]; then
		echo "killed by signal $(($1 - 128)) (SIG$(kill -l $(($1 - 128)) 2>/dev/null))"
	else
		echo "exit $1"
	fi
}

# run_stage NAME COMMAND... runs one stage and reports; returns 0 when it passed.
run_stage() {
	local name=$1
	shift
	local start=$SECONDS
	local status
	# The braces keep bash's own "Segmentation fault" job report out of the log.
	{
		timeout --kill-after=5 "$limit" env -i RUNSC_TEST_ENV=hello PATH=/usr/bin:/bin "$@" \
			<"$prog" >"$out" 2>&1
		status=$?
	} 2>/dev/null
	local elapsed=$((SECONDS - start))

	if [ "$elapsed" -lt "$limit" ] && [ "$status" -eq "$expected" ]; then
		echo "$name: passed ($(describe "$status"))"
		return 0
	fi
	if [ "$elapsed" -ge "$limit" ]; then
		echo "$name: killed by timeout after ${elapsed}s (status $status), expected $(describe "$expected")"
	else
		echo "$name: $(describe "$status"), expected $(describe "$expected")"
	fi
	echo "--- $name output ---"
	cat "$out"
	echo "--- end of $name output ---"
	return 1
}

run_stage native unshare --pid --fork --kill-child "$@" || exit 1
if [ "$runsc" = none ]; then
	exit 0
fi
# Every platform, or those RUNSC_TEST_PLATFORMS names; systrap-patched is systrap with
# --syscall-patching (a site that traps a few times becomes a jump to the trampoline).
for platform in ${RUNSC_TEST_PLATFORMS:-ptrace systrap systrap-patched}; do
	case $platform in
	systrap-patched) run_stage "$platform" "$runsc" --syscall-patching "do" --platform=systrap "$@" ;;
	*) run_stage "$platform" "$runsc" "do" --platform="$platform" "$@" ;;
	esac || exit 1
done
exit 0
