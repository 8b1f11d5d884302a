/*
 * tty_ioctls (tests/e2e, run by pty_run on a pseudo-terminal, natively and
 * in the sandbox): the terminal ioctls on the process's controlling
 * terminal, with the kernel's structures and errors. Exits 0 when every
 * check holds; the first failure prints the check and exits 1.
 *
 * pty_run's script: after "ready" it types "abc" (FIONREAD, TCFLSH), after
 * "again" it types "xyz" (TCSETSF's flush).
 *
 * `tty_ioctls tiocsti` checks only that TIOCSTI fails with EIO: the
 * sandbox's rule (Linux 6.2+ without legacy_tiocsti), not necessarily the
 * host's, so it is run in the sandbox only.
 */
#include <asm/termbits.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include "../syscalls/test.h"

/* The kernel's struct termio (asm/termios.h, which clashes with asm/termbits.h). */
struct kernel_termio {
	unsigned short c_iflag, c_oflag, c_cflag, c_lflag;
	unsigned char c_line;
	unsigned char c_cc[8];
};

static long tty_ioctl(unsigned long cmd, void *arg)
{
	return syscall(SYS_ioctl, 0, cmd, arg);
}

static long tty_ioctl_value(unsigned long cmd, unsigned long arg)
{
	return syscall(SYS_ioctl, 0, cmd, arg);
}

static int queued_input(void)
{
	int n = -1;
	CHECK_EQ(tty_ioctl(FIONREAD, &n), 0);
	return n;
}

/* Waits until n bytes of input are queued (pty_run typed them). */
static void wait_input(int n)
{
	while (queued_input() < n) {
		struct pollfd p = { .fd = 0, .events = POLLIN };
		CHECK(poll(&p, 1, -1) == 1);
		usleep(1000);
	}
	CHECK_EQ(queued_input(), n);
}

static void check_termios_layout(void)
{
	/* The kernel writes exactly its 36-byte termios, 44 for termios2, 18 for termio. */
	unsigned char buf[64];
	memset(buf, 0xa5, sizeof(buf));
	CHECK_EQ(tty_ioctl(TCGETS, buf), 0);
	for (size_t i = sizeof(struct termios); i < sizeof(buf); i++)
		CHECK_EQ(buf[i], 0xa5);
	CHECK_EQ(sizeof(struct termios), 36);
	struct termios t;
	memcpy(&t, buf, sizeof(t));

	memset(buf, 0xa5, sizeof(buf));
	CHECK_EQ(tty_ioctl(TCGETS2, buf), 0);
	for (size_t i = sizeof(struct termios2); i < sizeof(buf); i++)
		CHECK_EQ(buf[i], 0xa5);
	struct termios2 t2;
	memcpy(&t2, buf, sizeof(t2));
	CHECK(memcmp(&t, &t2, sizeof(t)) == 0);
	CHECK_EQ(t2.c_ospeed, 38400);

	memset(buf, 0xa5, sizeof(buf));
	CHECK_EQ(tty_ioctl(TCGETA, buf), 0);
	for (size_t i = sizeof(struct kernel_termio); i < sizeof(buf); i++)
		CHECK_EQ(buf[i], 0xa5);
	struct kernel_termio to;
	memcpy(&to, buf, sizeof(to));
	CHECK_EQ(to.c_lflag, (unsigned short)t.c_lflag);
	CHECK_EQ(to.c_cc[VINTR], t.c_cc[VINTR]);
}

