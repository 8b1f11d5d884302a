/*
 * tty_signals MODE (tests/e2e, run by pty_run on a pseudo-terminal it
 * controls): the terminal's signals and its job-control rules, printed
 * one line per step so that the run in the sandbox must match the native
 * one.
 *   keys     three children in turn, each in its own process group in the
 *            foreground, print "ready N" and block in read: pty_run types
 *            ^C, ^\ and ^Z; the parent reports what each did (SIGINT and
 *            SIGQUIT kill, SIGTSTP stops)
 *   read     once in the foreground, prints "ready" and blocks in read (for
 *            a shell's job control: pty_run types ^C or ^Z); continued,
 *            it prints "continued" once in the foreground again
 *   winch    waits for SIGWINCH after "ready" (pty_run sets a new window
 *            size) and prints the size TIOCGWINSZ sees then
 *   tostop   with TOSTOP, a background write stops the writer with
 *            SIGTTOU; so does tcsetattr from the background; with SIGTTOU
 *            blocked or ignored both go ahead
 *   hangup   the session leader (this program) gets SIGHUP when pty_run
 *            closes the master, and exits 42 from its handler
 *   handlers (no terminal needed) prints "ready", then one line for each
 *            SIGUSR1, SIGINT, SIGHUP or SIGTERM it gets, with its si_code
 *            and si_pid, and exits after SIGTERM
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static void describe(const char *what, int st)
{
	if (WIFEXITED(st))
		printf("%s: exit %d\n", what, WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		printf("%s: killed by signal %d\n", what, WTERMSIG(st));
	else if (WIFSTOPPED(st))
		printf("%s: stopped by signal %d\n", what, WSTOPSIG(st));
}

/* A child in its own foreground group, blocked in read, until the key pty_run types. */
static void keys(void)
{
	/* The parent changes the foreground group as a shell does: SIGTTOU blocked. */
	sigset_t ttou;
	sigemptyset(&ttou);
	sigaddset(&ttou, SIGTTOU);
	sigprocmask(SIG_BLOCK, &ttou, NULL);
	for (int i = 1; i <= 3; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			setpgid(0, 0);
			/* The child waits to be in the foreground before it says it is ready. */
			while (tcgetpgrp(0) != getpgrp())
				usleep(1000);
			printf("ready %d\n", i);
			char c;
			ssize_t n = read(0, &c, 1);
			printf("read returned %zd\n", n);
			_exit(0);
		}
		setpgid(pid, pid);
		tcsetpgrp(0, pid);
		int st;
		waitpid(pid, &st, WUNTRACED);
		tcsetpgrp(0, getpgrp());
		describe("child", st);
		if (WIFSTOPPED(st)) {
			kill(pid, SIGKILL);
			kill(pid, SIGCONT);
			waitpid(pid, &st, 0);
			describe("stopped child, after SIGKILL", st);
		}
	}
}

/* Waits until this process's group is in the foreground (a shell's job control put it there). */
static void wait_foreground(void)
{
	while (tcgetpgrp(0) != getpgrp())
		usleep(1000);
}

/* Continued (a shell's fg): says so once in the foreground, and the read goes on. */
static void on_cont(int sig)
{
	(void)sig;
	wait_foreground();
	static const char msg[] = "continued\n";
	ssize_t n = write(1, msg, sizeof(msg) - 1);
	(void)n;
}

static void read_in_foreground(void)
{
	struct sigaction sa = { .sa_handler = on_cont, .sa_flags = SA_RESTART };
	sigaction(SIGCONT, &sa, NULL);
	wait_foreground();
	printf("ready\n");
	char c;
	ssize_t n = read(0, &c, 1);
	printf("read returned %zd\n", n);
}

static volatile sig_atomic_t g_got;

static void on_signal(int sig)
{
	g_got = sig;
}

