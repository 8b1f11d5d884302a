#!/usr/bin/env bash
# bench/files: what file operations cost in the sandbox, on each platform,
# against the same operations natively, run interleaved in one go and printed
# as ratios. The sides are native, ptrace (`RUNSC do --platform=ptrace`) and
# systrap (`RUNSC do --platform=systrap`; -p chooses the platforms); every
# round runs every case on each side, in that order. Every run is one
# `file_ops OP PATH ITERS`, natively or as `RUNSC do --platform=P ...`:
#   case                     OP                    PATH natively         PATH in the sandbox
#   stat rootfs              stat                  /var/tmp/DIR/small    the same
#   open+read+close rootfs   open_read_close       /var/tmp/DIR/small    the same
#   seq read N MiB rootfs    seq_read (1 pass)     /var/tmp/DIR/big      the same
#   stat tmpfs               stat_tmp              /dev/shm/DIR.small    /tmp/DIR.small
#   open+read+close tmpfs    open_read_close_tmp   /dev/shm/DIR.small    /tmp/DIR.small
#   seq read N MiB tmpfs     seq_read_tmp          /dev/shm/DIR.big      /tmp/DIR.big
# rootfs: files on the host's root file system, which the sandbox sees as its
#   own root. big (N MiB, default 1 GiB) is written once by `file_ops
#   create_file` with a fixed pseudo-random pattern (neither zeros nor
#   sparse), synced so that no writeback runs while we measure, and read once
#   natively so that every read comes from the page cache; small is its
#   first 100 bytes.
# tmpfs: inside the sandbox, / is an overlay whose upper layer is a tmpfs, so
#   a file the program creates under /tmp lives in the sandbox's memory. Each
#   `runsc do` is a new sandbox, so the _tmp operations create their file
#   (100 bytes, or N MiB), time the reads of it, and unlink it; natively the
#   same operations run on /dev/shm.
# stat and open+read+close give ns per operation, after a warm-up of ITERS/10
# (cached lookups); the sequential reads give ns per MiB read with 1 MiB
# read() calls, and MiB/s.
#
# Usage: run_bench.sh RUNSC FILE_OPS [-r ROUNDS] [-i ITERS] [-s MIB] [-p PLATFORMS] [-n]
#   ROUNDS  rounds; each runs every case natively, then in the sandbox on
#           each platform (default 3, or $BENCH_ROUNDS)
#   ITERS   operations per stat and open+read+close run (default 20000, or $BENCH_ITERS)
#   MIB     size of the sequentially read files, in MiB (default 1024, or $BENCH_MIB)
#   PLATFORMS  the sandbox's platforms to measure, separated by spaces or
#           commas: ptrace, systrap or both (default "ptrace systrap", or
#           $BENCH_PLATFORMS)
#   -n      native only: no sandbox runs, so no ratios (RUNSC is not run)
# Each table gives, per case and side, the median of the rounds, with min and
# max; the ratios are each platform's median over the native one, and each
# case's target applies to every platform. The script exits non-zero when a
# run fails or prints no figure, and never because of a ratio: the targets
# are printed as met / NOT met, for information. Its files are removed when
# it exits, whatever the reason.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/../lib.sh"

usage() {
	echo "usage: $0 RUNSC FILE_OPS [-r ROUNDS] [-i ITERS] [-s MIB] [-p PLATFORMS] [-n]" >&2
	exit 2
}

[ $# -ge 2 ] || usage
runsc=$1 file_ops=$2
shift 2
rounds=${BENCH_ROUNDS:-3}
iters=${BENCH_ITERS:-20000}
mib=${BENCH_MIB:-1024}
platforms_arg=${BENCH_PLATFORMS:-ptrace systrap}
native_only=no
while getopts "r:i:s:p:n" opt; do
	case $opt in
	r) rounds=$OPTARG ;;
	i) iters=$OPTARG ;;
	s) mib=$OPTARG ;;
	p) platforms_arg=$OPTARG ;;
	n) native_only=yes ;;
	*) usage ;;
	esac
