/*
 * file_ops: the workload of bench/files. Times one file operation in a loop
 * and prints one line, `OP ns_per_op=N`; for the operations that move whole
 * MiBs it adds `MiB_per_s=N`, and ns_per_op is then the time per MiB.
 *
 * Usage: file_ops OP PATH ITERS
 *   stat                 ITERS x stat(PATH)
 *   open_read_close      ITERS x { open(PATH, O_RDONLY); read up to 4 KiB; close }
 *   seq_read             open PATH, then ITERS passes, each an lseek to 0 and
 *                        1 MiB read() calls to EOF (per MiB)
 *   create_file          write PATH as ITERS MiB with 1 MiB write() calls and
 *                        close it, without fsync (per MiB)
 *   stat_tmp, open_read_close_tmp
 *                        create PATH with 100 bytes, time ITERS x stat or
 *                        open_read_close of it, unlink PATH
 *   seq_read_tmp         create PATH as ITERS MiB with 1 MiB write() calls,
 *                        time ONE sequential read pass of it, unlink PATH
 *
 * The _tmp operations are for the sandbox's tmpfs: every `runsc do` is a new
 * sandbox whose tmpfs starts empty, so the program that reads a tmpfs file
 * has to create it itself. Natively they run on /dev/shm, so that both sides
 * do the same work; only the reads are timed.
 *
 * stat and open_read_close first run a warm-up of ITERS/10 (at least 10)
 * operations, so that the figure is that of a cached lookup (the host's and
 * the sentry's dentry caches) with code and stack already faulted in.
 *
 * Built -static so that it runs unchanged natively and under `runsc do`. It
 * makes no system calls but open, read, write, close, stat, lseek, unlink,
 * clock_gettime and exit, besides glibc's static start-up: the data buffer
 * is a static 1 MiB (filled before anything is timed, so its page faults
 * never are), nothing is malloc'd, and the result is formatted with
 * snprintf and written with write(2), so stdio never fstats stdout. The
 * clock is CLOCK_MONOTONIC, read just before and just after the timed loop.
 */
#define BENCH_PROG "file_ops"
#include "bench/bench_ops.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The size of the file the *_tmp operations create, in bytes. */
#define SMALL_FILE_SIZE 100
/* What open_read_close reads at most, in bytes. */
#define SMALL_READ_SIZE 4096

struct file_op {
	const char *name;
	int (*run)(const char *path, long iters, struct bench_result *out);
	int iters_is_mib; /* ITERS is a size in MiB, limited to BENCH_MAX_MIB */
};

static char g_buf[BENCH_MIB];

static int fail_errno(const char *what, const char *path)
{
	return bench_fail("%s %s: %s", what, path, strerror(errno));
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static long warmup_iters(long iters)
{
	return iters / 10 < 10 ? 10 : iters / 10;
}

/*
 * Fills g_buf with a fixed pseudo-random pattern (xorshift64), so that the
 * files written are neither zeros nor sparse, and every page of the buffer is
 * faulted in before anything is timed.
 */
static void fill_pattern(void)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	for (size_t i = 0; i < sizeof(g_buf); i += sizeof(x)) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(g_buf + i, &x, sizeof(x));
	}
}

/* Creates (or truncates) path and writes size bytes of g_buf's pattern to it. */
static int write_file(const char *path, uint64_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return fail_errno("create", path);
	while (size > 0) {
		size_t chunk = size < sizeof(g_buf) ? (size_t)size : sizeof(g_buf);
		ssize_t n = write(fd, g_buf, chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			fail_errno("write", path);
			goto out_close;
		}
		size -= (uint64_t)n;
	}
	if (close(fd) < 0)
		return fail_errno("close", path);
	return 0;

out_close:
	close(fd);
	return -1;
}

static int unlink_file(const char *path)
{
	return unlink(path) < 0 ? fail_errno("unlink", path) : 0;
}

static int stat_once(const char *path)
{
	struct stat st;
	return stat(path, &st) < 0 ? fail_errno("stat", path) : 0;
}

static int open_read_close_once(const char *path)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return fail_errno("open", path);
	if (read(fd, g_buf, SMALL_READ_SIZE) < 0) {
		fail_errno("read", path);
		goto out_close;
	}
	if (close(fd) < 0)
		return fail_errno("close", path);
	return 0;

out_close:
	close(fd);
	return -1;
}

/* Runs once(path) ITERS/10 times untimed, then iters times timed. */
static int time_loop(int (*once)(const char *path), const char *path, long iters,
                     struct bench_result *out)
{
	for (long i = warmup_iters(iters); i > 0; i--) {
		if (once(path) < 0)
			return -1;
	}
	uint64_t start = now_ns();
	for (long i = 0; i < iters; i++) {
		if (once(path) < 0)
			return -1;
	}
	out->elapsed_ns = now_ns() - start;
	out->ops = iters;
	return 0;
}

