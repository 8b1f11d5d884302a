#!/usr/bin/env bash
# bench/net: what loopback networking costs in the sandbox, on each platform,
# against the same work on the host's loopback, run interleaved in one go and
# printed as ratios. The sides are native, ptrace (`RUNSC do
# --platform=ptrace`) and systrap (`RUNSC do --platform=systrap`; -p chooses
# the platforms); every round runs every case on each side, in that order.
# Both ends of every connection run on the same side: in the sandbox they
# are two processes of one sandbox, talking through the sentry's own stack
# (sentry/net/stack.h), and no packet reaches the host.
# Cases:
#   case               what runs (natively; in the sandbox under `RUNSC do --platform=P`)
#   TCP stream N MiB   net_ops stream MIB       (64 KiB writes and reads, 127.0.0.1)
#   TCP 64 B req/resp  net_ops rr ITERS         (TCP_NODELAY on both ends)
#   UDP 64 B req/resp  net_ops udp_rr ITERS     (two connected UDP sockets)
#   iperf3 TCP         /bin/sh -c 'iperf3 -s -1 -B 127.0.0.1 -p PORT & sleep 1;
#                        iperf3 -c 127.0.0.1 -p PORT -t SECS -J; ...'
# net_ops prints its own figure (MiB/s, after the first read; µs per round
# trip, after a warm-up of a tenth); sandbox start-up is not in it. For
# iperf3 the figure is the receiver's bits_per_second from the client's JSON
# (end.sum_received), in Gbit/s (10^9). PORT is a random port from 20000 to
# 59999, and another is tried when iperf3 says it is in use.
# The issue's targets: the TCP stream at least 60% of native throughput, the
# TCP request/response within 2x of native latency; each is checked for each
# platform. Ratios are sandbox/native figures: for the throughputs higher is
# better, for the latencies lower is.
#
# Usage: run_bench.sh RUNSC NET_OPS [-r ROUNDS] [-s MIB] [-i ITERS] [-t SECS] [-p PLATFORMS] [-n]
#   ROUNDS  rounds; each runs every case natively, then in the sandbox on
#           each platform (default 3, or $BENCH_ROUNDS)
#   MIB     MiB per TCP stream run (default 256, or $BENCH_MIB)
#   ITERS   round trips per request/response run (default 10000, or $BENCH_ITERS)
#   SECS    seconds per iperf3 run (default 3, or $BENCH_IPERF_SECONDS)
#   PLATFORMS  the sandbox's platforms to measure, separated by spaces or
#           commas: ptrace, systrap or both (default "ptrace systrap", or
#           $BENCH_PLATFORMS)
#   -n      native only: no sandbox runs, so no ratios (RUNSC is not run)
# Each table gives, per case and side, the median of the rounds, with min and
# max. A run that fails, prints no figure, or hangs (it is killed after
# $BENCH_TIMEOUT seconds, default 60) is reported with its command and
# output, the case is marked failed on that side, and the rounds go on.
# The script exits non-zero when a net_ops run failed, and never because of
# a ratio: the targets are printed as met / NOT met, for information. An
# iperf3 run that fails is reported the same way but does not fail the
# script, since iperf3 uses calls beyond what the stack promises; when it
# fails in the sandbox it is run once more under `RUNSC --strace`, and the
# calls that failed with ENOSYS, EOPNOTSUPP, ENOPROTOOPT or EINVAL are
# printed. Without iperf3 (Debian's package; scripts/install-deps.sh
# installs it) or jq, that case is not run. Its files are removed when it
# exits, whatever the reason.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/../lib.sh"

usage() {
	echo "usage: $0 RUNSC NET_OPS [-r ROUNDS] [-s MIB] [-i ITERS] [-t SECS] [-p PLATFORMS] [-n]" >&2
	exit 2
}

[ $# -ge 2 ] || usage
runsc=$1 net_ops=$2
shift 2
rounds=${BENCH_ROUNDS:-3}
mib=${BENCH_MIB:-256}
iters=${BENCH_ITERS:-10000}
secs=${BENCH_IPERF_SECONDS:-3}
# No run takes more than a few seconds; one that takes this long has hung.
run_timeout=${BENCH_TIMEOUT:-60}
platforms_arg=${BENCH_PLATFORMS:-ptrace systrap}
native_only=no
while getopts "r:s:i:t:p:n" opt; do
	case $opt in
	r) rounds=$OPTARG ;;
	s) mib=$OPTARG ;;
	i) iters=$OPTARG ;;
	t) secs=$OPTARG ;;
	p) platforms_arg=$OPTARG ;;
	n) native_only=yes ;;
	*) usage ;;
	esac
