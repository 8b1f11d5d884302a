#!/usr/bin/env bash
# Installs the dependencies, builds runsc, checks the formatting and runs every test:
# unit tests, the syscall suite (each test natively, then under each platform) and the
# end-to-end, OCI and security tests (on the default platform, systrap, then again on
# ptrace). Exits non-zero if anything fails. Then prints the container start-up
# benchmark (bench/startup, a few rounds): its ratios are figures, not checks; it fails
# only when its baseline, runc, cannot run a container.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
if [ -f build/build.ninja ]; then
	meson setup --reconfigure build >/dev/null
else
	meson setup build >/dev/null
fi
ninja -C build
./scripts/check-format.sh
meson test -C build --print-errorlogs --num-processes 2
RUNSC_PLATFORM=ptrace meson test -C build --print-errorlogs --num-processes 2 \
	--suite e2e --suite oci --suite security
BENCH_ROUNDS=3 meson test -C build --benchmark --verbose startup