/* Reads fd from offset 0 to EOF in 1 MiB read() calls; returns the bytes read. */
static int read_pass(int fd, const char *path, uint64_t *out_size)
{
	if (lseek(fd, 0, SEEK_SET) < 0)
		return fail_errno("lseek", path);
	uint64_t size = 0;
	for (;;) {
		ssize_t n = read(fd, g_buf, sizeof(g_buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return fail_errno("read", path);
		if (n == 0)
			break;
		size += (uint64_t)n;
	}
	if (size == 0)
		return bench_fail("read %s: the file is empty", path);
	*out_size = size;
	return 0;
}

/* Times passes sequential read passes of path. */
static int time_seq_read(const char *path, long passes, struct bench_result *out)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return fail_errno("open", path);
	uint64_t first = 0;
	uint64_t start = now_ns();
	for (long i = 0; i < passes; i++) {
		uint64_t size = 0;
		if (read_pass(fd, path, &size) < 0)
			goto out_close;
		if (i == 0) {
			first = size;
		} else if (size != first) {
			bench_fail("read %s: pass %ld read %llu bytes, the first %llu", path, i + 1,
			           (unsigned long long)size, (unsigned long long)first);
			goto out_close;
		}
	}
	out->elapsed_ns = now_ns() - start;
	out->bytes = first * (uint64_t)passes;
	if (close(fd) < 0)
		return fail_errno("close", path);
	return 0;

out_close:
	close(fd);
	return -1;
}

static int op_stat(const char *path, long iters, struct bench_result *out)
{
	return time_loop(stat_once, path, iters, out);
}

static int op_open_read_close(const char *path, long iters, struct bench_result *out)
{
	return time_loop(open_read_close_once, path, iters, out);
}

static int op_seq_read(const char *path, long iters, struct bench_result *out)
{
	return time_seq_read(path, iters, out);
}

static int op_create_file(const char *path, long iters, struct bench_result *out)
{
	uint64_t start = now_ns();
	if (write_file(path, (uint64_t)iters * BENCH_MIB) < 0)
		return -1;
	out->elapsed_ns = now_ns() - start;
	out->bytes = (uint64_t)iters * BENCH_MIB;
	return 0;
}

/* Creates path with SMALL_FILE_SIZE bytes, times iters x once(path), unlinks path. */
static int time_loop_tmp(int (*once)(const char *path), const char *path, long iters,
                         struct bench_result *out)
{
	if (write_file(path, SMALL_FILE_SIZE) < 0)
		goto out_unlink;
	if (time_loop(once, path, iters, out) < 0)
		goto out_unlink;
	return unlink_file(path);

out_unlink:
	unlink(path);
	return -1;
}

static int op_stat_tmp(const char *path, long iters, struct bench_result *out)
{
	return time_loop_tmp(stat_once, path, iters, out);
}

static int op_open_read_close_tmp(const char *path, long iters, struct bench_result *out)
{
	return time_loop_tmp(open_read_close_once, path, iters, out);
}

static int op_seq_read_tmp(const char *path, long iters, struct bench_result *out)
{
	if (write_file(path, (uint64_t)iters * BENCH_MIB) < 0)
		goto out_unlink;
	if (time_seq_read(path, /*passes=*/1, out) < 0)
		goto out_unlink;
	return unlink_file(path);

out_unlink:
	unlink(path);
	return -1;
}

static const struct file_op g_ops[] = {
	{ .name = "stat", .run = op_stat },
	{ .name = "open_read_close", .run = op_open_read_close },
	{ .name = "seq_read", .run = op_seq_read },
	{ .name = "create_file", .run = op_create_file, .iters_is_mib = 1 },
	{ .name = "stat_tmp", .run = op_stat_tmp },
	{ .name = "open_read_close_tmp", .run = op_open_read_close_tmp },
	{ .name = "seq_read_tmp", .run = op_seq_read_tmp, .iters_is_mib = 1 },
};

int main(int argc, char **argv)
{
	const size_t nops = sizeof(g_ops) / sizeof(g_ops[0]);
	int i = argc == 4 ? bench_find_op(g_ops, nops, sizeof(g_ops[0]), argv[1]) : -1;
	long iters = i < 0 ? -1 : bench_count(argv[3], g_ops[i].iters_is_mib ? BENCH_MAX_MIB : 0);
	if (iters < 0)
		return bench_usage("OP PATH ITERS", g_ops, nops, sizeof(g_ops[0]));
	fill_pattern();
	struct bench_result res = { 0 };
	if (g_ops[i].run(argv[2], iters, &res) < 0)
		return 1;
	bench_print_result(g_ops[i].name, &res);
	return 0;
}
