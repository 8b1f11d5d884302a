/*
 * The x86-64 system call table: for every number Linux defines, the
 * handler (or none), the support level with a note, and how strace prints
 * the arguments and the result. `runsc syscalls` and docs/syscalls.md are
 * generated from it (table_doc.c).
 *
 * One line per syscall, in number order, implemented or not, so that the
 * table is also the list of what is missing and why (as in FreeBSD's
 * Linux emulation). An unimplemented call still describes its arguments,
 * so that --strace shows what the application asked for before ENOSYS.
 *
 *   FULL(name, args...)          implemented as Linux specifies, by sys_<name>
 *   PARTIAL(name, note, args...) implemented by sys_<name>, with the limits in note
 *   UNIMPL(name, note, args...)  returns ENOSYS; note says why
 *
 * and args are:
 *   ARGS(SA_..., ...)  how strace prints each argument (their count is nargs)
 *   NOARGS             the call takes no arguments
 *   RAW(n)             n arguments, printed in hex (not decoded)
 *   LEN(i, j)          buffer argument i has its length (or count) in argument j
 *   RET(SR_...)        how strace prints the result, when not SR_INT
 */
#include "syscalls/syscalls.h"

/*
 * The macros, the notes and the table stay laid out as a table, one entry
 * per line, which clang-format would reflow.
 */
/* clang-format off */
#define FULL(name, ...)         [LINUX_SYS_##name] = { .handler = sys_##name, \
	.support = SYS_FULL, __VA_ARGS__ }
#define PARTIAL(name, why, ...) [LINUX_SYS_##name] = { .handler = sys_##name, \
	.support = SYS_PARTIAL, .note = (why), __VA_ARGS__ }
#define UNIMPL(name, why, ...)  [LINUX_SYS_##name] = { \
	.support = SYS_UNIMPLEMENTED, .note = (why), __VA_ARGS__ }

#define COUNT_ARGS_(a1, a2, a3, a4, a5, a6, n, ...) n
#define COUNT_ARGS(...) COUNT_ARGS_(__VA_ARGS__, 6, 5, 4, 3, 2, 1, 0)

#define ARGS(...)  .nargs = COUNT_ARGS(__VA_ARGS__), .arg = { __VA_ARGS__ }
#define NOARGS     .nargs = 0
#define RAW(n)     .nargs = (n)
#define LEN(i, j)  .len[i] = (j)
#define RET(kind)  .ret = (kind)

/* Why a call is partial or missing, for the notes shared by many calls. */
#define N_HOST_IO  "host files (inherited stdio) only; the VFS comes later (issue 3)"
#define N_VFS      "files: with the VFS (issue 3)"
#define N_MOUNT    "mounts: with the VFS (issue 3)"
#define N_XATTR    "extended attributes: with the VFS (issue 3)"
#define N_POLL     "poll, select and epoll: with the VFS's wait queues (issue 3)"
#define N_INOTIFY  "changes made inside the sandbox only; not the host's changes to volumes"
#define N_SOCK                                                                           \
	"AF_UNIX, AF_INET and AF_INET6 (TCP, UDP, ping, raw; on the sandbox's stack, or host sockets with " \
	"--network=host), AF_NETLINK (NETLINK_ROUTE); other families EAFNOSUPPORT"
#define N_SOCKPAIR "AF_UNIX only (Linux has no socketpair for inet or netlink)"
#define N_PIPE     "the sentry's pipes; per-user pipe page limits are not kept"
#define N_PROC     "processes: issue 4"
#define N_THREADS  "threads and futexes: with processes (issue 4)"
#define N_PGRP     "process groups and sessions: with processes (issue 4)"
#define N_USAGE    "resource usage accounting: with processes (issue 4)"
#define N_NET      "network: issue 7"
#define N_CPUTIMER "CPU-time timers are sampled every 10 ms: they fire up to ~10 ms late"
#define N_IPC      "System V and POSIX IPC: not yet"
#define N_SCHED    "scheduling policy and priorities: not emulated yet"
#define N_NUMA     "NUMA memory policy: not emulated"
#define N_MLOCK    "memory locking: not yet"
#define N_AIO      "asynchronous I/O (aio, io_uring): not yet"
#define N_NS       "namespaces: not yet"
#define N_KEYS     "kernel keyrings: not emulated"
#define N_LSM      "security modules (Landlock, LSM attributes): not yet"
#define N_HOST     "administers the machine: never from inside a sandbox"
#define N_GONE     "not in current Linux either (removed or never implemented)"
#define N_X86_32   "32-bit segments and I/O ports: not supported (64-bit code only)"
#define N_HOSTATTR "not for inherited host files (stdio) nor memfds yet: EOPNOTSUPP"
#define N_LOCKWAIT "a blocked lock is not interrupted by signals yet; no EDEADLK"

