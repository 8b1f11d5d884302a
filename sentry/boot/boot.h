/*
 * Booting a sandbox: the sentry's entry points.
 *
 * A sandbox is a kernel, the platform that runs its tasks, a `runsc gofer`
 * child that serves the container's host directories, and the mount tree
 * built from them. sandbox_new() makes all of that from a
 * struct sandbox_config; sandbox_start() starts a process in it (the first
 * one is init, pid 1); sandbox_wait() returns init's wait status once every
 * task has ended; sandbox_destroy() ends the gofer and frees the rest.
 * `runsc do` (sentry_do) and the OCI `runsc boot` are thin layers over
 * these four.
 *
 * The file system: the gofer serves the root directory (mount index 0)
 * and each bind mount's source (index 1, 2, ...). The root is the gofer's
 * root itself (OCI: writes reach the container's rootfs, as with runc) or
 * an overlay of it under a tmpfs (`runsc do`: writes stay in the sandbox).
 * /dev is always the sentry's own tmpfs with its device nodes; /proc, /sys
 * and tmpfs mounts are the sentry's own file systems. From then on the
 * sentry opens no host file of the container: programs are read through
 * the VFS.
 *
 * The network: every sandbox has lo; with --network=sandbox, sandbox_new
 * adds the container's interfaces, addresses and routes that runsc took
 * over (cfg->links, cfg->routes) to the interface table and registers
 * each one's packet link, before any task runs (docs/network.md).
 */
#ifndef SENTRY_BOOT_BOOT_H
#define SENTRY_BOOT_BOOT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/abi/linux/misc.h"
#include "sentry/net/iface.h"

struct kernel;
struct thread_group;

enum sandbox_mount_kind {
	SANDBOX_MOUNT_BIND,  /* a host file or directory, through the gofer */
	SANDBOX_MOUNT_TMPFS, /* data: "size=...,mode=..." */
	SANDBOX_MOUNT_PROC,
	SANDBOX_MOUNT_SYSFS,
	SANDBOX_MOUNT_DEV, /* the sentry's /dev: a tmpfs with its device nodes */
};

/* SANDBOX_MOUNT_* flags. */
enum {
	SANDBOX_MOUNT_RDONLY = 1u << 0,
	SANDBOX_MOUNT_NOSUID = 1u << 1,
	SANDBOX_MOUNT_NODEV = 1u << 2,
	SANDBOX_MOUNT_NOEXEC = 1u << 3,
};

struct sandbox_mount {
	enum sandbox_mount_kind kind;
	const char *source; /* BIND: absolute host path, canonical */
	const char *dest;   /* absolute path in the sandbox */
	unsigned flags;     /* SANDBOX_MOUNT_* */
	const char *data;   /* TMPFS: options, or NULL */
};

/*
 * An interface of the container's network namespace that runsc took over
 * for the sandbox (--network=sandbox: runsc-cli/network.h, docs/network.md),
 * or, with --network=host, one of the host's, only shown in the sandbox's
 * table (netlink, the SIOCGIF* ioctls, /proc/net) under its host index.
 */
struct sandbox_link {
	/* Name, flags, MTU, MAC and addresses; index: its index in the namespace. */
	struct net_iface_info info;
	/* Its AF_PACKET socket (PACKET_VNET_HDR), consumed by sandbox_new; -1: shown only. */
	int fd;
};

struct sandbox_config {
	const char *platform; /* "ptrace" */
	const char *hostname;
	const char *release; /* uname's release */
	bool strace;
	const char *root; /* the host directory that is / (canonical) */
	bool root_readonly;
	bool root_overlay; /* writes to / go to a tmpfs over it, not to the host */
	/* In order; a mount over /dev replaces the sentry's default /dev. */
	const struct sandbox_mount *mounts;
	int nmounts;
	/* linux.maskedPaths and readonlyPaths (NULL-terminated or NULL). */
	char *const *masked_paths;
	char *const *readonly_paths;
	/*
	 * --network=sandbox: the interfaces to add after lo (sentry/net/iface.h)
	 * with their packet links (sentry/net/packet_link.h), and the routes
	 * that are not the kernel's own for their addresses (each oif an
	 * info.index of links). None: the sandbox has lo alone.
	 */
	const struct sandbox_link *links;
	int nlinks;
	const struct net_route *routes;
	int nroutes;
};

/* A process to start in the sandbox. */
struct sandbox_process {
	/* The program; NULL: argv[0], looked up in envp's PATH when it has no '/'. */
	const char *exe;
	char *const *argv;
	char *const *envp;
	const char *cwd; /* absolute; NULL: / */
	uint32_t uid, gid;
	const uint32_t *groups; /* supplementary groups */
	int ngroups;
	/* Capability sets (bit n is capability n); without them: root's full sets for uid 0. */
	bool has_caps;
	uint64_t cap_bounding, cap_effective, cap_inheritable, cap_permitted, cap_ambient;
	bool no_new_privs;
	mode_t umask;
	struct linux_rlimit rlimits[LINUX_RLIM_NLIMITS];
	/* Host fds for 0, 1 and 2 (-1: closed), taken over by sandbox_start in all cases. */
	int stdio[3];
	/* fd 0 is a terminal that becomes the new session's controlling terminal. */
	bool terminal;
	/* The pod's container it runs in (sandbox_add_container); NULL: the sandbox's own. */
	struct sandbox_container *container;
};