static void check_set(void)
{
	struct termios t, saved, now;
	CHECK_EQ(tty_ioctl(TCGETS, &saved), 0);
	t = saved;
	t.c_lflag &= ~(tcflag_t)ECHO;
	t.c_cc[VMIN] = 5;
	CHECK_EQ(tty_ioctl(TCSETS, &t), 0);
	CHECK_EQ(tty_ioctl(TCGETS, &now), 0);
	CHECK_EQ(now.c_lflag & ECHO, 0);
	CHECK_EQ(now.c_cc[VMIN], 5);
	t.c_cc[VMIN] = 6;
	CHECK_EQ(tty_ioctl(TCSETSW, &t), 0);
	CHECK_EQ(tty_ioctl(TCGETS, &now), 0);
	CHECK_EQ(now.c_cc[VMIN], 6);

	struct termios2 t2;
	CHECK_EQ(tty_ioctl(TCGETS2, &t2), 0);
	t2.c_cc[VTIME] = 7;
	CHECK_EQ(tty_ioctl(TCSETS2, &t2), 0);
	CHECK_EQ(tty_ioctl(TCGETS, &now), 0);
	CHECK_EQ(now.c_cc[VTIME], 7);

	struct kernel_termio to;
	CHECK_EQ(tty_ioctl(TCGETA, &to), 0);
	to.c_cc[VMIN] = 3;
	CHECK_EQ(tty_ioctl(TCSETA, &to), 0);
	CHECK_EQ(tty_ioctl(TCGETS, &now), 0);
	CHECK_EQ(now.c_cc[VMIN], 3);

	/* A bad pointer: EFAULT, and nothing changes. */
	CHECK_ERR(tty_ioctl(TCGETS, NULL), EFAULT);
	CHECK_ERR(tty_ioctl(TCSETS, test_unmapped_page()), EFAULT);
	CHECK_ERR(tty_ioctl(TCGETS2, test_unmapped_page()), EFAULT);
	CHECK_ERR(tty_ioctl(TIOCGWINSZ, NULL), EFAULT);
	CHECK_ERR(tty_ioctl(TIOCSWINSZ, test_unmapped_page()), EFAULT);
	CHECK_EQ(tty_ioctl(TCGETS, &now), 0);
	CHECK_EQ(now.c_cc[VMIN], 3);

	CHECK_EQ(tty_ioctl(TCSETSF, &saved), 0);
	CHECK_EQ(tty_ioctl(TCGETS, &now), 0);
	CHECK(memcmp(&now, &saved, sizeof(now)) == 0);
}

static void check_winsize(void)
{
	struct winsize ws, big = { .ws_row = 50, .ws_col = 132 };
	CHECK_EQ(tty_ioctl(TIOCGWINSZ, &ws), 0);
	CHECK_EQ(ws.ws_row, 24);
	CHECK_EQ(ws.ws_col, 80);
	/* The SIGWINCH that comes with it is ignored by default. */
	CHECK_EQ(tty_ioctl(TIOCSWINSZ, &big), 0);
	CHECK_EQ(tty_ioctl(TIOCGWINSZ, &ws), 0);
	CHECK_EQ(ws.ws_row, 50);
	CHECK_EQ(ws.ws_col, 132);
	big = (struct winsize){ .ws_row = 24, .ws_col = 80 };
	CHECK_EQ(tty_ioctl(TIOCSWINSZ, &big), 0);
}

static void check_queues_and_flow(void)
{
	int n = -1;
	CHECK_EQ(tty_ioctl(TIOCOUTQ, &n), 0);
	CHECK_EQ(n, 0);
	/* tcdrain, a break (nothing on a pty) and POSIX's tcsendbreak. */
	CHECK_EQ(tty_ioctl_value(TCSBRK, 1), 0);
	CHECK_EQ(tty_ioctl_value(TCSBRK, 0), 0);
	CHECK_EQ(tty_ioctl_value(TCSBRKP, 0), 0);
	CHECK_EQ(tty_ioctl_value(TCXONC, TCOON), 0);
	CHECK_ERR(tty_ioctl_value(TCXONC, 99), EINVAL);
	CHECK_ERR(tty_ioctl_value(TCFLSH, 99), EINVAL);
	CHECK_EQ(tty_ioctl_value(TCFLSH, TCOFLUSH), 0);

	int excl = -1;
	CHECK_EQ(tty_ioctl(TIOCGEXCL, &excl), 0);
	CHECK_EQ(excl, 0);
	CHECK_EQ(tty_ioctl(TIOCEXCL, NULL), 0);
	CHECK_EQ(tty_ioctl(TIOCGEXCL, &excl), 0);
	CHECK_EQ(excl, 1);
	CHECK_EQ(tty_ioctl(TIOCNXCL, NULL), 0);
	CHECK_EQ(tty_ioctl(TIOCGEXCL, &excl), 0);
	CHECK_EQ(excl, 0);
}

