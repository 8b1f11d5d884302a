/*
 * The gofer's confinement: see confine.h.
 *
 * The allowlist is every host syscall the gofer makes once confined,
 * measured over the whole test suite (the gofer's own protocol tests
 * included; the kernel's raw_syscalls:sys_enter tracepoint and
 * RUNSC_SECCOMP=trap), and checked against the handlers: write and gettid
 * are the log's, which the suite rarely reaches.
 */
#include "gofer/confine.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "gofer/handlers.h"

/* glibc's pthread_create (nptl's create_thread) when clone3 is not available. */
#define THREAD_CLONE_FLAGS                                                                  \
	(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SYSVSEM | CLONE_SIGHAND | CLONE_THREAD | \
	 CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID)

#define ALLOW(name, reason)                                                     \
	{                                                                       \
		.nr = SCMP_SYS(name), .action = SCMP_ACT_ALLOW, .why = (reason) \
	}
#define ALLOW_IF(name, cond, reason)                                                          \
	{                                                                                     \
		.nr = SCMP_SYS(name), .action = SCMP_ACT_ALLOW, .nargs = 1, .args = { cond }, \
		.why = (reason)                                                               \
	}
#define FAIL(name, err, reason)                                                      \
	{                                                                            \
		.nr = SCMP_SYS(name), .action = SCMP_ACT_ERRNO(err), .why = (reason) \
	}

const uint64_t g_gofer_caps = CONFINE_CAP(CAP_CHOWN) | CONFINE_CAP(CAP_DAC_OVERRIDE) |
                              CONFINE_CAP(CAP_DAC_READ_SEARCH) | CONFINE_CAP(CAP_FOWNER) |
                              CONFINE_CAP(CAP_FSETID);

const struct confine_rule g_gofer_rules[] = {
	/* The files it serves: every call relative to a held fd (gofer/README.md). */
	ALLOW(openat,
	      "walk (O_PATH | O_NOFOLLOW), create, and reopening a node through /proc/self/fd"),
	ALLOW(statx, "the attributes of a held node (AT_EMPTY_PATH)"),
	ALLOW(getdents64, "T_GETDENTS"),
	ALLOW(lseek, "T_GETDENTS resumes at the client's offset"),
	ALLOW(readlinkat, "T_READLINK"),
	ALLOW(mkdirat, "T_MKDIR"),
	ALLOW(mknodat, "T_MKNOD: regular files, FIFOs and sockets only"),
	ALLOW(symlinkat, "T_SYMLINK"),
	ALLOW(linkat, "T_LINK"),
	ALLOW(unlinkat, "T_UNLINK, and undoing a create that failed half-way"),
	ALLOW(renameat, "T_RENAME (glibc's renameat2 without flags)"),
	ALLOW(renameat2, "T_RENAME with flags (RENAME_NOREPLACE, RENAME_EXCHANGE)"),
	ALLOW(fchownat, "T_SETSTAT's uid and gid, and a new node's owner"),
	ALLOW(fchown, "the owner of a file T_CREATE made"),
	ALLOW(fchmodat, "T_SETSTAT's mode, through the node's /proc/self/fd link"),
	ALLOW(utimensat, "T_SETSTAT's times"),
	ALLOW(ftruncate, "T_SETSTAT's size"),
	ALLOW(fstatfs, "T_STATFS"),
	ALLOW(getxattr, "T_GETXATTR (user.* only), through /proc/self/fd"),
	ALLOW(setxattr, "T_SETXATTR (user.* only), through /proc/self/fd"),
	ALLOW(listxattr, "T_LISTXATTR, through /proc/self/fd"),
	ALLOW(removexattr, "T_REMOVEXATTR (user.* only), through /proc/self/fd"),
	ALLOW_IF(fcntl, CONFINE_EQ32(1, F_DUPFD_CLOEXEC), "a mount's root for T_MOUNT"),
	ALLOW(close, "every fd"),

	/* Channels and host unix sockets; AF_UNIX only. */
	ALLOW_IF(socketpair, CONFINE_EQ32(0, AF_UNIX), "T_CHANNEL: a new channel"),
	ALLOW_IF(socket, CONFINE_EQ32(0, AF_UNIX), "T_BIND, T_CONNECT: a host unix socket"),
	ALLOW(bind, "T_BIND"),
	ALLOW(connect, "T_CONNECT"),
	ALLOW(sendmsg, "replies, with fds"),
	ALLOW(recvmsg, "requests"),
	ALLOW(recvfrom, "a peek at a new channel (recv with MSG_PEEK)"),
	ALLOW(write, "the log"),
	ALLOW(gettid, "the log's thread ids"),

	/* The process: memory, a thread per channel. */
	ALLOW(mmap, "malloc, thread stacks"),
	ALLOW(munmap, "free, thread exit"),
	ALLOW(mprotect, "thread stack guards"),
	ALLOW(madvise, "free, thread exit"),
	ALLOW(brk, "malloc's main arena"),
	ALLOW_IF(clone, CONFINE_EQ(0, THREAD_CLONE_FLAGS), "pthread_create: a thread per channel"),
	FAIL(clone3, ENOSYS,
	     "seccomp cannot see clone3's flags (they are in memory): glibc then uses clone"),
	ALLOW(futex, "the server's mutex and condition variable"),
	ALLOW(set_robust_list, "glibc, in every new thread"),
	ALLOW(rseq, "glibc, in every new thread"),
	ALLOW(rt_sigprocmask, "glibc's pthread_create"),
	ALLOW(rt_sigaction,
	      "glibc's first pthread_create installs its SIGCANCEL and SIGSETXID handlers"),
	ALLOW(restart_syscall, "the kernel restarts a wait stopped by ^Z and continued"),
	ALLOW(exit, "a channel's thread ends"),
	ALLOW(exit_group, "the gofer ends"),
};
const size_t g_gofer_rules_count = ARRAY_SIZE(g_gofer_rules);

int gofer_confine(struct gofer_server *s)
{
	enum confine_mode mode;
	int err = confine_mode_from_env(&mode);
	if (err < 0)
		return err;
	const char *step = "a mount namespace of its own";
	err = confine_private_mount_ns();
	if (err == 0) {
		step = "pivot_root into an empty root";
		err = confine_pivot_empty_root(/*with_proc=*/true);
	}
	if (err == 0) {
		/* Its /proc/self/fd from now on is the new proc's, in place of the host's. */
		step = "reopening /proc/self/fd";
		int fd = open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0 || dup3(fd, s->proc_fd, O_CLOEXEC) < 0)
			err = -errno;
		if (fd >= 0)
			close(fd);
	}
	if (err == 0) {
		step = "dropping capabilities";
		err = confine_caps(g_gofer_caps);
	}
	if (err == 0) {
		step = "seccomp";
		err = confine_no_new_privs();
	}
	if (err == 0)
		err = confine_seccomp(g_gofer_rules, g_gofer_rules_count, mode);
	if (err < 0) {
		log_error("confine: %s: %s", step, strerror(-err));
		return err;
	}
	log_debug("confine: the gofer is confined: %zu syscalls allowed",
	          confine_allowed_count(g_gofer_rules, g_gofer_rules_count));
	return 0;
}
