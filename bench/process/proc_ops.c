/*
 * proc_ops: the workload of bench/process. Times one process, IPC or
 * synchronisation operation in a loop and prints one line, `OP ns_per_op=N`;
 * pipe_throughput adds `MiB_per_s=N`, and its ns_per_op is then the time per
 * MiB moved.
 *
 * Usage: proc_ops OP ITERS
 *   fork_exit        ITERS x { fork; the child _exit(0)s; waitpid }
 *   fork_exec        ITERS x { fork; the child execve("/bin/true"); waitpid }
 *   pipe_throughput  a child writes ITERS MiB into a pipe in 64 KiB write()
 *                    calls; the parent reads them in 64 KiB read() calls (per MiB)
 *   pipe_pingpong    ITERS round trips of one byte: the parent writes it into
 *                    one pipe, the child reads it and writes it back into a
 *                    second pipe, the parent reads it
 *   futex_pingpong   ITERS round trips between two threads of one process
 *                    that take turns on a futex word (FUTEX_WAIT_PRIVATE and
 *                    FUTEX_WAKE_PRIVATE)
 *
 * Every per-operation loop first runs a warm-up of ITERS/10 (at least 1)
 * untimed operations, so that code, stack and the kernel's (or the
 * sentry's) caches are warm. For pipe_throughput the clock starts when the
 * first read() returns data, so the fork is not in the figure, and the bytes
 * of that first read are not counted.
 *
 * Every child and thread is checked: a child that does not exit with status 0,
 * a short or failed read or write, a byte that comes back changed, or a
 * throughput run that does not move exactly ITERS MiB makes the program print
 * why on stderr and exit 1, and print no figure.
 *
 * Built -static so that it runs unchanged natively and under `runsc do`.
 * The result is formatted with snprintf and written with write(2), so stdio
 * never runs; the clock is CLOCK_MONOTONIC (vDSO), read just before and just
 * after the timed loop. The thread of futex_pingpong is a pthread, so that
 * glibc's clone3/clone, set_robust_list and TLS set-up are exercised as a
 * real threaded program does them; only the round trips are timed.
 */
#define BENCH_PROG "proc_ops"
#include "bench/bench_ops.h"

#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The size of each write() and read() of pipe_throughput. */
#define CHUNK (64 * 1024)
/* The program fork_exec runs. */
#define EXEC_PATH "/bin/true"

struct proc_op {
	const char *name;
	int (*run)(long iters, struct bench_result *out);
	int iters_is_mib; /* ITERS is a size in MiB, limited to BENCH_MAX_MIB */
};

static char g_buf[CHUNK];

