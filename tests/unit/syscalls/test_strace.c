/*
 * Unit tests for the strace formatter (syscalls/strace_format.h): argument
 * decoding over a fake guest address space, results, and whole lines built
 * in two steps around a handler that changes guest memory.
 *
 * The entries are written here rather than taken from g_syscall_table, so
 * that the test links the formatter and common/ alone.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/abi/linux/errno.h"
#include "common/abi/linux/misc.h"
#include "common/abi/linux/mman.h"
#include "common/abi/linux/signal.h"
#include "common/abi/linux/time.h"
#include "common/util.h"
#include "syscalls/strace_format.h"

/*
 * The fake guest: one readable region [GUEST_BASE, GUEST_BASE + GUEST_SIZE);
 * everything else faults. Tests place data with put_* and get its address.
 */
#define GUEST_BASE 0x7f0000000000ULL
#define GUEST_SIZE 4096
#define BAD_ADDR   0xdead0000ULL

static uint8_t g_guest[GUEST_SIZE];
static size_t g_guest_used;

static size_t fake_read(void *arg, void *dst, uint64_t addr, size_t len)
{
	size_t n;

	(void)arg;
	if (addr < GUEST_BASE || addr >= GUEST_BASE + GUEST_SIZE)
		return 0;
	n = MIN(len, (size_t)(GUEST_BASE + GUEST_SIZE - addr));
	memcpy(dst, g_guest + (addr - GUEST_BASE), n);
	return n;
}

static const struct strace_mem g_mem = { .read = fake_read };

static int reset_guest(void **state)
{
	(void)state;
	memset(g_guest, 0xcc, sizeof(g_guest));
	g_guest_used = 0;
	return 0;
}

/* Copies len bytes into the guest, 16-byte aligned; returns their address. */
static uint64_t put_bytes(const void *p, size_t len)
{
	uint64_t addr = GUEST_BASE + g_guest_used;

	assert_true(g_guest_used + len <= GUEST_SIZE);
	memcpy(g_guest + g_guest_used, p, len);
	g_guest_used += (len + 15) & ~(size_t)15;
	return addr;
}

static uint64_t put_string(const char *s)
{
	return put_bytes(s, strlen(s) + 1);
}

/* Places len bytes so that they end exactly at the end of the region. */
static uint64_t put_at_end(const void *p, size_t len)
{
	memcpy(g_guest + GUEST_SIZE - len, p, len);
	return GUEST_BASE + GUEST_SIZE - len;
}

/* Formats argument i of e with args a0..; checks the text. */
static void check_arg(const struct syscall_entry *e, const struct sys_args *a, unsigned int i,
                      long ret, const char *want)
{
	char buf[1024];

	strace_format_arg(buf, sizeof(buf), &g_mem, e, a, i, ret);
	assert_string_equal(buf, want);
}

/* Formats a one-argument call's argument of kind with value v. */
static void check_one(enum sarg kind, uint64_t v, const char *want)
{
	struct syscall_entry e = { .nargs = 1, .arg = { kind } };
	struct sys_args a = { .a = { v } };

	check_arg(&e, &a, 0, 0, want);
}

static void check_ret(enum sret kind, long ret, const char *want)
{
	char buf[256];

	strace_format_ret(buf, sizeof(buf), kind, ret);
	assert_string_equal(buf, want);
}

static void test_string_escapes(void **state)
{
	uint64_t s = put_string("hi\n\t\r\"q\\\x01\x7f\xff");

	(void)state;
	check_one(SA_STR, s, "\"hi\\n\\t\\r\\\"q\\\\\\x01\\x7f\\xff\"");
	check_one(SA_STR, put_string(""), "\"\"");
}

static void test_string_truncated(void **state)
{
	/* 32 bytes print, then "..." after the quote. */
	uint64_t s = put_string("0123456789abcdefghijklmnopqrstuvwxyz");
	uint64_t exact = put_string("0123456789abcdef0123456789abcdef");

	(void)state;
	check_one(SA_STR, s, "\"0123456789abcdefghijklmnopqrstuv\"...");
	check_one(SA_STR, exact, "\"0123456789abcdef0123456789abcdef\"");
}