struct sandbox;
struct sandbox_container;

/*
 * Makes the kernel, starts the gofer and builds the mounts. Returns 0, or
 * -errno after logging what failed ("mount /data: ...").
 */
int sandbox_new(const struct sandbox_config *cfg, struct sandbox **out);

/* The sandbox's kernel (for signals, ps and the like). */
struct kernel *sandbox_kernel(struct sandbox *sb);

/*
 * Starts p: the first call starts init, later ones processes outside init's
 * tree (runsc exec), and *out_tg gets a reference to them (NULL: none
 * wanted). Returns 0, or -errno when the program could not start (-ENOENT:
 * no such program, -EACCES, -ENOEXEC; the loader has logged why), or
 * -ESRCH once init has exited.
 */
int sandbox_start(struct sandbox *sb, const struct sandbox_process *p,
                  struct thread_group **out_tg);

/*
 * Starts a gofer for cfg's root and bind mounts, in that order, on a new
 * socket pair; its messages go to the log. Returns the sentry's end of
 * the first channel and the gofer's pid, or -errno. sandbox_new calls it;
 * for a further container of a pod, the runtime does (the confined sentry
 * cannot start processes) and hands the socket to sandbox_add_container.
 */
int sandbox_spawn_gofer(const struct sandbox_config *cfg, pid_t *pid);

/*
 * Adds a container to a pod's sandbox: its root and mounts, made as
 * sandbox_new makes the sandbox's own from cfg, on the gofer channel
 * gofer_sock (consumed). Processes started with p->container set to it
 * run there, and have thread_group.container id (nonzero). Returns 0 or
 * -errno after logging why.
 */
int sandbox_add_container(struct sandbox *sb, const struct sandbox_config *cfg, int gofer_sock,
                          unsigned id, struct sandbox_container **out);

/* Whether any process of container c is still alive. */
bool sandbox_container_has_processes(struct sandbox *sb, const struct sandbox_container *c);

/*
 * Frees container c and its mounts, once none of its processes is left
 * (otherwise they stay until the sandbox ends).
 */
void sandbox_remove_container(struct sandbox *sb, struct sandbox_container *c);

/*
 * Sets p's resource limits to the calling process's own, which a process
 * inherits from its runtime where its spec does not set them (as under
 * runc). A getrlimit per limit: the sentry's seccomp filter allows it.
 */
void sandbox_process_inherit_rlimits(struct sandbox_process *p);

/*
 * Checks before start that p's working directory and program exist, so
 * that `runsc create` can report it as runc does. Returns 0 or -errno after
 * logging why.
 */
int sandbox_check_process(struct sandbox *sb, const struct sandbox_process *p);

/* Waits until init and every other task have ended; returns init's wait status. */
int sandbox_wait(struct sandbox *sb);

/* Ends the gofer and frees the sandbox. Every task must have ended. */
void sandbox_destroy(struct sandbox *sb);

/* The pid of the sandbox's gofer (for the confinement code and tests). */
pid_t sandbox_gofer_pid(struct sandbox *sb);

/* A host directory bind-mounted into a `runsc do` sandbox (--volume). */
struct sentry_volume {
	const char *host;  /* absolute host path */
	const char *guest; /* absolute path in the sandbox */
	bool readonly;
};

struct sentry_do_args {
	const char *platform; /* "ptrace" */
	const char *exe_path; /* path of the program in the sandbox (already resolved) */
	const char *cwd;      /* the working directory in the sandbox */
	const struct sentry_volume *volumes;
	int nvolumes;
	char *const *argv;
	char *const *envp;
	const char *hostname;
	const char *release;
	bool strace;
	bool confine;        /* confine the sentry (confine.h) before the program starts */
	const char *network; /* --network: "sandbox" (or NULL), "host" or "none" (netmode.h) */
	/* --network=host: the host's interfaces and routes, shown (fd -1), not served. */
	const struct sandbox_link *links;
	int nlinks;
	const struct net_route *routes;
	int nroutes;
};

/*
 * runsc do: runs the program in a sandbox whose root is the host's / read
 * only under a tmpfs, with the caller's credentials, rlimits, umask and
 * stdio, and returns its wait(2)-style status: exit code << 8, or the
 * number of the signal that killed it. Returns -errno when the sandbox or
 * the program could not start: the caller reports it.
 */
int sentry_do(const struct sentry_do_args *args);

#endif /* SENTRY_BOOT_BOOT_H */
