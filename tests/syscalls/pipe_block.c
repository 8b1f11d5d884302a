/*
 * pipe_block: what needs a second process (fork) or a signal handler:
 * a blocked reader woken by a writer, a blocked writer woken by a reader,
 * poll and select woken by another process, blocking FIFO opens that
 * wait for the other end, SIGPIPE's default action killing a writer
 * (status 141 as a shell reports it), and a blocked read, poll and FIFO
 * open interrupted by a handler without SA_RESTART (EINTR), with
 * SA_RESTART the read goes on.
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "fs_util.h"

static void child_exit_status(pid_t pid, int want)
{
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), want);
}

/* The child sleeps a little, then writes; the parent is blocked in read by then (likely). */
static void reader_woken(void)
{
	int p[2];
	CHECK_SYS(pipe(p));
	pid_t pid = CHECK_SYS(fork());
	if (pid == 0) {
		usleep(50000);
		_exit(write(p[1], "wake", 4) == 4 ? 0 : 1);
	}
	char buf[8];
	CHECK_EQ(read(p[0], buf, sizeof(buf)), 4);
	CHECK(memcmp(buf, "wake", 4) == 0);
	child_exit_status(pid, 0);
	/* The child's end is closed; the parent's keeps the pipe open: poll wakes on data. */
	pid = CHECK_SYS(fork());
	if (pid == 0) {
		usleep(50000);
		_exit(write(p[1], "p", 1) == 1 ? 0 : 1);
	}
	struct pollfd f = { .fd = p[0], .events = POLLIN };
	CHECK_EQ(poll(&f, 1, -1), 1);
	CHECK_EQ(f.revents, POLLIN);
	CHECK_EQ(read(p[0], buf, 1), 1);
	child_exit_status(pid, 0);
	/* select wakes on the last writer going away (end of file). */
	pid = CHECK_SYS(fork());
	if (pid == 0) {
		usleep(50000);
		_exit(0);
	}
	CHECK_SYS(close(p[1]));
	fd_set r;
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	CHECK_EQ(select(p[0] + 1, &r, NULL, NULL, NULL), 1);
	CHECK_EQ(read(p[0], buf, 1), 0);
	child_exit_status(pid, 0);
	CHECK_SYS(close(p[0]));
}

/* A write bigger than the pipe blocks until the child has read it all. */
static void writer_woken(void)
{
	static char big[256 * 1024];
	int p[2];
	CHECK_SYS(pipe(p));
	pid_t pid = CHECK_SYS(fork());
	if (pid == 0) {
		CHECK_SYS(close(p[1]));
		size_t total = 0;
		ssize_t n;
		char buf[4096];
		while ((n = read(p[0], buf, sizeof(buf))) > 0)
			total += (size_t)n;
		_exit(total == sizeof(big) ? 0 : 1);
	}
	CHECK_SYS(close(p[0]));
	memset(big, 'b', sizeof(big));
	CHECK_EQ(write(p[1], big, sizeof(big)), sizeof(big));
	CHECK_SYS(close(p[1]));
	child_exit_status(pid, 0);
}

