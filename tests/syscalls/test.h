/*
 * test.h: the harness of the syscall compatibility suite.
 *
 * Each test is a static program that asserts Linux behaviour and exits 0. The first failed
 * check prints file:line, the expression and the values involved on stderr, and exits 1.
 * Tests that are expected to die of a signal call test_unreachable() after the deadly act.
 *
 * Prefer raw syscall(SYS_x, ...) where a glibc wrapper could hide the kernel's behaviour;
 * syscall() returns -1 and sets errno like the wrappers do, so the same macros serve both.
 */
#ifndef RUNSC_TESTS_SYSCALLS_TEST_H
#define RUNSC_TESTS_SYSCALLS_TEST_H

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PAGE_SIZE 4096UL

__attribute__((noreturn, format(printf, 3, 4))) static inline void
test_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "%s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* test_errname returns "EFAULT" for EFAULT, "0" for no error. */
static inline const char *test_errname(int err)
{
	const char *name = err ? strerrorname_np(err) : "0";

	return name ? name : "unknown errno";
}

/* CHECK fails the test unless cond holds. */
#define CHECK(cond)                                                               \
	do {                                                                      \
		if (!(cond))                                                      \
			test_fail(__FILE__, __LINE__, "CHECK(%s) failed", #cond); \
	} while (0)

/* CHECK_EQ compares two integers (or pointers) and prints both on failure. */
#define CHECK_EQ(a, b)                                                                             \
	do {                                                                                       \
		long long eq_a_ = (long long)(a), eq_b_ = (long long)(b);                          \
		if (eq_a_ != eq_b_)                                                                \
			test_fail(__FILE__, __LINE__,                                              \
			          "CHECK_EQ(%s, %s): %lld (%#llx) != %lld (%#llx)", #a, #b, eq_a_, \
			          (unsigned long long)eq_a_, eq_b_, (unsigned long long)eq_b_);    \
	} while (0)

/* CHECK_STREQ compares two NUL-terminated strings. */
#define CHECK_STREQ(a, b)                                                                          \
	do {                                                                                       \
		const char *st_a_ = (a), *st_b_ = (b);                                             \
		if (strcmp(st_a_, st_b_) != 0)                                                     \
			test_fail(__FILE__, __LINE__, "CHECK_STREQ(%s, %s): \"%s\" != \"%s\"", #a, \
			          #b, st_a_, st_b_);                                               \
	} while (0)

/*
 * CHECK_ERR expects expr to return -1 (or MAP_FAILED) with errno == err. Use it for libc
 * wrappers and for raw syscall() calls alike.
 */
#define CHECK_ERR(expr, err)                                                                     \
	do {                                                                                     \
		errno = 0;                                                                       \
		long long er_r_ = (long long)(expr);                                             \
		int er_e_ = errno;                                                               \
		if (er_r_ != -1 || er_e_ != (err))                                               \
			test_fail(__FILE__, __LINE__,                                            \
			          "%s: returned %lld (errno %s), expected -1 (errno %s)", #expr, \
			          er_r_, test_errname(er_e_), test_errname(err));                \
	} while (0)

/*
 * CHECK_SYS expects expr to succeed (not return -1 or MAP_FAILED) and yields its value as a
 * long long: `char *p = (char *)CHECK_SYS(mmap(...));`.
 */
#define CHECK_SYS(expr)                                                             \
	({                                                                          \
		errno = 0;                                                          \
		long long sy_r_ = (long long)(expr);                                \
		if (sy_r_ == -1)                                                    \
			test_fail(__FILE__, __LINE__, "%s failed: errno %s", #expr, \
			          test_errname(errno));                             \
		sy_r_;                                                              \
	})

/* test_unreachable follows an act that must have killed the process. */
#define test_unreachable(what) test_fail(__FILE__, __LINE__, "still alive after %s", what)

/*
 * test_unmapped_page returns the address of a page that is not mapped and that later mmap
 * calls will not fill by chance: the middle of a 16 MiB hole between two guard pages.
 * Allocators fill a hole from one end (top-down or bottom-up), so the middle page stays free
 * until 8 MiB have been mapped there.
 */
static inline void *test_unmapped_page(void)
{
	const size_t hole = 16UL << 20;
	char *p = mmap(NULL, hole + 2 * PAGE_SIZE, PROT_NONE,
	               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		test_fail(__FILE__, __LINE__, "mmap: errno %s", test_errname(errno));
	if (munmap(p + PAGE_SIZE, hole) != 0)
		test_fail(__FILE__, __LINE__, "munmap: errno %s", test_errname(errno));
	return p + PAGE_SIZE + hole / 2;
}

/*
 * test_page_before_hole returns a readable and writable page whose next page is unmapped and
 * stays so, for buffers that run off the end of mapped memory.
 */
static inline unsigned char *test_page_before_hole(void)
{
	unsigned char *hole = test_unmapped_page();
	void *p = mmap(hole - PAGE_SIZE, PAGE_SIZE, PROT_READ | PROT_WRITE,
	               MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

	if (p != hole - PAGE_SIZE)
		test_fail(__FILE__, __LINE__, "mmap: %p, errno %s", p, test_errname(errno));
	return p;
}

/* test_map maps size bytes of private anonymous memory with prot, or fails the test. */
static inline void *test_map(size_t size, int prot)
{
	void *p = mmap(NULL, size, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		test_fail(__FILE__, __LINE__, "mmap(%zu): errno %s", size, test_errname(errno));
	return p;
}

/* test_is_mapped tells whether the page at addr is mapped, using mincore's ENOMEM. */
static inline int test_is_mapped(const void *addr)
{
	unsigned char vec;
	long ret = syscall(SYS_mincore, (uintptr_t)addr & ~(PAGE_SIZE - 1), PAGE_SIZE, &vec);

	if (ret == 0)
		return 1;
	if (errno != ENOMEM)
		test_fail(__FILE__, __LINE__, "mincore: errno %s", test_errname(errno));
	return 0;
}

#endif /* RUNSC_TESTS_SYSCALLS_TEST_H */
