/*
 * The strace decoders of argument values that need no guest memory:
 * numbers, flags and enumerations, each from a table of Linux's names.
 * Part of the formatter (strace_format.h); strace_format.c decodes what
 * lives in guest memory.
 */
#include "syscalls/strace_internal.h"

#include "common/abi/linux/arch_x86.h"
#include "common/abi/linux/misc.h"
#include "common/abi/linux/mman.h"
#include "common/abi/linux/signal.h"
#include "common/abi/linux/time.h"

struct sym {
	uint64_t val;
	const char *name;
};

/*
 * The tables stay one entry per line, which clang-format would pack into
 * columns.
 */
/* clang-format off */
/* An entry named after an ABI constant: SYM(LINUX_O_APPEND) is "O_APPEND". */
#define SYM(c) { (c), #c + sizeof("LINUX_") - 1 }

/*
 * Constants that common/abi/linux does not define (yet) appear as numbers
 * with their Linux names; the values are x86-64's.
 */
static const struct sym g_open_flags[] = {
	{ 0100, "O_CREAT" },
	{ 0200, "O_EXCL" },
	{ 0400, "O_NOCTTY" },
	{ 01000, "O_TRUNC" },
	SYM(LINUX_O_APPEND),
	SYM(LINUX_O_NONBLOCK),
	{ 04010000, "O_SYNC" }, /* __O_SYNC|O_DSYNC: before O_DSYNC */
	SYM(LINUX_O_DSYNC),
	SYM(LINUX_O_ASYNC),
	SYM(LINUX_O_DIRECT),
	SYM(LINUX_O_LARGEFILE),
	{ 020200000, "O_TMPFILE" }, /* __O_TMPFILE|O_DIRECTORY: before O_DIRECTORY */
	{ 0200000, "O_DIRECTORY" },
	{ 0400000, "O_NOFOLLOW" },
	SYM(LINUX_O_NOATIME),
	SYM(LINUX_O_CLOEXEC),
	{ 010000000, "O_PATH" },
};

static const struct sym g_fd_flags[] = {
	SYM(LINUX_O_NONBLOCK),
	SYM(LINUX_O_DIRECT), /* pipe2's packet mode */
	SYM(LINUX_O_CLOEXEC),
};

static const struct sym g_prot_flags[] = {
	SYM(LINUX_PROT_READ),
	SYM(LINUX_PROT_WRITE),
	SYM(LINUX_PROT_EXEC),
	{ 0x8, "PROT_SEM" },
	SYM(LINUX_PROT_GROWSDOWN),
	SYM(LINUX_PROT_GROWSUP),
};

static const struct sym g_map_types[] = {
	SYM(LINUX_MAP_SHARED),
	SYM(LINUX_MAP_PRIVATE),
	SYM(LINUX_MAP_SHARED_VALIDATE),
};

static const struct sym g_map_flags[] = {
	SYM(LINUX_MAP_FIXED),
	SYM(LINUX_MAP_ANONYMOUS),
	SYM(LINUX_MAP_32BIT),
	SYM(LINUX_MAP_GROWSDOWN),
	SYM(LINUX_MAP_DENYWRITE),
	SYM(LINUX_MAP_EXECUTABLE),
	SYM(LINUX_MAP_LOCKED),
	SYM(LINUX_MAP_NORESERVE),
	SYM(LINUX_MAP_POPULATE),
	SYM(LINUX_MAP_NONBLOCK),
	SYM(LINUX_MAP_STACK),
	SYM(LINUX_MAP_HUGETLB),
	SYM(LINUX_MAP_SYNC),
	SYM(LINUX_MAP_FIXED_NOREPLACE),
};

static const struct sym g_mremap_flags[] = {
	SYM(LINUX_MREMAP_MAYMOVE),
	SYM(LINUX_MREMAP_FIXED),
	SYM(LINUX_MREMAP_DONTUNMAP),
};

static const struct sym g_msync_flags[] = {
	SYM(LINUX_MS_ASYNC),
	SYM(LINUX_MS_INVALIDATE),
	SYM(LINUX_MS_SYNC),
};

static const struct sym g_madv[] = {
	SYM(LINUX_MADV_NORMAL),
	SYM(LINUX_MADV_RANDOM),
	SYM(LINUX_MADV_SEQUENTIAL),
	SYM(LINUX_MADV_WILLNEED),
	SYM(LINUX_MADV_DONTNEED),
	SYM(LINUX_MADV_FREE),
	SYM(LINUX_MADV_REMOVE),
	SYM(LINUX_MADV_DONTFORK),
	SYM(LINUX_MADV_DOFORK),
	SYM(LINUX_MADV_MERGEABLE),
	SYM(LINUX_MADV_UNMERGEABLE),
	SYM(LINUX_MADV_HUGEPAGE),
	SYM(LINUX_MADV_NOHUGEPAGE),
	SYM(LINUX_MADV_DONTDUMP),
	SYM(LINUX_MADV_DODUMP),
	SYM(LINUX_MADV_WIPEONFORK),
	SYM(LINUX_MADV_KEEPONFORK),
	SYM(LINUX_MADV_COLD),
	SYM(LINUX_MADV_PAGEOUT),
	SYM(LINUX_MADV_POPULATE_READ),
	SYM(LINUX_MADV_POPULATE_WRITE),
	SYM(LINUX_MADV_DONTNEED_LOCKED),
	SYM(LINUX_MADV_COLLAPSE),
	SYM(LINUX_MADV_HWPOISON),
};