static void test_string_short_read(void **state)
{
	/* The string ends 4 bytes before a fault: the short read has its NUL. */
	uint64_t ok = put_at_end("abc", 4);

	(void)state;
	check_one(SA_STR, ok, "\"abc\"");
	/* No NUL before the fault: strace cannot tell where it ends. */
	check_one(SA_STR, put_at_end("abcd", 4), "0x7f0000000ffc");
}

static void test_null_and_unreadable(void **state)
{
	struct linux_iovec iov = { .base = BAD_ADDR, .len = 3 };
	uint64_t iovp = put_bytes(&iov, sizeof(iov));

	(void)state;
	check_one(SA_STR, 0, "NULL");
	check_one(SA_PTR, 0, "NULL");
	check_one(SA_PTR, 0x1000, "0x1000");
	check_one(SA_SIGSET_IN, 0, "NULL");
	check_one(SA_TIMESPEC_IN, 0, "NULL");
	check_one(SA_STR, BAD_ADDR, "0xdead0000");
	check_one(SA_TIMESPEC_IN, BAD_ADDR, "0xdead0000");
	check_one(SA_SIGACTION_IN, BAD_ADDR, "0xdead0000");
	check_one(SA_STRV, BAD_ADDR, "0xdead0000");
	/* A readable iovec whose buffer is not. */
	{
		struct syscall_entry e = { .nargs = 3,
			                   .arg = { SA_FD, SA_IOV_IN, SA_INT },
			                   .len = { [1] = 2 } };
		struct sys_args a = { .a = { 1, iovp, 1 } };

		check_arg(&e, &a, 1, 0, "[{iov_base=0xdead0000, iov_len=3}]");
	}
}

static void test_flags(void **state)
{
	(void)state;
	check_one(SA_OPEN_FLAGS, LINUX_O_RDONLY | LINUX_O_CLOEXEC, "O_RDONLY|O_CLOEXEC");
	check_one(SA_OPEN_FLAGS, LINUX_O_WRONLY | 0100 | 01000, "O_WRONLY|O_CREAT|O_TRUNC");
	/* Multi-bit flags win over the bits they contain. */
	check_one(SA_OPEN_FLAGS, LINUX_O_RDWR | 020200000, "O_RDWR|O_TMPFILE");
	check_one(SA_OPEN_FLAGS, 04010000, "O_RDONLY|O_SYNC");
	/* Unknown bits come last, in hex. */
	check_one(SA_OPEN_FLAGS, LINUX_O_CLOEXEC | 0x40000000, "O_RDONLY|O_CLOEXEC|0x40000000");
	check_one(SA_PROT, 0, "PROT_NONE");
	check_one(SA_PROT, LINUX_PROT_READ | LINUX_PROT_WRITE, "PROT_READ|PROT_WRITE");
	check_one(SA_PROT, LINUX_PROT_EXEC | 0x100, "PROT_EXEC|0x100");
	check_one(SA_PROT, 0x100, "0x100");
	check_one(SA_MMAP_FLAGS, LINUX_MAP_PRIVATE | LINUX_MAP_ANONYMOUS,
	          "MAP_PRIVATE|MAP_ANONYMOUS");
	check_one(SA_MMAP_FLAGS,
	          LINUX_MAP_PRIVATE | LINUX_MAP_ANONYMOUS | LINUX_MAP_HUGETLB |
	                  (21ULL << LINUX_MAP_HUGE_SHIFT),
	          "MAP_PRIVATE|MAP_ANONYMOUS|MAP_HUGETLB|21<<MAP_HUGE_SHIFT");
	check_one(SA_MREMAP_FLAGS, 0, "0");
	check_one(SA_AT_FLAGS, LINUX_AT_EMPTY_PATH | LINUX_AT_SYMLINK_NOFOLLOW,
	          "AT_SYMLINK_NOFOLLOW|AT_EMPTY_PATH");
	check_one(SA_ACCESS_MODE, 0, "F_OK");
	check_one(SA_ACCESS_MODE, 6, "R_OK|W_OK");
	check_one(SA_GRND_FLAGS, LINUX_GRND_NONBLOCK | 0x80, "GRND_NONBLOCK|0x80");
	check_one(SA_CLONE_FLAGS, 0x100 | 0x4000 | LINUX_SIGCHLD, "CLONE_VM|CLONE_VFORK|SIGCHLD");
	check_one(SA_FUTEX_OP, 128, "FUTEX_WAIT_PRIVATE");
	check_one(SA_FUTEX_OP, 9 | 128 | 256, "FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME");
	check_one(SA_SOCK_TYPE, 1 | 02000000, "SOCK_STREAM|SOCK_CLOEXEC");
	check_one(SA_FD_FLAGS, LINUX_O_CLOEXEC, "O_CLOEXEC");
}