static int fail_errno(const char *what)
{
	return bench_fail("%s: %s", what, strerror(errno));
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static long warmup_iters(long iters)
{
	return iters / 10 < 1 ? 1 : iters / 10;
}

/* Reads exactly size bytes (EOF before them is an error). */
static int read_full(int fd, void *buf, size_t size, const char *what)
{
	char *p = buf;
	while (size > 0) {
		ssize_t n = read(fd, p, size);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return bench_fail("read (%s): %s", what, strerror(errno));
		if (n == 0)
			return bench_fail("read (%s): unexpected end of file", what);
		p += n;
		size -= (size_t)n;
	}
	return 0;
}

static int write_full(int fd, const void *buf, size_t size, const char *what)
{
	const char *p = buf;
	while (size > 0) {
		ssize_t n = write(fd, p, size);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return bench_fail("write (%s): %s", what, strerror(errno));
		if (n == 0)
			return bench_fail("write (%s): wrote nothing", what);
		p += n;
		size -= (size_t)n;
	}
	return 0;
}

/* Runs once() warmup_iters(iters) times untimed, then iters times timed. */
static int time_loop(int (*once)(void *arg), void *arg, long iters, struct bench_result *out)
{
	for (long i = warmup_iters(iters); i > 0; i--) {
		if (once(arg) < 0)
			return -1;
	}
	uint64_t start = now_ns();
	for (long i = 0; i < iters; i++) {
		if (once(arg) < 0)
			return -1;
	}
	out->elapsed_ns = now_ns() - start;
	out->ops = iters;
	return 0;
}

/* fork_exit */

static int fork_exit_once(void *arg)
{
	(void)arg;
	pid_t pid = fork();
	if (pid < 0)
		return fail_errno("fork");
	if (pid == 0)
		_exit(0);
	return bench_reap(pid, "fork_exit");
}

static int op_fork_exit(long iters, struct bench_result *out)
{
	return time_loop(fork_exit_once, NULL, iters, out);
}

/* fork_exec */

static int fork_exec_once(void *arg)
{
	(void)arg;
	static char *const argv[] = { EXEC_PATH, NULL };
	static char *const envp[] = { NULL };
	pid_t pid = fork();
	if (pid < 0)
		return fail_errno("fork");
	if (pid == 0) {
		execve(EXEC_PATH, argv, envp);
		bench_fail("execve %s: %s", EXEC_PATH, strerror(errno));
		_exit(127);
	}
	return bench_reap(pid, "fork_exec");
}

static int op_fork_exec(long iters, struct bench_result *out)
{
	return time_loop(fork_exec_once, NULL, iters, out);
}

/* pipe_throughput */

static int op_pipe_throughput(long mib, struct bench_result *out)
{
	int fds[2];
	if (pipe(fds) < 0)
		return fail_errno("pipe");
	uint64_t total = (uint64_t)mib * BENCH_MIB;
	pid_t pid = fork();
	if (pid < 0) {
		fail_errno("fork");
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		close(fds[0]);
		for (uint64_t left = total; left > 0; left -= CHUNK) {
			if (write_full(fds[1], g_buf, CHUNK, "pipe_throughput, child") < 0)
				_exit(1);
		}
		_exit(0);
	}
	close(fds[1]);

	uint64_t got = 0, first = 0, start = 0;
	int rc = 0;
	for (;;) {
		ssize_t n = read(fds[0], g_buf, sizeof(g_buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = fail_errno("read (pipe_throughput)");
			break;
		}
		if (n == 0)
			break;
		if (got == 0) {
			start = now_ns();
			first = (uint64_t)n;
		}
		got += (uint64_t)n;
	}
	uint64_t end = now_ns();
	close(fds[0]);
	if (bench_reap(pid, "pipe_throughput") < 0 || rc < 0)
		return -1;
	if (got != total)
		return bench_fail("pipe_throughput: read %llu bytes, the child wrote %llu",
		                  (unsigned long long)got, (unsigned long long)total);
	if (got == first)
		return bench_fail("pipe_throughput: everything came in the first read(); "
		                  "nothing was timed (use more MiB)");
	out->elapsed_ns = end - start;
	out->bytes = got - first;
	return 0;
}

/* pipe_pingpong */

struct pingpong_pipes {
	int to_child;   /* the parent's write end */
	int from_child; /* the parent's read end */
	unsigned char next;
};

static int pipe_pingpong_once(void *arg)
{
	struct pingpong_pipes *p = arg;
	unsigned char sent = p->next++, back;
	if (write_full(p->to_child, &sent, 1, "pipe_pingpong, parent") < 0 ||
	    read_full(p->from_child, &back, 1, "pipe_pingpong, parent") < 0)
		return -1;
	if (back != sent)
		return bench_fail("pipe_pingpong: sent byte %u, got %u back", sent, back);
	return 0;
}

/* The child: echoes every byte from in to out until EOF on in. */
static void pingpong_echo(int in, int out)
{
	for (;;) {
		unsigned char c;
		ssize_t n = read(in, &c, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fail_errno("read (pipe_pingpong, child)");
			_exit(1);
		}
		if (n == 0)
			_exit(0);
		if (write_full(out, &c, 1, "pipe_pingpong, child") < 0)
			_exit(1);
	}
}

static int op_pipe_pingpong(long iters, struct bench_result *out)
{
	int down[2], up[2];
	if (pipe(down) < 0)
		return fail_errno("pipe");
	if (pipe(up) < 0) {
		fail_errno("pipe");
		close(down[0]);
		close(down[1]);
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		fail_errno("fork");
		close(down[0]);
		close(down[1]);
		close(up[0]);
		close(up[1]);
		return -1;
	}
	if (pid == 0) {
		close(down[1]);
		close(up[0]);
		pingpong_echo(down[0], up[1]);
	}
	close(down[0]);
	close(up[1]);
	struct pingpong_pipes p = { .to_child = down[1], .from_child = up[0] };
	int rc = time_loop(pipe_pingpong_once, &p, iters, out);
	/* EOF ends the child, whatever happened. */
	close(down[1]);
	close(up[0]);
	if (bench_reap(pid, "pipe_pingpong") < 0)
		return -1;
	return rc;
}

/* futex_pingpong */

/*
 * The turn word: 0 when it is the main thread's turn, 1 when it is the
 * other thread's. Each side waits while the word says it is the other's turn,
 * then hands the turn over and wakes the other side.
 */
struct futex_pingpong {
	_Atomic int turn;
	long rounds; /* warm-up and timed rounds together */
	int error;   /* set by the thread on a futex error */
};

static long futex_call(_Atomic int *word, int op, int val)
{
	return syscall(SYS_futex, (int *)word, op, val, NULL, NULL, 0);
}

/* Waits until *word is no longer busy. Returns 0, or -1 with errno. */
static int futex_wait_while(_Atomic int *word, int busy)
{
	while (atomic_load_explicit(word, memory_order_acquire) == busy) {
		if (futex_call(word, FUTEX_WAIT_PRIVATE, busy) < 0 && errno != EAGAIN &&
		    errno != EINTR)
			return -1;
	}
	return 0;
}

/* Gives the turn to the other side (value) and wakes it. */
static int futex_hand_over(_Atomic int *word, int value)
{
	atomic_store_explicit(word, value, memory_order_release);
	return futex_call(word, FUTEX_WAKE_PRIVATE, 1) < 0 ? -1 : 0;
}

static void *futex_partner(void *arg)
{
	struct futex_pingpong *f = arg;
	for (long i = 0; i < f->rounds; i++) {
		if (futex_wait_while(&f->turn, 0) < 0 || futex_hand_over(&f->turn, 0) < 0) {
			f->error = errno;
			/* Let the main thread see it rather than wait forever. */
			atomic_store_explicit(&f->turn, -1, memory_order_release);
			futex_call(&f->turn, FUTEX_WAKE_PRIVATE, 1);
			break;
		}
	}
	return NULL;
}

static int futex_pingpong_once(void *arg)
{
	struct futex_pingpong *f = arg;
	if (futex_hand_over(&f->turn, 1) < 0)
		return fail_errno("futex wake (main thread)");
	if (futex_wait_while(&f->turn, 1) < 0)
		return fail_errno("futex wait (main thread)");
	if (atomic_load_explicit(&f->turn, memory_order_acquire) != 0)
		return bench_fail("futex_pingpong: the other thread failed: %s",
		                  strerror(f->error));
	return 0;
}

static int op_futex_pingpong(long iters, struct bench_result *out)
{
	static struct futex_pingpong f;
	f.rounds = warmup_iters(iters) + iters;
	atomic_store(&f.turn, 0);
	pthread_t thread;
	int err = pthread_create(&thread, NULL, futex_partner, &f);
	if (err != 0)
		return bench_fail("pthread_create: %s", strerror(err));
	int rc = time_loop(futex_pingpong_once, &f, iters, out);
	if (rc < 0) {
		/* The thread may be waiting for its turn; the process exits anyway. */
		return -1;
	}
	err = pthread_join(thread, NULL);
	if (err != 0)
		return bench_fail("pthread_join: %s", strerror(err));
	return 0;
}

static const struct proc_op g_ops[] = {
	{ .name = "fork_exit", .run = op_fork_exit },
	{ .name = "fork_exec", .run = op_fork_exec },
	{ .name = "pipe_throughput", .run = op_pipe_throughput, .iters_is_mib = 1 },
	{ .name = "pipe_pingpong", .run = op_pipe_pingpong },
	{ .name = "futex_pingpong", .run = op_futex_pingpong },
};

int main(int argc, char **argv)
{
	const size_t nops = sizeof(g_ops) / sizeof(g_ops[0]);
	int i = argc == 3 ? bench_find_op(g_ops, nops, sizeof(g_ops[0]), argv[1]) : -1;
	long iters = i < 0 ? -1 : bench_count(argv[2], g_ops[i].iters_is_mib ? BENCH_MAX_MIB : 0);
	if (iters < 0)
		return bench_usage("OP ITERS", g_ops, nops, sizeof(g_ops[0]));
	bench_fill(g_buf, sizeof(g_buf));
	struct bench_result res = { 0 };
	if (g_ops[i].run(iters, &res) < 0)
		return 1;
	bench_print_result(g_ops[i].name, &res);
	return 0;
}
