/*
 * Running OCI hooks (see hooks.h for the contract).
 *
 * One hook is one child and four pipes: stdin (we write the state), stdout
 * and stderr (we read them), and a close-on-exec pipe on which the child
 * reports a failed execve's errno (EOF means the exec happened). We then
 * poll the three stdio pipes together with a pidfd of the child (or, on a
 * kernel without pidfd_open, a short poll period and waitpid(WNOHANG)), so a
 * hook that ignores stdin, one that fills its stdout and one that runs past
 * its timeout are all handled in the same loop. Once the hook has exited we
 * read what its pipes hold without blocking and stop: descendants it left
 * running with the pipes open cannot keep us waiting.
 */
#include "common/oci/hooks.h"

#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

/* How often we look for the hook's exit when there is no pidfd. */
#define HOOK_POLL_MS 20

struct capture {
	int fd;
	size_t len;
	char buf[OCI_HOOK_OUTPUT_MAX + 1];
};

/* Reads once from c->fd (non-blocking): returns false at EOF or on error. */
static bool capture_read(struct capture *c)
{
	char tmp[4096];
	ssize_t n;

	do
		n = read(c->fd, tmp, sizeof(tmp));
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EAGAIN)
		return true;
	if (n <= 0) {
		close(c->fd);
		c->fd = -1;
		return false;
	}
	if (c->len < OCI_HOOK_OUTPUT_MAX) {
		size_t take = (size_t)n < OCI_HOOK_OUTPUT_MAX - c->len
		                      ? (size_t)n
		                      : OCI_HOOK_OUTPUT_MAX - c->len;
		memcpy(c->buf + c->len, tmp, take);
		c->len += take;
	}
	return true;
}

/* After the hook exited: takes what its pipe holds, without waiting for EOF. */
static void capture_drain(struct capture *c)
{
	/* Bounded: a descendant of the hook could keep writing forever. */
	for (int i = 0; i < 64 && c->fd >= 0; i++) {
		size_t before = c->len;
		if (!capture_read(c))
			break;
		if (c->len == before && c->len < OCI_HOOK_OUTPUT_MAX)
			break; /* EAGAIN: nothing more for now */
	}
	if (c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
	}
}

/* The captured text with one trailing newline dropped, NUL-terminated. */
static const char *capture_text(struct capture *c)
{
	if (c->len && c->buf[c->len - 1] == '\n')
		c->len--;
	c->buf[c->len] = '\0';
	return c->buf;
}

static void close_fds_from(int lo, int hi)
{
	if (lo > hi)
		return;
	if (close_range((unsigned)lo, (unsigned)hi, 0) == 0)
		return;
	/* Kernels before 5.9: close one by one up to the fd limit. */
	struct rlimit rl;
	long max = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY
	                   ? (long)rl.rlim_cur
	                   : 65536;
	for (long fd = lo; fd <= hi && fd < max; fd++)
		close((int)fd);
}

/* In the child: stdio from the pipes, nothing else open, default signals. */
static NORETURN void hook_child(const struct oci_hook *hook, char **argv, char **envp, int in_r,
                                int out_w, int err_w, int exec_w)
{
	int fds[3] = { in_r, out_w, err_w };
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t empty;
	int e;

	/* Move everything above 2 first: the caller may have had 0-2 closed. */
	for (int i = 0; i < 3; i++)
		fds[i] = fcntl(fds[i], F_DUPFD, 3);
	exec_w = fcntl(exec_w, F_DUPFD_CLOEXEC, 3);
	if (fds[0] < 0 || fds[1] < 0 || fds[2] < 0 || exec_w < 0)
		goto fail;
	for (int i = 0; i < 3; i++)
		if (dup2(fds[i], i) < 0)
			goto fail;
	close_fds_from(3, exec_w - 1);
	close_fds_from(exec_w + 1, ~0U >> 1);

	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &dfl, NULL); /* EINVAL for glibc's reserved ones */
	sigemptyset(&empty);
	sigprocmask(SIG_SETMASK, &empty, NULL);

	execve(hook->path, argv, envp);
fail:
	e = errno;
	if (write(exec_w, &e, sizeof(e)) < 0) {
		/* The parent then sees EOF and reports exit status 127. */
	}
	_exit(127);
}