static const struct sym g_at_flags[] = {
	SYM(LINUX_AT_SYMLINK_NOFOLLOW),
	{ 0x200, "AT_REMOVEDIR" },
	{ 0x400, "AT_SYMLINK_FOLLOW" },
	{ 0x800, "AT_NO_AUTOMOUNT" },
	SYM(LINUX_AT_EMPTY_PATH),
	{ 0x2000, "AT_STATX_FORCE_SYNC" },
	{ 0x4000, "AT_STATX_DONT_SYNC" },
	{ 0x8000, "AT_RECURSIVE" },
};

static const struct sym g_fcntl_cmds[] = {
	SYM(LINUX_F_DUPFD),
	SYM(LINUX_F_GETFD),
	SYM(LINUX_F_SETFD),
	SYM(LINUX_F_GETFL),
	SYM(LINUX_F_SETFL),
	{ 5, "F_GETLK" },
	{ 6, "F_SETLK" },
	{ 7, "F_SETLKW" },
	{ 8, "F_SETOWN" },
	{ 9, "F_GETOWN" },
	{ 10, "F_SETSIG" },
	{ 11, "F_GETSIG" },
	{ 15, "F_SETOWN_EX" },
	{ 16, "F_GETOWN_EX" },
	{ 36, "F_OFD_GETLK" },
	{ 37, "F_OFD_SETLK" },
	{ 38, "F_OFD_SETLKW" },
	{ 1024, "F_SETLEASE" },
	{ 1025, "F_GETLEASE" },
	{ 1026, "F_NOTIFY" },
	SYM(LINUX_F_DUPFD_CLOEXEC),
	{ 1031, "F_SETPIPE_SZ" },
	{ 1032, "F_GETPIPE_SZ" },
	{ 1033, "F_ADD_SEALS" },
	{ 1034, "F_GET_SEALS" },
};

static const struct sym g_fd_cloexec[] = {
	SYM(LINUX_FD_CLOEXEC),
};

static const struct sym g_ioctl_cmds[] = {
	SYM(LINUX_TCGETS),
	{ 0x5402, "TCSETS" },
	{ 0x5403, "TCSETSW" },
	{ 0x5404, "TCSETSF" },
	{ 0x5405, "TCGETA" },
	{ 0x5406, "TCSETA" },
	{ 0x5407, "TCSETAW" },
	{ 0x5408, "TCSETAF" },
	{ 0x5409, "TCSBRK" },
	{ 0x540a, "TCXONC" },
	{ 0x540b, "TCFLSH" },
	{ 0x540c, "TIOCEXCL" },
	{ 0x540d, "TIOCNXCL" },
	{ 0x540e, "TIOCSCTTY" },
	{ 0x540f, "TIOCGPGRP" },
	{ 0x5410, "TIOCSPGRP" },
	{ 0x5411, "TIOCOUTQ" },
	{ 0x5412, "TIOCSTI" },
	SYM(LINUX_TIOCGWINSZ),
	{ 0x5414, "TIOCSWINSZ" },
	{ 0x541b, "FIONREAD" },
	{ 0x5421, "FIONBIO" },
	{ 0x5422, "TIOCNOTTY" },
	{ 0x5425, "TCSBRKP" },
	{ 0x5429, "TIOCGSID" },
	{ 0x5450, "FIONCLEX" },
	{ 0x5451, "FIOCLEX" },
	{ 0x8910, "SIOCGIFNAME" },
	{ 0x8912, "SIOCGIFCONF" },
	{ 0x8913, "SIOCGIFFLAGS" },
	{ 0x8914, "SIOCSIFFLAGS" },
	{ 0x8915, "SIOCGIFADDR" },
	{ 0x8917, "SIOCGIFDSTADDR" },
	{ 0x8919, "SIOCGIFBRDADDR" },
	{ 0x891b, "SIOCGIFNETMASK" },
	{ 0x891d, "SIOCGIFMETRIC" },
	{ 0x8921, "SIOCGIFMTU" },
	{ 0x8927, "SIOCGIFHWADDR" },
	{ 0x8933, "SIOCGIFINDEX" },
	{ 0x8942, "SIOCGIFTXQLEN" },
	{ 0x802c542a, "TCGETS2" },
	{ 0x402c542b, "TCSETS2" },
	{ 0x402c542c, "TCSETSW2" },
	{ 0x402c542d, "TCSETSF2" },
	{ 0x80045430, "TIOCGPTN" },
	{ 0x40045431, "TIOCSPTLCK" },
	{ 0x80045440, "TIOCGEXCL" },
};