static void winch(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGWINCH, &sa, NULL);
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGWINCH);
	sigprocmask(SIG_BLOCK, &block, &old);
	struct winsize ws;
	ioctl(0, TIOCGWINSZ, &ws);
	printf("size before: %d rows, %d columns\n", ws.ws_row, ws.ws_col);
	printf("ready\n");
	while (!g_got)
		sigsuspend(&old);
	ioctl(0, TIOCGWINSZ, &ws);
	printf("SIGWINCH: %d rows, %d columns\n", ws.ws_row, ws.ws_col);
}

/* Runs fn in a child in a background process group; reports how it ended. */
static void in_background(const char *what, void (*fn)(void))
{
	pid_t pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		fn();
		_exit(0);
	}
	setpgid(pid, pid);
	int st;
	waitpid(pid, &st, WUNTRACED);
	describe(what, st);
	if (WIFSTOPPED(st)) {
		kill(pid, SIGKILL);
		kill(pid, SIGCONT);
		waitpid(pid, &st, 0);
	}
}

static void bg_write(void)
{
	if (write(1, "background write\n", 17) != 17)
		_exit(3);
}

static void bg_tcsetattr(void)
{
	struct termios t;
	tcgetattr(0, &t);
	if (tcsetattr(0, TCSANOW, &t) != 0)
		_exit(3);
}

static void bg_write_ttou_ignored(void)
{
	signal(SIGTTOU, SIG_IGN);
	bg_write();
	bg_tcsetattr();
}

static void bg_write_ttou_blocked(void)
{
	sigset_t ttou;
	sigemptyset(&ttou);
	sigaddset(&ttou, SIGTTOU);
	sigprocmask(SIG_BLOCK, &ttou, NULL);
	bg_write();
	bg_tcsetattr();
}

static void tostop(void)
{
	struct termios t;
	tcgetattr(0, &t);
	t.c_lflag |= TOSTOP;
	tcsetattr(0, TCSANOW, &t);
	in_background("write with TOSTOP", bg_write);
	in_background("tcsetattr", bg_tcsetattr);
	in_background("write and tcsetattr, SIGTTOU ignored", bg_write_ttou_ignored);
	in_background("write and tcsetattr, SIGTTOU blocked", bg_write_ttou_blocked);
	t.c_lflag &= ~TOSTOP;
	tcsetattr(0, TCSANOW, &t);
	in_background("write without TOSTOP", bg_write);
}

static void on_hup(int sig)
{
	(void)sig;
	_exit(42);
}

static void hangup(void)
{
	signal(SIGHUP, on_hup);
	printf("ready\n");
	for (;;)
		pause();
}

static volatile sig_atomic_t g_info_sig, g_info_code, g_info_pid;

static void on_info(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	g_info_code = si->si_code;
	g_info_pid = si->si_pid;
	g_info_sig = sig;
}

static void handlers(void)
{
	static const int sigs[] = { SIGUSR1, SIGINT, SIGHUP, SIGTERM };
	sigset_t block, old;
	sigemptyset(&block);
	struct sigaction sa = { .sa_sigaction = on_info, .sa_flags = SA_SIGINFO };
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		sigaction(sigs[i], &sa, NULL);
		sigaddset(&block, sigs[i]);
	}
	sigprocmask(SIG_BLOCK, &block, &old);
	printf("ready\n");
	for (;;) {
		while (!g_info_sig)
			sigsuspend(&old);
		int sig = g_info_sig;
		g_info_sig = 0;
		printf("signal %d code %d pid %d\n", sig, (int)g_info_code, (int)g_info_pid);
		if (sig == SIGTERM)
			return;
	}
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	/* ^\ must not leave a core file, natively or in the sandbox. */
	struct rlimit no_core = { 0, 0 };
	setrlimit(RLIMIT_CORE, &no_core);
	const char *mode = argc > 1 ? argv[1] : "";
	if (strcmp(mode, "keys") == 0)
		keys();
	else if (strcmp(mode, "read") == 0)
		read_in_foreground();
	else if (strcmp(mode, "winch") == 0)
		winch();
	else if (strcmp(mode, "tostop") == 0)
		tostop();
	else if (strcmp(mode, "hangup") == 0)
		hangup();
	else if (strcmp(mode, "handlers") == 0)
		handlers();
	else
		return 2;
	printf("done\n");
	return 0;
}
