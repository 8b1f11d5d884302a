#!/usr/bin/env bash
# Installs the dependencies, builds runsc, checks the formatting and runs every test:
# unit tests, the syscall suite (each test natively, then under each platform) and the
# end-to-end, OCI and security tests (on the default platform, systrap, then again on
# ptrace). Exits non-zero if anything fails. Then prints the container start-up
# benchmark (bench/startup, a few rounds) and the network benchmark (bench/net, one short
# round): their ratios are figures, not checks; they fail only when their baseline (runc)
# cannot run a container, or a transfer in the sandbox fails or stalls.
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
BENCH_ROUNDS=1 BENCH_MIB=64 BENCH_ITERS=2000 BENCH_IPERF_SECONDS=2 \
	meson test -C build --benchmark --verbose net
