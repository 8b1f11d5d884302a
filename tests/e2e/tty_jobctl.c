/*
 * tty_jobctl (tests/e2e, run under script(1) so that stdin is a terminal):
 * job control on the controlling terminal. The caller is in the foreground
 * group; a child in a background group that reads the terminal is stopped
 * by SIGTTIN; tcsetpgrp gives the terminal to the child's group (which then
 * sees itself in the foreground), and back, with SIGTTOU blocked as a
 * shell does. Prints one line per step; the output must match natively.
 */
#include <signal.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	pid_t sid;
	printf("foreground: %d\n", tcgetpgrp(0) == getpgrp());
	printf("TIOCGSID is the session: %d\n", ioctl(0, TIOCGSID, &sid) == 0 && sid == getsid(0));
	sigset_t ttou;
	sigemptyset(&ttou);
	sigaddset(&ttou, SIGTTOU);
	sigprocmask(SIG_BLOCK, &ttou, NULL);

	pid_t pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		char c;
		/* In the background: SIGTTIN stops the whole group before the read happens. */
		ssize_t n = read(0, &c, 0);
		(void)n;
		/* Continued, in the foreground now. */
		_exit(tcgetpgrp(0) == getpgrp() ? 0 : 1);
	}
	setpgid(pid, pid);
	int st;
	waitpid(pid, &st, WUNTRACED);
	printf("background read stopped the child: %d, by SIGTTIN: %d\n", WIFSTOPPED(st),
	       WIFSTOPPED(st) && WSTOPSIG(st) == SIGTTIN);
	printf("tcsetpgrp to the child's group: %d\n", tcsetpgrp(0, pid) == 0);
	printf("caller in the background now: %d\n", tcgetpgrp(0) == pid);
	kill(pid, SIGCONT);
	waitpid(pid, &st, 0);
	printf("child saw itself in the foreground: %d\n", WIFEXITED(st) && WEXITSTATUS(st) == 0);
	printf("tcsetpgrp back, SIGTTOU blocked: %d\n", tcsetpgrp(0, getpgrp()) == 0);
	printf("foreground again: %d\n", tcgetpgrp(0) == getpgrp());
	printf("tcsetpgrp to a missing group fails: %d\n", tcsetpgrp(0, 999999) != 0);
	return 0;
}
