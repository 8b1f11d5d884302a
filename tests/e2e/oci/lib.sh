#!/bin/bash
# Shared by the real-client tests (tests/e2e/oci_*.sh), make_bundle.sh and bench/startup:
# a busybox OCI bundle and image, and private instances of podman, containerd and dockerd
# that drive one given OCI runtime binary (build/runsc-cli/runsc, or runc as the reference).
#
# Design:
# - Everything a client writes goes under one directory DIR (mktemp, /var/tmp): storage,
#   state, sockets, logs, FIFOs. The clients never touch the machine's default instances
#   (/var/lib/containers, /run/containerd/containerd.sock, /var/lib/docker): podman reads
#   only DIR/containers.conf and DIR/storage.conf (CONTAINERS_CONF,
#   CONTAINERS_STORAGE_CONF), containerd gets its own config, root, state and socket, and
#   dockerd its own data-root, exec-root, pidfile, socket and containerd.
# - What a client insists on creating outside DIR is listed: podman's image copy writes
#   /var/lib/containers/cache (so the import runs in a private mount namespace with a tmpfs
#   on /var/lib); containerd 1.6's shims put their sockets in /run/containerd/s and dockerd
#   makes /run/docker/plugins (oci_note_dirs / oci_remove_noted_dirs remove them again when
#   they did not exist before and are empty); runc leaves each cgroup's parent directory
#   behind, so every client gets a private cgroup parent /NAME that oci_cgroup_remove
#   removes.
# - This machine's quirks (/work/shared/reference/oci-clients.md, docs/oci-clients.md):
#   cgroups v1 without systemd (cgroup_manager "cgroupfs", events_logger "file"), no
#   registry (images are built here from Debian's busybox-static), no CNI (netns "none"),
#   and the hard nofile and nproc limits cannot be raised (no CAP_SYS_RESOURCE), which
#   podman's defaults try to (see oci_podman_setup).
# - A test runs each client step under timeout(1) (oci_step): a hang is a failure with a
#   message. The leftover checks (oci_procs_matching, oci_mounts_under, ...) look for what
#   the test itself started: processes whose command line names DIR, a marker or a
#   container id; mount points under DIR; cgroups under the private parent.

# oci_fail MESSAGE...: the test fails (the caller's EXIT trap cleans up).
oci_fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# oci_skip MESSAGE...: the test cannot run here (meson counts exit 77 as skipped).
oci_skip() {
	echo "SKIP: $*" >&2
	exit 77
}

# oci_require_root_and CMD...: skips unless root and every CMD is installed.
oci_require_root_and() {
	[ "$(id -u)" -eq 0 ] || oci_skip "needs root"
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null || oci_skip "$c is not installed (scripts/install-deps.sh)"
	done
}

# --- the rootfs, bundle and image ---------------------------------------------------------

