#!/bin/bash
# The inet syscall tests under --network=host: hostnet_syscalls.sh RUNSC TEST...
#
# Each TEST is one of tests/syscalls' net_* programs. net_sockopt takes no
# argument (it tries both families itself); every other one runs with
# `inet` and with `inet6`. Each case runs natively first (a case that fails
# natively, e.g. without ::1, is skipped with a note), then under
# `runsc --network=host do` on ptrace and on systrap. The first failure
# fails the test with the program's output. Every run has its own timeout
# (the programs' own alarm is longer): a hang in the sandbox is a failure
# here, not a meson timeout.
set -u
runsc=$(realpath -s -- "$1")
shift
limit=30
ran=0

# run_case LABEL CMD...: runs CMD with a timeout; fails the test with its output.
run_case() {
	local label=$1 out rc
	shift
	out=$(timeout --kill-after=5 "$limit" "$@" 2>&1)
	rc=$?
	if [ "$rc" -ne 0 ]; then
		# 124: ended by timeout's SIGTERM; 137: killed after it (a sandbox's init ignores it).
		case $rc in
		124 | 137) echo "FAIL: $label: timed out after ${limit}s (status $rc)" ;;
		*) echo "FAIL: $label: status $rc" ;;
		esac
		echo "$out"
		exit 1
	fi
}

for prog in "$@"; do
	prog=$(realpath -s -- "$prog")
	name=$(basename -- "$prog")
	if [ "$name" = net_sockopt ]; then
		families=("")
	else
		families=(inet inet6)
	fi
	for fam in "${families[@]}"; do
		args=()
		[ -n "$fam" ] && args=("$fam")
		label="$name${fam:+ $fam}"
		if ! timeout --kill-after=5 "$limit" "$prog" "${args[@]}" >/dev/null 2>&1; then
			echo "SKIP: $label fails natively"
			continue
		fi
		for platform in ptrace systrap; do
			run_case "$label --network=host --platform=$platform" \
				"$runsc" --network=host do --platform="$platform" -- "$prog" "${args[@]}"
			ran=$((ran + 1))
		done
	done
done
if [ "$ran" -eq 0 ]; then
	echo "SKIP: no case runs natively"
	exit 77
fi
echo "PASS: $ran runs under --network=host"
