/*
 * pty_run (tests/e2e): runs a command on a new pseudo-terminal and plays
 * a script on the master side, as a user at a terminal would.
 *
 *   pty_run [--no-ctty] STEP... -- CMD [ARG...]
 *
 * The command runs in a new session with the pty's slave as its
 * controlling terminal and its stdin, stdout and stderr (what a terminal
 * emulator or `script` gives a process), with a 24x80 window. With
 * --no-ctty it gets the slave as its stdin, stdout and stderr only, and
 * stays in pty_run's session and process group (what `runsc create`'s
 * sandbox process gets with process.terminal: the sentry must make the
 * terminal its own). The steps, in order:
 *   expect=TEXT     read the command's output until TEXT appears (after
 *                   what earlier steps matched; C escapes as for send: a
 *                   line is "TEXT\r\n" once the terminal has shown it all)
 *   send=BYTES      write BYTES to the master (C escapes: \n \r \\ \xHH)
 *   winsize=RxC     set the window size on the master (TIOCSWINSZ)
 *   hangup          close the master: the terminal hangs up
 * Then pty_run reads the output to the end, prints it (as the terminal
 * showed it, \r\n included), and prints "exit N" or "signal N" for the
 * command. A step that cannot finish within 30 seconds fails the run
 * (exit 2), so a test never hangs; no step measures time.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#define STEP_TIMEOUT_MS 30000

static char g_out[1 << 20];
static size_t g_len, g_matched;

static void die(const char *what)
{
	fprintf(stderr, "pty_run: %s: %s\n", what, strerror(errno));
	fwrite(g_out, 1, g_len, stderr);
	exit(2);
}

/* Decodes C escapes in s into buf; returns the length. */
static size_t unescape(const char *s, char *buf)
{
	size_t n = 0;
	while (*s) {
		if (*s != '\\' || !s[1]) {
			buf[n++] = *s++;
			continue;
		}
		s++;
		switch (*s) {
		case 'n':
			buf[n++] = '\n';
			s++;
			break;
		case 'r':
			buf[n++] = '\r';
			s++;
			break;
		case 'x': {
			char hex[3] = { s[1], s[1] ? s[2] : 0, 0 };
			buf[n++] = (char)strtol(hex, NULL, 16);
			s += 1 + strlen(hex);
			break;
		}
		default:
			buf[n++] = *s++;
			break;
		}
	}
	return n;
}

/* Reads what the master has within timeout_ms; returns false at the end of the output. */
static bool read_some(int master, int timeout_ms)
{
	struct pollfd p = { .fd = master, .events = POLLIN };
	int n = poll(&p, 1, timeout_ms);
	if (n < 0 && errno != EINTR)
		die("poll");
	if (n == 0) {
		errno = ETIMEDOUT;
		die("no output");
	}
	if (n < 0)
		return true;
	if (g_len == sizeof(g_out)) {
		errno = EFBIG;
		die("too much output");
	}
	ssize_t r = read(master, g_out + g_len, sizeof(g_out) - g_len);
	if (r < 0 && errno == EIO)
		return false; /* every slave fd is closed */
	if (r < 0)
		die("read");
	if (r == 0)
		return false;
	g_len += (size_t)r;
	return true;
}

static void expect(int master, const char *text, size_t tl)
{
	for (;;) {
		void *at = memmem(g_out + g_matched, g_len - g_matched, text, tl);
		if (at) {
			g_matched = (size_t)((char *)at - g_out) + tl;
			return;
		}
		if (!read_some(master, STEP_TIMEOUT_MS)) {
			fprintf(stderr, "pty_run: output ended before \"%.*s\":\n", (int)tl, text);
			fwrite(g_out, 1, g_len, stderr);
			exit(2);
		}
	}
}

int main(int argc, char **argv)
{
	int first = 1;
	bool ctty = true;
	if (argc > 1 && strcmp(argv[1], "--no-ctty") == 0) {
		ctty = false;
		first = 2;
	}
	int sep = first;
	while (sep < argc && strcmp(argv[sep], "--") != 0)
		sep++;
	if (sep + 1 >= argc) {
		fprintf(stderr, "usage: pty_run [--no-ctty] STEP... -- CMD [ARG...]\n");
		return 2;
	}
	int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0)
		die("posix_openpt");
	char *slave_name = ptsname(master);
	if (!slave_name)
		die("ptsname");
	struct winsize ws = { .ws_row = 24, .ws_col = 80 };
	if (ioctl(master, TIOCSWINSZ, &ws) != 0)
		die("TIOCSWINSZ");
	pid_t pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		int slave;
		if ((ctty && setsid() < 0) || (slave = open(slave_name, O_RDWR | O_NOCTTY)) < 0 ||
		    (ctty && ioctl(slave, TIOCSCTTY, 0) != 0) || dup2(slave, 0) < 0 ||
		    dup2(slave, 1) < 0 || dup2(slave, 2) < 0) {
			perror("pty_run: child");
			_exit(127);
		}
		if (slave > 2)
			close(slave);
		execvp(argv[sep + 1], argv + sep + 1);
		perror("pty_run: exec");
		_exit(127);
	}
	bool open_master = true;
	for (int i = first; i < sep; i++) {
		const char *step = argv[i];
		char buf[256];
		if (strlen(step) >= sizeof(buf)) {
			fprintf(stderr, "pty_run: step too long: %s\n", step);
			return 2;
		}
		if (strncmp(step, "expect=", 7) == 0) {
			expect(master, buf, unescape(step + 7, buf));
		} else if (strncmp(step, "send=", 5) == 0) {
			size_t n = unescape(step + 5, buf);
			if (write(master, buf, n) != (ssize_t)n)
				die("write");
		} else if (strncmp(step, "winsize=", 8) == 0) {
			unsigned rows, cols;
			if (sscanf(step + 8, "%ux%u", &rows, &cols) != 2) {
				fprintf(stderr, "pty_run: bad step %s\n", step);
				return 2;
			}
			ws = (struct winsize){ .ws_row = (unsigned short)rows,
				               .ws_col = (unsigned short)cols };
			if (ioctl(master, TIOCSWINSZ, &ws) != 0)
				die("TIOCSWINSZ");
		} else if (strcmp(step, "hangup") == 0) {
			close(master);
			open_master = false;
			break;
		} else {
			fprintf(stderr, "pty_run: bad step %s\n", step);
			return 2;
		}
	}
	while (open_master && read_some(master, STEP_TIMEOUT_MS))
		;
	/* Bounded: a command that outlives its terminal is killed after the step timeout. */
	int status;
	for (int waited = 0;; waited += 10) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			break;
		if (r < 0)
			die("waitpid");
		if (waited >= STEP_TIMEOUT_MS) {
			kill(pid, SIGKILL);
			errno = ETIMEDOUT;
			die("the command did not end");
		}
		usleep(10000);
	}
	fwrite(g_out, 1, g_len, stdout);
	if (WIFEXITED(status))
		printf("exit %d\n", WEXITSTATUS(status));
	else
		printf("signal %d\n", WTERMSIG(status));
	return 0;
}
