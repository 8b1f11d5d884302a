/*
 * The system call table and its handlers.
 *
 * Three layers, as in Linux (../shared/style.md): a handler here decodes
 * and copies its arguments, then calls into sentry/kernel, sentry/mm or
 * sentry/vfs, which apply Linux's generic checks; file and platform
 * operations do only their own work.
 *
 * Every handler has one signature and returns a value or -errno (or a
 * restart code, see common/abi/linux/errno.h); the task loop writes the
 * result back to the guest's rax and handles restarts in one place.
 *
 * The table records, for every x86-64 syscall number, the handler (NULL
 * when the sentry does not implement the call: it then returns -ENOSYS
 * and logs "unsupported syscall N (name)" once per sandbox), the support
 * level with a note, and how strace prints the arguments. `runsc
 * syscalls` and docs/syscalls.md are generated from it.
 */
#ifndef SYSCALLS_SYSCALLS_H
#define SYSCALLS_SYSCALLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/abi/linux/syscall_nr.h"

struct task;

struct sys_args {
	uint64_t nr;
	uint64_t a[6];
};

typedef long (*sys_handler_fn)(struct task *t, const struct sys_args *a);

enum sys_support {
	SYS_UNIMPLEMENTED, /* returns ENOSYS; the note says why */
	SYS_PARTIAL,       /* implemented with the limits in the note */
	SYS_FULL,          /* implemented as Linux specifies */
};

/*
 * How strace prints an argument. Kinds that name a buffer or an array take
 * its length (or element count) from the argument whose index is in the
 * entry's `len` field for that argument, or from the return value (the
 * *_RET kinds).
 *
 * Input kinds are formatted by strace_enter, before the handler runs (it
 * may change guest memory); output kinds (*_OUT, *_RET) by strace_exit,
 * and only when the call succeeded: after an error they print as the
 * pointer value. A pointer strace cannot read prints as its value too.
 */
enum sarg {
	SA_NONE,       /* not decoded: printed in hex, like SA_HEX */
	SA_INT,        /* signed decimal */
	SA_UINT,       /* unsigned decimal */
	SA_HEX,        /* 0x... */
	SA_PTR,        /* a pointer: 0x... or NULL */
	SA_FD,         /* a file descriptor (AT_FDCWD shown by name) */
	SA_STR,        /* NUL-terminated input string */
	SA_BUF_IN,     /* input buffer, length in another argument */
	SA_BUF_RET,    /* output buffer, length = return value */
	SA_IOV_IN,     /* iovec array, count in another argument */
	SA_IOV_RET,    /* iovec array filled up to the return value */
	SA_OCT,        /* mode_t */
	SA_PROT,       /* PROT_* */
	SA_MMAP_FLAGS, /* MAP_* */
	SA_MREMAP_FLAGS,
	SA_MADV, /* MADV_* */
	SA_MSYNC_FLAGS,
	SA_OPEN_FLAGS, /* O_* */
	SA_AT_FLAGS,   /* AT_* */
	SA_FCNTL_CMD,
	SA_IOCTL_CMD,
	SA_SIGNAL,    /* SIGTERM */
	SA_SIGSET_IN, /* pointer to an 8-byte sigset */
	SA_SIGSET_OUT,
	SA_SIGPROCMASK_HOW,
	SA_SIGACTION_IN,
	SA_SIGACTION_OUT,
	SA_CLOCKID,
	SA_TIMESPEC_IN,
	SA_TIMESPEC_OUT,
	SA_TIMEVAL_OUT,
	SA_RLIMIT_RES, /* RLIMIT_* */
	SA_RLIMIT_IN,
	SA_RLIMIT_OUT,
	SA_ARCH_PRCTL_CODE,
	SA_GRND_FLAGS,
	SA_UTSNAME_OUT,
	SA_STAT_OUT,
	SA_STR_OUT,      /* output string (getcwd): printed after the call */
	SA_FD_FLAGS,     /* O_CLOEXEC|O_NONBLOCK only (dup3, pipe2, eventfd2, ...) */
	SA_WHENCE,       /* SEEK_* */
	SA_ACCESS_MODE,  /* F_OK or R_OK|W_OK|X_OK */
	SA_STRV,         /* NULL-terminated array of strings (execve argv) */
	SA_FDPAIR_OUT,   /* int[2] filled by the call (pipe, socketpair) */
	SA_FCNTL_ARG,    /* fcntl's third argument, decoded by its command */
	SA_CLONE_FLAGS,  /* CLONE_* with the exit signal in the low byte */
	SA_FUTEX_OP,     /* FUTEX_WAIT_PRIVATE and the like */
	SA_SOCK_FAMILY,  /* AF_* */
	SA_SOCK_TYPE,    /* SOCK_* with SOCK_NONBLOCK, SOCK_CLOEXEC */
	SA_SOCKADDR_IN,  /* struct sockaddr, length in another argument */
	SA_WAIT_OPTIONS, /* WNOHANG and the like */
	SA_EPOLL_CTL_OP, /* EPOLL_CTL_* */
	SA_POLLFD_IN,    /* struct pollfd array, count in another argument */
	SA_OPEN_HOW_IN,  /* openat2's struct open_how */
	/* RESOLVE_* */
	SA_RESOLVE_FLAGS,
	SA_MOUNT_FLAGS,  /* MS_* */
	SA_UMOUNT_FLAGS, /* MNT_FORCE and the like */
	SA_RENAME_FLAGS, /* RENAME_NOREPLACE and the like */
	SA_FLOCK_OP,     /* LOCK_SH|LOCK_NB and the like */
	SA_XATTR_FLAGS,  /* XATTR_CREATE, XATTR_REPLACE */
	SA_STATX_MASK,   /* STATX_* */
	SA_MFD_FLAGS,    /* MFD_* */
	SA_FALLOC_MODE,  /* FALLOC_FL_* */
	SA_SPLICE_FLAGS, /* SPLICE_F_* */
	SA_CLOSE_RANGE_FLAGS,
	SA_KIND_COUNT,
};

