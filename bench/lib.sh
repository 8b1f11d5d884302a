# shellcheck shell=bash
# shellcheck disable=SC2154 # the report's arrays are the caller's (see below)
# What the benchmarks' run_bench.sh scripts share; each sources it:
#   . "$(dirname "$0")/../lib.sh"
# Every function here is pure: it prints, or sets the variables it names,
# and never exits, so each script keeps its own usage and error handling.

# stats [-d DECIMALS] VALUES...: prints "MEDIAN MIN MAX" of the values,
# with DECIMALS digits after the point (default 1).
stats() {
	local d=1
	if [ "${1:-}" = -d ]; then
		d=$2
		shift 2
	fi
	printf '%s\n' "$@" | sort -g | awk -v d="$d" '{ v[NR] = $1 }
		END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		      f = "%." d "f"
		      printf f " " f " " f "\n", m, v[1], v[NR] }'
}

# ratio A B: A / B with two decimals.
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'
}

# parse_platforms LIST: sets the array platforms to the platforms of LIST
# (separated by spaces or commas), each of ptrace, systrap and
# systrap-patched (systrap with --syscall-patching) at most once.
# Returns 1, with platforms empty, when LIST is empty or names another.
parse_platforms() {
	# shellcheck disable=SC2034 # the caller's array
	platforms=()
	local list p q
	IFS=', ' read -r -a list <<<"$1"
	[ ${#list[@]} -gt 0 ] || return 1
	for p in "${!list[@]}"; do
		case ${list[p]} in
		ptrace | systrap | systrap-patched) ;;
		*) return 1 ;;
		esac
		for ((q = 0; q < p; q++)); do
			[ "${list[q]}" != "${list[p]}" ] || return 1
		done
	done
	# shellcheck disable=SC2034
	platforms=("${list[@]}")
}

# sandbox_cmd RUNSC SIDE [FLAG...]: sets the array sandbox to the command that
# runs a program in a new sandbox on platform SIDE (as parse_platforms names
# them), with runsc's global FLAGs.
sandbox_cmd() {
	local runsc=$1 side=$2
	shift 2
	# shellcheck disable=SC2034 # the caller's array
	case $side in
	systrap-patched) sandbox=("$runsc" "$@" --syscall-patching "do" --platform=systrap) ;;
	*) sandbox=("$runsc" "$@" "do" --platform="$side") ;;
	esac
}

# The report of a benchmark whose cases are the caller's global arrays:
# names[C] and units[C]; sides (native, then the platforms); results[C,SIDE]
# and rates[C,SIDE] (associative: the rounds' figures and MiB/s, separated
# by spaces; results empty: not run on that side); targets[C] (a ratio the
# platform's median over native's must not exceed, or -); optionally
# skip[C] (why a case was not run in the sandbox, or empty). Lines are
# built whole and printed without their trailing blanks.

# print_medians: the table of each case's median, min and max per side;
# sets med[C,SIDE] (associative, declared by the caller).
print_medians() {
	local c side m lo hi
	printf '%-26s %-7s' "case" "unit"
	for side in "${sides[@]}"; do
		printf ' %12s %12s %12s' "$side" "min" "max"
	done
	echo
	for c in "${!names[@]}"; do
		printf '%-26s %-7s' "${names[c]}" "${units[c]}"
		for side in "${sides[@]}"; do
			if [ -z "${results[$c,$side]:-}" ]; then
				printf ' %12s %12s %12s' "not run" "-" "-"
				continue
			fi
			# shellcheck disable=SC2086
			read -r m lo hi < <(stats ${results[$c,$side]})
			med[$c,$side]=$m
			printf ' %12s %12s %12s' "$m" "$lo" "$hi"
		done
		echo
	done
	echo "(medians of the rounds, then their min and max)"
	echo
}

# print_native_rates: each throughput case's native MiB/s (a run with -n).
print_native_rates() {
	local c m
	for c in "${!names[@]}"; do
		if [ -n "${rates[$c,native]:-}" ]; then
			# shellcheck disable=SC2086
			read -r m _ _ < <(stats ${rates[$c,native]})
			echo "${names[c]}: native $m MiB/s"
		fi
	done
	echo "no ratios: the sandbox was not run (-n)"
}

# print_ratios: one column per platform, its median over native's and
# whether that meets the case's target, and the MiB/s of the throughputs.
print_ratios() {
	local c p t tt n s m verdict line
	line=$(printf '%-26s %-8s' "case" "target")
	for p in "${platforms[@]}"; do
		line+=$(printf '   %-16s' "$p/native")
	done
	echo "${line%"${line##*[! ]}"}"
	for c in "${!names[@]}"; do
		t=${targets[c]}
		tt="(none)"
		[ "$t" = - ] || tt="<= ${t}x"
		line=$(printf '%-26s %-8s' "${names[c]}" "$tt")
		if [ -n "${skip[c]:-}" ]; then
			echo "$line   not run in the sandbox: ${skip[c]}"
			continue
		fi
		n=${med[$c,native]}
		for p in "${platforms[@]}"; do
			s=${med[$c,$p]} verdict=
			if [ "$t" != - ]; then
				verdict=$(awk -v s="$s" -v n="$n" -v t="$t" \
					'BEGIN { print (s / n <= t) ? "met" : "NOT met" }')
			fi
			line+=$(printf '   %-16s' "$(ratio "$s" "$n")x${verdict:+ $verdict}")
		done
		if [ -n "${rates[$c,native]:-}" ]; then
			# shellcheck disable=SC2086
			read -r m _ _ < <(stats ${rates[$c,native]})
			line+="   (MiB/s: native $m"
			for p in "${platforms[@]}"; do
				# shellcheck disable=SC2086
				read -r m _ _ < <(stats ${rates[$c,$p]})
				line+=", $p $m"
			done
			line+=")"
		fi
		echo "${line%"${line##*[! ]}"}"
	done
}