# oci_make_rootfs DIR: a root file system with Debian's busybox-static as /bin/busybox, a
# symlink for each of its applets (busybox --list-full: bin/sh, usr/bin/env, ...),
# /etc/passwd and /etc/group with root and nobody, and the directories a container expects.
oci_make_rootfs() {
	local root=$1 busybox=${OCI_BUSYBOX:-/bin/busybox} applet d
	file -L "$busybox" 2>/dev/null | grep -q 'statically linked' ||
		{ echo "oci_make_rootfs: $busybox is not a static busybox (busybox-static)" >&2; return 1; }
	for d in bin sbin usr/bin usr/sbin etc dev proc sys tmp root run var/tmp home; do
		mkdir -p "$root/$d" || return 1
	done
	chmod 1777 "$root/tmp" "$root/var/tmp"
	chmod 0700 "$root/root"
	cp "$busybox" "$root/bin/busybox" || return 1
	while read -r applet; do
		case $applet in
		*/*) [ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet" || return 1 ;;
		esac
	done < <("$busybox" --list-full)
	printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' \
		>"$root/etc/passwd"
	printf '%s\n' 'root:x:0:' 'nogroup:x:65534:' >"$root/etc/group"
}

# oci_make_config BUNDLE ARG...: writes BUNDLE/config.json in the shape of `runc spec`'s
# (same namespaces, mounts, capabilities, masked and read-only paths), with terminal false,
# the given args (default sh) and the hostname oci-test. The root is BUNDLE/rootfs.
oci_make_config() {
	local bundle=$1 args='' a
	shift
	[ $# -gt 0 ] || set -- sh
	for a in "$@"; do
		args+=${args:+, }$(printf '%s' "$a" | jq -R -s .) || return 1
	done
	args="[ $args ]"
	cat >"$bundle/config.json" <<EOF
{
	"ociVersion": "1.0.2-dev",
	"process": {
		"terminal": false,
		"user": { "uid": 0, "gid": 0 },
		"args": $args,
		"env": [
			"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			"TERM=xterm"
		],
		"cwd": "/",
		"capabilities": {
			"bounding": [ "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE" ],
			"effective": [ "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE" ],
			"permitted": [ "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE" ],
			"ambient": [ "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE" ]
		},
		"rlimits": [ { "type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024 } ],
		"noNewPrivileges": true
	},
	"root": { "path": "rootfs", "readonly": true },
	"hostname": "oci-test",
	"mounts": [
		{ "destination": "/proc", "type": "proc", "source": "proc" },
		{ "destination": "/dev", "type": "tmpfs", "source": "tmpfs",
		  "options": [ "nosuid", "strictatime", "mode=755", "size=65536k" ] },
		{ "destination": "/dev/pts", "type": "devpts", "source": "devpts",
		  "options": [ "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5" ] },
		{ "destination": "/dev/shm", "type": "tmpfs", "source": "shm",
		  "options": [ "nosuid", "noexec", "nodev", "mode=1777", "size=65536k" ] },
		{ "destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
		  "options": [ "nosuid", "noexec", "nodev" ] },
		{ "destination": "/sys", "type": "sysfs", "source": "sysfs",
		  "options": [ "nosuid", "noexec", "nodev", "ro" ] },
		{ "destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
		  "options": [ "nosuid", "noexec", "nodev", "relatime", "ro" ] }
	],
	"linux": {
		"resources": { "devices": [ { "allow": false, "access": "rwm" } ] },
		"namespaces": [
			{ "type": "pid" }, { "type": "network" }, { "type": "ipc" },
			{ "type": "uts" }, { "type": "mount" }
		],
		"maskedPaths": [
			"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
			"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware",
			"/proc/scsi"
		],
		"readonlyPaths": [
			"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"
		]
	}
}
EOF
}

# oci_make_bundle BUNDLE ARG...: BUNDLE/rootfs (oci_make_rootfs) and BUNDLE/config.json.
oci_make_bundle() {
	local bundle=$1
	shift
	mkdir -p "$bundle" && oci_make_rootfs "$bundle/rootfs" && oci_make_config "$bundle" "$@"
}

# oci_rootfs_tar ROOTFS OUT: a tarball of ROOTFS, owned by root, in a fixed order.
oci_rootfs_tar() {
	tar --sort=name --owner=0 --group=0 --numeric-owner -C "$1" -cf "$2" .
}

# oci_make_image_tar ROOTFS OUT NAME: an image tarball of one uncompressed layer (ROOTFS)
# that is both an OCI image layout (oci-layout, index.json naming the image NAME with
# io.containerd.image.name, for `ctr image import`) and a `docker save` archive
# (manifest.json, for `docker load` and `podman load`). Default command: sh.
oci_make_image_tar() {
	local rootfs=$1 out=$2 name=$3 work arch layer_sha layer_size cfg_sha cfg_size man_sha man_size
	work=$(mktemp -d "${TMPDIR:-/tmp}/oci-image.XXXXXX") || return 1
	mkdir -p "$work/blobs/sha256"
	case $(uname -m) in
	x86_64) arch=amd64 ;;
	aarch64) arch=arm64 ;;
	*) arch=$(uname -m) ;;
	esac
	oci_rootfs_tar "$rootfs" "$work/layer.tar" || { rm -rf "$work"; return 1; }
	layer_sha=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
	layer_size=$(stat -c %s "$work/layer.tar")
	mv "$work/layer.tar" "$work/blobs/sha256/$layer_sha"
	printf '{"architecture":"%s","os":"linux","config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]},"history":[{"created_by":"tests/e2e/oci/lib.sh: busybox-static"}]}' \
		"$arch" "$layer_sha" >"$work/config.json"
	cfg_sha=$(sha256sum "$work/config.json" | cut -d' ' -f1)
	cfg_size=$(stat -c %s "$work/config.json")
	mv "$work/config.json" "$work/blobs/sha256/$cfg_sha"
	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' \
		"$cfg_sha" "$cfg_size" "$layer_sha" "$layer_size" >"$work/manifest"
	man_sha=$(sha256sum "$work/manifest" | cut -d' ' -f1)
	man_size=$(stat -c %s "$work/manifest")
	mv "$work/manifest" "$work/blobs/sha256/$man_sha"
	printf '{"imageLayoutVersion":"1.0.0"}' >"$work/oci-layout"
	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"}}]}' \
		"$man_sha" "$man_size" "$name" "${name##*:}" >"$work/index.json"
	printf '[{"Config":"blobs/sha256/%s","RepoTags":["%s"],"Layers":["blobs/sha256/%s"]}]' \
		"$cfg_sha" "$name" "$layer_sha" >"$work/manifest.json"
	tar --sort=name --owner=0 --group=0 --numeric-owner -C "$work" -cf "$out" \
		oci-layout index.json manifest.json blobs
	local status=$?
	rm -rf "$work"
	return $status
}

# --- running client steps -----------------------------------------------------------------

# Seconds a client step may take; one that takes longer has hung.
oci_step_timeout=${OCI_STEP_TIMEOUT:-60}
out='' err='' rc=0
# Where oci_step keeps a step's stdout and stderr (a test sets them inside its directory).
oci_out_file='' oci_err_file=''

# oci_step DESC CMD...: runs CMD under timeout(1) with the caller's stdin; sets out (its
# stdout, carriage returns removed), err (its stderr) and rc. A hang fails the test. The
# output goes through files, not a pipe, so that a process CMD leaves behind (ctr forwards
# timeout's SIGTERM to the container and carries on, say) cannot hold the test up; the
# cleanup kills it. CMD may be one of the functions that are exported (export -f) for this.
oci_step() {
	local desc=$1 t0=$SECONDS
	shift
	! declare -F "$1" >/dev/null || set -- bash -c '"$@"' bash "$@"
	[ -n "$oci_out_file" ] || oci_out_file=$(mktemp "${TMPDIR:-/tmp}/oci-step.XXXXXX")
	[ -n "$oci_err_file" ] || oci_err_file=$(mktemp "${TMPDIR:-/tmp}/oci-step.XXXXXX")
	rc=0
	timeout -k 5 "$oci_step_timeout" "$@" >"$oci_out_file" 2>"$oci_err_file" || rc=$?
	out=$(tr -d '\0\r' <"$oci_out_file")
	err=$(head -c 4000 "$oci_err_file" | tr -d '\0')
	if { [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; } && [ $((SECONDS - t0)) -ge "$oci_step_timeout" ]; then
		oci_fail "$desc: hung: killed after $oci_step_timeout s: $*${out:+
stdout: $out}${err:+
stderr: $err}"
	fi
}

# oci_check DESC RC WANT CMD...: oci_step, then the test fails unless CMD exited RC and
# printed exactly WANT on stdout (WANT '*': anything).
oci_check() {
	local desc=$1 want_rc=$2 want=$3
	shift 3
	oci_step "$desc" "$@"
	if [ "$rc" -ne "$want_rc" ]; then
		oci_fail "$desc: exit status $rc, expected $want_rc: $*${out:+
stdout: $out}${err:+
stderr: $err}"
	fi
	if [ "$want" != '*' ] && [ "$out" != "$want" ]; then
		oci_fail "$desc: printed '$out', expected '$want': $*${err:+
stderr: $err}"
	fi
	echo "ok: $desc"
}

# oci_in_tty ROWS COLS CMD...: runs CMD on a new pseudo-terminal of ROWS x COLS (script(1));
# its output is what the terminal showed. Nothing is typed: script's stdin is a FIFO that
# never ends (at the end of its input, script would type an EOF character, which a
# terminal not yet in raw mode echoes into the output). script runs its command with $SHELL,
# which must be bash for printf %q's $'...' quoting (CI runs with SHELL=/bin/sh). For
# oci_step (it execs).
oci_in_tty() {
	local rows=$1 cols=$2 fifo
	shift 2
	fifo=$(mktemp -u "${TMPDIR:-/tmp}/oci-tty.XXXXXX") && mkfifo "$fifo" || return 1
	exec 0<>"$fifo"
	rm -f "$fifo"
	SHELL=/bin/bash exec script -qec "stty rows $rows cols $cols && exec $(printf '%q ' "$@")" /dev/null
}
export -f oci_in_tty

# oci_wait_for DESC SECONDS CMD...: retries CMD every 0.1 s until it succeeds; fails the
# test after SECONDS.
oci_wait_for() {
	local desc=$1 secs=$2 i
	shift 2
	for ((i = 0; i < secs * 10; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	oci_fail "$desc: not after $secs s: $*"
}

# --- leftovers ----------------------------------------------------------------------------

# oci_procs_matching STRING...: the pids of the live (not zombie) processes whose command
# line contains one of the strings, except this shell.
oci_procs_matching() {
	local p cmd s state
	for p in /proc/[0-9]*; do
		p=${p#/proc/}
		[ "$p" != "$$" ] && [ "$p" != "$BASHPID" ] || continue
		cmd=$(tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline") || continue
		[ -n "$cmd" ] || continue
		state=$(sed -n 's/^State:[[:space:]]*\(.\).*/\1/p' "/proc/$p/status" 2>/dev/null)
		[ "$state" != Z ] || continue
		for s in "$@"; do
			if [[ $cmd == *"$s"* ]]; then
				echo "$p"
				break
			fi
		done
	done
}

