#!/usr/bin/env bash
# Installs the dependencies, builds runsc, and runs a demo program in the sandbox:
# first natively, then under `runsc do`, then under `runsc --strace do`.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build >/dev/null
demo=build/tests/e2e/demo
echo "== natively"
"$demo" && status=0 || status=$?
echo "(exit code $status)"
echo "== in the sandbox: runsc do $demo"
./build/runsc-cli/runsc do "$demo" && status=0 || status=$?
echo "(exit code $status)"
echo "== with --strace"
./build/runsc-cli/runsc --strace do "$demo" >/dev/null && status=0 || status=$?
echo "(exit code $status)"
