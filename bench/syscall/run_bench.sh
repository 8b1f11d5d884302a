#!/usr/bin/env bash
# bench/syscall: what one emulated getpid costs, in seven configurations run
# interleaved in one go, printed as ratios (absolute times are noisy here):
#   native   getpid_loop alone: the host kernel's getpid
#   floor    getpid_loop under bare_tracer: PTRACE_SYSEMU + PEEKUSER + POKEUSER,
#            the least a ptrace platform can do per syscall
#   sandbox  getpid_loop under `runsc do --platform=ptrace`
#   trap     getpid_loop --trap: a seccomp trap answered by a SIGSYS handler in
#            the program itself, the least a systrap platform can do per syscall
#   systrap  getpid_loop under `runsc do --platform=systrap`
#   patched  the same with --syscall-patching: the loop's getpid site, once it has trapped
#            a few times, jumps to systrap's trampoline instead (no signal frame)
#   sud      getpid_loop --sud: the trap floor with syscall user dispatch in place of
#            seccomp (measured once per round, unpinned: the issue asks which is faster)
#
# Usage: run_bench.sh RUNSC GETPID_LOOP BARE_TRACER [-r ROUNDS] [-n ITERS] [-N NATIVE_ITERS]
#                     [-m both|free|onecpu] [-c CPU] [-b yes|no]
#   ROUNDS        rounds; each runs every configuration once (default 5, or $BENCH_ROUNDS)
#   ITERS         getpid calls per traced run (default 50000, or $BENCH_ITERS)
#   NATIVE_ITERS  getpid calls per native run (default 2000000, or $BENCH_NATIVE_ITERS)
#   -m            placements to measure (default both, or $BENCH_MODE):
#                 free    the run is not pinned; the tracers pin the tracee to the CPU
#                         the tracer is on, as runsc does, and systrap places its
#                         stubs as it measures (platform/systrap/systrap.c). This is
#                         what users get, and the headline figure.
#                 onecpu  the floors and the sandboxes also run whole under `taskset -c CPU`
#                         (default CPU 0, or $BENCH_CPU): tracer and tracee can never be
#                         apart, so the scheduler's wake-up placement drops out and
#                         sandbox/floor is only the sentry's own work per syscall.
#   -b            boost (default yes, or $BENCH_BOOST): each run gets its own session
#                 (setsid), so its own autogroup, with autogroup nice -20 and task nice
#                 -20 when we may set them (root), as the reference measurements were
#                 made; `no` runs each in its own session at the caller's priority.
#                 runsc's stub leaves its sentry's session, so the boost does not reach
#                 it: see docs/performance.md for what that does to the free placement.
# Each table gives, per configuration, the median of the rounds, and min and max.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/../lib.sh"

usage() {
	echo "usage: $0 RUNSC GETPID_LOOP BARE_TRACER [-r ROUNDS] [-n ITERS] [-N NATIVE_ITERS]" \
	     "[-m both|free|onecpu] [-c CPU] [-b yes|no]" >&2
	exit 2
}

[ $# -ge 3 ] || usage
runsc=$1 loop=$2 tracer=$3
shift 3
rounds=${BENCH_ROUNDS:-5}
iters=${BENCH_ITERS:-50000}
native_iters=${BENCH_NATIVE_ITERS:-2000000}
mode=${BENCH_MODE:-both}
cpu=${BENCH_CPU:-0}
boost=${BENCH_BOOST:-yes}
while getopts "r:n:N:m:c:b:" opt; do
	case $opt in
	r) rounds=$OPTARG ;;
	n) iters=$OPTARG ;;
	N) native_iters=$OPTARG ;;
	m) mode=$OPTARG ;;
	c) cpu=$OPTARG ;;
	b) boost=$OPTARG ;;
	*) usage ;;
	esac
done
for v in "$rounds" "$iters" "$native_iters"; do
	[[ $v =~ ^[1-9][0-9]*$ ]] || usage
