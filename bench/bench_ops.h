/*
 * What the benchmark drivers (bench/files/file_ops, bench/net/net_ops,
 * bench/process/proc_ops) share: output without stdio (each is a static
 * binary that may run in the sandbox, where a figure must reach the pipe
 * whole), failures on stderr prefixed with the driver's name, the command
 * line's operation and count, a buffer of a pattern, and the result line.
 *
 * A driver defines BENCH_PROG (its name) before including this header.
 * Its table of operations is an array of structs whose first member is
 * `const char *name`: bench_find_op and bench_usage take the table with
 * its element size.
 */
#ifndef BENCH_BENCH_OPS_H
#define BENCH_BENCH_OPS_H

#ifndef BENCH_PROG
#error "define BENCH_PROG before including bench_ops.h"
#endif

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define BENCH_MIB (1024 * 1024)
/* The largest count of MiB an operation takes (1 TiB). */
#define BENCH_MAX_MIB (1L << 20)

/* What an operation measured: bench_print_result's input. */
struct bench_result {
	uint64_t elapsed_ns;
	long ops;       /* what ns_per_op divides by, for the per-op operations */
	uint64_t bytes; /* for the throughputs; 0 otherwise */
};

static inline void bench_write_all(int fd, const char *s, size_t size)
{
	while (size > 0) {
		ssize_t n = write(fd, s, size);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		s += n;
		size -= (size_t)n;
	}
}

/* Prints "BENCH_PROG: MESSAGE" on stderr and returns -1. */
__attribute__((format(printf, 1, 2))) static inline int bench_fail(const char *fmt, ...)
{
	char msg[512];
	int n = snprintf(msg, sizeof(msg), "%s: ", BENCH_PROG);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	strcat(msg, "\n");
	bench_write_all(STDERR_FILENO, msg, strlen(msg));
	return -1;
}

/* Waits for pid, which must exit with status 0: 0, or -1 after saying why not. */
static inline int bench_reap(pid_t pid, const char *what)
{
	int status;
	pid_t r;
	do {
		r = waitpid(pid, &status, 0);
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return bench_fail("waitpid (%s): %s", what, strerror(errno));
	if (r != pid)
		return bench_fail("waitpid (%s): returned %d, not %d", what, (int)r, (int)pid);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		return bench_fail("%s: the child exited with status %d", what, WEXITSTATUS(status));
	if (WIFSIGNALED(status))
		return bench_fail("%s: the child was killed by signal %d", what, WTERMSIG(status));
	return bench_fail("%s: the child ended with wait status 0x%x", what, status);
}

/* The name of the i-th element of a table of operations (its first member). */
static inline const char *bench_op_name(const void *ops, size_t size, size_t i)
{
	return *(const char *const *)(const void *)((const char *)ops + i * size);
}

/* The index of the operation called name in ops (n elements of size bytes), or -1. */
static inline int bench_find_op(const void *ops, size_t n, size_t size, const char *name)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(bench_op_name(ops, size, i), name) == 0)
			return (int)i;
	}
	return -1;
}

/* Prints "usage: BENCH_PROG ARGS" and the operations' names; returns 2, the exit status. */
static inline int bench_usage(const char *args, const void *ops, size_t n, size_t size)
{
	char msg[512];
	int len = snprintf(msg, sizeof(msg), "usage: %s %s\n  OP:", BENCH_PROG, args);
	for (size_t i = 0; i < n && len < (int)sizeof(msg); i++)
		len += snprintf(msg + len, sizeof(msg) - (size_t)len, " %s",
		                bench_op_name(ops, size, i));
	if (len < (int)sizeof(msg))
		snprintf(msg + len, sizeof(msg) - (size_t)len, "\n");
	bench_write_all(STDERR_FILENO, msg, strlen(msg));
	return 2;
}

/* arg as a count from 1 to max (no limit when max is 0), or -1. */
static inline long bench_count(const char *arg, long max)
{
	char *end;
	errno = 0;
	long v = strtol(arg, &end, 10);
	if (*arg == '\0' || *end != '\0' || errno || v <= 0 || (max > 0 && v > max))
		return -1;
	return v;
}

/* A pattern, not zeros, and every page of the buffer faulted in now. */
static inline void bench_fill(char *buf, size_t size)
{
	for (size_t i = 0; i < size; i++)
		buf[i] = (char)(i * 131 + 7);
}

/* "NAME ns_per_op=F" on stdout, with " MiB_per_s=F" (and ns per MiB) for a throughput. */
static inline void bench_print_result(const char *name, struct bench_result *res)
{
	if (res->elapsed_ns == 0)
		res->elapsed_ns = 1; /* a clock too coarse for the run: no division by 0 */
	char line[128];
	if (res->bytes > 0) {
		double mib = (double)res->bytes / BENCH_MIB;
		snprintf(line, sizeof(line), "%s ns_per_op=%.1f MiB_per_s=%.1f\n", name,
		         (double)res->elapsed_ns / mib, mib * 1e9 / (double)res->elapsed_ns);
	} else {
		snprintf(line, sizeof(line), "%s ns_per_op=%.1f\n", name,
		         (double)res->elapsed_ns / (double)res->ops);
	}
	bench_write_all(STDOUT_FILENO, line, strlen(line));
}

#endif /* BENCH_BENCH_OPS_H */