/* Writers to a pipe that several processes write: each PIPE_BUF write arrives whole. */
static void atomic_writers(void)
{
	int p[2];
	CHECK_SYS(pipe(p));
	enum { WRITERS = 4, WRITES = 64 };
	for (int i = 0; i < WRITERS; i++) {
		if (CHECK_SYS(fork()) == 0) {
			char rec[4096];
			memset(rec, 'A' + i, sizeof(rec));
			for (int j = 0; j < WRITES; j++) {
				if (write(p[1], rec, sizeof(rec)) != sizeof(rec))
					_exit(1);
			}
			_exit(0);
		}
	}
	CHECK_SYS(close(p[1]));
	char rec[4096];
	int count = 0;
	for (;;) {
		size_t got = 0;
		while (got < sizeof(rec)) {
			ssize_t n = read(p[0], rec + got, sizeof(rec) - got);
			CHECK(n >= 0);
			if (n == 0)
				break;
			got += (size_t)n;
		}
		if (got == 0)
			break;
		CHECK_EQ(got, sizeof(rec));
		for (size_t k = 1; k < sizeof(rec); k++)
			CHECK_EQ(rec[k], rec[0]);
		count++;
	}
	CHECK_EQ(count, WRITERS * WRITES);
	for (int i = 0; i < WRITERS; i++) {
		int status;
		CHECK_SYS(wait(&status));
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	CHECK_SYS(close(p[0]));
}

/* A blocking FIFO open waits for the other end; O_RDWR never waits. */
static void fifo_opens(void)
{
	CHECK_SYS(mkfifo("f", 0600));
	pid_t pid = CHECK_SYS(fork());
	if (pid == 0) {
		usleep(50000);
		int wr = open("f", O_WRONLY);
		_exit(wr >= 0 && write(wr, "hi", 2) == 2 ? 0 : 1);
	}
	int rd = CHECK_SYS(open("f", O_RDONLY));
	char buf[4];
	CHECK_EQ(read(rd, buf, sizeof(buf)), 2);
	child_exit_status(pid, 0);
	CHECK_EQ(read(rd, buf, sizeof(buf)), 0);
	CHECK_SYS(close(rd));

	pid = CHECK_SYS(fork());
	if (pid == 0) {
		usleep(50000);
		int r = open("f", O_RDONLY);
		char c;
		_exit(r >= 0 && read(r, &c, 1) == 1 && c == 'w' ? 0 : 1);
	}
	int wr = CHECK_SYS(open("f", O_WRONLY));
	CHECK_EQ(write(wr, "w", 1), 1);
	child_exit_status(pid, 0);
	CHECK_SYS(close(wr));
	CHECK_SYS(unlink("f"));
}

/* SIGPIPE's default action kills the writer (not an init: a child). */
static void sigpipe_kills(void)
{
	int p[2];
	CHECK_SYS(pipe(p));
	CHECK_SYS(close(p[0]));
	pid_t pid = CHECK_SYS(fork());
	if (pid == 0) {
		ssize_t r = write(p[1], "x", 1);
		(void)r;
		_exit(0);
	}
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFSIGNALED(status));
	CHECK_EQ(WTERMSIG(status), SIGPIPE);
	CHECK_EQ(128 + WTERMSIG(status), 141);
	CHECK_SYS(close(p[1]));
}

static volatile sig_atomic_t g_got;

static void on_usr1(int sig)
{
	(void)sig;
	g_got++;
}

/* The child signals the parent after a moment, then (optionally) writes. */
static pid_t signal_later(pid_t parent, int wfd)
{
	pid_t pid = CHECK_SYS(fork());
	if (pid == 0) {
		usleep(50000);
		kill(parent, SIGUSR1);
		if (wfd >= 0) {
			usleep(50000);
			_exit(write(wfd, "r", 1) == 1 ? 0 : 1);
		}
		_exit(0);
	}
	return pid;
}

/* The child signals the parent every 20 ms until stopped, so no signal comes too early. */
static pid_t signal_repeatedly(pid_t parent)
{
	pid_t pid = CHECK_SYS(fork());
	if (pid == 0) {
		for (;;) {
			usleep(20000);
			kill(parent, SIGUSR1);
		}
	}
	return pid;
}

static void stop_child(pid_t pid)
{
	CHECK_SYS(kill(pid, SIGKILL));
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
}

static void interrupted(void)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	CHECK_SYS(sigaction(SIGUSR1, &sa, NULL));
	int p[2];
	CHECK_SYS(pipe(p));
	char c;
	/* Without SA_RESTART: EINTR. */
	pid_t pid = signal_repeatedly(getpid());
	CHECK_ERR(read(p[0], &c, 1), EINTR);
	CHECK(g_got >= 1);
	struct pollfd f = { .fd = p[0], .events = POLLIN };
	CHECK_ERR(poll(&f, 1, -1), EINTR);
	CHECK_SYS(mkfifo("g", 0600));
	CHECK_ERR(open("g", O_RDONLY), EINTR);
	stop_child(pid);
	CHECK_SYS(unlink("g"));
	/* With SA_RESTART the read is restarted and gets the data written after. */
	sa.sa_flags = SA_RESTART;
	CHECK_SYS(sigaction(SIGUSR1, &sa, NULL));
	int before = g_got;
	pid = signal_later(getpid(), p[1]);
	CHECK_EQ(read(p[0], &c, 1), 1);
	CHECK_EQ(c, 'r');
	CHECK(g_got >= before + 1);
	child_exit_status(pid, 0);
	CHECK_SYS(close(p[0]));
	CHECK_SYS(close(p[1]));
}

int main(void)
{
	alarm(60);
	fs_scratch_enter();
	reader_woken();
	writer_woken();
	atomic_writers();
	fifo_opens();
	sigpipe_kills();
	interrupted();
	fs_scratch_leave();
	return 0;
}