done
[[ $cpu =~ ^[0-9]+$ ]] || usage
case $mode in
both) modes=(free onecpu) ;;
free | onecpu) modes=("$mode") ;;
*) usage ;;
esac
case $boost in
yes | no) ;;
*) usage ;;
esac
for f in "$runsc" "$loop" "$tracer"; do
	[ -x "$f" ] || { echo "$0: $f: not an executable" >&2; exit 2; }
done

# Runs "$@" in a new session, at nice -20 (autogroup and task) if boosting,
# and prints the ns_per_call it reports; fails loudly with its output otherwise.
nice_cmd=()
ag_nice=
if [ "$boost" = yes ] && [ "$(id -u)" = 0 ]; then
	nice_cmd=(nice -n -20)
	ag_nice=-20
fi
measure() {
	local out
	# The inner shell is the new session's leader: its autogroup is the run's.
	# shellcheck disable=SC2016 # the inner shell expands $AG_NICE
	if ! out=$(AG_NICE=$ag_nice setsid bash -c '[ -n "$AG_NICE" ] && [ -w /proc/self/autogroup ] &&
		echo "$AG_NICE" >/proc/self/autogroup 2>/dev/null
		exec "$@"' measure "${nice_cmd[@]}" "$@" 2>&1 </dev/null); then
		echo "$0: failed: $*" >&2
		echo "$out" >&2
		exit 1
	fi
	local v
	v=$(sed -n 's/^ns_per_call \([0-9.]*\)$/\1/p' <<<"$out")
	if [ -z "$v" ]; then
		echo "$0: no ns_per_call from: $*" >&2
		echo "$out" >&2
		exit 1
	fi
	echo "$v"
}

if [[ " ${modes[*]} " == *" onecpu "* ]] && ! taskset -c "$cpu" true 2>/dev/null; then
	echo "$0: cannot run on CPU $cpu (taskset)" >&2
	exit 2
fi

model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
hyper=$(dmesg 2>/dev/null | sed -n 's/.*Hypervisor detected: //p' | head -n 1 || true)
echo "bench/syscall: one emulated getpid, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine: $(nproc) CPUs, ${model:-unknown CPU}, kernel $(uname -r)${hyper:+, hypervisor $hyper}"
echo "runs: $rounds interleaved rounds; $native_iters calls per native run, $iters per traced run;"
if [ -n "$ag_nice" ]; then
	echo "      each run in its own session, autogroup and task at nice -20"
else
	echo "      each run in its own session, at the caller's priority (no boost)"
fi
for m in "${modes[@]}"; do
	case $m in
	free) echo "placement free: nothing pinned but the tracee, which each tracer pins to its own CPU" \
		"(as runsc does)" ;;
	onecpu) echo "placement onecpu: floor and sandbox run whole under taskset -c $cpu" ;;
	esac
done
echo

declare -A results
for ((i = 1; i <= rounds; i++)); do
	line="round $i: native $(measure "$loop" "$native_iters")"
	results[native]+="${line##* } "
	v=$(measure "$loop" --sud "$iters")
	results[sud]+="$v "
	line+="  sud $v"
	for m in "${modes[@]}"; do
		pre=()
		if [ "$m" = onecpu ]; then
			pre=(taskset -c "$cpu")
		fi
		v=$(measure "${pre[@]}" "$tracer" "$loop" "$iters")
		results[floor_$m]+="$v "
		line+="  floor/$m $v"
		v=$(measure "${pre[@]}" "$runsc" "do" --platform=ptrace "$loop" "$iters")
		results[sandbox_$m]+="$v "
		line+="  sandbox/$m $v"
		v=$(measure "${pre[@]}" "$loop" --trap "$iters")
		results[trap_$m]+="$v "
		line+="  trap/$m $v"
		v=$(measure "${pre[@]}" "$runsc" "do" --platform=systrap "$loop" "$iters")
		results[systrap_$m]+="$v "
		line+="  systrap/$m $v"
		v=$(measure "${pre[@]}" "$runsc" --syscall-patching "do" --platform=systrap "$loop" "$iters")
		results[patched_$m]+="$v "
		line+="  patched/$m $v"
	done
	echo "$line ns/call"