static void test_enums_and_numbers(void **state)
{
	(void)state;
	check_one(SA_FD, (uint64_t)(int64_t)LINUX_AT_FDCWD, "AT_FDCWD");
	check_one(SA_FD, (uint64_t)-1, "-1");
	check_one(SA_INT, (uint64_t)-5, "-5");
	check_one(SA_UINT, 4096, "4096");
	check_one(SA_HEX, 0, "0");
	check_one(SA_HEX, 0x1000, "0x1000");
	check_one(SA_NONE, 255, "0xff");
	check_one(SA_OCT, 0644, "0644");
	check_one(SA_OCT, 0, "000");
	check_one(SA_OCT, 07, "007");
	check_one(SA_OCT, 0100755, "0100755");
	check_one(SA_CLOCKID, LINUX_CLOCK_MONOTONIC, "CLOCK_MONOTONIC");
	check_one(SA_CLOCKID, (uint64_t)-6, "-6");
	check_one(SA_MADV, LINUX_MADV_DONTNEED, "MADV_DONTNEED");
	check_one(SA_MADV, 77, "77");
	check_one(SA_RLIMIT_RES, LINUX_RLIMIT_NOFILE, "RLIMIT_NOFILE");
	check_one(SA_ARCH_PRCTL_CODE, 0x1002, "ARCH_SET_FS");
	check_one(SA_ARCH_PRCTL_CODE, 0x3001, "0x3001");
	check_one(SA_IOCTL_CMD, LINUX_TIOCGWINSZ, "TIOCGWINSZ");
	check_one(SA_IOCTL_CMD, 0x1234, "0x1234");
	check_one(SA_FCNTL_CMD, LINUX_F_SETFD, "F_SETFD");
	check_one(SA_WHENCE, 2, "SEEK_END");
	check_one(SA_SIGPROCMASK_HOW, LINUX_SIG_SETMASK, "SIG_SETMASK");
	check_one(SA_SOCK_FAMILY, 1, "AF_UNIX");
}

static void test_signals(void **state)
{
	linux_sigset_t set = linux_sigmask(LINUX_SIGINT) | linux_sigmask(LINUX_SIGTERM);
	linux_sigset_t rt = linux_sigmask(32) | linux_sigmask(33);
	linux_sigset_t most = ~(linux_sigmask(LINUX_SIGKILL) | linux_sigmask(LINUX_SIGSTOP));
	linux_sigset_t none = 0, all = ~0ULL;

	(void)state;
	check_one(SA_SIGNAL, LINUX_SIGTERM, "SIGTERM");
	check_one(SA_SIGNAL, LINUX_SIGKILL, "SIGKILL");
	check_one(SA_SIGNAL, 32, "SIGRTMIN");
	check_one(SA_SIGNAL, 34, "SIGRT_2");
	check_one(SA_SIGNAL, 0, "0");
	check_one(SA_SIGNAL, 99, "99");
	check_one(SA_SIGSET_IN, put_bytes(&set, sizeof(set)), "[INT TERM]");
	check_one(SA_SIGSET_IN, put_bytes(&rt, sizeof(rt)), "[RTMIN RT_1]");
	check_one(SA_SIGSET_IN, put_bytes(&none, sizeof(none)), "[]");
	check_one(SA_SIGSET_IN, put_bytes(&most, sizeof(most)), "~[KILL STOP]");
	check_one(SA_SIGSET_IN, put_bytes(&all, sizeof(all)), "~[]");
}

