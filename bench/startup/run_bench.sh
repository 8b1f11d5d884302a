#!/usr/bin/env bash
# bench/startup: what starting a container costs with runsc against runc (the native
# baseline) and crun, run interleaved in one go and printed as ratios. Cases:
#   case                  what runs (RT is runsc, runc or crun)
#   RT run                RT --root DIR/root-RT run --bundle DIR/bundle ID
#   podman run RT         podman run --rm --runtime RT --cgroup-parent /NAME IMAGE true
# The bundle is tests/e2e/oci/make_bundle.sh's busybox-static rootfs with args ["true"]
# (runc spec's namespaces and mounts); `RT run` creates, starts, waits for and deletes the
# container, so the figure is the whole life of an empty container. IMAGE is the same rootfs
# `podman import`ed into a private podman (tests/e2e/oci/lib.sh: its storage, containers.conf
# with the runtimes runsc, runc and crun, cgroupfs, no network, the machine's rlimits);
# `podman run --rm` adds podman, conmon, the overlay mount and the removal around the same
# runtime calls. Every figure is the wall time of the whole command, measured by this script.
#
# Usage: run_bench.sh RUNSC [-r ROUNDS]
#   ROUNDS  rounds; each runs every case once, in the order of the table (default 10, or
#           $BENCH_ROUNDS)
# Before the rounds, each case runs once untimed (a warm-up, and a check that it works at
# all). A case whose run fails (runsc without the verb yet, crun, which refuses every
# container on this machine's hybrid cgroups, a missing program) is reported as failed, with
# its error, and left out; so is one that hangs (killed after $BENCH_TIMEOUT seconds,
# default 60). The table gives, per case, the median of the rounds with min and max; then
# runsc/runc and crun/runc, the ratios of the medians. The script exits non-zero only when
# the baseline (runc) fails, and never because of a ratio. Its files, containers, cgroups
# and processes are removed when it exits, whatever the reason.
set -uo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/../lib.sh"

usage() {
	echo "usage: $0 RUNSC [-r ROUNDS]" >&2
	exit 2
}

[ $# -ge 1 ] || usage
runsc=$1
shift
rounds=${BENCH_ROUNDS:-10}
# No run takes more than a few seconds; one that takes this long has hung.
run_timeout=${BENCH_TIMEOUT:-60}
while getopts "r:" opt; do
	case $opt in
	r) rounds=$OPTARG ;;
	*) usage ;;
	esac