/* How strace prints the result. */
enum sret {
	SR_INT,  /* decimal, or -ERRNO */
	SR_HEX,  /* 0x... (mmap, brk), or -ERRNO */
	SR_NONE, /* the call does not return (exit, exit_group) */
};

/*
 * One syscall. Numbers Linux does not define (335..423 on x86-64) have an
 * all-zero entry: no handler, SYS_UNIMPLEMENTED, no note, no arguments.
 */
struct syscall_entry {
	sys_handler_fn handler; /* NULL: unimplemented */
	enum sys_support support;
	const char *note; /* why it is partial or unimplemented; NULL for FULL */
	uint8_t nargs;    /* arguments strace prints */
	uint8_t arg[6];   /* enum sarg */
	uint8_t len[6];   /* for buffer kinds: index of the length argument */
	uint8_t ret;      /* enum sret */
};

extern const struct syscall_entry g_syscall_table[LINUX_SYSCALL_MAX];

/* The syscall's name ("read"), or NULL for a number Linux does not define. */
const char *syscall_name(uint64_t nr);
/*
 * The entry for nr, or NULL when nr is out of the table. A number inside
 * the table that Linux does not define gets its all-zero entry.
 */
const struct syscall_entry *syscall_entry(uint64_t nr);

/*
 * Runs syscall a->nr for t: strace, the handler or ENOSYS. Returns the
 * handler's result (value, -errno or restart code).
 */
long syscall_dispatch(struct task *t, const struct sys_args *a);

/*
 * strace: syscall_dispatch calls these when --strace is on. strace_enter
 * formats the input arguments (before the handler may change guest
 * memory) into *st; strace_exit formats the outputs and the result and
 * writes one line to the log:
 *
 *   [   1] write(1, "hello\n", 6) = 6
 *
 * *st is opaque to the caller (syscalls/strace_format.c owns its layout)
 * and lives on the dispatcher's stack between the two calls.
 */
struct strace_state {
	char buf[2048];
	size_t len;
};
void strace_enter(struct task *t, const struct sys_args *a, struct strace_state *st);
void strace_exit(struct task *t, const struct sys_args *a, long ret, struct strace_state *st);

/*
 * Writes the table to fd: as Markdown (docs/syscalls.md) when markdown is
 * true, else as text columns (`runsc syscalls`), each with a count per
 * support level. Returns 0 or -errno (a failed write, e.g. EPIPE).
 */
