#!/bin/bash
# Builds the busybox test container of the OCI tests by hand, from Debian's busybox-static
# (the functions are in lib.sh, next to this script; the tests call them directly):
#   make_bundle.sh BUNDLE [ARG...]        an OCI bundle: BUNDLE/rootfs and BUNDLE/config.json
#                                         (runc spec's shape, terminal false, args ARG..., default sh)
#   make_bundle.sh --rootfs-tar OUT       a tarball of the rootfs, for `podman import` / `docker import`
#   make_bundle.sh --image-tar OUT NAME   an image tarball, both an OCI image layout (for
#                                         `ctr image import`) and a `docker save` archive
#                                         (for `docker load`, `podman load`), named NAME
# Example: make_bundle.sh /tmp/b sh -c 'echo hello' && runc run --bundle /tmp/b test1
set -u
. "$(dirname "$0")/lib.sh"

usage() {
	echo "usage: $0 BUNDLE [ARG...] | --rootfs-tar OUT | --image-tar OUT NAME" >&2
	exit 2
}

[ $# -ge 1 ] || usage
case $1 in
--rootfs-tar | --image-tar)
	mode=$1
	if [ "$mode" = --rootfs-tar ]; then [ $# -eq 2 ] || usage; else [ $# -eq 3 ] || usage; fi
	out=$2
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/oci-rootfs.XXXXXX") || exit 1
	trap 'rm -rf "$tmp"' EXIT
	oci_make_rootfs "$tmp/rootfs" || exit 1
	if [ "$mode" = --rootfs-tar ]; then
		oci_rootfs_tar "$tmp/rootfs" "$out" || exit 1
	else
		oci_make_image_tar "$tmp/rootfs" "$out" "$3" || exit 1
	fi
	;;
-*) usage ;;
*)
	bundle=$1
	shift
	[ ! -e "$bundle/config.json" ] || { echo "$0: $bundle/config.json exists" >&2; exit 1; }
	oci_make_bundle "$bundle" "$@" || exit 1
	;;
esac
