/*
 * Confinement: the host-side walls the sentry and the gofer put around
 * themselves (docs/architecture.md section 2). This file holds the
 * mechanisms; each component states its own policy with them:
 * sentry/boot/confine.c (the sentry) and gofer/confine.c (the gofer).
 *
 *   - confine_spawn(): a child process in new PID, mount, IPC and UTS
 *     namespaces (and a network namespace, new or joined), pid 1 in its
 *     PID namespace, with every mount private, dying with its parent;
 *   - confine_pivot_empty_root(): pivot_root into a new, empty, read-only
 *     tmpfs, the old root detached, so that no host file is reachable by
 *     path any more;
 *   - confine_caps(): keep only the named capabilities, in every set and
 *     in the bounding set;
 *   - confine_no_new_privs();
 *   - confine_seccomp(): a libseccomp allowlist, for every thread
 *     (SCMP_FLTATR_CTL_TSYNC); anything else kills the process.
 *
 * Finding a missing syscall: RUNSC_SECCOMP=log in the environment turns
 * the default action into SCMP_ACT_LOG (the call runs and the kernel logs
 * it: `dmesg | grep 'type=1326'`, syscall=N), RUNSC_SECCOMP=trap into
 * SCMP_ACT_TRAP (the call fails with ENOSYS and the process logs "seccomp:
 * syscall N not in the allowlist (ENOSYS), called at ADDR" to its log).
 * For development only: both leave the process unconfined by its filter.
 */
#ifndef COMMON_HOST_CONFINE_H
#define COMMON_HOST_CONFINE_H

#include <seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The namespaces of a new sandbox process. */
struct confine_ns {
	/* CLONE_NEWPID, CLONE_NEWNS, CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWNET: the ones to create.
	 */
	int flags;
	/* A network namespace to join (setns) instead of creating one, or NULL. */
	const char *netns_path;
};

/* The namespaces of every sandbox; the network is the caller's choice. */
#define CONFINE_NS_SANDBOX (CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS)

/*
 * Runs fn(arg) in a new child process in the namespaces of ns, and returns
 * the child's pid (or -errno); the child exits with fn's return value.
 * With CLONE_NEWPID it is pid 1 of the new PID namespace (so every process
 * it starts dies with it); with CLONE_NEWNS every mount is made private
 * first, so nothing it mounts reaches the host. It dies (SIGKILL) when the
 * caller does. The caller must be single-threaded (a fork).
 */
pid_t confine_spawn(const struct confine_ns *ns, int (*fn)(void *), void *arg);

/* Moves the calling process into a new mount namespace with every mount private. */
int confine_private_mount_ns(void);

/*
 * pivot_root into a new empty tmpfs, then detaches the old root and makes
 * the new one read-only: from then on no path names a host file. With
 * with_proc, a read-only proc (only its pid directories when the kernel
 * can) is mounted at /proc inside, for the /proc/self/fd paths the gofer
 * needs. Preconditions: a mount namespace of its own with private mounts
 * (confine_spawn or confine_private_mount_ns), CAP_SYS_ADMIN. Every
 * process of the mount namespace whose root was the old one moves too.
 * Returns 0 or -errno.
 */
int confine_pivot_empty_root(bool with_proc);

/* Bit of capability cap in confine_caps()'s mask. */
#define CONFINE_CAP(cap) (1ULL << (cap))

/*
 * Keeps only the capabilities in keep (CONFINE_CAP bits): drops the others
 * from the bounding set (so that not even an execve gets them back),
 * clears the ambient and inheritable sets, and sets permitted and effective
 * to keep & permitted. Returns 0 or -errno.
 */
int confine_caps(uint64_t keep);

/* PR_SET_NO_NEW_PRIVS: no execve can raise privileges. Returns 0 or -errno. */
int confine_no_new_privs(void);

/*
 * One allowlist entry: the call nr with all the argument conditions of
 * args (ANDed), or any arguments when nargs is 0. Several entries for one
 * call are ORed. action is SCMP_ACT_ALLOW, or SCMP_ACT_ERRNO(e) for a call
 * that must fail without killing (see each policy). why says who makes the
 * call and why: the table is the documentation.
 */
struct confine_rule {
	int nr;
	uint32_t action;
	unsigned nargs;
	struct scmp_arg_cmp args[3];
	const char *why;
};

/* Argument conditions for the tables (libseccomp's SCMP_A* macros are not constants). */
#define CONFINE_EQ(i, v)                                                \
	{                                                               \
		.arg = (i), .op = SCMP_CMP_EQ, .datum_a = (uint64_t)(v) \
	}
/* An int argument (compared on its low 32 bits: the upper half of the register is undefined). */
#define CONFINE_EQ32(i, v)                                                      \
	{                                                                       \
		.arg = (i), .op = SCMP_CMP_MASKED_EQ, .datum_a = 0xffffffffULL, \
		.datum_b = (uint32_t)(v)                                        \
	}
/* (arg & mask) == v. */
#define CONFINE_MASKED(i, mask, v)                                                 \
	{                                                                          \
		.arg = (i), .op = SCMP_CMP_MASKED_EQ, .datum_a = (uint64_t)(mask), \
		.datum_b = (uint64_t)(v)                                           \
	}

enum confine_mode {
	CONFINE_KILL, /* the default: a call outside the list kills the process */
	CONFINE_LOG,  /* RUNSC_SECCOMP=log */
	CONFINE_TRAP, /* RUNSC_SECCOMP=trap */
};

/* The mode RUNSC_SECCOMP asks for; -EINVAL (after logging why) for an unknown value. */
int confine_mode_from_env(enum confine_mode *out);

/*
 * Installs the allowlist of rules on every thread of the process; any
 * other call gets mode's action, and a call of another architecture (i386
 * int $0x80, x32) kills the process. Returns 0 or -errno.
 */
int confine_seccomp(const struct confine_rule *rules, size_t count, enum confine_mode mode);

/* The number of distinct syscalls rules allow. */
size_t confine_allowed_count(const struct confine_rule *rules, size_t count);

#endif /* COMMON_HOST_CONFINE_H */