done
[ $OPTIND -gt $# ] || usage
for v in "$rounds" "$run_timeout"; do
	[[ $v =~ ^[1-9][0-9]*$ ]] || usage
done
[ "$(id -u)" -eq 0 ] || { echo "$0: needs root (containers)" >&2; exit 2; }
lib=$(dirname "$0")/../../tests/e2e/oci/lib.sh
[ -f "$lib" ] || { echo "$0: $lib: not found" >&2; exit 2; }
# shellcheck source=../../tests/e2e/oci/lib.sh
. "$lib"
# A runtime that is not installed is a failed case, not a reason to stop.
runsc=$(realpath -s -- "$runsc")
runc=$(command -v runc || echo /usr/sbin/runc)
crun=$(command -v crun || echo /usr/bin/crun)
runtimes=(runsc runc crun)
declare -A path=([runsc]=$runsc [runc]=$runc [crun]=$crun)

# Our files: one mktemp directory; our containers: ids with its name, under the cgroup /NAME.
dir=''
cleanup() {
	set +e
	[ -n "$dir" ] || return 0
	oci_podman_cleanup "$dir"
	local rt d id
	for rt in "${runtimes[@]}"; do
		for d in "$dir/root-$rt"/*/; do
			[ -d "$d" ] || continue
			id=$(basename "$d")
			timeout -k 5 20 "${path[$rt]}" --root "$dir/root-$rt" delete --force "$id" >/dev/null 2>&1
		done
	done
	oci_kill_procs "$dir" "$name-"
	oci_unmount_under "$dir"
	rm -rf -- "$dir"
	oci_cgroup_remove "$name"
	for id in "${run_ids[@]}"; do
		oci_cgroup_remove "$id"
	done
}
run_ids=()
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
dir=$(mktemp -d /var/tmp/startup-bench.XXXXXX)
name=${dir##*/}
name=${name//./-}

img=localhost/startup-bench:true
oci_make_bundle "$dir/bundle" true || { echo "$0: cannot build the bundle" >&2; exit 1; }
oci_rootfs_tar "$dir/bundle/rootfs" "$dir/rootfs.tar" || exit 1
podman_ok=yes podman_why=''
if ! command -v podman >/dev/null || ! command -v conmon >/dev/null; then
	podman_ok=no podman_why="podman or conmon is not installed"
else
	oci_podman_setup "$dir" "runsc=$runsc" "runc=$runc" "crun=$crun"
	if ! why=$(timeout -k 5 "$run_timeout" bash -c '"$@"' bash oci_podman_import "$dir/rootfs.tar" "$img" 2>&1); then
		podman_ok=no podman_why="podman import failed: $(head -n 3 <<<"$why")"
	fi
fi

# The cases, as parallel arrays: name, the runtime whose ratio to runc is printed, and why
# it failed (empty: it works).
names=() rts=() kinds=() failed=()
for rt in "${runtimes[@]}"; do
	names+=("$rt run") rts+=("$rt") kinds+=(run) failed+=('')
done
for rt in "${runtimes[@]}"; do
	names+=("podman run --rm $rt") rts+=("$rt") kinds+=(podman)
	if [ "$podman_ok" = yes ]; then failed+=(''); else failed+=("$podman_why"); fi
done

# run_case C SEQ: runs case C once; sets ms (the wall time), or returns 1 and sets why.
ms='' why=''
run_case() {
	local c=$1 seq=$2 rt=${rts[$1]} cmd out status=0 t0 t1
	if [ "${kinds[c]}" = run ]; then
		local id=$name-$rt-$seq
		run_ids+=("$id")
		cmd=("${path[$rt]}" --root "$dir/root-$rt" run --bundle "$dir/bundle" "$id")
	else
		cmd=(podman run --rm --runtime "$rt" --cgroup-parent "/$name" "$img" true)
	fi
	t0=${EPOCHREALTIME/[.,]/}
	out=$(timeout -k 5 "$run_timeout" "${cmd[@]}" 2>&1 </dev/null) || status=$?
	t1=${EPOCHREALTIME/[.,]/}
	if [ "$status" -eq 0 ]; then
		ms=$(awk -v us=$((t1 - t0)) 'BEGIN { printf "%.1f", us / 1000 }')
		return 0
	fi
	if [ "$status" -eq 124 ] || [ "$status" -eq 137 ] && [ $((t1 - t0)) -ge $((run_timeout * 1000000)) ]; then
		why="hung: killed after $run_timeout s"
	else
		why="exit status $status${out:+: $(head -n 3 <<<"$out" | tr '\n' ' ' | head -c 300)}"
	fi
	[ "${kinds[c]}" != run ] ||
		timeout -k 5 20 "${path[$rt]}" --root "$dir/root-$rt" delete --force "$id" >/dev/null 2>&1
	return 1
}

model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
hyper=$(dmesg 2>/dev/null | sed -n 's/.*Hypervisor detected: //p' | head -n 1 || true)
echo "bench/startup: container start-up, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine: $(nproc) CPUs, ${model:-unknown CPU}, kernel $(uname -r)${hyper:+, hypervisor $hyper}"
echo "runtimes: runsc $runsc; runc $runc ($("$runc" --version 2>/dev/null | head -n 1));" \
	"crun $crun ($("$crun" --version 2>/dev/null | head -n 1))"
echo "podman: $(podman version --format '{{.Client.Version}}' 2>/dev/null || echo none), conmon" \
	"$(conmon --version 2>/dev/null | head -n 1 | sed 's/conmon version //')"
echo "runs: $rounds interleaved rounds after one untimed run of each case; wall time of the" \
	"whole command, in ms"
echo

# The untimed first run of each case: a warm-up, and whether it works at all.
for c in "${!names[@]}"; do
	[ -z "${failed[c]}" ] || continue
	if ! run_case "$c" 0; then
		failed[c]=$why
	fi
done
for c in "${!names[@]}"; do
	[ -z "${failed[c]}" ] || echo "${names[c]}: FAILED, left out: ${failed[c]}"
done
echo

declare -A results
for ((r = 1; r <= rounds; r++)); do
	line=$(printf 'round %-3d' "$r")
	for c in "${!names[@]}"; do
		[ -z "${failed[c]}" ] || continue
		if run_case "$c" "$r"; then
			results[$c]+="$ms "
			line+=$(printf '  %s %8s' "${names[c]}" "$ms")
		else
			failed[c]="round $r: $why"
			echo "${names[c]}: FAILED in round $r, left out from now on: $why"
		fi
	done
	echo "$line"
done
echo

printf '%-22s %10s %10s %10s\n' "case" "median ms" "min" "max"
declare -A med
for c in "${!names[@]}"; do
	if [ -n "${failed[c]}" ] || [ -z "${results[$c]:-}" ]; then
		printf '%-22s %10s\n' "${names[c]}" "failed"
		continue
	fi
	# shellcheck disable=SC2086
	read -r m lo hi < <(stats ${results[$c]})
	med[$c]=$m
	printf '%-22s %10s %10s %10s\n' "${names[c]}" "$m" "$lo" "$hi"
done
echo "(medians of the rounds, then their min and max)"
echo

# Ratios to runc (the native baseline) of the same kind of case.
status=0
for c in "${!names[@]}"; do
	[ "${rts[c]}" = runc ] || continue
	base=$c
	if [ -z "${med[$base]:-}" ]; then
		echo "${names[c]}: the baseline failed: no ratios for ${kinds[c]}"
		status=1
		continue
	fi
	for o in "${!names[@]}"; do
		[ "${kinds[o]}" = "${kinds[c]}" ] && [ "$o" != "$base" ] || continue
		if [ -z "${med[$o]:-}" ]; then
			printf '%-22s %8s   (%s failed)\n' "${names[o]}" "-" "${rts[o]}"
		else
			printf '%-22s %7sx   %s/runc: %s ms against %s ms\n' "${names[o]}" \
				"$(awk -v a="${med[$o]}" -v b="${med[$base]}" 'BEGIN { printf "%.2f", a / b }')" \
				"${rts[o]}" "${med[$o]}" "${med[$base]}"
		fi
	done
done
exit $status