static const struct sym g_sigprocmask_hows[] = {
	SYM(LINUX_SIG_BLOCK),
	SYM(LINUX_SIG_UNBLOCK),
	SYM(LINUX_SIG_SETMASK),
};

static const struct sym g_sa_flags[] = {
	SYM(LINUX_SA_NOCLDSTOP),
	SYM(LINUX_SA_NOCLDWAIT),
	SYM(LINUX_SA_SIGINFO),
	SYM(LINUX_SA_UNSUPPORTED),
	SYM(LINUX_SA_EXPOSE_TAGBITS),
	SYM(LINUX_SA_RESTORER),
	SYM(LINUX_SA_ONSTACK),
	SYM(LINUX_SA_RESTART),
	SYM(LINUX_SA_NODEFER),
	SYM(LINUX_SA_RESETHAND),
};

static const struct sym g_clock_ids[] = {
	SYM(LINUX_CLOCK_REALTIME),
	SYM(LINUX_CLOCK_MONOTONIC),
	SYM(LINUX_CLOCK_PROCESS_CPUTIME_ID),
	SYM(LINUX_CLOCK_THREAD_CPUTIME_ID),
	SYM(LINUX_CLOCK_MONOTONIC_RAW),
	SYM(LINUX_CLOCK_REALTIME_COARSE),
	SYM(LINUX_CLOCK_MONOTONIC_COARSE),
	SYM(LINUX_CLOCK_BOOTTIME),
	SYM(LINUX_CLOCK_REALTIME_ALARM),
	SYM(LINUX_CLOCK_BOOTTIME_ALARM),
	SYM(LINUX_CLOCK_TAI),
};

static const struct sym g_rlimit_res[] = {
	SYM(LINUX_RLIMIT_CPU),
	SYM(LINUX_RLIMIT_FSIZE),
	SYM(LINUX_RLIMIT_DATA),
	SYM(LINUX_RLIMIT_STACK),
	SYM(LINUX_RLIMIT_CORE),
	SYM(LINUX_RLIMIT_RSS),
	SYM(LINUX_RLIMIT_NPROC),
	SYM(LINUX_RLIMIT_NOFILE),
	SYM(LINUX_RLIMIT_MEMLOCK),
	SYM(LINUX_RLIMIT_AS),
	SYM(LINUX_RLIMIT_LOCKS),
	SYM(LINUX_RLIMIT_SIGPENDING),
	SYM(LINUX_RLIMIT_MSGQUEUE),
	SYM(LINUX_RLIMIT_NICE),
	SYM(LINUX_RLIMIT_RTPRIO),
	SYM(LINUX_RLIMIT_RTTIME),
};

static const struct sym g_arch_prctl_codes[] = {
	SYM(LINUX_ARCH_SET_GS),
	SYM(LINUX_ARCH_SET_FS),
	SYM(LINUX_ARCH_GET_FS),
	SYM(LINUX_ARCH_GET_GS),
	SYM(LINUX_ARCH_GET_CPUID),
	SYM(LINUX_ARCH_SET_CPUID),
};

static const struct sym g_grnd_flags[] = {
	SYM(LINUX_GRND_NONBLOCK),
	SYM(LINUX_GRND_RANDOM),
	SYM(LINUX_GRND_INSECURE),
};

static const struct sym g_whences[] = {
	{ 0, "SEEK_SET" },
	{ 1, "SEEK_CUR" },
	{ 2, "SEEK_END" },
	{ 3, "SEEK_DATA" },
	{ 4, "SEEK_HOLE" },
};

static const struct sym g_access_modes[] = {
	{ 4, "R_OK" },
	{ 2, "W_OK" },
	{ 1, "X_OK" },
};

static const struct sym g_clone_flags[] = {
	{ 0x00000100, "CLONE_VM" },
	{ 0x00000200, "CLONE_FS" },
	{ 0x00000400, "CLONE_FILES" },
	{ 0x00000800, "CLONE_SIGHAND" },
	{ 0x00001000, "CLONE_PIDFD" },
	{ 0x00002000, "CLONE_PTRACE" },
	{ 0x00004000, "CLONE_VFORK" },
	{ 0x00008000, "CLONE_PARENT" },
	{ 0x00010000, "CLONE_THREAD" },
	{ 0x00020000, "CLONE_NEWNS" },
	{ 0x00040000, "CLONE_SYSVSEM" },
	{ 0x00080000, "CLONE_SETTLS" },
	{ 0x00100000, "CLONE_PARENT_SETTID" },
	{ 0x00200000, "CLONE_CHILD_CLEARTID" },
	{ 0x00400000, "CLONE_DETACHED" },
	{ 0x00800000, "CLONE_UNTRACED" },
	{ 0x01000000, "CLONE_CHILD_SETTID" },
	{ 0x02000000, "CLONE_NEWCGROUP" },
	{ 0x04000000, "CLONE_NEWUTS" },
	{ 0x08000000, "CLONE_NEWIPC" },
	{ 0x10000000, "CLONE_NEWUSER" },
	{ 0x20000000, "CLONE_NEWPID" },
	{ 0x40000000, "CLONE_NEWNET" },
	{ 0x80000000, "CLONE_IO" },
};

