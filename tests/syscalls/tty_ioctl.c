/*
 * tty_ioctl: terminal ioctls on fd 0, a regular file, are ENOTTY (before the argument is
 * looked at); on a bad fd, EBADF. FIONREAD on a regular file counts the bytes from the
 * position to the end (fd 0, inherited, and a file made in the scratch directory); a
 * directory has no FIONREAD.
 */
#include <sys/ioctl.h>
#include <termios.h>

#include "fs_util.h"

static const unsigned long g_tty_requests[] = {
	TCGETS,     TCSETS,  TCSETSW,   TCSETSF,   TCGETA,    TCSETA,   TCSBRK,
	TCXONC,     TCFLSH,  TIOCEXCL,  TIOCNXCL,  TIOCOUTQ,  TIOCSTI,  TIOCGWINSZ,
	TIOCSWINSZ, TCSBRKP, TIOCGPGRP, TIOCSPGRP, TIOCSCTTY, TIOCGSID, TIOCNOTTY,
};

int main(void)
{
	struct termios tio;
	struct winsize ws;

	CHECK_ERR(syscall(SYS_ioctl, 0, TCGETS, &tio), ENOTTY);
	CHECK_ERR(syscall(SYS_ioctl, 0, TIOCGWINSZ, &ws), ENOTTY);
	/* ENOTTY comes before looking at the argument. */
	for (size_t i = 0; i < sizeof(g_tty_requests) / sizeof(g_tty_requests[0]); i++) {
		CHECK_ERR(syscall(SYS_ioctl, 0, g_tty_requests[i], NULL), ENOTTY);
		CHECK_ERR(syscall(SYS_ioctl, 0, g_tty_requests[i], test_unmapped_page()), ENOTTY);
	}
	/* An unknown request on a regular file is ENOTTY as well. */
	CHECK_ERR(syscall(SYS_ioctl, 0, 0x12345678, &tio), ENOTTY);
	/* glibc's isatty and tcgetattr agree. */
	CHECK_EQ(isatty(0), 0);
	CHECK_EQ(errno, ENOTTY);

	CHECK_ERR(syscall(SYS_ioctl, 999, TCGETS, &tio), EBADF);
	CHECK_ERR(syscall(SYS_ioctl, -1, TIOCGWINSZ, &ws), EBADF);
	CHECK_ERR(syscall(SYS_ioctl, 999, 0x12345678, NULL), EBADF);

	/* FIONREAD on fd 0: its size less its position. */
	struct stat st;
	CHECK_EQ(fstat(0, &st), 0);
	CHECK_EQ(lseek(0, 10, SEEK_SET), 10);
	int n = -1;
	CHECK_EQ(syscall(SYS_ioctl, 0, FIONREAD, &n), 0);
	CHECK_EQ(n, st.st_size - 10);
	CHECK_ERR(syscall(SYS_ioctl, 0, FIONREAD, test_unmapped_page()), EFAULT);
	/* Past the end it is negative, as Linux's i_size - f_pos. */
	CHECK_EQ(lseek(0, st.st_size + 5, SEEK_SET), st.st_size + 5);
	CHECK_EQ(syscall(SYS_ioctl, 0, FIONREAD, &n), 0);
	CHECK_EQ(n, -5);
	CHECK_EQ(lseek(0, 0, SEEK_SET), 0);

	fs_scratch_enter();
	int fd = open("f", O_RDWR | O_CREAT, 0644);
	CHECK(fd >= 0);
	CHECK_EQ(syscall(SYS_ioctl, fd, FIONREAD, &n), 0);
	CHECK_EQ(n, 0);
	CHECK_EQ(write(fd, "hello world", 11), 11);
	CHECK_EQ(syscall(SYS_ioctl, fd, FIONREAD, &n), 0);
	CHECK_EQ(n, 0);
	CHECK_EQ(lseek(fd, 3, SEEK_SET), 3);
	CHECK_EQ(syscall(SYS_ioctl, fd, FIONREAD, &n), 0);
	CHECK_EQ(n, 8);
	CHECK_ERR(syscall(SYS_ioctl, fd, TCGETS, &tio), ENOTTY);
	CHECK_EQ(close(fd), 0);
	int dir = open(".", O_RDONLY | O_DIRECTORY);
	CHECK(dir >= 0);
	CHECK_ERR(syscall(SYS_ioctl, dir, FIONREAD, &n), ENOTTY);
	CHECK_EQ(close(dir), 0);
	fs_scratch_leave();
	return 0;
}
