/*
 * fifo: FIFO nodes in one thread (fifo(7), Linux's fifo_open): O_RDWR never
 * blocks; O_NONBLOCK readers open at once, writers without a reader get
 * ENXIO; end of file and EAGAIN; the pipe shared by every opener of the
 * node (through another name too) and dropped with the last; POLLHUP only
 * after a writer came and went; fstat, the fd link, F_GETPIPE_SZ. FIFOs on
 * the scratch tree (/tmp) and on /dev/shm (tmpfs).
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "fs_util.h"

static void basics(const char *fifo)
{
	CHECK_SYS(mknod(fifo, S_IFIFO | 0666, 0));
	struct stat st;
	CHECK_SYS(stat(fifo, &st));
	CHECK(S_ISFIFO(st.st_mode));
	CHECK_EQ(st.st_size, 0);
	/* Opened for both ends it does not block, and carries data. */
	int rw = CHECK_SYS(open(fifo, O_RDWR));
	CHECK_EQ(write(rw, "abc", 3), 3);
	int n = -1;
	CHECK_SYS(ioctl(rw, FIONREAD, &n));
	CHECK_EQ(n, 3);
	char buf[8];
	CHECK_EQ(read(rw, buf, sizeof(buf)), 3);
	CHECK(memcmp(buf, "abc", 3) == 0);
	CHECK_ERR(lseek(rw, 0, SEEK_SET), ESPIPE);
	CHECK_ERR(pread(rw, buf, 1, 0), ESPIPE);
	CHECK_EQ(fcntl(rw, F_GETPIPE_SZ), 65536);
	/* fstat is the node's; the fd link its path. */
	struct stat fst;
	CHECK_SYS(fstat(rw, &fst));
	CHECK(S_ISFIFO(fst.st_mode));
	CHECK_EQ(fst.st_ino, st.st_ino);
	CHECK_EQ(fst.st_dev, st.st_dev);
	char path[64], link[4096], cwd[4096];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", rw);
	ssize_t len = CHECK_SYS(readlink(path, link, sizeof(link) - 1));
	link[len] = '\0';
	if (fifo[0] == '/') {
		CHECK_STREQ(link, fifo);
	} else {
		CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
		CHECK_EQ(strncmp(link, cwd, strlen(cwd)), 0);
		CHECK_STREQ(link + strlen(cwd) + 1, fifo);
	}
	/* What is left in the pipe when the last opener closes is gone. */
	CHECK_EQ(write(rw, "lost", 4), 4);
	CHECK_SYS(close(rw));
	rw = CHECK_SYS(open(fifo, O_RDWR | O_NONBLOCK));
	CHECK_ERR(read(rw, buf, sizeof(buf)), EAGAIN);
	CHECK_SYS(close(rw));

	/* Without a reader a non-blocking writer is ENXIO; a non-blocking reader opens. */
	CHECK_ERR(open(fifo, O_WRONLY | O_NONBLOCK), ENXIO);
	int rd = CHECK_SYS(open(fifo, O_RDONLY | O_NONBLOCK));
	/* No writer yet: end of file, and no POLLHUP before a writer has come. */
	CHECK_EQ(read(rd, buf, sizeof(buf)), 0);
	struct pollfd p = { .fd = rd, .events = POLLIN };
	CHECK_EQ(poll(&p, 1, 0), 0);
	int wr = CHECK_SYS(open(fifo, O_WRONLY | O_NONBLOCK));
	/* A writer with nothing written yet: EAGAIN. */
	CHECK_ERR(read(rd, buf, sizeof(buf)), EAGAIN);
	CHECK_EQ(write(wr, "de", 2), 2);
	CHECK_EQ(poll(&p, 1, 0), 1);
	CHECK_EQ(p.revents, POLLIN);
	CHECK_EQ(read(rd, buf, sizeof(buf)), 2);
	CHECK(memcmp(buf, "de", 2) == 0);
	/* Data stay while an opener remains, whatever name it opened. */
	CHECK_EQ(write(wr, "fg", 2), 2);
	CHECK_SYS(close(wr));
	/* The writer gone: POLLHUP, and end of file once the data are read. */
	CHECK_EQ(poll(&p, 1, 0), 1);
	CHECK_EQ(p.revents, POLLIN | POLLHUP);
	CHECK_EQ(read(rd, buf, sizeof(buf)), 2);
	CHECK_EQ(read(rd, buf, sizeof(buf)), 0);
	/* A blocking writer opens at once when a reader is there. */
	wr = CHECK_SYS(open(fifo, O_WRONLY));
	CHECK_EQ(write(wr, "h", 1), 1);
	CHECK_SYS(close(wr));
	CHECK_EQ(read(rd, buf, sizeof(buf)), 1);
	/* No reader left: a writer's EPIPE (with SIGPIPE ignored). */
	wr = CHECK_SYS(open(fifo, O_WRONLY | O_NONBLOCK));
	CHECK_SYS(close(rd));
	CHECK(signal(SIGPIPE, SIG_IGN) != SIG_ERR);
	CHECK_ERR(write(wr, "x", 1), EPIPE);
	CHECK(signal(SIGPIPE, SIG_DFL) != SIG_ERR);
	struct pollfd pw = { .fd = wr, .events = POLLOUT };
	CHECK_EQ(poll(&pw, 1, 0), 1);
	CHECK_EQ(pw.revents, POLLOUT | POLLERR);
	CHECK_SYS(close(wr));
	/* O_PATH opens the node without opening the pipe. */
	int op = CHECK_SYS(open(fifo, O_PATH));
	CHECK_ERR(read(op, buf, 1), EBADF);
	CHECK_SYS(close(op));
	CHECK_SYS(unlink(fifo));
}

/* Two names of one node share its pipe. */
static void hard_link(void)
{
	CHECK_SYS(mkfifo("one", 0600));
	CHECK_SYS(link("one", "two"));
	int rd = CHECK_SYS(open("one", O_RDONLY | O_NONBLOCK));
	int wr = CHECK_SYS(open("two", O_WRONLY | O_NONBLOCK));
	CHECK_EQ(write(wr, "xyz", 3), 3);
	char buf[8];
	CHECK_EQ(read(rd, buf, sizeof(buf)), 3);
	CHECK(memcmp(buf, "xyz", 3) == 0);
	/* Another FIFO is another pipe. */
	CHECK_SYS(mkfifo("three", 0600));
	CHECK_ERR(open("three", O_WRONLY | O_NONBLOCK), ENXIO);
	CHECK_SYS(close(rd));
	CHECK_SYS(close(wr));
	CHECK_SYS(unlink("one"));
	CHECK_SYS(unlink("two"));
	CHECK_SYS(unlink("three"));
}

int main(void)
{
	fs_scratch_enter();
	CHECK_SYS(syscall(SYS_umask, 022));
	basics("fifo");
	hard_link();
	/* /dev/shm is a tmpfs of its own. */
	char shm[64];
	snprintf(shm, sizeof(shm), "/dev/shm/runsc-fifo-%d", getpid());
	basics(shm);
	fs_scratch_leave();
	return 0;
}