int syscalls_write_table(int fd, bool markdown);

/*
 * Sends sig with info (NULL: what kill(2) or tgkill(2) would send) to
 * process pid, or to thread tid (of process tgid when tgid > 0), with
 * kill's permission checks (sys_proc.c). Returns 0 or -errno.
 */
struct linux_siginfo;
long proc_signal_process(struct task *t, int pid, int sig, const struct linux_siginfo *info);
long proc_signal_thread(struct task *t, int tgid, int tid, int sig,
                        const struct linux_siginfo *info);

/* Handlers, by family (sys_<family>.c). */
#define SYSCALL_DECLARE(name) long sys_##name(struct task *t, const struct sys_args *a);
/* sys_creds.c */
SYSCALL_DECLARE(setuid)
SYSCALL_DECLARE(setgid)
SYSCALL_DECLARE(setreuid)
SYSCALL_DECLARE(setregid)
SYSCALL_DECLARE(setresuid)
SYSCALL_DECLARE(setresgid)
SYSCALL_DECLARE(getresuid)
SYSCALL_DECLARE(getresgid)
SYSCALL_DECLARE(setfsuid)
SYSCALL_DECLARE(setfsgid)
SYSCALL_DECLARE(setgroups)
SYSCALL_DECLARE(capget)
SYSCALL_DECLARE(capset)
/* sys_pipe.c */
SYSCALL_DECLARE(pipe)
SYSCALL_DECLARE(pipe2)
/* sys_socket.c */
SYSCALL_DECLARE(socket)
SYSCALL_DECLARE(socketpair)
SYSCALL_DECLARE(bind)
SYSCALL_DECLARE(listen)
SYSCALL_DECLARE(accept)
SYSCALL_DECLARE(accept4)
SYSCALL_DECLARE(connect)
SYSCALL_DECLARE(sendto)
SYSCALL_DECLARE(recvfrom)
SYSCALL_DECLARE(sendmsg)
SYSCALL_DECLARE(recvmsg)
SYSCALL_DECLARE(sendmmsg)
SYSCALL_DECLARE(recvmmsg)
SYSCALL_DECLARE(shutdown)
SYSCALL_DECLARE(getsockname)
SYSCALL_DECLARE(getpeername)
SYSCALL_DECLARE(getsockopt)
SYSCALL_DECLARE(setsockopt)
/* sys_futex.c */
SYSCALL_DECLARE(futex)
SYSCALL_DECLARE(get_robust_list)
/* sys_file.c */
SYSCALL_DECLARE(read)
SYSCALL_DECLARE(write)
SYSCALL_DECLARE(readv)
SYSCALL_DECLARE(writev)
SYSCALL_DECLARE(pread64)
SYSCALL_DECLARE(pwrite64)
SYSCALL_DECLARE(lseek)
SYSCALL_DECLARE(close)
SYSCALL_DECLARE(dup)
SYSCALL_DECLARE(dup2)
SYSCALL_DECLARE(dup3)
SYSCALL_DECLARE(fcntl)
SYSCALL_DECLARE(ioctl)
/* sys_path.c */
SYSCALL_DECLARE(open)
SYSCALL_DECLARE(openat)
SYSCALL_DECLARE(openat2)
SYSCALL_DECLARE(creat)
SYSCALL_DECLARE(mkdir)
SYSCALL_DECLARE(mkdirat)
SYSCALL_DECLARE(mknod)
SYSCALL_DECLARE(mknodat)
SYSCALL_DECLARE(rmdir)
SYSCALL_DECLARE(unlink)
SYSCALL_DECLARE(unlinkat)
SYSCALL_DECLARE(rename)
SYSCALL_DECLARE(renameat)
SYSCALL_DECLARE(renameat2)
SYSCALL_DECLARE(link)
SYSCALL_DECLARE(linkat)
SYSCALL_DECLARE(symlink)
SYSCALL_DECLARE(symlinkat)
SYSCALL_DECLARE(readlink)
SYSCALL_DECLARE(readlinkat)
SYSCALL_DECLARE(chdir)
SYSCALL_DECLARE(fchdir)
SYSCALL_DECLARE(umask)
SYSCALL_DECLARE(chroot)
SYSCALL_DECLARE(mount)
SYSCALL_DECLARE(umount2)
SYSCALL_DECLARE(close_range)
SYSCALL_DECLARE(memfd_create)
/* sys_stat.c */
SYSCALL_DECLARE(stat)
SYSCALL_DECLARE(lstat)
SYSCALL_DECLARE(fstat)
SYSCALL_DECLARE(newfstatat)
SYSCALL_DECLARE(statx)
SYSCALL_DECLARE(access)
SYSCALL_DECLARE(faccessat)
SYSCALL_DECLARE(faccessat2)
SYSCALL_DECLARE(getdents)
SYSCALL_DECLARE(getdents64)
SYSCALL_DECLARE(chmod)
SYSCALL_DECLARE(fchmod)
SYSCALL_DECLARE(fchmodat)
SYSCALL_DECLARE(fchmodat2)
SYSCALL_DECLARE(chown)
SYSCALL_DECLARE(fchown)
SYSCALL_DECLARE(lchown)
SYSCALL_DECLARE(fchownat)
SYSCALL_DECLARE(utime)
SYSCALL_DECLARE(utimes)
SYSCALL_DECLARE(futimesat)
SYSCALL_DECLARE(utimensat)
SYSCALL_DECLARE(truncate)
SYSCALL_DECLARE(ftruncate)
SYSCALL_DECLARE(fallocate)
SYSCALL_DECLARE(fsync)
SYSCALL_DECLARE(fdatasync)
SYSCALL_DECLARE(sync_file_range)
SYSCALL_DECLARE(sync)
SYSCALL_DECLARE(syncfs)
SYSCALL_DECLARE(statfs)
SYSCALL_DECLARE(fstatfs)
/* sys_xattr.c */
SYSCALL_DECLARE(setxattr)
SYSCALL_DECLARE(lsetxattr)
SYSCALL_DECLARE(fsetxattr)
SYSCALL_DECLARE(getxattr)
SYSCALL_DECLARE(lgetxattr)
SYSCALL_DECLARE(fgetxattr)
SYSCALL_DECLARE(listxattr)
SYSCALL_DECLARE(llistxattr)
SYSCALL_DECLARE(flistxattr)
SYSCALL_DECLARE(removexattr)
SYSCALL_DECLARE(lremovexattr)
SYSCALL_DECLARE(fremovexattr)
/* sys_splice.c */
SYSCALL_DECLARE(sendfile)
SYSCALL_DECLARE(copy_file_range)
SYSCALL_DECLARE(splice)
SYSCALL_DECLARE(tee)
/* sys_fslock.c */
SYSCALL_DECLARE(flock)
/* sys_poll.c */
SYSCALL_DECLARE(poll)
SYSCALL_DECLARE(ppoll)
SYSCALL_DECLARE(select)
SYSCALL_DECLARE(pselect6)
/* sys_epoll.c */
SYSCALL_DECLARE(epoll_create)
SYSCALL_DECLARE(epoll_create1)
SYSCALL_DECLARE(epoll_ctl)
SYSCALL_DECLARE(epoll_wait)
SYSCALL_DECLARE(epoll_pwait)
SYSCALL_DECLARE(epoll_pwait2)
/* sys_itimer.c */
SYSCALL_DECLARE(alarm)
SYSCALL_DECLARE(getitimer)
SYSCALL_DECLARE(setitimer)
SYSCALL_DECLARE(timer_create)
SYSCALL_DECLARE(timer_settime)
SYSCALL_DECLARE(timer_gettime)
SYSCALL_DECLARE(timer_getoverrun)
SYSCALL_DECLARE(timer_delete)
/* sys_inotify.c */
SYSCALL_DECLARE(inotify_init)
SYSCALL_DECLARE(inotify_init1)
SYSCALL_DECLARE(inotify_add_watch)
SYSCALL_DECLARE(inotify_rm_watch)
/* sys_eventfd.c */
SYSCALL_DECLARE(eventfd)
SYSCALL_DECLARE(eventfd2)
SYSCALL_DECLARE(timerfd_create)
SYSCALL_DECLARE(timerfd_settime)
SYSCALL_DECLARE(timerfd_gettime)
/* sys_mm.c */
SYSCALL_DECLARE(brk)
SYSCALL_DECLARE(mmap)
SYSCALL_DECLARE(munmap)
SYSCALL_DECLARE(mprotect)
SYSCALL_DECLARE(mremap)
SYSCALL_DECLARE(madvise)
SYSCALL_DECLARE(mincore)
SYSCALL_DECLARE(msync)
/* sys_identity.c */
SYSCALL_DECLARE(getpid)
SYSCALL_DECLARE(gettid)
SYSCALL_DECLARE(getuid)
SYSCALL_DECLARE(geteuid)
SYSCALL_DECLARE(getgid)
SYSCALL_DECLARE(getegid)
SYSCALL_DECLARE(getgroups)
SYSCALL_DECLARE(uname)
SYSCALL_DECLARE(sysinfo)
SYSCALL_DECLARE(getcwd)
SYSCALL_DECLARE(prlimit64)
SYSCALL_DECLARE(getrlimit)
SYSCALL_DECLARE(setrlimit)
/* sys_time.c */
SYSCALL_DECLARE(clock_gettime)
SYSCALL_DECLARE(clock_getres)
SYSCALL_DECLARE(gettimeofday)
SYSCALL_DECLARE(time)
SYSCALL_DECLARE(nanosleep)
SYSCALL_DECLARE(clock_nanosleep)
/* sys_signal.c */
SYSCALL_DECLARE(rt_sigaction)
SYSCALL_DECLARE(rt_sigprocmask)
SYSCALL_DECLARE(rt_sigpending)
SYSCALL_DECLARE(sigaltstack)
/* sys_sched.c */
SYSCALL_DECLARE(prctl)
SYSCALL_DECLARE(getrusage)
SYSCALL_DECLARE(times)
SYSCALL_DECLARE(getpriority)
SYSCALL_DECLARE(setpriority)
SYSCALL_DECLARE(sched_getscheduler)
SYSCALL_DECLARE(sched_setscheduler)
SYSCALL_DECLARE(sched_getparam)
SYSCALL_DECLARE(sched_setparam)
SYSCALL_DECLARE(sched_get_priority_max)
SYSCALL_DECLARE(sched_get_priority_min)
SYSCALL_DECLARE(sched_rr_get_interval)
SYSCALL_DECLARE(personality)
/* sys_proc.c */
SYSCALL_DECLARE(clone)
SYSCALL_DECLARE(clone3)
SYSCALL_DECLARE(fork)
SYSCALL_DECLARE(vfork)
SYSCALL_DECLARE(execve)
SYSCALL_DECLARE(execveat)
SYSCALL_DECLARE(wait4)
SYSCALL_DECLARE(waitid)
SYSCALL_DECLARE(kill)
SYSCALL_DECLARE(tkill)
SYSCALL_DECLARE(tgkill)
SYSCALL_DECLARE(getppid)
SYSCALL_DECLARE(getpgid)
SYSCALL_DECLARE(getpgrp)
SYSCALL_DECLARE(setpgid)
SYSCALL_DECLARE(getsid)
SYSCALL_DECLARE(setsid)
SYSCALL_DECLARE(pidfd_open)
SYSCALL_DECLARE(pidfd_send_signal)
SYSCALL_DECLARE(pidfd_getfd)
SYSCALL_DECLARE(rt_sigreturn)
SYSCALL_DECLARE(rt_sigsuspend)
SYSCALL_DECLARE(pause)
SYSCALL_DECLARE(rt_sigtimedwait)
SYSCALL_DECLARE(rt_sigqueueinfo)
SYSCALL_DECLARE(rt_tgsigqueueinfo)
SYSCALL_DECLARE(restart_syscall)
SYSCALL_DECLARE(signalfd)
SYSCALL_DECLARE(signalfd4)
/* sys_misc.c */
SYSCALL_DECLARE(exit)
SYSCALL_DECLARE(exit_group)
SYSCALL_DECLARE(arch_prctl)
SYSCALL_DECLARE(set_tid_address)
SYSCALL_DECLARE(set_robust_list)
SYSCALL_DECLARE(getrandom)
SYSCALL_DECLARE(sched_yield)
SYSCALL_DECLARE(sched_getaffinity)
#undef SYSCALL_DECLARE

#endif /* SYSCALLS_SYSCALLS_H */