done
[ $OPTIND -gt $# ] || usage
for v in "$rounds" "$iters" "$mib"; do
	[[ $v =~ ^[1-9][0-9]*$ ]] || usage
done
[ "$mib" -le 1048576 ] || usage
# The platforms, each once; none with -n.
platforms=()
if [ "$native_only" = no ]; then
	parse_platforms "$platforms_arg" || usage
fi
[ -x "$file_ops" ] || { echo "$0: $file_ops: not an executable" >&2; exit 2; }
if [ "$native_only" = no ]; then
	[ -x "$runsc" ] || { echo "$0: $runsc: not an executable" >&2; exit 2; }
fi
# The sandbox runs FILE_OPS from the caller's working directory, but an
# absolute path does not depend on it.
file_ops=$(readlink -f "$file_ops")

# Our files, all named after one mktemp directory, and removed at exit.
dir='' id=''
cleanup() {
	[ -n "$dir" ] || return 0
	rm -rf -- "$dir" || true
	rm -f -- "/dev/shm/$id.small" "/dev/shm/$id.big" || true
	# The sandbox's /tmp is its own tmpfs; this is in case its writes ever
	# reached the host's /tmp.
	rm -f -- "/tmp/$id.small" "/tmp/$id.big" || true
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
dir=$(mktemp -d /var/tmp/files-bench.XXXXXX)
id=${dir##*/}
big=$dir/big small=$dir/small

# run_op CASE SIDE OP PATH ITERS: runs file_ops OP PATH ITERS natively
# (SIDE native) or in a new sandbox on platform SIDE (ptrace or systrap), and
# sets ns (and mibs, for the per-MiB operations) from the line it prints.
# Exits the script, saying which run failed and with its output, if the run
# fails or prints no figure.
ns='' mibs=''
run_op() {
	local case=$1 side=$2 op=$3
	local cmd=("$file_ops" "$3" "$4" "$5")
	if [ "$side" != native ]; then
		sandbox_cmd "$runsc" "$side"
		cmd=("${sandbox[@]}" "${cmd[@]}")
	fi
	local out status=0
	out=$("${cmd[@]}" 2>&1 </dev/null) || status=$?
	if [ "$status" -ne 0 ]; then
		echo "$0: $case, $side: failed with status $status: ${cmd[*]}" >&2
		[ -z "$out" ] || printf '%s\n' "$out" >&2
		exit 1
	fi
	ns=$(sed -n "s/^$op ns_per_op=\([0-9.]*\)\( .*\)\{0,1\}\$/\1/p" <<<"$out" | head -n 1)
	mibs=$(sed -n "s/^$op ns_per_op=[0-9.]* MiB_per_s=\([0-9.]*\)\$/\1/p" <<<"$out" | head -n 1)
	if [ -z "$ns" ]; then
		echo "$0: $case, $side: no '$op ns_per_op=N' line from: ${cmd[*]}" >&2
		[ -z "$out" ] || printf '%s\n' "$out" >&2
		exit 1
	fi
}

# The cases, as parallel arrays: name, unit, op, iters, path natively, path
# in the sandbox, target (the largest sandbox/native ratio aimed at, on each
# platform).
names=() units=() ops=() counts=() native_paths=() sandbox_paths=() targets=()
add_case() {
	names+=("$1") units+=("$2") ops+=("$3") counts+=("$4")
	native_paths+=("$5") sandbox_paths+=("$6") targets+=("$7")
}
add_case "stat rootfs" ns/op stat "$iters" "$small" "$small" 3
add_case "open+read+close rootfs" ns/op open_read_close "$iters" "$small" "$small" 5
add_case "seq read $mib MiB rootfs" ns/MiB seq_read 1 "$big" "$big" 1.2
add_case "stat tmpfs" ns/op stat_tmp "$iters" "/dev/shm/$id.small" "/tmp/$id.small" 3
add_case "open+read+close tmpfs" ns/op open_read_close_tmp "$iters" \
	"/dev/shm/$id.small" "/tmp/$id.small" 5
add_case "seq read $mib MiB tmpfs" ns/MiB seq_read_tmp "$mib" \
	"/dev/shm/$id.big" "/tmp/$id.big" 1.2
sides=(native "${platforms[@]}")

model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
hyper=$(dmesg 2>/dev/null | sed -n 's/.*Hypervisor detected: //p' | head -n 1 || true)
echo "bench/files: file operations, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine: $(nproc) CPUs, ${model:-unknown CPU}, kernel $(uname -r)${hyper:+, hypervisor $hyper}"
echo "files: rootfs in $dir ($(stat -f -c %T "$dir")), tmpfs natively in /dev/shm" \
	"($(stat -f -c %T /dev/shm)), in the sandbox in /tmp"
echo "runs: $rounds interleaved rounds; $iters operations per stat and open+read+close run" \
	"(after $((iters / 10 < 10 ? 10 : iters / 10)) untimed);"
echo "      one pass per seq read run"
if [ "$native_only" = yes ]; then
	echo "sandbox: not run (-n)"
else
	for p in "${platforms[@]}"; do
		sandbox_cmd "$runsc" "$p"
		echo "$p: ${sandbox[*]}"
	done
fi

echo "preparing: $big ($mib MiB), $small (100 bytes)"
run_op "prepare $big" native create_file "$big" "$mib"
sync -- "$big"
head -c 100 -- "$big" >"$small"
run_op "warm the page cache with $big" native seq_read "$big" 1
echo

declare -A results rates
for ((r = 1; r <= rounds; r++)); do
	for c in "${!names[@]}"; do
		line=$(printf 'round %d  %-26s' "$r" "${names[c]}")
		for side in "${sides[@]}"; do
			path=${native_paths[c]}
			[ "$side" = native ] || path=${sandbox_paths[c]}
			run_op "${names[c]}" "$side" "${ops[c]}" "$path" "${counts[c]}"
			results[$c,$side]+="$ns "
			rates[$c,$side]+="${mibs:+$mibs }"
			line+=$(printf '  %s %12s' "$side" "$ns")
		done
		echo "$line ${units[c]}"
	done
done
echo

declare -A med
print_medians
if [ "$native_only" = yes ]; then
	print_native_rates
	exit 0
fi
print_ratios