done
echo

# shellcheck disable=SC2086
read -r n_med n_min n_max < <(stats ${results[native]})
printf '%-44s %11s %11s %11s\n' "configuration" "median ns" "min" "max"
printf '%-44s %11s %11s %11s\n' "native (getpid_loop)" "$n_med" "$n_min" "$n_max"
declare -A med
for m in "${modes[@]}"; do
	# shellcheck disable=SC2086
	read -r f_med f_min f_max < <(stats ${results[floor_$m]})
	# shellcheck disable=SC2086
	read -r s_med s_min s_max < <(stats ${results[sandbox_$m]})
	med[floor_$m]=$f_med
	med[sandbox_$m]=$s_med
	printf '%-44s %11s %11s %11s\n' "floor, $m (bare_tracer: SYSEMU+PEEK+POKE)" \
		"$f_med" "$f_min" "$f_max"
	printf '%-44s %11s %11s %11s\n' "sandbox, $m (runsc do --platform=ptrace)" \
		"$s_med" "$s_min" "$s_max"
	# shellcheck disable=SC2086
	read -r t_med t_min t_max < <(stats ${results[trap_$m]})
	# shellcheck disable=SC2086
	read -r y_med y_min y_max < <(stats ${results[systrap_$m]})
	med[trap_$m]=$t_med
	med[systrap_$m]=$y_med
	printf '%-44s %11s %11s %11s\n' "trap, $m (getpid_loop --trap: SIGSYS)" \
		"$t_med" "$t_min" "$t_max"
	printf '%-44s %11s %11s %11s\n' "systrap, $m (runsc do --platform=systrap)" \
		"$y_med" "$y_min" "$y_max"
	# shellcheck disable=SC2086
	read -r p_med p_min p_max < <(stats ${results[patched_$m]})
	med[patched_$m]=$p_med
	printf '%-44s %11s %11s %11s\n' "patched, $m (systrap --syscall-patching)" \
		"$p_med" "$p_min" "$p_max"
done
# shellcheck disable=SC2086
read -r u_med u_min u_max < <(stats ${results[sud]})
printf '%-44s %11s %11s %11s\n' "sud (getpid_loop --sud: syscall user dispatch)" \
	"$u_med" "$u_min" "$u_max"
echo
echo "sud/trap (free): $(ratio "$u_med" "${med[trap_free]:-${med[trap_onecpu]}}")x"
for m in "${modes[@]}"; do
	f=${med[floor_$m]} s=${med[sandbox_$m]}
	target=$(awk -v s="$s" -v f="$f" 'BEGIN { print (s / f <= 1.2) ? "met" : "NOT met" }')
	echo "$m: floor/native $(ratio "$f" "$n_med")x  sandbox/native $(ratio "$s" "$n_med")x" \
		" sandbox/floor $(ratio "$s" "$f")x (target <= 1.2x: $target)"
	t=${med[trap_$m]} y=${med[systrap_$m]}
	target=$(awk -v s="$s" -v y="$y" 'BEGIN { print (s / y >= 3) ? "met" : "NOT met" }')
	echo "$m: trap/native $(ratio "$t" "$n_med")x  systrap/native $(ratio "$y" "$n_med")x" \
		" systrap/trap $(ratio "$y" "$t")x  ptrace/systrap $(ratio "$s" "$y")x" \
		"(target >= 3x: $target)"
	p=${med[patched_$m]}
	target=$(awk -v p="$p" -v n="$n_med" 'BEGIN { print (p / n <= 5) ? "met" : "NOT met" }')
	echo "$m: patched/native $(ratio "$p" "$n_med")x  systrap/patched $(ratio "$y" "$p")x" \
		" ptrace/patched $(ratio "$s" "$p")x (target patched/native <= 5x: $target)"
done