#define FUTEX_PRIVATE_FLAG   128
#define FUTEX_CLOCK_REALTIME 256

static const struct sym g_futex_cmds[] = {
	{ 0, "FUTEX_WAIT" },
	{ 1, "FUTEX_WAKE" },
	{ 2, "FUTEX_FD" },
	{ 3, "FUTEX_REQUEUE" },
	{ 4, "FUTEX_CMP_REQUEUE" },
	{ 5, "FUTEX_WAKE_OP" },
	{ 6, "FUTEX_LOCK_PI" },
	{ 7, "FUTEX_UNLOCK_PI" },
	{ 8, "FUTEX_TRYLOCK_PI" },
	{ 9, "FUTEX_WAIT_BITSET" },
	{ 10, "FUTEX_WAKE_BITSET" },
	{ 11, "FUTEX_WAIT_REQUEUE_PI" },
	{ 12, "FUTEX_CMP_REQUEUE_PI" },
	{ 13, "FUTEX_LOCK_PI2" },
};

static const struct sym g_sock_families[] = {
	{ 0, "AF_UNSPEC" },
	{ 1, "AF_UNIX" },
	{ 2, "AF_INET" },
	{ 10, "AF_INET6" },
	{ 16, "AF_NETLINK" },
	{ 17, "AF_PACKET" },
	{ 38, "AF_ALG" },
	{ 40, "AF_VSOCK" },
};

static const struct sym g_sock_types[] = {
	{ 1, "SOCK_STREAM" },
	{ 2, "SOCK_DGRAM" },
	{ 3, "SOCK_RAW" },
	{ 4, "SOCK_RDM" },
	{ 5, "SOCK_SEQPACKET" },
	{ 6, "SOCK_DCCP" },
	{ 10, "SOCK_PACKET" },
};

static const struct sym g_sock_flags[] = {
	{ 04000, "SOCK_NONBLOCK" },
	{ 02000000, "SOCK_CLOEXEC" },
};

static const struct sym g_wait_options[] = {
	{ 0x00000001, "WNOHANG" },
	{ 0x00000002, "WUNTRACED" },
	{ 0x00000004, "WEXITED" },
	{ 0x00000008, "WCONTINUED" },
	{ 0x01000000, "WNOWAIT" },
	{ 0x20000000, "__WNOTHREAD" },
	{ 0x40000000, "__WALL" },
	{ 0x80000000, "__WCLONE" },
};

static const struct sym g_epoll_ctl_ops[] = {
	{ 1, "EPOLL_CTL_ADD" },
	{ 2, "EPOLL_CTL_DEL" },
	{ 3, "EPOLL_CTL_MOD" },
};

static const struct sym g_poll_events[] = {
	{ 0x001, "POLLIN" },
	{ 0x002, "POLLPRI" },
	{ 0x004, "POLLOUT" },
	{ 0x008, "POLLERR" },
	{ 0x010, "POLLHUP" },
	{ 0x020, "POLLNVAL" },
	{ 0x040, "POLLRDNORM" },
	{ 0x080, "POLLRDBAND" },
	{ 0x100, "POLLWRNORM" },
	{ 0x200, "POLLWRBAND" },
	{ 0x400, "POLLMSG" },
	{ 0x2000, "POLLRDHUP" },
};

static const struct sym g_resolve_flags[] = {
	{ 0x01, "RESOLVE_NO_XDEV" },
	{ 0x02, "RESOLVE_NO_MAGICLINKS" },
	{ 0x04, "RESOLVE_NO_SYMLINKS" },
	{ 0x08, "RESOLVE_BENEATH" },
	{ 0x10, "RESOLVE_IN_ROOT" },
	{ 0x20, "RESOLVE_CACHED" },
};

static const struct sym g_mount_flags[] = {
	{ 0x1, "MS_RDONLY" },
	{ 0x2, "MS_NOSUID" },
	{ 0x4, "MS_NODEV" },
	{ 0x8, "MS_NOEXEC" },
	{ 0x10, "MS_SYNCHRONOUS" },
	{ 0x20, "MS_REMOUNT" },
	{ 0x40, "MS_MANDLOCK" },
	{ 0x80, "MS_DIRSYNC" },
	{ 0x100, "MS_NOSYMFOLLOW" },
	{ 0x400, "MS_NOATIME" },
	{ 0x800, "MS_NODIRATIME" },
	{ 0x1000, "MS_BIND" },
	{ 0x2000, "MS_MOVE" },
	{ 0x4000, "MS_REC" },
	{ 0x8000, "MS_SILENT" },
	{ 0x10000, "MS_POSIXACL" },
	{ 0x20000, "MS_UNBINDABLE" },
	{ 0x40000, "MS_PRIVATE" },
	{ 0x80000, "MS_SLAVE" },
	{ 0x100000, "MS_SHARED" },
	{ 0x200000, "MS_RELATIME" },
	{ 0x1000000, "MS_STRICTATIME" },
	{ 0x2000000, "MS_LAZYTIME" },
	{ 0xc0ed0000, "MS_MGC_VAL" },
};