static void test_sigaction(void **state)
{
	struct linux_sigaction sa = {
		.handler = 0x401000,
		.flags = LINUX_SA_RESTORER | LINUX_SA_RESTART,
		.restorer = 0x402000,
		.mask = linux_sigmask(LINUX_SIGCHLD),
	};
	struct linux_sigaction ign = { .handler = LINUX_SIG_IGN };

	(void)state;
	check_one(SA_SIGACTION_IN, put_bytes(&sa, sizeof(sa)),
	          "{sa_handler=0x401000, sa_mask=[CHLD], sa_flags=SA_RESTORER|SA_RESTART, "
	          "sa_restorer=0x402000}");
	check_one(SA_SIGACTION_IN, put_bytes(&ign, sizeof(ign)),
	          "{sa_handler=SIG_IGN, sa_mask=[], sa_flags=0}");
}

static void test_timespec_and_rlimit(void **state)
{
	struct linux_timespec ts = { .tv_sec = 1, .tv_nsec = 0 };
	struct linux_timeval tv = { .tv_sec = 5, .tv_usec = 250 };
	struct linux_rlimit rl = { .cur = 8192 * 1024, .max = LINUX_RLIM_INFINITY };
	struct linux_rlimit small = { .cur = 1000, .max = 0 };

	(void)state;
	check_one(SA_TIMESPEC_IN, put_bytes(&ts, sizeof(ts)), "{tv_sec=1, tv_nsec=0}");
	check_one(SA_TIMEVAL_OUT, put_bytes(&tv, sizeof(tv)), "{tv_sec=5, tv_usec=250}");
	check_one(SA_RLIMIT_IN, put_bytes(&rl, sizeof(rl)),
	          "{rlim_cur=8192*1024, rlim_max=RLIM64_INFINITY}");
	check_one(SA_RLIMIT_IN, put_bytes(&small, sizeof(small)), "{rlim_cur=1000, rlim_max=0}");
	/* Half a timespec before the fault: unreadable. */
	check_one(SA_TIMESPEC_IN, put_at_end(&ts, 8), "0x7f0000000ff8");
}

/* write(fd, buf, count): the buffer's length comes from argument 2. */
static void test_buffer_length_from_arg(void **state)
{
	struct syscall_entry e = { .nargs = 3,
		                   .arg = { SA_FD, SA_BUF_IN, SA_UINT },
		                   .len = { [1] = 2 } };
	uint64_t buf = put_string("hello\nworld, and a lot more than thirty-two bytes");
	struct sys_args a = { .a = { 1, buf, 6 } };

	(void)state;
	check_arg(&e, &a, 1, 0, "\"hello\\n\"");
	a.a[2] = 0;
	check_arg(&e, &a, 1, 0, "\"\"");
	a.a[2] = 40;
	check_arg(&e, &a, 1, 0, "\"hello\\nworld, and a lot more than\"...");
	/* Bytes past the NUL are data, not the end. */
	a.a[1] = put_bytes("a\0b", 3);
	a.a[2] = 3;
	check_arg(&e, &a, 1, 0, "\"a\\x00b\"");
	/* A length running into the fault: the pointer. */
	a.a[1] = put_at_end("xy", 2);
	a.a[2] = 8;
	check_arg(&e, &a, 1, 0, "0x7f0000000ffe");
}

static void test_iovecs(void **state)
{
	uint64_t b1 = put_string("hello"), b2 = put_string("world!");
	struct linux_iovec iov[2] = { { b1, 5 }, { b2, 6 } };
	uint64_t iovp = put_bytes(iov, sizeof(iov));
	struct syscall_entry wv = { .nargs = 3,
		                    .arg = { SA_FD, SA_IOV_IN, SA_INT },
		                    .len = { [1] = 2 } };
	struct syscall_entry rv = { .nargs = 3,
		                    .arg = { SA_FD, SA_IOV_RET, SA_INT },
		                    .len = { [1] = 2 } };
	struct sys_args a = { .a = { 1, iovp, 2 } };
	struct linux_iovec many[10];
	struct sys_args m = { .a = { 1, 0, 10 } };

	(void)state;
	check_arg(&wv, &a, 1, 0,
	          "[{iov_base=\"hello\", iov_len=5}, {iov_base=\"world!\", iov_len=6}]");
	/* readv shows only the bytes it read: 7 of 11. */
	check_arg(&rv, &a, 1, 7, "[{iov_base=\"hello\", iov_len=5}, {iov_base=\"wo\", iov_len=6}]");
	/* After an error, the pointer. */
	check_arg(&rv, &a, 1, -EFAULT, "0x7f0000000020");
	for (size_t k = 0; k < ARRAY_SIZE(many); k++)
		many[k] = (struct linux_iovec){ b1, 1 };
	m.a[1] = put_bytes(many, sizeof(many));
	check_arg(&wv, &m, 1, 0,
	          "[{iov_base=\"h\", iov_len=1}, {iov_base=\"h\", iov_len=1}, "
	          "{iov_base=\"h\", iov_len=1}, {iov_base=\"h\", iov_len=1}, "
	          "{iov_base=\"h\", iov_len=1}, {iov_base=\"h\", iov_len=1}, "
	          "{iov_base=\"h\", iov_len=1}, {iov_base=\"h\", iov_len=1}, ...]");
}

