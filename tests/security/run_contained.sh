#!/bin/bash
# run_contained.sh RUNSC PROG: runs PROG in the sandbox; it must exit 0 (contained).
set -u
runsc=$1 prog=$2
timeout --kill-after=5 60 "$runsc" do "$prog" </dev/null
status=$?
[ $status -eq 0 ] && exit 0
echo "FAIL: $prog exited $status in the sandbox"
exit 1
