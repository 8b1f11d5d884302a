# A shell script for tests/e2e (processes): run by bash, dash and busybox sh,
# natively and in the sandbox, with the outputs compared. No timing, no pids.
set -u
echo "pipeline: $(printf 'c\nb\na\n' | sort | tr 'a-z' 'A-Z' | head -2 | tr '\n' ' ')"
x=$(echo sub; echo shell)
echo "substitution: $x"
( cd /; echo "subshell in $(pwd)"; exit 3 )
echo "subshell status $?"
sh -c 'exit 5'
echo "child status $?"
tmp=${TMPDIR:-/tmp}/e2e-shell-$$
mkdir -p "$tmp"
echo one >"$tmp/f"
echo two >>"$tmp/f"
wc -l <"$tmp/f" | tr -d ' '
cat <<HERE
here-document with $x
HERE
ls /nonexistent 2>"$tmp/err" || echo "redirected stderr: $(wc -l <"$tmp/err" | tr -d ' ') line"
for i in 1 2 3; do
	(echo "job $i" >"$tmp/job$i") &
done
wait
cat "$tmp/job1" "$tmp/job2" "$tmp/job3"
# Whether a shell reports "Terminated" for the killed job depends on when its SIGCHLD comes:
# keep its stderr out of the comparison.
(
	sleep 30 &
	bg=$!
	kill "$bg"
	wait "$bg"
	echo "killed job status $?"
) 2>/dev/null
trap 'echo "trapped USR1"' USR1
kill -USR1 $$
trap - USR1
i=0
while [ "$i" -lt 20 ]; do i=$((i + 1)); done
echo "loop $i"
case "$x" in *shell) echo "case matched" ;; esac
rm -rf "$tmp"
echo done