static void test_structs(void **state)
{
	uint64_t argv[] = { put_string("/bin/ls"), put_string("-l"), 0 };
	struct linux_stat st = { .mode = 0100644, .size = 1234 };
	struct linux_stat tty = { .mode = 0020620, .rdev = (136 << 8) | 3 };
	uint8_t sun[] = { 1, 0, '/', 'r', 'u', 'n', '/', 's', 0 };
	uint8_t sin[16] = { 2, 0, 0, 80, 127, 0, 0, 1 };
	int32_t fds[2] = { 3, 4 };
	struct syscall_entry conn = { .nargs = 3,
		                      .arg = { SA_FD, SA_SOCKADDR_IN, SA_UINT },
		                      .len = { [1] = 2 } };
	struct sys_args a = { .a = { 3, put_bytes(sun, sizeof(sun)), sizeof(sun) } };
	struct linux_utsname u = { .sysname = "Linux", .nodename = "box" };

	(void)state;
	check_one(SA_STRV, put_bytes(argv, sizeof(argv)), "[\"/bin/ls\", \"-l\"]");
	check_one(SA_STAT_OUT, put_bytes(&st, sizeof(st)),
	          "{st_mode=S_IFREG|0644, st_size=1234, ...}");
	check_one(SA_STAT_OUT, put_bytes(&tty, sizeof(tty)),
	          "{st_mode=S_IFCHR|0620, st_rdev=makedev(0x88, 0x3), ...}");
	check_one(SA_FDPAIR_OUT, put_bytes(fds, sizeof(fds)), "[3, 4]");
	check_one(SA_UTSNAME_OUT, put_bytes(&u, sizeof(u)),
	          "{sysname=\"Linux\", nodename=\"box\", ...}");
	check_arg(&conn, &a, 1, 0, "{sa_family=AF_UNIX, sun_path=\"/run/s\"}");
	a.a[1] = put_bytes(sin, sizeof(sin));
	a.a[2] = sizeof(sin);
	check_arg(&conn, &a, 1, 0,
	          "{sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr(\"127.0.0.1\")}");
}

static void test_results(void **state)
{
	(void)state;
	check_ret(SR_INT, 6, "6");
	check_ret(SR_INT, 0, "0");
	check_ret(SR_INT, -ENOENT, "-ENOENT (No such file or directory)");
	check_ret(SR_INT, -ENOSYS, "-ENOSYS (Function not implemented)");
	check_ret(SR_INT, -LINUX_ERESTARTSYS,
	          "-ERESTARTSYS (To be restarted if SA_RESTART is set)");
	check_ret(SR_INT, -LINUX_ERESTART_RESTARTBLOCK,
	          "-ERESTART_RESTARTBLOCK (Interrupted by signal)");
	/* Inside the error range but unnamed, and just outside it. */
	check_ret(SR_INT, -4000, "-4000");
	check_ret(SR_INT, -4096, "-4096");
	check_ret(SR_HEX, 0x7f0000001000, "0x7f0000001000");
	check_ret(SR_HEX, -ENOMEM, "-ENOMEM (Cannot allocate memory)");
	check_ret(SR_NONE, 0, "?");
}