static const struct sym g_umount_flags[] = {
	{ 0x1, "MNT_FORCE" },
	{ 0x2, "MNT_DETACH" },
	{ 0x4, "MNT_EXPIRE" },
	{ 0x8, "UMOUNT_NOFOLLOW" },
};

static const struct sym g_rename_flags[] = {
	{ 0x1, "RENAME_NOREPLACE" },
	{ 0x2, "RENAME_EXCHANGE" },
	{ 0x4, "RENAME_WHITEOUT" },
};

static const struct sym g_flock_ops[] = {
	{ 1, "LOCK_SH" },
	{ 2, "LOCK_EX" },
	{ 4, "LOCK_NB" },
	{ 8, "LOCK_UN" },
	{ 32, "LOCK_MAND" },
};

static const struct sym g_xattr_flags[] = {
	{ 0x1, "XATTR_CREATE" },
	{ 0x2, "XATTR_REPLACE" },
};

static const struct sym g_statx_mask[] = {
	{ 0x7ff, "STATX_BASIC_STATS" },
	{ 0x1, "STATX_TYPE" },
	{ 0x2, "STATX_MODE" },
	{ 0x4, "STATX_NLINK" },
	{ 0x8, "STATX_UID" },
	{ 0x10, "STATX_GID" },
	{ 0x20, "STATX_ATIME" },
	{ 0x40, "STATX_MTIME" },
	{ 0x80, "STATX_CTIME" },
	{ 0x100, "STATX_INO" },
	{ 0x200, "STATX_SIZE" },
	{ 0x400, "STATX_BLOCKS" },
	{ 0x800, "STATX_BTIME" },
	{ 0x1000, "STATX_MNT_ID" },
	{ 0x2000, "STATX_DIOALIGN" },
	{ 0x4000, "STATX_MNT_ID_UNIQUE" },
	{ 0x8000, "STATX_SUBVOL" },
	{ 0x10000, "STATX_WRITE_ATOMIC" },
	{ 0x80000000, "STATX__RESERVED" },
};

static const struct sym g_mfd_flags[] = {
	{ 0x1, "MFD_CLOEXEC" },
	{ 0x2, "MFD_ALLOW_SEALING" },
	{ 0x4, "MFD_HUGETLB" },
	{ 0x8, "MFD_NOEXEC_SEAL" },
	{ 0x10, "MFD_EXEC" },
};

static const struct sym g_falloc_modes[] = {
	{ 0x01, "FALLOC_FL_KEEP_SIZE" },
	{ 0x02, "FALLOC_FL_PUNCH_HOLE" },
	{ 0x04, "FALLOC_FL_NO_HIDE_STALE" },
	{ 0x08, "FALLOC_FL_COLLAPSE_RANGE" },
	{ 0x10, "FALLOC_FL_ZERO_RANGE" },
	{ 0x20, "FALLOC_FL_INSERT_RANGE" },
	{ 0x40, "FALLOC_FL_UNSHARE_RANGE" },
	{ 0x80, "FALLOC_FL_WRITE_ZEROES" },
};

static const struct sym g_splice_flags[] = {
	{ 0x1, "SPLICE_F_MOVE" },
	{ 0x2, "SPLICE_F_NONBLOCK" },
	{ 0x4, "SPLICE_F_MORE" },
	{ 0x8, "SPLICE_F_GIFT" },
};

static const struct sym g_close_range_flags[] = {
	{ 0x2, "CLOSE_RANGE_UNSHARE" },
	{ 0x4, "CLOSE_RANGE_CLOEXEC" },
};

/* Signal names without "SIG", by number. */
static const char *const g_signal_names[32] = {
	[LINUX_SIGHUP] = "HUP",
	[LINUX_SIGINT] = "INT",
	[LINUX_SIGQUIT] = "QUIT",
	[LINUX_SIGILL] = "ILL",
	[LINUX_SIGTRAP] = "TRAP",
	[LINUX_SIGABRT] = "ABRT",
	[LINUX_SIGBUS] = "BUS",
	[LINUX_SIGFPE] = "FPE",
	[LINUX_SIGKILL] = "KILL",
	[LINUX_SIGUSR1] = "USR1",
	[LINUX_SIGSEGV] = "SEGV",
	[LINUX_SIGUSR2] = "USR2",
	[LINUX_SIGPIPE] = "PIPE",
	[LINUX_SIGALRM] = "ALRM",
	[LINUX_SIGTERM] = "TERM",
	[LINUX_SIGSTKFLT] = "STKFLT",
	[LINUX_SIGCHLD] = "CHLD",
	[LINUX_SIGCONT] = "CONT",
	[LINUX_SIGSTOP] = "STOP",
	[LINUX_SIGTSTP] = "TSTP",
	[LINUX_SIGTTIN] = "TTIN",
	[LINUX_SIGTTOU] = "TTOU",
	[LINUX_SIGURG] = "URG",
	[LINUX_SIGXCPU] = "XCPU",
	[LINUX_SIGXFSZ] = "XFSZ",
	[LINUX_SIGVTALRM] = "VTALRM",
	[LINUX_SIGPROF] = "PROF",
	[LINUX_SIGWINCH] = "WINCH",
	[LINUX_SIGIO] = "IO",
	[LINUX_SIGPWR] = "PWR",
	[LINUX_SIGSYS] = "SYS",
};
/* clang-format on */