done
[ $OPTIND -gt $# ] || usage
for v in "$rounds" "$mib" "$iters" "$secs" "$run_timeout"; do
	[[ $v =~ ^[1-9][0-9]*$ ]] || usage
done
if [ "$mib" -gt 1048576 ] || [ "$iters" -gt 10000000 ] || [ "$secs" -gt 600 ]; then
	usage
fi
# The platforms, each once; none with -n.
platforms=()
if [ "$native_only" = no ]; then
	parse_platforms "$platforms_arg" || usage
fi
[ -x "$net_ops" ] || { echo "$0: $net_ops: not an executable" >&2; exit 2; }
if [ "$native_only" = no ]; then
	[ -x "$runsc" ] || { echo "$0: $runsc: not an executable" >&2; exit 2; }
fi
# The sandbox runs NET_OPS from the caller's working directory, but an
# absolute path does not depend on it.
net_ops=$(readlink -f "$net_ops")
iperf3_missing=''
for tool in iperf3 jq; do
	command -v "$tool" >/dev/null || iperf3_missing+="${iperf3_missing:+, }$tool not found"
done

# Our files: one mktemp directory, removed at exit.
dir=''
cleanup() {
	[ -z "$dir" ] || rm -rf -- "$dir" || true
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
dir=$(mktemp -d /var/tmp/net-bench.XXXXXX)

# The iperf3 pair, as one shell command: $1 is the port, $2 the seconds. The
# server's output goes to stderr, the client's JSON to stdout; the exit
# status is the client's if it failed (the server is then killed, since it
# waits for a client), the server's otherwise.
# shellcheck disable=SC2016 # expanded by that shell, not this one
iperf3_sh='iperf3 -s -1 -B 127.0.0.1 -p "$1" >&2 & s=$!
sleep 1
iperf3 -c 127.0.0.1 -p "$1" -t "$2" -J
c=$?
[ $c -eq 0 ] || kill $s 2>/dev/null
wait $s
w=$?
[ $c -eq 0 ] || exit $c
exit $w'

# side_cmd SIDE CMD...: sets cmd to CMD, natively or in a new sandbox on
# platform SIDE, with RUNSC's global flags from $runsc_flags.
runsc_flags=()
side_cmd() {
	local side=$1
	shift
	cmd=("$@")
	if [ "$side" != native ]; then
		sandbox_cmd "$runsc" "$side" ${runsc_flags[@]+"${runsc_flags[@]}"}
		cmd=("${sandbox[@]}" "$@")
	fi
}

# run_cmd: runs $cmd with the timeout, stdout to $dir/out and stderr to
# $dir/err, and sets status (124 or 137: killed at the timeout).
status=0
run_cmd() {
	status=0
	timeout -k 5 "$run_timeout" "${cmd[@]}" >"$dir/out" 2>"$dir/err" </dev/null || status=$?
}

# report CASE SIDE WHAT: says on stderr that a run of CASE on SIDE failed,
# with its command and output.
report() {
	local what=$3
	if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
		what="hung: killed after $run_timeout s"
	fi
	# The iperf3 pair's script on one line; the ends of its output.
	local line="${cmd[*]}"
	echo "$0: $1, $2: $what: ${line//$'\n'/; }" >&2
	{ tail -n 10 "$dir/out"; tail -n 30 "$dir/err"; } | sed 's/^/    /' >&2
}

# run_op CASE SIDE KEY OP N: one net_ops run; sets val to its figure (the
# value of KEY=), or returns 1 after reporting why there is none.
val=''
run_op() {
	local case=$1 side=$2 key=$3
	shift 3
	side_cmd "$side" "$net_ops" "$@"
	run_cmd
	if [ "$status" -ne 0 ]; then
		report "$case" "$side" "failed with status $status"
		return 1
	fi
	val=$(sed -n "s/^$1 $key=\([0-9.]*\)\$/\1/p" "$dir/out" | head -n 1)
	if [ -z "$val" ]; then
		report "$case" "$side" "no '$1 $key=N' line"
		return 1
	fi
}

# iperf3_diagnose CASE SIDE PORT: runs the sandbox's iperf3 pair once more
# under RUNSC --strace, and prints the calls that failed with an errno saying
# "not supported".
iperf3_diagnose() {
	local case=$1 side=$2 port=$3 log=$dir/strace.log calls=''
	runsc_flags=(--strace --debug-log="$log")
	side_cmd "$side" /bin/sh -c "$iperf3_sh" sh "$port" "$secs"
	runsc_flags=()
	run_cmd
	if [ -f "$log" ]; then
		# "[ TID] name(args) = -ERRNO (...)": the name, the first three
		# arguments (for getsockopt and setsockopt: fd, level, option) and
		# the errno.
		calls=$(sed -n 's/^\[ *[0-9]*\] \([a-z0-9_]*\)(\([^,)]*\(,[^,)]*\)\{0,2\}\).* = -\(ENOSYS\|EOPNOTSUPP\|ENOPROTOOPT\|EINVAL\) .*/\1(\2, ...) = -\4/p' \
			"$log" | grep -v '^rseq(' | sort | uniq -c | sort -rn | head -n 20 || true)
		rm -f -- "$log"
	fi
	echo "$0: $case, $side: run again under --strace (status $status):" \
		"the calls that failed with ENOSYS, EOPNOTSUPP, ENOPROTOOPT or EINVAL" \
		"(rseq's ENOSYS is expected and left out):" >&2
	[ -n "$calls" ] || calls="(none)"
	printf '%s\n' "$calls" | sed 's/^ */    /' >&2
}

# run_iperf3 CASE SIDE: one iperf3 pair; sets val to the receiver's Gbit/s,
# or returns 1 after reporting why there is none.
run_iperf3() {
	local case=$1 side=$2 port
	for _ in 1 2 3 4 5; do
		port=$((20000 + RANDOM % 40000))
		side_cmd "$side" /bin/sh -c "$iperf3_sh" sh "$port" "$secs"
		run_cmd
		grep -qi 'in use' "$dir/out" "$dir/err" || break
	done
	val=$(jq -r '.end.sum_received.bits_per_second // empty' "$dir/out" 2>/dev/null || true)
	if [ "$status" -eq 0 ] && [ -n "$val" ]; then
		val=$(awk -v b="$val" 'BEGIN { printf "%.2f", b / 1e9 }')
		return 0
	fi
	local why
	why=$(jq -r '.error // empty' "$dir/out" 2>/dev/null || true)
	report "$case" "$side" "failed with status $status${why:+: iperf3 says: $why}"
	[ "$side" = native ] || iperf3_diagnose "$case" "$side" "$port"
	return 1
}

# The cases, as parallel arrays: name, unit, kind (op: net_ops, whose
# failure fails the script; iperf3), target (">= R" or "<= R" on the
# sandbox/native ratio, or - for none), why the case is not run at all
# (empty: it is), and the arguments of run_op after SIDE, joined by the
# unit separator \x1f.
names=() units=() kinds=() targets=() skip=() args=()
add_case() {
	names+=("$1") units+=("$2") kinds+=("$3") targets+=("$4") skip+=("$5")
	shift 5
	local IFS=$'\x1f'
	args+=("$*")
}
add_case "TCP stream $mib MiB" MiB/s op ">= 0.6" "" MiB_per_s stream "$mib"
add_case "TCP 64 B req/resp" us/rt op "<= 2" "" us_per_rt rr "$iters"
add_case "UDP 64 B req/resp" us/rt op - "" us_per_rt udp_rr "$iters"
add_case "iperf3 TCP ${secs} s" Gbit/s iperf3 - "$iperf3_missing"
sides=(native "${platforms[@]}")

model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
hyper=$(dmesg 2>/dev/null | sed -n 's/.*Hypervisor detected: //p' | head -n 1 || true)
echo "bench/net: loopback TCP and UDP, and iperf3, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine: $(nproc) CPUs, ${model:-unknown CPU}, kernel $(uname -r)${hyper:+, hypervisor $hyper}"
echo "runs: $rounds interleaved rounds; $mib MiB per stream run, $iters round trips per" \
	"request/response run (after a tenth as many untimed), $secs s per iperf3 run"
if [ -z "$iperf3_missing" ]; then
	echo "iperf3: $(iperf3 --version | head -n 1)"
fi
if [ "$native_only" = yes ]; then
	echo "sandbox: not run (-n)"
else
	for p in "${platforms[@]}"; do
		sandbox_cmd "$runsc" "$p"
		echo "$p: ${sandbox[*]}"
	done
fi
for c in "${!names[@]}"; do
	[ -z "${skip[c]}" ] || echo "${names[c]}: not run: ${skip[c]}"
done
echo

declare -A results failed
op_failed=no
for ((r = 1; r <= rounds; r++)); do
	for c in "${!names[@]}"; do
		[ -z "${skip[c]}" ] || continue
		IFS=$'\x1f' read -r -a case_args <<<"${args[c]}"
		line=$(printf 'round %d  %-22s' "$r" "${names[c]}")
		for side in "${sides[@]}"; do
			ok=yes
			if [ "${kinds[c]}" = op ]; then
				run_op "${names[c]}" "$side" "${case_args[@]}" || ok=no
			else
				run_iperf3 "${names[c]}" "$side" || ok=no
			fi
			if [ "$ok" = no ]; then
				failed[$c,$side]=yes
				[ "${kinds[c]}" != op ] || op_failed=yes
				line+=$(printf '  %s %10s' "$side" "failed")
				continue
			fi
			results[$c,$side]+="$val "
			line+=$(printf '  %s %10s' "$side" "$val")
		done
		echo "$line ${units[c]}"
	done
done
echo

printf '%-22s %-7s' "case" "unit"
for side in "${sides[@]}"; do
	printf ' %10s %10s %10s' "$side" "min" "max"
done
echo
declare -A med
for c in "${!names[@]}"; do
	printf '%-22s %-7s' "${names[c]}" "${units[c]}"
	for side in "${sides[@]}"; do
		if [ -n "${skip[c]}" ]; then
			printf ' %10s %10s %10s' "not run" "-" "-"
		elif [ -n "${failed[$c,$side]:-}" ]; then
			printf ' %10s %10s %10s' "failed" "-" "-"
		else
			# shellcheck disable=SC2086
			read -r m lo hi < <(stats -d 2 ${results[$c,$side]})
			med[$c,$side]=$m
			printf ' %10s %10s %10s' "$m" "$lo" "$hi"
		fi
	done
	echo
done
echo "(medians of the rounds, then their min and max; a side with a failed run is marked failed)"
echo

if [ "$native_only" = yes ]; then
	echo "no ratios: the sandbox was not run (-n)"
else
	# One column per platform: its median over the native one, and whether
	# that meets the case's target. (Each line is printed without its
	# trailing blanks.)
	line=$(printf '%-22s %-9s' "case" "target")
	for p in "${platforms[@]}"; do
		line+=$(printf '   %-18s' "$p/native")
	done
	echo "${line%"${line##*[! ]}"}"
	for c in "${!names[@]}"; do
		t=${targets[c]}
		tt="(none)"
		[ "$t" = - ] || tt="${t}x"
		line=$(printf '%-22s %-9s' "${names[c]}" "$tt")
		if [ -n "${skip[c]}" ]; then
			echo "$line   not run: ${skip[c]}"
			continue
		fi
		n=${med[$c,native]:-}
		for p in "${platforms[@]}"; do
			s=${med[$c,$p]:-} cell=
			if [ -z "$n" ] || [ -z "$s" ]; then
				cell="failed"
			else
				cell=$(awk -v s="$s" -v n="$n" -v t="$t" 'BEGIN {
					r = s / n; v = ""
					if (t != "-") {
						split(t, a, " ")
						ok = (a[1] == ">=") ? (r >= a[2]) : (r <= a[2])
						v = ok ? " met" : " NOT met"
					}
					printf "%.2fx%s", r, v }')
			fi
			line+=$(printf '   %-18s' "$cell")
		done
		echo "${line%"${line##*[! ]}"}"
	done
	echo "(sandbox/native: for MiB/s and Gbit/s higher is better, for us/rt lower is)"
fi

if [ "$op_failed" = yes ]; then
	echo "$0: a net_ops run failed (see above)" >&2
	exit 1
fi
for c in "${!names[@]}"; do
	for side in "${sides[@]}"; do
		[ -z "${failed[$c,$side]:-}" ] ||
			echo "note: ${names[c]} failed on $side (see above); iperf3 does not fail the run"
	done
done
exit 0