/* Input typed by pty_run: FIONREAD counts it, TCFLSH and TCSETSF discard it. */
static void check_input(void)
{
	struct termios saved, raw;
	CHECK_EQ(tty_ioctl(TCGETS, &saved), 0);
	raw = saved;
	raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	CHECK_EQ(tty_ioctl(TCSETS, &raw), 0);

	printf("ready\n");
	wait_input(3);
	int n = -1;
	CHECK_EQ(tty_ioctl(TIOCINQ, &n), 0);
	CHECK_EQ(n, 3);
	CHECK_EQ(tty_ioctl_value(TCFLSH, TCIFLUSH), 0);
	CHECK_EQ(queued_input(), 0);

	printf("again\n");
	wait_input(3);
	CHECK_EQ(tty_ioctl(TCSETSF, &raw), 0);
	CHECK_EQ(queued_input(), 0);
	CHECK_EQ(tty_ioctl(TCSETS, &saved), 0);
}

/* From a background group: changes get SIGTTOU, reads of the state do not. */
static void check_background(void)
{
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		setpgid(0, 0);
		struct termios t;
		struct winsize ws;
		if (tty_ioctl(TCGETS, &t) != 0 || tty_ioctl(TIOCGWINSZ, &ws) != 0)
			_exit(10);
		/* A new window size is not a change that needs the foreground. */
		if (tty_ioctl(TIOCSWINSZ, &ws) != 0)
			_exit(11);
		tty_ioctl_value(TCFLSH, TCIFLUSH);
		_exit(12); /* not reached: SIGTTOU stops the child first */
	}
	setpgid(pid, pid);
	int st;
	CHECK_EQ(waitpid(pid, &st, WUNTRACED), pid);
	CHECK(WIFSTOPPED(st));
	CHECK_EQ(WSTOPSIG(st), SIGTTOU);
	kill(pid, SIGKILL);
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
}

/* /dev/tty is the controlling terminal; a process without one gets ENXIO. */
static void check_dev_tty(void)
{
	int fd = open("/dev/tty", O_RDWR);
	CHECK(fd >= 0);
	struct termios a, b;
	CHECK_EQ(tty_ioctl(TCGETS, &a), 0);
	CHECK_EQ(ioctl(fd, TCGETS, &b), 0);
	CHECK(memcmp(&a, &b, sizeof(a)) == 0);
	struct stat st;
	CHECK_EQ(fstat(fd, &st), 0);
	CHECK(S_ISCHR(st.st_mode));
	CHECK_EQ(st.st_rdev, makedev(5, 0));
	pid_t pgrp = -1;
	CHECK_EQ(ioctl(fd, TIOCGPGRP, &pgrp), 0);
	CHECK_EQ(pgrp, getpgrp());
	CHECK_EQ(write(fd, "written to /dev/tty\n", 20), 20);
	CHECK_ERR(lseek(fd, 0, SEEK_CUR), ESPIPE);
	CHECK_EQ(close(fd), 0);
	fd = open("/dev/tty", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_ERR(write(fd, "x", 1), EBADF);
	CHECK_EQ(close(fd), 0);

	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		if (setsid() < 0)
			_exit(10);
		_exit(open("/dev/tty", O_RDWR) < 0 && errno == ENXIO ? 0 : 11);
	}
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc > 1 && strcmp(argv[1], "tiocsti") == 0) {
		char c = 'x';
		CHECK_ERR(tty_ioctl(TIOCSTI, &c), EIO);
		printf("TIOCSTI: EIO\n");
		return 0;
	}
	check_termios_layout();
	check_set();
	check_winsize();
	check_queues_and_flow();
	check_input();
	check_background();
	check_dev_tty();
	/* FIONREAD of a pipe and of a regular file (the program itself, from its start). */
	int p[2];
	CHECK_EQ(pipe(p), 0);
	CHECK_EQ(write(p[1], "hello", 5), 5);
	int n = -1;
	CHECK_EQ(ioctl(p[0], FIONREAD, &n), 0);
	CHECK_EQ(n, 5);
	int fd = open("/proc/self/exe", O_RDONLY);
	CHECK(fd >= 0);
	off_t size = lseek(fd, 0, SEEK_END);
	CHECK_EQ(lseek(fd, 100, SEEK_SET), 100);
	CHECK_EQ(ioctl(fd, FIONREAD, &n), 0);
	CHECK_EQ(n, size - 100);
	printf("all checks passed\n");
	return 0;
}