static const char *sym_find(const struct sym *t, size_t n, uint64_t v)
{
	for (size_t k = 0; k < n; k++)
		if (t[k].val == v)
			return t[k].name;
	return NULL;
}

/* Prints v's name from t, or v as a signed decimal. */
static void put_enum(struct sbuf *sb, const struct sym *t, size_t n, uint64_t v)
{
	const char *name = sym_find(t, n, v);

	if (name)
		sb_puts(sb, name);
	else
		sb_printf(sb, "%lld", (long long)v);
}

/*
 * Prints the bits of v named in t as A|B, then any bits left over in hex.
 * Entries are tried in order, so a multi-bit value must come before the
 * single bits it contains. Prints zero (or "0") when v is 0.
 */
static void put_flags(struct sbuf *sb, const struct sym *t, size_t n, uint64_t v, const char *zero)
{
	bool first = true;

	if (v == 0) {
		sb_puts(sb, zero ? zero : "0");
		return;
	}
	for (size_t k = 0; k < n && v; k++) {
		if (t[k].val == 0 || (v & t[k].val) != t[k].val)
			continue;
		if (!first)
			sb_putc(sb, '|');
		sb_puts(sb, t[k].name);
		v &= ~t[k].val;
		first = false;
	}
	if (v)
		sb_printf(sb, "%s%#llx", first ? "" : "|", (unsigned long long)v);
}

#define ENUM(sb, t, v)        put_enum(sb, t, ARRAY_SIZE(t), v)
#define FLAGS(sb, t, v, zero) put_flags(sb, t, ARRAY_SIZE(t), v, zero)

/* Scalars. */

void strace_put_ptr(struct sbuf *sb, uint64_t v)
{
	if (v == 0)
		sb_puts(sb, "NULL");
	else
		sb_printf(sb, "%#llx", (unsigned long long)v);
}

void strace_put_hex(struct sbuf *sb, uint64_t v)
{
	sb_printf(sb, v ? "%#llx" : "%llu", (unsigned long long)v);
}

static void put_named_or_hex(struct sbuf *sb, const char *name, uint64_t v)
{
	if (name)
		sb_puts(sb, name);
	else
		strace_put_hex(sb, v);
}

static void put_signal(struct sbuf *sb, int sig)
{
	if (sig > 0 && sig < LINUX_SIGRTMIN && g_signal_names[sig])
		sb_printf(sb, "SIG%s", g_signal_names[sig]);
	else if (sig == LINUX_SIGRTMIN)
		sb_puts(sb, "SIGRTMIN");
	else if (sig > LINUX_SIGRTMIN && sig <= LINUX_NSIG)
		sb_printf(sb, "SIGRT_%d", sig - LINUX_SIGRTMIN);
	else
		sb_printf(sb, "%d", sig);
}

void strace_put_sigset(struct sbuf *sb, linux_sigset_t set)
{
	bool first = true;

	if (__builtin_popcountll(set) > LINUX_NSIG / 2) {
		sb_putc(sb, '~');
		set = ~set;
	}
	sb_putc(sb, '[');
	for (int sig = 1; sig <= LINUX_NSIG; sig++) {
		if (!(set & linux_sigmask(sig)))
			continue;
		if (!first)
			sb_putc(sb, ' ');
		if (sig < LINUX_SIGRTMIN && g_signal_names[sig])
			sb_puts(sb, g_signal_names[sig]);
		else if (sig == LINUX_SIGRTMIN)
			sb_puts(sb, "RTMIN");
		else if (sig > LINUX_SIGRTMIN)
			sb_printf(sb, "RT_%d", sig - LINUX_SIGRTMIN);
		else
			sb_printf(sb, "%d", sig);
		first = false;
	}
	sb_putc(sb, ']');
}

void strace_put_rlim(struct sbuf *sb, uint64_t v)
{
	if (v == LINUX_RLIM_INFINITY)
		sb_puts(sb, "RLIM64_INFINITY");
	else if (v != 0 && v % 1024 == 0)
		sb_printf(sb, "%llu*1024", (unsigned long long)(v / 1024));
	else
		sb_printf(sb, "%llu", (unsigned long long)v);
}

static void put_open_flags(struct sbuf *sb, uint64_t v)
{
	static const char *const accmodes[] = { "O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE" };

	sb_puts(sb, accmodes[v & LINUX_O_ACCMODE]);
	v &= ~(uint64_t)LINUX_O_ACCMODE;
	if (v) {
		sb_putc(sb, '|');
		FLAGS(sb, g_open_flags, v, NULL);
	}
}

