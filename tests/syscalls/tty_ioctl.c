/* tty_ioctl: terminal ioctls on fd 0, a regular file, are ENOTTY; on a bad fd, EBADF. */
#include <sys/ioctl.h>
#include <termios.h>

#include "test.h"

int main(void)
{
	struct termios tio;
	struct winsize ws;

	CHECK_ERR(syscall(SYS_ioctl, 0, TCGETS, &tio), ENOTTY);
	CHECK_ERR(syscall(SYS_ioctl, 0, TIOCGWINSZ, &ws), ENOTTY);
	/* ENOTTY comes before looking at the argument. */
	CHECK_ERR(syscall(SYS_ioctl, 0, TCGETS, NULL), ENOTTY);
	CHECK_ERR(syscall(SYS_ioctl, 0, TIOCGWINSZ, test_unmapped_page()), ENOTTY);
	/* An unknown request on a regular file is ENOTTY as well. */
	CHECK_ERR(syscall(SYS_ioctl, 0, 0x12345678, &tio), ENOTTY);
	/* glibc's isatty and tcgetattr agree. */
	CHECK_EQ(isatty(0), 0);
	CHECK_EQ(errno, ENOTTY);

	CHECK_ERR(syscall(SYS_ioctl, 999, TCGETS, &tio), EBADF);
	CHECK_ERR(syscall(SYS_ioctl, -1, TIOCGWINSZ, &ws), EBADF);
	CHECK_ERR(syscall(SYS_ioctl, 999, 0x12345678, NULL), EBADF);
	return 0;
}