# oci_alive PID: PID is a live process (not a zombie waiting for a parent to reap it).
oci_alive() {
	local state
	state=$(sed -n 's/^State:[[:space:]]*\(.\).*/\1/p' "/proc/$1/status" 2>/dev/null)
	[ -n "$state" ] && [ "$state" != Z ]
}

# oci_describe_procs PID...: one line per process, for a failure message.
oci_describe_procs() {
	local p
	for p in "$@"; do
		echo "  $p: $(tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline" | head -c 300)"
	done
}

# oci_kill_procs STRING...: SIGKILLs the processes of oci_procs_matching (the test's own
# leftovers), by pid.
oci_kill_procs() {
	local p
	for p in $(oci_procs_matching "$@"); do
		kill -KILL "$p" 2>/dev/null
	done
}

# oci_mounts_under DIR: the mount points at or under DIR, deepest first.
oci_mounts_under() {
	awk -v d="$1" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r
}

# oci_unmount_under DIR: unmounts everything at or under DIR (lazily if busy).
oci_unmount_under() {
	local m
	for m in $(oci_mounts_under "$1"); do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
	done
}

# oci_cgroup_dirs NAME: the cgroup directories at or under /NAME, in every hierarchy.
oci_cgroup_dirs() {
	local h
	for h in /sys/fs/cgroup /sys/fs/cgroup/*; do
		[ -d "$h/$1" ] && find "$h/$1" -depth -type d
	done
	return 0
}

# oci_cgroup_remove NAME: removes the (empty) cgroup /NAME and its children.
oci_cgroup_remove() {
	local d
	for d in $(oci_cgroup_dirs "$1"); do
		rmdir "$d" 2>/dev/null
	done
	return 0
}

# oci_state_leftovers RUNTIME ROOT ID...: the ids that RUNTIME (--root ROOT, or its default
# root when ROOT is empty) still knows, or that have a state directory in a known default
# root (/run/runc, /run/crun, /run/runsc, /var/run/runsc).
oci_state_leftovers() {
	local runtime=$1 root=$2 id d
	shift 2
	local rootflag=()
	[ -z "$root" ] || rootflag=(--root "$root")
	for id in "$@"; do
		if timeout -k 5 20 "$runtime" "${rootflag[@]}" state "$id" >/dev/null 2>&1; then
			echo "$id (runtime state)"
			continue
		fi
		for d in ${root:+"$root"} /run/runc /run/crun /run/runsc /var/run/runsc; do
			if [ -e "$d/$id" ]; then
				echo "$id ($d/$id)"
				break
			fi
		done
	done
}

# The directories outside DIR that a client creates and never removes (see the header).
oci_noted_dirs=()
# oci_note_dirs PATH...: remembers which of the paths do not exist yet.
oci_note_dirs() {
	local p
	for p in "$@"; do
		[ -e "$p" ] || oci_noted_dirs+=("$p")
	done
}
# oci_remove_noted_dirs: removes them again, deepest first, if they are empty.
oci_remove_noted_dirs() {
	local i
	for ((i = ${#oci_noted_dirs[@]} - 1; i >= 0; i--)); do
		rmdir "${oci_noted_dirs[i]}" 2>/dev/null
	done
	return 0
}

# --- podman -------------------------------------------------------------------------------

# oci_podman_setup DIR NAME=PATH...: a private podman configuration under DIR for the
# runtimes NAME (at PATH); the first is the default. Exports CONTAINERS_CONF and
# CONTAINERS_STORAGE_CONF, so that every podman call (and the `podman container cleanup`
# that conmon runs, which gets the paths as flags) uses DIR only. A runtime named runsc,
# runc or crun gets --log-format=json --log FILE from podman (its runtime_supports_json).
# Limits: podman's defaults are nofile=1048576 and nproc=pid_max, and podman lowers its
# own hard nproc limit to pid_max at start-up; without CAP_SYS_RESOURCE no process may
# raise a hard limit, so the defaults here are nofile=H:H with H the hard nofile limit,
# and nproc=P:P with P the smaller of the hard nproc limit and pid_max.
oci_podman_setup() {
	local dir=$1 nofile nproc pid_max first='' r
	shift
	nofile=$(ulimit -Hn)
	nproc=$(ulimit -Hu)
	pid_max=$(cat /proc/sys/kernel/pid_max)
	if [ "$nproc" = unlimited ] || [ "$nproc" -gt "$pid_max" ]; then
		nproc=$pid_max
	fi
	[ "$nofile" != unlimited ] || nofile=1048576
	mkdir -p "$dir/podman" || return 1
	{
		printf '[containers]\nnetns = "none"\n'
		printf 'default_ulimits = ["nofile=%s:%s", "nproc=%s:%s"]\n' "$nofile" "$nofile" "$nproc" "$nproc"
		printf '[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\nlock_type = "file"\n'
		printf 'tmp_dir = "%s"\nstatic_dir = "%s"\nvolume_path = "%s"\n' \
			"$dir/podman/tmp" "$dir/podman/root/libpod" "$dir/podman/root/volumes"
		for r in "$@"; do
			[ -n "$first" ] || { first=${r%%=*}; printf 'runtime = "%s"\n' "$first"; }
		done
		printf '[engine.runtimes]\n'
		for r in "$@"; do
			printf '%s = ["%s"]\n' "${r%%=*}" "${r#*=}"
		done
		printf '[network]\nnetwork_config_dir = "%s"\n' "$dir/podman/net"
	} >"$dir/podman/containers.conf"
	printf '[storage]\ndriver = "overlay"\ngraphroot = "%s"\nrunroot = "%s"\n' \
		"$dir/podman/root" "$dir/podman/run" >"$dir/podman/storage.conf"
	export CONTAINERS_CONF=$dir/podman/containers.conf
	export CONTAINERS_STORAGE_CONF=$dir/podman/storage.conf
}

# oci_podman_import TAR NAME: `podman import` of a rootfs tarball (for oci_step: it execs). The image copy writes its
# blob-info cache to /var/lib/containers/cache whatever the configuration, so it runs in a
# private mount namespace whose /var/lib is an empty tmpfs.
oci_podman_import() {
	exec unshare -m --propagation private /bin/sh -c \
		'mount -t tmpfs -o size=16m tmpfs /var/lib && exec podman import --quiet "$1" "$2"' \
		sh "$1" "$2"
}
export -f oci_podman_import

# oci_podman_cleanup DIR: removes every container (SIGKILL), then the storage's mounts.
oci_podman_cleanup() {
	[ -f "$1/podman/containers.conf" ] || return 0
	timeout -k 5 60 podman rm -a -f -t 0 >/dev/null 2>&1
	oci_unmount_under "$1/podman"
}

# --- containerd ---------------------------------------------------------------------------

oci_containerd_pid=''
# oci_containerd_start DIR: a private containerd (no CRI plugin) serving DIR/containerd.sock,
# with its root, state and /opt directory under DIR/containerd. Its log: DIR/containerd.log.
oci_containerd_start() {
	local dir=$1 i
	mkdir -p "$dir/containerd" || return 1
	cat >"$dir/containerd/config.toml" <<EOF
version = 2
root = "$dir/containerd/root"
state = "$dir/containerd/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.devmapper"]
[grpc]
  address = "$dir/containerd.sock"
[ttrpc]
  address = "$dir/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$dir/containerd/opt"
EOF
	oci_note_dirs /run/containerd /run/containerd/s /run/containerd/fifo /run/containerd/runc
	containerd --config "$dir/containerd/config.toml" >"$dir/containerd.log" 2>&1 </dev/null &
	oci_containerd_pid=$!
	for ((i = 0; i < 300; i++)); do
		ctr -a "$dir/containerd.sock" version >/dev/null 2>&1 && return 0
		kill -0 "$oci_containerd_pid" 2>/dev/null || break
		sleep 0.1
	done
	echo "containerd did not start: $(tail -n 20 "$dir/containerd.log")" >&2
	return 1
}

# oci_containerd_stop: SIGTERM, then SIGKILL after 10 s; waits for it.
oci_containerd_stop() {
	[ -n "$oci_containerd_pid" ] || return 0
	oci_stop_pid "$oci_containerd_pid"
	oci_containerd_pid=''
}

# oci_stop_pid PID: SIGTERM to a child of this shell, SIGKILL after 10 s, and reaps it.
oci_stop_pid() {
	local pid=$1 i
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

# --- dockerd ------------------------------------------------------------------------------

oci_dockerd_pid=''
# oci_dockerd_start DIR CGROUP_PARENT [NAME=PATH...]: a private dockerd on DIR/docker.sock
# using the private containerd (oci_containerd_start DIR first), with the runtimes NAME at
# PATH added to its configuration DIR/docker/daemon.json (the file `runsc install --config`
# edits; kept when it exists), no iptables, no bridge, and the cgroup parent
# /CGROUP_PARENT. Its trust key goes to DIR too. Its log: DIR/dockerd.log. dockerd itself
# creates /run/docker/plugins, whatever its flags.
oci_dockerd_start() {
	local dir=$1 cgparent=$2 r json='{}' i
	shift 2
	mkdir -p "$dir/docker" || return 1
	[ ! -s "$dir/docker/daemon.json" ] || json=$(cat "$dir/docker/daemon.json") || return 1
	# dockerd 20.10 writes a trust key to /etc/docker/key.json unless told otherwise.
	json=$(jq -c --arg k "$dir/docker/key.json" '.["deprecated-key-path"] = $k' <<<"$json") || return 1
	for r in "$@"; do
		json=$(jq -c --arg n "${r%%=*}" --arg p "${r#*=}" '.runtimes[$n] = {path: $p}' <<<"$json")
	done
	printf '%s\n' "$json" >"$dir/docker/daemon.json"
	oci_note_dirs /run/docker /run/docker/plugins
	dockerd --config-file "$dir/docker/daemon.json" \
		--data-root "$dir/docker/data" --exec-root "$dir/docker/exec" \
		--pidfile "$dir/docker/dockerd.pid" -H "unix://$dir/docker.sock" \
		--containerd "$dir/containerd.sock" --containerd-namespace "$cgparent" \
		--containerd-plugins-namespace "$cgparent-plugins" \
		--iptables=false --ip6tables=false --bridge=none --cgroup-parent "/$cgparent" \
		>"$dir/dockerd.log" 2>&1 </dev/null &
	oci_dockerd_pid=$!
	for ((i = 0; i < 300; i++)); do
		DOCKER_HOST=unix://$dir/docker.sock docker version >/dev/null 2>&1 && return 0
		kill -0 "$oci_dockerd_pid" 2>/dev/null || break
		sleep 0.1
	done
	echo "dockerd did not start: $(tail -n 20 "$dir/dockerd.log")" >&2
	return 1
}

# oci_dockerd_stop: SIGTERM (dockerd stops its containers), then SIGKILL after 10 s.
oci_dockerd_stop() {
	[ -n "$oci_dockerd_pid" ] || return 0
	oci_stop_pid "$oci_dockerd_pid"
	oci_dockerd_pid=''
}