static long ms_left(const struct timespec *deadline)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	long ms = (deadline->tv_sec - now.tv_sec) * 1000 +
	          (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms < 0 ? 0 : ms;
}

static void set_nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static void close_pair(int p[2])
{
	for (int i = 0; i < 2; i++)
		if (p[i] >= 0)
			close(p[i]);
}

/* "killed" for SIGKILL, as Go prints a signal: strsignal with a lowercase start. */
static void signal_text(int sig, char *buf, size_t size)
{
	snprintf(buf, size, "%s", strsignal(sig));
	if (buf[0] >= 'A' && buf[0] <= 'Z')
		buf[0] = (char)(buf[0] - 'A' + 'a');
}

struct hook_run {
	pid_t pid;
	int pidfd;
	int in_w; /* -1 once the state is written or the hook closed its stdin */
	const char *state;
	size_t state_len, state_off;
	struct capture out, err;
	int status;
	bool timed_out;
};

/* Writes more of the state to the hook's stdin; EPIPE just ends the writing. */
static void feed_stdin(struct hook_run *r)
{
	while (r->state_off < r->state_len) {
		ssize_t n = write(r->in_w, r->state + r->state_off, r->state_len - r->state_off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n < 0)
			break; /* EPIPE: the hook does not read its stdin */
		r->state_off += (size_t)n;
	}
	close(r->in_w);
	r->in_w = -1;
}

static bool reap(struct hook_run *r, int flags)
{
	pid_t p;

	do
		p = waitpid(r->pid, &r->status, flags);
	while (p < 0 && errno == EINTR);
	return p == r->pid;
}

/* Waits for the hook to exit (or kills it at the deadline), serving its pipes. */
static void supervise(struct hook_run *r, int timeout_s)
{
	struct timespec deadline;
	bool exited = false;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_s;
	while (!exited) {
		struct pollfd pfd[4];
		int n = 0, pid_i = -1, in_i = -1, out_i = -1, err_i = -1;
		long wait_ms = r->pidfd >= 0 ? -1 : HOOK_POLL_MS;

		if (r->pidfd >= 0)
			pid_i = n, pfd[n++] = (struct pollfd){ .fd = r->pidfd, .events = POLLIN };
		if (r->in_w >= 0)
			in_i = n, pfd[n++] = (struct pollfd){ .fd = r->in_w, .events = POLLOUT };
		if (r->out.fd >= 0)
			out_i = n, pfd[n++] = (struct pollfd){ .fd = r->out.fd, .events = POLLIN };
		if (r->err.fd >= 0)
			err_i = n, pfd[n++] = (struct pollfd){ .fd = r->err.fd, .events = POLLIN };
		if (timeout_s > 0) {
			long left = ms_left(&deadline);
			if (wait_ms < 0 || left < wait_ms)
				wait_ms = left;
		}
		if (poll(pfd, (nfds_t)n, (int)wait_ms) < 0)
			continue; /* EINTR */
		if (in_i >= 0 && pfd[in_i].revents)
			feed_stdin(r);
		if (out_i >= 0 && pfd[out_i].revents)
			capture_read(&r->out);
		if (err_i >= 0 && pfd[err_i].revents)
			capture_read(&r->err);
		if (pid_i < 0 || pfd[pid_i].revents)
			exited = reap(r, WNOHANG);
		if (!exited && timeout_s > 0 && ms_left(&deadline) == 0) {
			kill(r->pid, SIGKILL);
			exited = reap(r, 0);
			r->timed_out = true;
		}
	}
}