/* MAP_PRIVATE|MAP_ANONYMOUS, with the huge page size of MAP_HUGETLB. */
static void put_mmap_flags(struct sbuf *sb, uint64_t v)
{
	const char *type = sym_find(g_map_types, ARRAY_SIZE(g_map_types), v & LINUX_MAP_TYPE);
	uint64_t huge = 0;

	if (type)
		sb_puts(sb, type);
	else
		sb_printf(sb, "%#llx", (unsigned long long)(v & LINUX_MAP_TYPE));
	v &= ~(uint64_t)LINUX_MAP_TYPE;
	if (v & LINUX_MAP_HUGETLB) {
		huge = (v >> LINUX_MAP_HUGE_SHIFT) & LINUX_MAP_HUGE_MASK;
		v &= ~((uint64_t)LINUX_MAP_HUGE_MASK << LINUX_MAP_HUGE_SHIFT);
	} else if (v & LINUX_MAP_UNINITIALIZED) {
		/* The same bit as the lowest of the huge page size. */
		sb_puts(sb, "|MAP_UNINITIALIZED");
		v &= ~(uint64_t)LINUX_MAP_UNINITIALIZED;
	}
	if (v) {
		sb_putc(sb, '|');
		FLAGS(sb, g_map_flags, v, NULL);
	}
	if (huge)
		sb_printf(sb, "|%llu<<MAP_HUGE_SHIFT", (unsigned long long)huge);
}

/* CLONE_VM|CLONE_VFORK|SIGCHLD: the low byte is the exit signal. */
static void put_clone_flags(struct sbuf *sb, uint64_t v)
{
	uint64_t flags = v & ~(uint64_t)0xff;
	int sig = (int)(v & 0xff);

	if (flags)
		FLAGS(sb, g_clone_flags, flags, NULL);
	if (sig) {
		if (flags)
			sb_putc(sb, '|');
		put_signal(sb, sig);
	}
	if (!flags && !sig)
		sb_putc(sb, '0');
}

/* FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME */
static void put_futex_op(struct sbuf *sb, uint64_t v)
{
	uint64_t cmd = v & ~(uint64_t)(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
	const char *name = sym_find(g_futex_cmds, ARRAY_SIZE(g_futex_cmds), cmd);

	if (!name) {
		sb_printf(sb, "%#llx", (unsigned long long)v);
		return;
	}
	sb_puts(sb, name);
	if (v & FUTEX_PRIVATE_FLAG)
		sb_puts(sb, "_PRIVATE");
	if (v & FUTEX_CLOCK_REALTIME)
		sb_puts(sb, "|FUTEX_CLOCK_REALTIME");
}

/* SOCK_STREAM|SOCK_CLOEXEC */
static void put_sock_type(struct sbuf *sb, uint64_t v)
{
	uint64_t type = v & 0xf, flags = v & ~(uint64_t)0xf;

	if (type)
		ENUM(sb, g_sock_types, type);
	if (flags) {
		if (type)
			sb_putc(sb, '|');
		FLAGS(sb, g_sock_flags, flags, NULL);
	}
	if (!type && !flags)
		sb_putc(sb, '0');
}

/* fcntl(fd, cmd, arg): arg as cmd reads it; nothing for the F_GET* commands. */
static void put_fcntl_arg(struct sbuf *sb, uint64_t cmd, uint64_t v)
{
	switch (cmd) {
	case LINUX_F_GETFD:
	case LINUX_F_GETFL:
	case 9:    /* F_GETOWN */
	case 11:   /* F_GETSIG */
	case 1025: /* F_GETLEASE */
	case 1032: /* F_GETPIPE_SZ */
	case 1034: /* F_GET_SEALS */
		break;
	case LINUX_F_SETFD:
		FLAGS(sb, g_fd_cloexec, v, NULL);
		break;
	case LINUX_F_SETFL:
		put_open_flags(sb, v);
		break;
	case LINUX_F_DUPFD:
	case LINUX_F_DUPFD_CLOEXEC:
	case 8:    /* F_SETOWN */
	case 10:   /* F_SETSIG */
	case 1024: /* F_SETLEASE */
	case 1026: /* F_NOTIFY */
	case 1031: /* F_SETPIPE_SZ */
	case 1033: /* F_ADD_SEALS */
		sb_printf(sb, "%d", (int)v);
		break;
	default: /* locks and owners: a pointer */
		strace_put_ptr(sb, v);
	}
}

bool strace_open_has_mode(uint64_t flags)
{
	return (flags & 0100) /* O_CREAT */ || (flags & 020000000) /* __O_TMPFILE */;
}

void strace_put_sa_flags(struct sbuf *sb, uint64_t flags)
{
	FLAGS(sb, g_sa_flags, flags, NULL);
}

void strace_put_poll_events(struct sbuf *sb, uint64_t events)
{
	FLAGS(sb, g_poll_events, events, NULL);
}

bool strace_put_value(struct sbuf *sb, enum sarg kind, uint64_t v, const struct sys_args *a)
{
	switch (kind) {
	case SA_NONE:
	case SA_HEX:
		strace_put_hex(sb, v);
		break;
	case SA_INT:
		sb_printf(sb, "%lld", (long long)v);
		break;
	case SA_UINT:
		sb_printf(sb, "%llu", (unsigned long long)v);
		break;
	case SA_PTR:
		strace_put_ptr(sb, v);
		break;
	case SA_FD:
		if ((int)v == LINUX_AT_FDCWD)
			sb_puts(sb, "AT_FDCWD");
		else
			sb_printf(sb, "%d", (int)v);
		break;
	case SA_OCT:
		sb_printf(sb, "%#03llo", (unsigned long long)v);
		break;
	case SA_PROT:
		FLAGS(sb, g_prot_flags, v, "PROT_NONE");
		break;
	case SA_MMAP_FLAGS:
		put_mmap_flags(sb, v);
		break;
	case SA_MREMAP_FLAGS:
		FLAGS(sb, g_mremap_flags, v, NULL);
		break;
	case SA_MADV:
		ENUM(sb, g_madv, v);
		break;
	case SA_MSYNC_FLAGS:
		FLAGS(sb, g_msync_flags, v, NULL);
		break;
	case SA_OPEN_FLAGS:
		put_open_flags(sb, v);
		break;
	case SA_AT_FLAGS:
		FLAGS(sb, g_at_flags, v, NULL);
		break;
	case SA_FCNTL_CMD:
		ENUM(sb, g_fcntl_cmds, v);
		break;
	case SA_FCNTL_ARG:
		put_fcntl_arg(sb, a ? a->a[1] : 0, v); /* fcntl(fd, cmd, arg) */
		break;
	case SA_IOCTL_CMD:
		/* The command is an unsigned int. */
		put_named_or_hex(sb, sym_find(g_ioctl_cmds, ARRAY_SIZE(g_ioctl_cmds), (uint32_t)v),
		                 (uint32_t)v);
		break;
	case SA_SIGNAL:
		put_signal(sb, (int)v);
		break;
	case SA_SIGPROCMASK_HOW:
		ENUM(sb, g_sigprocmask_hows, v);
		break;
	case SA_CLOCKID:
		/* Negative ids are the CPU clocks of a pid or a thread. */
		ENUM(sb, g_clock_ids, (uint64_t)(int64_t)(int)v);
		break;
	case SA_RLIMIT_RES:
		ENUM(sb, g_rlimit_res, v);
		break;
	case SA_ARCH_PRCTL_CODE:
		put_named_or_hex(
		        sb, sym_find(g_arch_prctl_codes, ARRAY_SIZE(g_arch_prctl_codes), v), v);
		break;
	case SA_GRND_FLAGS:
		FLAGS(sb, g_grnd_flags, v, NULL);
		break;
	case SA_FD_FLAGS:
		FLAGS(sb, g_fd_flags, v, NULL);
		break;
	case SA_WHENCE:
		ENUM(sb, g_whences, v);
		break;
	case SA_ACCESS_MODE:
		FLAGS(sb, g_access_modes, v, "F_OK");
		break;
	case SA_CLONE_FLAGS:
		put_clone_flags(sb, v);
		break;
	case SA_FUTEX_OP:
		put_futex_op(sb, v);
		break;
	case SA_SOCK_FAMILY:
		ENUM(sb, g_sock_families, v);
		break;
	case SA_SOCK_TYPE:
		put_sock_type(sb, v);
		break;
	case SA_WAIT_OPTIONS:
		FLAGS(sb, g_wait_options, v, NULL);
		break;
	case SA_EPOLL_CTL_OP:
		ENUM(sb, g_epoll_ctl_ops, v);
		break;
	case SA_RESOLVE_FLAGS:
		FLAGS(sb, g_resolve_flags, v, NULL);
		break;
	case SA_MOUNT_FLAGS:
		FLAGS(sb, g_mount_flags, v, NULL);
		break;
	case SA_UMOUNT_FLAGS:
		FLAGS(sb, g_umount_flags, (uint32_t)v, NULL);
		break;
	case SA_RENAME_FLAGS:
		FLAGS(sb, g_rename_flags, (uint32_t)v, NULL);
		break;
	case SA_FLOCK_OP:
		FLAGS(sb, g_flock_ops, (uint32_t)v, NULL);
		break;
	case SA_XATTR_FLAGS:
		FLAGS(sb, g_xattr_flags, (uint32_t)v, NULL);
		break;
	case SA_STATX_MASK:
		FLAGS(sb, g_statx_mask, (uint32_t)v, NULL);
		break;
	case SA_MFD_FLAGS:
		FLAGS(sb, g_mfd_flags, (uint32_t)v, NULL);
		break;
	case SA_FALLOC_MODE:
		FLAGS(sb, g_falloc_modes, (uint32_t)v, NULL);
		break;
	case SA_SPLICE_FLAGS:
		FLAGS(sb, g_splice_flags, (uint32_t)v, NULL);
		break;
	case SA_CLOSE_RANGE_FLAGS:
		FLAGS(sb, g_close_range_flags, (uint32_t)v, NULL);
		break;
	default:
		return false;
	}
	return true;
}
