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
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MIB (1024 * 1024)

/* The size of each write() and read() of pipe_throughput. */
#define CHUNK (64 * 1024)
/* The largest ITERS for pipe_throughput, in MiB (1 TiB). */
#define MAX_MIB (1L << 20)
/* The program fork_exec runs. */
#define EXEC_PATH "/bin/true"

struct op_result {
	uint64_t elapsed_ns;
	long ops;       /* what ns_per_op divides by, for the per-op operations */
	uint64_t bytes; /* for pipe_throughput; 0 otherwise */
};

struct proc_op {
	const char *name;
	int (*run)(long iters, struct op_result *out);
	int iters_is_mib; /* ITERS is a size in MiB, limited to MAX_MIB */
};

static char g_buf[CHUNK];

static void write_all(int fd, const char *s, size_t size)
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

/* Prints "proc_ops: MESSAGE" on stderr and returns -1. */
__attribute__((format(printf, 1, 2))) static int fail(const char *fmt, ...)
{
	char msg[512];
	int n = snprintf(msg, sizeof(msg), "proc_ops: ");
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	strcat(msg, "\n");
	write_all(STDERR_FILENO, msg, strlen(msg));
	return -1;
}

static int fail_errno(const char *what)
{
	return fail("%s: %s", what, strerror(errno));
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

/* Waits for pid, which must exit with status 0. */
static int reap(pid_t pid, const char *what)
{
	int status;
	pid_t r;
	do {
		r = waitpid(pid, &status, 0);
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return fail("waitpid (%s): %s", what, strerror(errno));
	if (r != pid)
		return fail("waitpid (%s): returned %d, not %d", what, (int)r, (int)pid);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		return fail("%s: the child exited with status %d", what, WEXITSTATUS(status));
	if (WIFSIGNALED(status))
		return fail("%s: the child was killed by signal %d", what, WTERMSIG(status));
	return fail("%s: the child ended with wait status 0x%x", what, status);
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
			return fail("read (%s): %s", what, strerror(errno));
		if (n == 0)
			return fail("read (%s): unexpected end of file", what);
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
			return fail("write (%s): %s", what, strerror(errno));
		if (n == 0)
			return fail("write (%s): wrote nothing", what);
		p += n;
		size -= (size_t)n;
	}
	return 0;
}

/* Runs once() warmup_iters(iters) times untimed, then iters times timed. */
static int time_loop(int (*once)(void *arg), void *arg, long iters, struct op_result *out)
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
	return reap(pid, "fork_exit");
}

static int op_fork_exit(long iters, struct op_result *out)
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
		fail("execve %s: %s", EXEC_PATH, strerror(errno));
		_exit(127);
	}
	return reap(pid, "fork_exec");
}

static int op_fork_exec(long iters, struct op_result *out)
{
	return time_loop(fork_exec_once, NULL, iters, out);
}

/* pipe_throughput */

static int op_pipe_throughput(long mib, struct op_result *out)
{
	int fds[2];
	if (pipe(fds) < 0)
		return fail_errno("pipe");
	uint64_t total = (uint64_t)mib * MIB;
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
	if (reap(pid, "pipe_throughput") < 0 || rc < 0)
		return -1;
	if (got != total)
		return fail("pipe_throughput: read %llu bytes, the child wrote %llu",
		            (unsigned long long)got, (unsigned long long)total);
	if (got == first)
		return fail("pipe_throughput: everything came in the first read(); "
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
		return fail("pipe_pingpong: sent byte %u, got %u back", sent, back);
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

static int op_pipe_pingpong(long iters, struct op_result *out)
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
	if (reap(pid, "pipe_pingpong") < 0)
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
		return fail("futex_pingpong: the other thread failed: %s", strerror(f->error));
	return 0;
}

static int op_futex_pingpong(long iters, struct op_result *out)
{
	static struct futex_pingpong f;
	f.rounds = warmup_iters(iters) + iters;
	atomic_store(&f.turn, 0);
	pthread_t thread;
	int err = pthread_create(&thread, NULL, futex_partner, &f);
	if (err != 0)
		return fail("pthread_create: %s", strerror(err));
	int rc = time_loop(futex_pingpong_once, &f, iters, out);
	if (rc < 0) {
		/* The thread may be waiting for its turn; the process exits anyway. */
		return -1;
	}
	err = pthread_join(thread, NULL);
	if (err != 0)
		return fail("pthread_join: %s", strerror(err));
	return 0;
}

static const struct proc_op g_ops[] = {
	{ .name = "fork_exit", .run = op_fork_exit },
	{ .name = "fork_exec", .run = op_fork_exec },
	{ .name = "pipe_throughput", .run = op_pipe_throughput, .iters_is_mib = 1 },
	{ .name = "pipe_pingpong", .run = op_pipe_pingpong },
	{ .name = "futex_pingpong", .run = op_futex_pingpong },
};

static int usage(void)
{
	char msg[512];
	int n = snprintf(msg, sizeof(msg), "usage: proc_ops OP ITERS\n  OP:");
	for (size_t i = 0; i < sizeof(g_ops) / sizeof(g_ops[0]); i++)
		n += snprintf(msg + n, sizeof(msg) - (size_t)n, " %s", g_ops[i].name);
	snprintf(msg + n, sizeof(msg) - (size_t)n, "\n");
	write_all(STDERR_FILENO, msg, strlen(msg));
	return 2;
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return usage();
	const struct proc_op *op = NULL;
	for (size_t i = 0; i < sizeof(g_ops) / sizeof(g_ops[0]); i++) {
		if (strcmp(argv[1], g_ops[i].name) == 0)
			op = &g_ops[i];
	}
	char *end;
	errno = 0;
	long iters = strtol(argv[2], &end, 10);
	if (!op || *argv[2] == '\0' || *end != '\0' || errno || iters <= 0 ||
	    (op->iters_is_mib && iters > MAX_MIB))
		return usage();

	/* A pattern, not zeros, and every page of the buffer faulted in now. */
	for (size_t i = 0; i < sizeof(g_buf); i++)
		g_buf[i] = (char)(i * 131 + 7);
	struct op_result res = { 0 };
	if (op->run(iters, &res) < 0)
		return 1;

	if (res.elapsed_ns == 0)
		res.elapsed_ns = 1; /* a clock too coarse for the run: no division by 0 */
	char line[128];
	if (res.bytes > 0) {
		double mib = (double)res.bytes / MIB;
		snprintf(line, sizeof(line), "%s ns_per_op=%.1f MiB_per_s=%.1f\n", op->name,
		         (double)res.elapsed_ns / mib, mib * 1e9 / (double)res.elapsed_ns);
	} else {
		snprintf(line, sizeof(line), "%s ns_per_op=%.1f\n", op->name,
		         (double)res.elapsed_ns / (double)res.ops);
	}
	write_all(STDOUT_FILENO, line, strlen(line));
	return 0;
}