/* Runs enter, lets "the handler" change memory, runs exit; checks the line. */
static void check_line(const struct syscall_entry *e, const char *name, const struct sys_args *a,
                       void (*handler)(void), long ret, const char *want)
{
	struct strace_state st;
	char line[4096];

	strace_format_enter(&st, &g_mem, 1, name, e, a);
	if (handler)
		handler();
	strace_format_exit(line, sizeof(line), &st, &g_mem, e, a, ret);
	assert_string_equal(line, want);
}

static uint64_t g_buf;

static void fill_buffer(void)
{
	memcpy(g_guest + (g_buf - GUEST_BASE), "data!", 5);
}

static void test_lines(void **state)
{
	static const struct syscall_entry write_e = { .nargs = 3,
		                                      .arg = { SA_FD, SA_BUF_IN, SA_UINT },
		                                      .len = { [1] = 2 } };
	static const struct syscall_entry read_e = { .nargs = 3,
		                                     .arg = { SA_FD, SA_BUF_RET, SA_UINT } };
	static const struct syscall_entry mmap_e = {
		.nargs = 6,
		.arg = { SA_PTR, SA_UINT, SA_PROT, SA_MMAP_FLAGS, SA_FD, SA_HEX },
		.ret = SR_HEX,
	};
	static const struct syscall_entry openat_e = {
		.nargs = 4,
		.arg = { SA_FD, SA_STR, SA_OPEN_FLAGS, SA_OCT },
	};
	static const struct syscall_entry exit_e = { .nargs = 1,
		                                     .arg = { SA_INT },
		                                     .ret = SR_NONE };
	static const struct syscall_entry fcntl_e = {
		.nargs = 3, .arg = { SA_FD, SA_FCNTL_CMD, SA_FCNTL_ARG }
	};
	static const struct syscall_entry none_e = { .nargs = 0 };
	struct sys_args a = { 0 };

	(void)state;
	a = (struct sys_args){ .nr = 1, .a = { 1, put_string("hello\n"), 6 } };
	check_line(&write_e, "write", &a, NULL, 6, "[   1] write(1, \"hello\\n\", 6) = 6");

	/* read's buffer is shown after the call, as the handler left it. */
	g_buf = put_bytes("-----", 5);
	a = (struct sys_args){ .nr = 0, .a = { 0, g_buf, 5 } };
	check_line(&read_e, "read", &a, fill_buffer, 5, "[   1] read(0, \"data!\", 5) = 5");
	check_line(&read_e, "read", &a, NULL, -EBADF,
	           "[   1] read(0, 0x7f0000000010, 5) = -EBADF (Bad file descriptor)");

	/* write's buffer is the one before the call, whatever the handler does. */
	a = (struct sys_args){ .nr = 1, .a = { 1, g_buf, 5 } };
	memcpy(g_guest + (g_buf - GUEST_BASE), "12345", 5);
	check_line(&write_e, "write", &a, fill_buffer, 5, "[   1] write(1, \"12345\", 5) = 5");

	a = (struct sys_args){ .nr = 9,
		               .a = { 0, 4096, LINUX_PROT_READ | LINUX_PROT_WRITE,
		                      LINUX_MAP_PRIVATE | LINUX_MAP_ANONYMOUS, (uint64_t)-1, 0 } };
	check_line(&mmap_e, "mmap", &a, NULL, 0x7f0000001000,
	           "[   1] mmap(NULL, 4096, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)"
	           " = 0x7f0000001000");

	a = (struct sys_args){ .nr = 257,
		               .a = { (uint64_t)(int64_t)LINUX_AT_FDCWD, put_string("/etc/passwd"),
		                      LINUX_O_RDONLY | LINUX_O_CLOEXEC, 0 } };
	check_line(&openat_e, "openat", &a, NULL, -ENOSYS,
	           "[   1] openat(AT_FDCWD, \"/etc/passwd\", O_RDONLY|O_CLOEXEC)"
	           " = -ENOSYS (Function not implemented)");
	/* The mode shows only when the flags use it. */
	a.a[2] = LINUX_O_WRONLY | 0100;
	a.a[3] = 0644;
	check_line(&openat_e, "openat", &a, NULL, 3,
	           "[   1] openat(AT_FDCWD, \"/etc/passwd\", O_WRONLY|O_CREAT, 0644) = 3");

	a = (struct sys_args){ .nr = 231, .a = { 7 } };
	check_line(&exit_e, "exit_group", &a, NULL, 0, "[   1] exit_group(7) = ?");

	/* F_GETFL takes no argument: it is left out. */
	a = (struct sys_args){ .nr = 72, .a = { 3, LINUX_F_GETFL, 0xdead } };
	check_line(&fcntl_e, "fcntl", &a, NULL, 2, "[   1] fcntl(3, F_GETFL) = 2");
	a = (struct sys_args){ .nr = 72, .a = { 3, LINUX_F_SETFD, LINUX_FD_CLOEXEC } };
	check_line(&fcntl_e, "fcntl", &a, NULL, 0, "[   1] fcntl(3, F_SETFD, FD_CLOEXEC) = 0");

	a = (struct sys_args){ .nr = 39 };
	check_line(&none_e, "getpid", &a, NULL, 1, "[   1] getpid() = 1");

	/* A number with no entry: six raw arguments. */
	a = (struct sys_args){ .nr = 400, .a = { 1, 0, 0x20 } };
	check_line(
	        NULL, NULL, &a, NULL, -ENOSYS,
	        "[   1] syscall_400(0x1, 0, 0x20, 0, 0, 0) = -ENOSYS (Function not implemented)");
}