const struct syscall_entry g_syscall_table[LINUX_SYSCALL_MAX] = {
	PARTIAL(read, N_HOST_IO, ARGS(SA_FD, SA_BUF_RET, SA_UINT)),
	PARTIAL(write, N_HOST_IO, ARGS(SA_FD, SA_BUF_IN, SA_UINT), LEN(1, 2)),
	FULL(open, ARGS(SA_STR, SA_OPEN_FLAGS, SA_OCT)),
	FULL(close, ARGS(SA_FD)),
	FULL(stat, ARGS(SA_STR, SA_STAT_OUT)),
	FULL(fstat, ARGS(SA_FD, SA_STAT_OUT)),
	FULL(lstat, ARGS(SA_STR, SA_STAT_OUT)),
	PARTIAL(poll, "interrupted and restarted, it waits its whole timeout again (no restart "
	        "block yet)", ARGS(SA_POLLFD_IN, SA_UINT, SA_INT), LEN(0, 1)),
	PARTIAL(lseek, N_HOST_IO, ARGS(SA_FD, SA_INT, SA_WHENCE)),
	PARTIAL(mmap, "anonymous memory only; file mappings come with the VFS (issue 3)",
	        ARGS(SA_PTR, SA_UINT, SA_PROT, SA_MMAP_FLAGS, SA_FD, SA_HEX), RET(SR_HEX)),
	FULL(mprotect, ARGS(SA_PTR, SA_UINT, SA_PROT)),
	FULL(munmap, ARGS(SA_PTR, SA_UINT)),
	FULL(brk, ARGS(SA_PTR), RET(SR_HEX)),
	PARTIAL(rt_sigaction, "SA_NOCLDSTOP and SA_NOCLDWAIT take effect with child processes (issue 4)",
	        ARGS(SA_SIGNAL, SA_SIGACTION_IN, SA_SIGACTION_OUT, SA_UINT)),
	FULL(rt_sigprocmask, ARGS(SA_SIGPROCMASK_HOW, SA_SIGSET_IN, SA_SIGSET_OUT, SA_UINT)),
	PARTIAL(rt_sigreturn, "the frame's err has no page-fault write bit (ptrace does not report it)",
		NOARGS),
	PARTIAL(ioctl,
	        "host terminals: termios, window size, queues, flush, flow, break, TIOCEXCL and job "
	        "control (TIOCSTI is EIO; no line disciplines, modem lines or master side); "
	        "FIONREAD, FIONBIO, FIOCLEX/FIONCLEX; each file's own",
	        ARGS(SA_FD, SA_IOCTL_CMD, SA_HEX)),
	PARTIAL(pread64, N_HOST_IO, ARGS(SA_FD, SA_BUF_RET, SA_UINT, SA_INT)),
	PARTIAL(pwrite64, N_HOST_IO, ARGS(SA_FD, SA_BUF_IN, SA_UINT, SA_INT), LEN(1, 2)),
	PARTIAL(readv, N_HOST_IO, ARGS(SA_FD, SA_IOV_RET, SA_INT), LEN(1, 2)),
	PARTIAL(writev, N_HOST_IO, ARGS(SA_FD, SA_IOV_IN, SA_INT), LEN(1, 2)),
	FULL(access, ARGS(SA_STR, SA_ACCESS_MODE)),
	PARTIAL(pipe, N_PIPE, ARGS(SA_FDPAIR_OUT)),
	FULL(select, ARGS(SA_INT, SA_PTR, SA_PTR, SA_PTR, SA_PTR)),
	FULL(sched_yield, NOARGS),
	FULL(mremap, ARGS(SA_PTR, SA_UINT, SA_UINT, SA_MREMAP_FLAGS, SA_PTR), RET(SR_HEX)),
	FULL(msync, ARGS(SA_PTR, SA_UINT, SA_MSYNC_FLAGS)),
	FULL(mincore, ARGS(SA_PTR, SA_UINT, SA_PTR)),
	FULL(madvise, ARGS(SA_PTR, SA_UINT, SA_MADV)),
	UNIMPL(shmget, N_IPC, ARGS(SA_INT, SA_UINT, SA_HEX)),
	UNIMPL(shmat, N_IPC, ARGS(SA_INT, SA_PTR, SA_HEX), RET(SR_HEX)),
	UNIMPL(shmctl, N_IPC, ARGS(SA_INT, SA_INT, SA_PTR)),
	FULL(dup, ARGS(SA_FD)),
	FULL(dup2, ARGS(SA_FD, SA_FD)),
	FULL(pause, NOARGS),
	FULL(nanosleep, ARGS(SA_TIMESPEC_IN, SA_TIMESPEC_OUT)),
	FULL(getitimer, ARGS(SA_INT, SA_PTR)),
	FULL(alarm, ARGS(SA_UINT)),
	PARTIAL(setitimer, N_CPUTIMER, ARGS(SA_INT, SA_PTR, SA_PTR)),
	FULL(getpid, NOARGS),
	FULL(sendfile, ARGS(SA_FD, SA_FD, SA_PTR, SA_UINT)),
	PARTIAL(socket, N_SOCK, ARGS(SA_SOCK_FAMILY, SA_SOCK_TYPE, SA_INT)),
	PARTIAL(connect, N_SOCK, ARGS(SA_FD, SA_SOCKADDR_IN, SA_UINT), LEN(1, 2)),
	PARTIAL(accept, N_SOCK, ARGS(SA_FD, SA_PTR, SA_PTR)),
	PARTIAL(sendto, N_SOCK, ARGS(SA_FD, SA_BUF_IN, SA_UINT, SA_HEX, SA_SOCKADDR_IN, SA_UINT),
	       LEN(1, 2), LEN(4, 5)),
	PARTIAL(recvfrom, N_SOCK, ARGS(SA_FD, SA_BUF_RET, SA_UINT, SA_HEX, SA_PTR, SA_PTR)),
	PARTIAL(sendmsg, N_SOCK, ARGS(SA_FD, SA_PTR, SA_HEX)),
	PARTIAL(recvmsg, N_SOCK, ARGS(SA_FD, SA_PTR, SA_HEX)),
	PARTIAL(shutdown, N_SOCK, ARGS(SA_FD, SA_INT)),
	PARTIAL(bind, N_SOCK, ARGS(SA_FD, SA_SOCKADDR_IN, SA_UINT), LEN(1, 2)),
	PARTIAL(listen, N_SOCK, ARGS(SA_FD, SA_INT)),
	PARTIAL(getsockname, N_SOCK, ARGS(SA_FD, SA_PTR, SA_PTR)),
	PARTIAL(getpeername, N_SOCK, ARGS(SA_FD, SA_PTR, SA_PTR)),
	PARTIAL(socketpair, N_SOCKPAIR, ARGS(SA_SOCK_FAMILY, SA_SOCK_TYPE, SA_INT, SA_FDPAIR_OUT)),
	PARTIAL(setsockopt, N_SOCK, ARGS(SA_FD, SA_INT, SA_INT, SA_PTR, SA_UINT)),
	PARTIAL(getsockopt, N_SOCK, ARGS(SA_FD, SA_INT, SA_INT, SA_PTR, SA_PTR)),
	PARTIAL(clone, "no new namespaces, or CLONE_SIGHAND without CLONE_THREAD", ARGS(SA_CLONE_FLAGS, SA_PTR, SA_PTR, SA_PTR, SA_HEX)),
	FULL(fork, NOARGS),
	FULL(vfork, NOARGS),
	FULL(execve, ARGS(SA_STR, SA_STRV, SA_PTR)),
	FULL(exit, ARGS(SA_INT),
		RET(SR_NONE)),
	FULL(wait4, ARGS(SA_INT, SA_PTR, SA_WAIT_OPTIONS, SA_PTR)),
	FULL(kill, ARGS(SA_INT, SA_SIGNAL)),
	FULL(uname, ARGS(SA_UTSNAME_OUT)),
	UNIMPL(semget, N_IPC, ARGS(SA_INT, SA_INT, SA_HEX)),
	UNIMPL(semop, N_IPC, ARGS(SA_INT, SA_PTR, SA_UINT)),
	UNIMPL(semctl, N_IPC, ARGS(SA_INT, SA_INT, SA_INT, SA_HEX)),
	UNIMPL(shmdt, N_IPC, ARGS(SA_PTR)),
	UNIMPL(msgget, N_IPC, ARGS(SA_INT, SA_HEX)),
	UNIMPL(msgsnd, N_IPC, ARGS(SA_INT, SA_PTR, SA_UINT, SA_HEX)),
	UNIMPL(msgrcv, N_IPC, ARGS(SA_INT, SA_PTR, SA_UINT, SA_INT, SA_HEX)),
	UNIMPL(msgctl, N_IPC, ARGS(SA_INT, SA_INT, SA_PTR)),
	PARTIAL(fcntl, "F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD, F_SETFD, F_GETFL, F_SETFL, and the POSIX "
	        "and OFD record locks (" N_LOCKWAIT "); no owners, leases, notify or seals",
	        ARGS(SA_FD, SA_FCNTL_CMD, SA_FCNTL_ARG)),
	PARTIAL(flock, "a blocked flock is not interrupted by signals yet", ARGS(SA_FD, SA_FLOCK_OP)),
	FULL(fsync, ARGS(SA_FD)),
	FULL(fdatasync, ARGS(SA_FD)),
	FULL(truncate, ARGS(SA_STR, SA_INT)),
	PARTIAL(ftruncate, "not for inherited host files (stdio) yet: EINVAL", ARGS(SA_FD, SA_INT)),
	FULL(getdents, ARGS(SA_FD, SA_PTR, SA_UINT)),
	FULL(getcwd, ARGS(SA_STR_OUT, SA_UINT)),
	FULL(chdir, ARGS(SA_STR)),
	FULL(fchdir, ARGS(SA_FD)),
	FULL(rename, ARGS(SA_STR, SA_STR)),
	FULL(mkdir, ARGS(SA_STR, SA_OCT)),
	FULL(rmdir, ARGS(SA_STR)),
	FULL(creat, ARGS(SA_STR, SA_OCT)),
	FULL(link, ARGS(SA_STR, SA_STR)),
	FULL(unlink, ARGS(SA_STR)),
	FULL(symlink, ARGS(SA_STR, SA_STR)),
	FULL(readlink, ARGS(SA_STR, SA_BUF_RET, SA_UINT)),
	FULL(chmod, ARGS(SA_STR, SA_OCT)),
	PARTIAL(fchmod, N_HOSTATTR, ARGS(SA_FD, SA_OCT)),
	FULL(chown, ARGS(SA_STR, SA_INT, SA_INT)),
	PARTIAL(fchown, N_HOSTATTR, ARGS(SA_FD, SA_INT, SA_INT)),
	FULL(lchown, ARGS(SA_STR, SA_INT, SA_INT)),
	FULL(umask, ARGS(SA_OCT)),
	FULL(gettimeofday, ARGS(SA_TIMEVAL_OUT, SA_PTR)),
	FULL(getrlimit, ARGS(SA_RLIMIT_RES, SA_RLIMIT_OUT)),
	PARTIAL(getrusage, "CPU times only; the other fields are zero", ARGS(SA_INT, SA_PTR)),
	PARTIAL(sysinfo, "load averages are not tracked yet (0)", ARGS(SA_PTR)),
	FULL(times, ARGS(SA_PTR)),
	UNIMPL(ptrace, "ptrace of sandboxed processes: with processes (issue 4)",
	       ARGS(SA_INT, SA_INT, SA_PTR, SA_PTR)),
	FULL(getuid, NOARGS),
	UNIMPL(syslog, "the kernel log: not emulated", ARGS(SA_INT, SA_PTR, SA_INT)),
	FULL(getgid, NOARGS),
	FULL(setuid, ARGS(SA_INT)),
	FULL(setgid, ARGS(SA_INT)),
	FULL(geteuid, NOARGS),
	FULL(getegid, NOARGS),
	PARTIAL(setpgid, "a child that has exec'd can still be moved (no EACCES)", ARGS(SA_INT, SA_INT)),
	FULL(getppid, NOARGS),
	FULL(getpgrp, NOARGS),
	FULL(setsid, NOARGS),
	FULL(setreuid, ARGS(SA_INT, SA_INT)),
	FULL(setregid, ARGS(SA_INT, SA_INT)),
	FULL(getgroups, ARGS(SA_INT, SA_PTR)),
	PARTIAL(setgroups, "at most 32 groups", ARGS(SA_INT, SA_PTR)),
	FULL(setresuid, ARGS(SA_INT, SA_INT, SA_INT)),
	FULL(getresuid, ARGS(SA_PTR, SA_PTR, SA_PTR)),
	FULL(setresgid, ARGS(SA_INT, SA_INT, SA_INT)),
	FULL(getresgid, ARGS(SA_PTR, SA_PTR, SA_PTR)),
	FULL(getpgid, ARGS(SA_INT)),
	FULL(setfsuid, ARGS(SA_INT)),
	FULL(setfsgid, ARGS(SA_INT)),
	FULL(getsid, ARGS(SA_INT)),
	FULL(capget, ARGS(SA_PTR, SA_PTR)),
	FULL(capset, ARGS(SA_PTR, SA_PTR)),
	FULL(rt_sigpending, ARGS(SA_SIGSET_OUT, SA_UINT)),
	FULL(rt_sigtimedwait, ARGS(SA_SIGSET_IN, SA_PTR, SA_TIMESPEC_IN, SA_UINT)),
	PARTIAL(rt_sigqueueinfo, "RLIMIT_SIGPENDING counts per process",
		ARGS(SA_INT, SA_SIGNAL, SA_PTR)),
	FULL(rt_sigsuspend, ARGS(SA_SIGSET_IN, SA_UINT)),
	FULL(sigaltstack, ARGS(SA_PTR, SA_PTR)),
	FULL(utime, ARGS(SA_STR, SA_PTR)),
	FULL(mknod, ARGS(SA_STR, SA_OCT, SA_HEX)),
	UNIMPL(uselib, N_GONE, ARGS(SA_STR)),
	PARTIAL(personality, "PER_LINUX only; of its flags only ADDR_NO_RANDOMIZE has an effect", ARGS(SA_HEX)),
	UNIMPL(ustat, N_VFS, ARGS(SA_HEX, SA_PTR)),
	FULL(statfs, ARGS(SA_STR, SA_PTR)),
	PARTIAL(fstatfs, "not for inherited host files (stdio): EOPNOTSUPP", ARGS(SA_FD, SA_PTR)),
	UNIMPL(sysfs, "obsolete filesystem type queries: not emulated", RAW(3)),
	PARTIAL(getpriority, "nice values are kept but the host schedules every thread alike", ARGS(SA_INT, SA_INT)),
	PARTIAL(setpriority, "nice values are kept but the host schedules every thread alike", ARGS(SA_INT, SA_INT, SA_INT)),
	PARTIAL(sched_setparam, "SCHED_OTHER only", ARGS(SA_INT, SA_PTR)),
	FULL(sched_getparam, ARGS(SA_INT, SA_PTR)),
	PARTIAL(sched_setscheduler, "real-time policies are EPERM", ARGS(SA_INT, SA_INT, SA_PTR)),
	FULL(sched_getscheduler, ARGS(SA_INT)),
	FULL(sched_get_priority_max, ARGS(SA_INT)),
	FULL(sched_get_priority_min, ARGS(SA_INT)),
	FULL(sched_rr_get_interval, ARGS(SA_INT, SA_PTR)),
	UNIMPL(mlock, N_MLOCK, ARGS(SA_PTR, SA_UINT)),
	UNIMPL(munlock, N_MLOCK, ARGS(SA_PTR, SA_UINT)),
	UNIMPL(mlockall, N_MLOCK, ARGS(SA_HEX)),
	UNIMPL(munlockall, N_MLOCK, NOARGS),
	UNIMPL(vhangup, N_HOST, NOARGS),
	UNIMPL(modify_ldt, N_X86_32, ARGS(SA_INT, SA_PTR, SA_UINT)),
	UNIMPL(pivot_root, N_MOUNT, ARGS(SA_STR, SA_STR)),
	UNIMPL(_sysctl, N_GONE, ARGS(SA_PTR)),
	PARTIAL(prctl, "names, parent-death signal, dumpable, keepcaps, securebits, "
	        "capability bounding and ambient sets, subreaper, no_new_privs, timer slack, "
	        "tid address; no seccomp filters; others EINVAL",
	        ARGS(SA_INT, SA_HEX, SA_HEX, SA_HEX, SA_HEX)),
	PARTIAL(arch_prctl, "FS and GS bases only; no ARCH_GET_CPUID or ARCH_SET_CPUID",
	        ARGS(SA_ARCH_PRCTL_CODE, SA_PTR)),
	UNIMPL(adjtimex, "clock adjustment: not emulated", ARGS(SA_PTR)),
	PARTIAL(setrlimit, "stored; not every limit is enforced yet",
	        ARGS(SA_RLIMIT_RES, SA_RLIMIT_IN)),
	FULL(chroot, ARGS(SA_STR)),
	FULL(sync, NOARGS),
	UNIMPL(acct, N_HOST, ARGS(SA_STR)),
	UNIMPL(settimeofday, N_HOST, ARGS(SA_PTR, SA_PTR)),
	PARTIAL(mount, "no MS_MOVE (EINVAL); MS_BIND | MS_REC does not copy submounts; "
	        "propagation flags are no-ops",
	        ARGS(SA_STR, SA_STR, SA_STR, SA_MOUNT_FLAGS, SA_STR)),
	FULL(umount2, ARGS(SA_STR, SA_UMOUNT_FLAGS)),
	UNIMPL(swapon, N_HOST, ARGS(SA_STR, SA_HEX)),
	UNIMPL(swapoff, N_HOST, ARGS(SA_STR)),
	UNIMPL(reboot, N_HOST, ARGS(SA_HEX, SA_HEX, SA_HEX, SA_PTR)),
	UNIMPL(sethostname, "UTS names: fixed at boot for now", ARGS(SA_BUF_IN, SA_UINT),
	       LEN(0, 1)),
	UNIMPL(setdomainname, "UTS names: fixed at boot for now", ARGS(SA_BUF_IN, SA_UINT),
	       LEN(0, 1)),
	UNIMPL(iopl, N_X86_32, ARGS(SA_INT)),
	UNIMPL(ioperm, N_X86_32, ARGS(SA_HEX, SA_HEX, SA_INT)),
	UNIMPL(create_module, N_GONE, ARGS(SA_STR, SA_UINT)),
	UNIMPL(init_module, N_HOST, ARGS(SA_PTR, SA_UINT, SA_STR)),
	UNIMPL(delete_module, N_HOST, ARGS(SA_STR, SA_HEX)),
	UNIMPL(get_kernel_syms, N_GONE, ARGS(SA_PTR)),
	UNIMPL(query_module, N_GONE, RAW(5)),
	UNIMPL(quotactl, "disk quotas: not emulated", ARGS(SA_HEX, SA_STR, SA_INT, SA_PTR)),
	UNIMPL(nfsservctl, N_GONE, RAW(3)),
	UNIMPL(getpmsg, N_GONE, RAW(5)),
	UNIMPL(putpmsg, N_GONE, RAW(5)),
	UNIMPL(afs_syscall, N_GONE, RAW(5)),
	UNIMPL(tuxcall, N_GONE, RAW(3)),
	UNIMPL(security, N_GONE, RAW(3)),
	FULL(gettid, NOARGS),
	UNIMPL(readahead, N_VFS, ARGS(SA_FD, SA_INT, SA_UINT)),
	FULL(setxattr, ARGS(SA_STR, SA_STR, SA_PTR, SA_UINT, SA_XATTR_FLAGS)),
	FULL(lsetxattr, ARGS(SA_STR, SA_STR, SA_PTR, SA_UINT, SA_XATTR_FLAGS)),
	FULL(fsetxattr, ARGS(SA_FD, SA_STR, SA_PTR, SA_UINT, SA_XATTR_FLAGS)),
	FULL(getxattr, ARGS(SA_STR, SA_STR, SA_PTR, SA_UINT)),
	FULL(lgetxattr, ARGS(SA_STR, SA_STR, SA_PTR, SA_UINT)),
	FULL(fgetxattr, ARGS(SA_FD, SA_STR, SA_PTR, SA_UINT)),
	FULL(listxattr, ARGS(SA_STR, SA_PTR, SA_UINT)),
	FULL(llistxattr, ARGS(SA_STR, SA_PTR, SA_UINT)),
	FULL(flistxattr, ARGS(SA_FD, SA_PTR, SA_UINT)),
	FULL(removexattr, ARGS(SA_STR, SA_STR)),
	FULL(lremovexattr, ARGS(SA_STR, SA_STR)),
	FULL(fremovexattr, ARGS(SA_FD, SA_STR)),
	FULL(tkill, ARGS(SA_INT, SA_SIGNAL)),
	FULL(time, ARGS(SA_PTR)),
	PARTIAL(futex,
	        "WAIT, WAKE, REQUEUE, CMP_REQUEUE, WAKE_OP and the BITSET forms, private and "
	        "shared; the PI operations are ENOSYS (no atomic access to guest memory); "
	        "WAKE_OP's update is atomic against other futex calls, not against the "
	        "application's own atomics; a timed wait restarts with its whole timeout",
	        ARGS(SA_PTR, SA_FUTEX_OP, SA_INT, SA_PTR, SA_PTR, SA_HEX)),
	UNIMPL(sched_setaffinity, N_SCHED, ARGS(SA_INT, SA_UINT, SA_PTR)),
	FULL(sched_getaffinity, ARGS(SA_INT, SA_UINT, SA_PTR)),
	UNIMPL(set_thread_area, N_X86_32, ARGS(SA_PTR)),
	UNIMPL(io_setup, N_AIO, ARGS(SA_UINT, SA_PTR)),
	UNIMPL(io_destroy, N_AIO, ARGS(SA_HEX)),
	UNIMPL(io_getevents, N_AIO, ARGS(SA_HEX, SA_INT, SA_INT, SA_PTR, SA_TIMESPEC_IN)),
	UNIMPL(io_submit, N_AIO, ARGS(SA_HEX, SA_INT, SA_PTR)),
	UNIMPL(io_cancel, N_AIO, ARGS(SA_HEX, SA_PTR, SA_PTR)),
	UNIMPL(get_thread_area, N_X86_32, ARGS(SA_PTR)),
	UNIMPL(lookup_dcookie, N_GONE, RAW(3)),
	FULL(epoll_create, ARGS(SA_INT)),
	UNIMPL(epoll_ctl_old, N_GONE, RAW(4)),
	UNIMPL(epoll_wait_old, N_GONE, RAW(4)),
	UNIMPL(remap_file_pages, N_VFS, ARGS(SA_PTR, SA_UINT, SA_PROT, SA_UINT, SA_HEX)),
	FULL(getdents64, ARGS(SA_FD, SA_PTR, SA_UINT)),
	PARTIAL(set_tid_address, "stored; the wake-up at thread exit comes with threads (issue 4)",
	        ARGS(SA_PTR)),
	FULL(restart_syscall, NOARGS),
	UNIMPL(semtimedop, N_IPC, ARGS(SA_INT, SA_PTR, SA_UINT, SA_TIMESPEC_IN)),
	UNIMPL(fadvise64, N_VFS, ARGS(SA_FD, SA_INT, SA_UINT, SA_INT)),
	PARTIAL(timer_create, N_CPUTIMER "; _ALARM clocks run on their plain clocks",
	        ARGS(SA_CLOCKID, SA_PTR, SA_PTR)),
	FULL(timer_settime, ARGS(SA_INT, SA_HEX, SA_PTR, SA_PTR)),
	FULL(timer_gettime, ARGS(SA_INT, SA_PTR)),
	FULL(timer_getoverrun, ARGS(SA_INT)),
	FULL(timer_delete, ARGS(SA_INT)),
	UNIMPL(clock_settime, N_HOST, ARGS(SA_CLOCKID, SA_TIMESPEC_IN)),
	FULL(clock_gettime, ARGS(SA_CLOCKID, SA_TIMESPEC_OUT)),
	FULL(clock_getres, ARGS(SA_CLOCKID, SA_TIMESPEC_OUT)),
	PARTIAL(clock_nanosleep, "CLOCK_PROCESS_CPUTIME_ID is EOPNOTSUPP",
		ARGS(SA_CLOCKID, SA_INT, SA_TIMESPEC_IN, SA_TIMESPEC_OUT)),
	FULL(exit_group, ARGS(SA_INT), RET(SR_NONE)),
	FULL(epoll_wait, ARGS(SA_FD, SA_PTR, SA_INT, SA_INT)),
	PARTIAL(epoll_ctl, "no limit on watches (ENOSPC) nor on wake-up paths",
		ARGS(SA_FD, SA_EPOLL_CTL_OP, SA_FD, SA_PTR)),
	FULL(tgkill, ARGS(SA_INT, SA_INT, SA_SIGNAL)),
	FULL(utimes, ARGS(SA_STR, SA_PTR)),
	UNIMPL(vserver, N_GONE, RAW(5)),
	UNIMPL(mbind, N_NUMA, ARGS(SA_PTR, SA_UINT, SA_INT, SA_PTR, SA_UINT, SA_HEX)),
	UNIMPL(set_mempolicy, N_NUMA, ARGS(SA_INT, SA_PTR, SA_UINT)),
	UNIMPL(get_mempolicy, N_NUMA, ARGS(SA_PTR, SA_PTR, SA_UINT, SA_PTR, SA_HEX)),
	UNIMPL(mq_open, N_IPC, ARGS(SA_STR, SA_OPEN_FLAGS, SA_OCT, SA_PTR)),
	UNIMPL(mq_unlink, N_IPC, ARGS(SA_STR)),
	UNIMPL(mq_timedsend, N_IPC, ARGS(SA_FD, SA_BUF_IN, SA_UINT, SA_UINT, SA_TIMESPEC_IN),
	       LEN(1, 2)),
	UNIMPL(mq_timedreceive, N_IPC, ARGS(SA_FD, SA_BUF_RET, SA_UINT, SA_PTR, SA_TIMESPEC_IN)),
	UNIMPL(mq_notify, N_IPC, ARGS(SA_FD, SA_PTR)),
	UNIMPL(mq_getsetattr, N_IPC, ARGS(SA_FD, SA_PTR, SA_PTR)),
	UNIMPL(kexec_load, N_HOST, RAW(4)),
	FULL(waitid, ARGS(SA_INT, SA_INT, SA_PTR, SA_WAIT_OPTIONS, SA_PTR)),
	UNIMPL(add_key, N_KEYS, ARGS(SA_STR, SA_STR, SA_PTR, SA_UINT, SA_INT)),
	UNIMPL(request_key, N_KEYS, ARGS(SA_STR, SA_STR, SA_STR, SA_INT)),
	UNIMPL(keyctl, N_KEYS, ARGS(SA_INT, SA_HEX, SA_HEX, SA_HEX, SA_HEX)),
	UNIMPL(ioprio_set, N_SCHED, ARGS(SA_INT, SA_INT, SA_INT)),
	UNIMPL(ioprio_get, N_SCHED, ARGS(SA_INT, SA_INT)),
	PARTIAL(inotify_init, N_INOTIFY, NOARGS),
	PARTIAL(inotify_add_watch, N_INOTIFY, ARGS(SA_FD, SA_STR, SA_HEX)),
	PARTIAL(inotify_rm_watch, N_INOTIFY, ARGS(SA_FD, SA_INT)),
	UNIMPL(migrate_pages, N_NUMA, ARGS(SA_INT, SA_UINT, SA_PTR, SA_PTR)),
	FULL(openat, ARGS(SA_FD, SA_STR, SA_OPEN_FLAGS, SA_OCT)),
	FULL(mkdirat, ARGS(SA_FD, SA_STR, SA_OCT)),
	FULL(mknodat, ARGS(SA_FD, SA_STR, SA_OCT, SA_HEX)),
	FULL(fchownat, ARGS(SA_FD, SA_STR, SA_INT, SA_INT, SA_AT_FLAGS)),
	FULL(futimesat, ARGS(SA_FD, SA_STR, SA_PTR)),
	FULL(newfstatat, ARGS(SA_FD, SA_STR, SA_STAT_OUT, SA_AT_FLAGS)),
	FULL(unlinkat, ARGS(SA_FD, SA_STR, SA_AT_FLAGS)),
	FULL(renameat, ARGS(SA_FD, SA_STR, SA_FD, SA_STR)),
	PARTIAL(linkat, "AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH: files do not keep "
	        "their opener's creds",
	        ARGS(SA_FD, SA_STR, SA_FD, SA_STR, SA_AT_FLAGS)),
	FULL(symlinkat, ARGS(SA_STR, SA_FD, SA_STR)),
	FULL(readlinkat, ARGS(SA_FD, SA_STR, SA_BUF_RET, SA_UINT)),
	FULL(fchmodat, ARGS(SA_FD, SA_STR, SA_OCT)),
	FULL(faccessat, ARGS(SA_FD, SA_STR, SA_ACCESS_MODE)),
	FULL(pselect6,
	        ARGS(SA_INT, SA_PTR, SA_PTR, SA_PTR, SA_TIMESPEC_IN, SA_PTR)),
	FULL(ppoll,
	        ARGS(SA_POLLFD_IN, SA_UINT, SA_TIMESPEC_IN, SA_SIGSET_IN, SA_UINT), LEN(0, 1)),
	UNIMPL(unshare, N_NS, ARGS(SA_CLONE_FLAGS)),
	FULL(set_robust_list, ARGS(SA_PTR, SA_UINT)),
	FULL(get_robust_list, ARGS(SA_INT, SA_PTR, SA_PTR)),
	PARTIAL(splice, "a bounce-buffer copy; from a host pipe (inherited stdio), data read "
	        "but not written is lost",
	        ARGS(SA_FD, SA_PTR, SA_FD, SA_PTR, SA_UINT, SA_SPLICE_FLAGS)),
	PARTIAL(tee, "a host pipe (inherited stdio) tees only into a host pipe",
	        ARGS(SA_FD, SA_FD, SA_UINT, SA_SPLICE_FLAGS)),
	FULL(sync_file_range, ARGS(SA_FD, SA_INT, SA_INT, SA_HEX)),
	UNIMPL(vmsplice, "not yet: write(2) and read(2) on the pipe do the same, with a copy", ARGS(SA_FD, SA_IOV_IN, SA_UINT, SA_HEX), LEN(1, 2)),
	UNIMPL(move_pages, N_NUMA, ARGS(SA_INT, SA_UINT, SA_PTR, SA_PTR, SA_PTR, SA_HEX)),
	FULL(utimensat, ARGS(SA_FD, SA_STR, SA_PTR, SA_AT_FLAGS)),
	FULL(epoll_pwait, ARGS(SA_FD, SA_PTR, SA_INT, SA_INT, SA_SIGSET_IN, SA_UINT)),
	FULL(signalfd, ARGS(SA_FD, SA_SIGSET_IN, SA_UINT)),
	PARTIAL(timerfd_create, "the _ALARM clocks run on their plain clocks (no wake from suspend)",
		ARGS(SA_CLOCKID, SA_FD_FLAGS)),
	FULL(eventfd, ARGS(SA_UINT)),
	FULL(fallocate, ARGS(SA_FD, SA_FALLOC_MODE, SA_INT, SA_INT)),
	FULL(timerfd_settime, ARGS(SA_FD, SA_HEX, SA_PTR, SA_PTR)),
	FULL(timerfd_gettime, ARGS(SA_FD, SA_PTR)),
	PARTIAL(accept4, N_SOCK, ARGS(SA_FD, SA_PTR, SA_PTR, SA_SOCK_TYPE)),
	FULL(signalfd4, ARGS(SA_FD, SA_SIGSET_IN, SA_UINT, SA_FD_FLAGS)),
	FULL(eventfd2, ARGS(SA_UINT, SA_FD_FLAGS)),
	FULL(epoll_create1, ARGS(SA_FD_FLAGS)),
	FULL(dup3, ARGS(SA_FD, SA_FD, SA_FD_FLAGS)),
	PARTIAL(pipe2, N_PIPE, ARGS(SA_FDPAIR_OUT, SA_FD_FLAGS)),
	PARTIAL(inotify_init1, N_INOTIFY, ARGS(SA_FD_FLAGS)),
	UNIMPL(preadv, N_VFS, ARGS(SA_FD, SA_IOV_RET, SA_INT, SA_INT), LEN(1, 2)),
	UNIMPL(pwritev, N_VFS, ARGS(SA_FD, SA_IOV_IN, SA_INT, SA_INT), LEN(1, 2)),
	FULL(rt_tgsigqueueinfo, ARGS(SA_INT, SA_INT, SA_SIGNAL, SA_PTR)),
	UNIMPL(perf_event_open, "performance counters: not supported",
	       ARGS(SA_PTR, SA_INT, SA_INT, SA_FD, SA_HEX)),
	PARTIAL(recvmmsg, N_SOCK, ARGS(SA_FD, SA_PTR, SA_UINT, SA_HEX, SA_TIMESPEC_IN)),
	UNIMPL(fanotify_init, "fanotify: not yet", ARGS(SA_HEX, SA_HEX)),
	UNIMPL(fanotify_mark, "fanotify: not yet", ARGS(SA_FD, SA_HEX, SA_HEX, SA_FD, SA_STR)),
	PARTIAL(prlimit64, "the calling process only",
	        ARGS(SA_INT, SA_RLIMIT_RES, SA_RLIMIT_IN, SA_RLIMIT_OUT)),
	UNIMPL(name_to_handle_at, N_VFS, ARGS(SA_FD, SA_STR, SA_PTR, SA_PTR, SA_AT_FLAGS)),
	UNIMPL(open_by_handle_at, N_VFS, ARGS(SA_FD, SA_PTR, SA_OPEN_FLAGS)),
	UNIMPL(clock_adjtime, N_HOST, ARGS(SA_CLOCKID, SA_PTR)),
	FULL(syncfs, ARGS(SA_FD)),
	PARTIAL(sendmmsg, N_SOCK, ARGS(SA_FD, SA_PTR, SA_UINT, SA_HEX)),
	UNIMPL(setns, N_NS, ARGS(SA_FD, SA_CLONE_FLAGS)),
	UNIMPL(getcpu, N_SCHED, ARGS(SA_PTR, SA_PTR, SA_PTR)),
	UNIMPL(process_vm_readv, N_PROC, ARGS(SA_INT, SA_PTR, SA_UINT, SA_PTR, SA_UINT, SA_HEX)),
	UNIMPL(process_vm_writev, N_PROC, ARGS(SA_INT, SA_PTR, SA_UINT, SA_PTR, SA_UINT, SA_HEX)),
	UNIMPL(kcmp, N_PROC, ARGS(SA_INT, SA_INT, SA_INT, SA_HEX, SA_HEX)),
	UNIMPL(finit_module, N_HOST, ARGS(SA_FD, SA_STR, SA_HEX)),
	UNIMPL(sched_setattr, N_SCHED, ARGS(SA_INT, SA_PTR, SA_HEX)),
	UNIMPL(sched_getattr, N_SCHED, ARGS(SA_INT, SA_PTR, SA_UINT, SA_HEX)),
	PARTIAL(renameat2, "no RENAME_WHITEOUT (EINVAL)",
	        ARGS(SA_FD, SA_STR, SA_FD, SA_STR, SA_RENAME_FLAGS)),
	UNIMPL(seccomp, "seccomp filters inside the sandbox: not yet",
	       ARGS(SA_INT, SA_HEX, SA_PTR)),
	FULL(getrandom, ARGS(SA_BUF_RET, SA_UINT, SA_GRND_FLAGS)),
	PARTIAL(memfd_create, "no seals (F_ADD_SEALS), no MFD_HUGETLB (EINVAL)",
	        ARGS(SA_STR, SA_MFD_FLAGS)),
	UNIMPL(kexec_file_load, N_HOST, RAW(5)),
	UNIMPL(bpf, "BPF: not supported", ARGS(SA_INT, SA_PTR, SA_UINT)),
	FULL(execveat, ARGS(SA_FD, SA_STR, SA_STRV, SA_PTR, SA_AT_FLAGS)),
	UNIMPL(userfaultfd, "userfaultfd: not supported", ARGS(SA_FD_FLAGS)),
	UNIMPL(membarrier, N_THREADS, ARGS(SA_INT, SA_HEX, SA_INT)),
	UNIMPL(mlock2, N_MLOCK, ARGS(SA_PTR, SA_UINT, SA_HEX)),
	FULL(copy_file_range, ARGS(SA_FD, SA_PTR, SA_FD, SA_PTR, SA_UINT, SA_HEX)),
	UNIMPL(preadv2, N_VFS, ARGS(SA_FD, SA_IOV_RET, SA_INT, SA_INT, SA_INT, SA_HEX), LEN(1, 2)),
	UNIMPL(pwritev2, N_VFS, ARGS(SA_FD, SA_IOV_IN, SA_INT, SA_INT, SA_INT, SA_HEX), LEN(1, 2)),
	UNIMPL(pkey_mprotect, "memory protection keys: not supported",
	       ARGS(SA_PTR, SA_UINT, SA_PROT, SA_INT)),
	UNIMPL(pkey_alloc, "memory protection keys: not supported", ARGS(SA_HEX, SA_HEX)),
	UNIMPL(pkey_free, "memory protection keys: not supported", ARGS(SA_INT)),
	FULL(statx, ARGS(SA_FD, SA_STR, SA_AT_FLAGS, SA_STATX_MASK, SA_PTR)),
	UNIMPL(io_pgetevents, N_AIO, ARGS(SA_HEX, SA_INT, SA_INT, SA_PTR, SA_TIMESPEC_IN, SA_PTR)),
	UNIMPL(rseq, "restartable sequences: not yet (glibc runs without them)",
	       ARGS(SA_PTR, SA_UINT, SA_HEX, SA_HEX)),
	FULL(pidfd_send_signal, ARGS(SA_FD, SA_SIGNAL, SA_PTR, SA_HEX)),
	UNIMPL(io_uring_setup, N_AIO, ARGS(SA_UINT, SA_PTR)),
	UNIMPL(io_uring_enter, N_AIO, ARGS(SA_FD, SA_UINT, SA_UINT, SA_HEX, SA_PTR, SA_UINT)),
	UNIMPL(io_uring_register, N_AIO, ARGS(SA_FD, SA_UINT, SA_PTR, SA_UINT)),
	UNIMPL(open_tree, N_MOUNT, ARGS(SA_FD, SA_STR, SA_HEX)),
	UNIMPL(move_mount, N_MOUNT, ARGS(SA_FD, SA_STR, SA_FD, SA_STR, SA_HEX)),
	UNIMPL(fsopen, N_MOUNT, ARGS(SA_STR, SA_HEX)),
	UNIMPL(fsconfig, N_MOUNT, ARGS(SA_FD, SA_INT, SA_STR, SA_PTR, SA_INT)),
	UNIMPL(fsmount, N_MOUNT, ARGS(SA_FD, SA_HEX, SA_HEX)),
	UNIMPL(fspick, N_MOUNT, ARGS(SA_FD, SA_STR, SA_HEX)),
	PARTIAL(pidfd_open, "processes only: no PIDFD_THREAD", ARGS(SA_INT, SA_HEX)),
	PARTIAL(clone3, "as clone; no set_tid, CLONE_INTO_CGROUP or CLONE_CLEAR_SIGHAND", ARGS(SA_PTR, SA_UINT)),
	FULL(close_range, ARGS(SA_FD, SA_FD, SA_CLOSE_RANGE_FLAGS)),
	FULL(openat2, ARGS(SA_FD, SA_STR, SA_OPEN_HOW_IN, SA_UINT)),
	FULL(pidfd_getfd, ARGS(SA_FD, SA_FD, SA_HEX)),
	FULL(faccessat2, ARGS(SA_FD, SA_STR, SA_ACCESS_MODE, SA_AT_FLAGS)),
	UNIMPL(process_madvise, N_PROC, ARGS(SA_FD, SA_PTR, SA_UINT, SA_MADV, SA_HEX)),
	FULL(epoll_pwait2,
	       ARGS(SA_FD, SA_PTR, SA_INT, SA_TIMESPEC_IN, SA_SIGSET_IN, SA_UINT)),
	UNIMPL(mount_setattr, N_MOUNT, ARGS(SA_FD, SA_STR, SA_AT_FLAGS, SA_PTR, SA_UINT)),
	UNIMPL(quotactl_fd, "disk quotas: not emulated", ARGS(SA_FD, SA_HEX, SA_INT, SA_PTR)),
	UNIMPL(landlock_create_ruleset, N_LSM, ARGS(SA_PTR, SA_UINT, SA_HEX)),
	UNIMPL(landlock_add_rule, N_LSM, ARGS(SA_FD, SA_INT, SA_PTR, SA_HEX)),
	UNIMPL(landlock_restrict_self, N_LSM, ARGS(SA_FD, SA_HEX)),
	UNIMPL(memfd_secret, "secret memory: not supported", ARGS(SA_HEX)),
	UNIMPL(process_mrelease, N_PROC, ARGS(SA_FD, SA_HEX)),
	UNIMPL(futex_waitv, N_THREADS, ARGS(SA_PTR, SA_UINT, SA_HEX, SA_TIMESPEC_IN, SA_CLOCKID)),
	UNIMPL(set_mempolicy_home_node, N_NUMA, ARGS(SA_PTR, SA_UINT, SA_INT, SA_HEX)),
	UNIMPL(cachestat, N_VFS, ARGS(SA_FD, SA_PTR, SA_PTR, SA_HEX)),
	FULL(fchmodat2, ARGS(SA_FD, SA_STR, SA_OCT, SA_AT_FLAGS)),
	UNIMPL(map_shadow_stack, "shadow stacks: not supported", ARGS(SA_PTR, SA_UINT, SA_HEX),
	       RET(SR_HEX)),
	UNIMPL(futex_wake, N_THREADS, ARGS(SA_PTR, SA_HEX, SA_INT, SA_HEX)),
	UNIMPL(futex_wait, N_THREADS,
	       ARGS(SA_PTR, SA_HEX, SA_HEX, SA_HEX, SA_TIMESPEC_IN, SA_CLOCKID)),
	UNIMPL(futex_requeue, N_THREADS, ARGS(SA_PTR, SA_HEX, SA_INT, SA_INT)),
	UNIMPL(statmount, N_MOUNT, ARGS(SA_PTR, SA_PTR, SA_UINT, SA_HEX)),
	UNIMPL(listmount, N_MOUNT, ARGS(SA_PTR, SA_PTR, SA_UINT, SA_HEX)),
	UNIMPL(lsm_get_self_attr, N_LSM, ARGS(SA_INT, SA_PTR, SA_PTR, SA_HEX)),
	UNIMPL(lsm_set_self_attr, N_LSM, ARGS(SA_INT, SA_PTR, SA_UINT, SA_HEX)),
	UNIMPL(lsm_list_modules, N_LSM, ARGS(SA_PTR, SA_PTR, SA_HEX)),
	UNIMPL(mseal, "memory sealing: not yet", ARGS(SA_PTR, SA_UINT, SA_HEX)),
	UNIMPL(setxattrat, N_XATTR, ARGS(SA_FD, SA_STR, SA_AT_FLAGS, SA_STR, SA_PTR, SA_UINT)),
	UNIMPL(getxattrat, N_XATTR, ARGS(SA_FD, SA_STR, SA_AT_FLAGS, SA_STR, SA_PTR, SA_UINT)),
	UNIMPL(listxattrat, N_XATTR, ARGS(SA_FD, SA_STR, SA_AT_FLAGS, SA_PTR, SA_UINT)),
	UNIMPL(removexattrat, N_XATTR, ARGS(SA_FD, SA_STR, SA_AT_FLAGS, SA_STR)),
	UNIMPL(open_tree_attr, N_MOUNT, ARGS(SA_FD, SA_STR, SA_HEX, SA_PTR, SA_UINT)),
	UNIMPL(file_getattr, N_VFS, ARGS(SA_FD, SA_STR, SA_PTR, SA_UINT, SA_AT_FLAGS)),
	UNIMPL(file_setattr, N_VFS, ARGS(SA_FD, SA_STR, SA_PTR, SA_UINT, SA_AT_FLAGS)),
};
/* clang-format on */

static const char *const g_syscall_names[LINUX_SYSCALL_MAX] = {
#define SYSCALL_NAME(nr, name) [nr] = #name,
	LINUX_SYSCALLS(SYSCALL_NAME)
#undef SYSCALL_NAME
};

const char *syscall_name(uint64_t nr)
{
	if (nr >= LINUX_SYSCALL_MAX)
		return NULL;
	return g_syscall_names[nr];
}

const struct syscall_entry *syscall_entry(uint64_t nr)
{
	if (nr >= LINUX_SYSCALL_MAX)
		return NULL;
	return &g_syscall_table[nr];
}