int oci_hook_run(const struct oci_hook *hook, enum oci_hook_kind kind, size_t index,
                 const char *state_json, char *err, size_t errlen)
{
	const char *kind_name = oci_hook_kind_name(kind) ? oci_hook_kind_name(kind) : "unknown";
	char *default_argv[2] = { hook->path, NULL };
	char **argv = hook->args_count ? hook->args : default_argv;
	char **envp = hook->env_count ? hook->env : environ;
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, errp[2] = { -1, -1 }, ex[2] = { -1, -1 };
	struct hook_run *r;
	sigset_t pipe_set, old_mask, pending;
	bool pipe_was_pending;
	char what[128];
	int exec_errno = 0, ret;
	ssize_t n;

	if (errlen)
		err[0] = '\0';
	r = calloc(1, sizeof(*r));
	if (!r) {
		snprintf(err, errlen, "error running %s hook #%zu (%s): out of memory", kind_name,
		         index, hook->path);
		return -ENOMEM;
	}
	r->pidfd = -1;
	r->in_w = r->out.fd = r->err.fd = -1;
	r->state = state_json ? state_json : "";
	r->state_len = strlen(r->state);

	/* A hook that does not read stdin must not kill us with SIGPIPE. */
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigpending(&pending);
	pipe_was_pending = sigismember(&pending, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old_mask);

	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(errp, O_CLOEXEC) ||
	    pipe2(ex, O_CLOEXEC)) {
		ret = -errno;
		snprintf(err, errlen, "error running %s hook #%zu (%s): pipe: %s", kind_name, index,
		         hook->path, strerror(-ret));
		goto out_close;
	}
	r->pid = fork();
	if (r->pid < 0) {
		ret = -errno;
		snprintf(err, errlen, "error running %s hook #%zu (%s): fork: %s", kind_name, index,
		         hook->path, strerror(-ret));
		goto out_close;
	}
	if (r->pid == 0)
		hook_child(hook, argv, envp, in[0], out[1], errp[1], ex[1]);

	close(in[0]), close(out[1]), close(errp[1]), close(ex[1]);
	in[0] = out[1] = errp[1] = ex[1] = -1;
	r->in_w = in[1], r->out.fd = out[0], r->err.fd = errp[0];
	in[1] = out[0] = errp[0] = -1;

	/* EOF: the exec happened; an int: its errno. */
	do
		n = read(ex[0], &exec_errno, sizeof(exec_errno));
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)sizeof(exec_errno)) {
		reap(r, 0);
		ret = -exec_errno;
		snprintf(err, errlen, "error running %s hook #%zu (%s): exec %s: %s", kind_name,
		         index, hook->path, hook->path, strerror(exec_errno));
		goto out_close;
	}

	set_nonblock(r->in_w);
	set_nonblock(r->out.fd);
	set_nonblock(r->err.fd);
	r->pidfd = (int)syscall(SYS_pidfd_open, r->pid, 0);
	supervise(r, hook->timeout);
	capture_drain(&r->out);
	capture_drain(&r->err);

	if (r->timed_out) {
		ret = -ETIMEDOUT;
		snprintf(what, sizeof(what), "timed out after %d s (killed)", hook->timeout);
	} else if (WIFEXITED(r->status) && WEXITSTATUS(r->status) == 0) {
		ret = 0;
	} else if (WIFEXITED(r->status)) {
		ret = -ECHILD;
		snprintf(what, sizeof(what), "exit status %d", WEXITSTATUS(r->status));
	} else {
		char sig[64];
		ret = -ECHILD;
		signal_text(WTERMSIG(r->status), sig, sizeof(sig));
		snprintf(what, sizeof(what), "signal: %s%s", sig,
		         WCOREDUMP(r->status) ? " (core dumped)" : "");
	}
	if (ret)
		snprintf(err, errlen, "error running %s hook #%zu (%s): %s, stdout: %s, stderr: %s",
		         kind_name, index, hook->path, what, capture_text(&r->out),
		         capture_text(&r->err));

out_close:
	close_pair(in), close_pair(out), close_pair(errp), close_pair(ex);
	if (r->in_w >= 0)
		close(r->in_w);
	if (r->out.fd >= 0)
		close(r->out.fd);
	if (r->err.fd >= 0)
		close(r->err.fd);
	if (r->pidfd >= 0)
		close(r->pidfd);
	if (!pipe_was_pending) {
		/* Consume the SIGPIPE our write to a closed stdin raised, if any. */
		struct timespec zero = { 0, 0 };
		while (sigtimedwait(&pipe_set, NULL, &zero) == SIGPIPE)
			;
	}
	pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
	free(r);
	return ret;
}

int oci_hooks_run(const struct oci_hook_list *list, enum oci_hook_kind kind, const char *state_json,
                  char *err, size_t errlen)
{
	if (errlen)
		err[0] = '\0';
	for (size_t i = 0; i < list->count; i++) {
		int ret = oci_hook_run(&list->hooks[i], kind, i, state_json, err, errlen);
		if (ret)
			return ret;
	}
	return 0;
}