/* Long arguments truncate inside the state and the line, never overflow. */
static void test_bounds(void **state)
{
	static const struct syscall_entry big_e = {
		.nargs = 6,
		.arg = { SA_IOV_IN, SA_IOV_IN, SA_IOV_IN, SA_IOV_IN, SA_IOV_IN, SA_IOV_IN },
		.len = { 1, 1, 1, 1, 1, 1 },
	};
	char full[STRACE_STRING_MAX + 8];
	struct linux_iovec iov[STRACE_ARRAY_MAX];
	struct strace_state st;
	struct sys_args a;
	char line[64], tiny[8];
	uint64_t iovp;
	size_t n;

	(void)state;
	memset(full, 0xff, sizeof(full)); /* each byte becomes \xff */
	full[sizeof(full) - 1] = '\0';
	for (size_t k = 0; k < ARRAY_SIZE(iov); k++)
		iov[k] = (struct linux_iovec){ put_bytes(full, sizeof(full)), sizeof(full) };
	iovp = put_bytes(iov, sizeof(iov));
	a = (struct sys_args){ .nr = 20, .a = { iovp, STRACE_ARRAY_MAX, iovp, iovp, iovp, iovp } };

	strace_format_enter(&st, &g_mem, 1, "writev", &big_e, &a);
	assert_true(st.len <= sizeof(st.buf));
	n = strace_format_exit(line, sizeof(line), &st, &g_mem, &big_e, &a, 0);
	assert_int_equal(n, sizeof(line) - 1);
	assert_int_equal(strlen(line), n);

	n = strace_format_arg(tiny, sizeof(tiny), &g_mem, &big_e, &a, 0, 0);
	assert_int_equal(n, sizeof(tiny) - 1);
	assert_string_equal(tiny, "[{iov_b");
	assert_int_equal(strace_format_arg(tiny, 0, &g_mem, &big_e, &a, 0, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_string_escapes, reset_guest),
		cmocka_unit_test_setup(test_string_truncated, reset_guest),
		cmocka_unit_test_setup(test_string_short_read, reset_guest),
		cmocka_unit_test_setup(test_null_and_unreadable, reset_guest),
		cmocka_unit_test_setup(test_flags, reset_guest),
		cmocka_unit_test_setup(test_enums_and_numbers, reset_guest),
		cmocka_unit_test_setup(test_signals, reset_guest),
		cmocka_unit_test_setup(test_sigaction, reset_guest),
		cmocka_unit_test_setup(test_timespec_and_rlimit, reset_guest),
		cmocka_unit_test_setup(test_buffer_length_from_arg, reset_guest),
		cmocka_unit_test_setup(test_iovecs, reset_guest),
		cmocka_unit_test_setup(test_structs, reset_guest),
		cmocka_unit_test_setup(test_results, reset_guest),
		cmocka_unit_test_setup(test_lines, reset_guest),
		cmocka_unit_test_setup(test_bounds, reset_guest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
