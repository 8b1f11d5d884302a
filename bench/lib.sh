# shellcheck shell=bash
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
# (separated by spaces or commas), each of ptrace and systrap at most once.
# Returns 1, with platforms empty, when LIST is empty or names another.
parse_platforms() {
	# shellcheck disable=SC2034 # the caller's array
	platforms=()
	local list p q
	IFS=', ' read -r -a list <<<"$1"
	[ ${#list[@]} -gt 0 ] || return 1
	for p in "${!list[@]}"; do
		case ${list[p]} in
		ptrace | systrap) ;;
		*) return 1 ;;
		esac
		for ((q = 0; q < p; q++)); do
			[ "${list[q]}" != "${list[p]}" ] || return 1
		done
	done
	# shellcheck disable=SC2034
	platforms=("${list[@]}")
}
