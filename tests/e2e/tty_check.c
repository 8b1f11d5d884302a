/*
 * On a terminal: TCGETS and TIOCGWINSZ succeed on stdin and stdout and agree with each
 * other, and stdio sees a terminal (line buffering). Prints what it found, so the e2e test
 * compares the sandbox's view with the native one.
 */
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

int main(void)
{
	struct termios in, out;
	struct winsize ws;
	/* Raw syscalls: the kernel's struct termios, not glibc's translation. */
	long a = syscall(SYS_ioctl, 0, TCGETS, &in);
	long b = syscall(SYS_ioctl, 1, TCGETS, &out);
	long c = syscall(SYS_ioctl, 1, TIOCGWINSZ, &ws);
	printf("tcgets stdin %ld stdout %ld, same flags %d, winsize %ld\n", a, b,
	       a == 0 && b == 0 && in.c_lflag == out.c_lflag && in.c_cflag == out.c_cflag, c);
	printf("isatty %d %d\n", isatty(0), isatty(1));
	return 0;
}
