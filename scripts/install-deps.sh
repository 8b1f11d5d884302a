#!/usr/bin/env bash
# Installs what runsc needs to build and test, from Debian 12's packages.
# Run as root. Safe to run again: apt skips what is already installed.
set -euo pipefail

# build-essential brings libc6-dev, whose libc.a builds the static test programs;
# libcmocka-dev is for the unit tests, clang-format for the formatting check;
# util-linux's unshare runs the native half of each syscall test as a pid-namespace init,
# bsdutils' script(1) gives the terminal test a pty, procps' pgrep finds stubs, and
# busybox-static (checked with file(1)) is a real static program for the e2e tests.
# The OCI tests (tests/e2e/oci_*.sh) and bench/startup drive the runtime through real
# clients, each a private instance: podman with conmon; containerd with ctr and
# containerd-shim-runc-v2; docker.io's dockerd 20.10 (its client goes to /usr/bin/docker
# and leaves a newer one in /usr/local/bin alone; on a machine with systemd and no
# policy-rc.d, installing it also starts the system's dockerd, which the tests never use).
# runc is their baseline runtime, crun the other one the benchmark tries; jq reads the
# runtimes' JSON (and iperf3's, for bench/net). No CNI plugins: every container runs
# without a network. iperf3 is bench/net's third-party load, inside and outside the sandbox.
packages=(
	build-essential meson ninja-build pkg-config
	libseccomp-dev libunwind-dev libjansson-dev liblwip-dev
	libcmocka-dev clang-format valgrind util-linux bsdutils procps busybox-static file python3
	podman conmon containerd docker.io runc crun jq iperf3
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
