/*
 * fifo_seals: opening and using a FIFO node, and the seals of a memfd (F_ADD_SEALS and
 * F_GET_SEALS). Split out of fs_misc, whose other checks run in the sandbox already: these
 * run natively only until the sandbox has FIFOs (the sentry's own pipes, issue 4) and seals.
 */
#include <fcntl.h>
#include <linux/memfd.h>
#include <sys/stat.h>

#include "fs_util.h"

static void fifos(void)
{
	CHECK_SYS(syscall(SYS_umask, 022));
	CHECK_SYS(syscall(SYS_mknod, "fifo", S_IFIFO | 0666, 0L));
	/* Opened for both ends it does not block, and carries data. */
	long rw = CHECK_SYS(open("fifo", O_RDWR));
	CHECK_EQ(write(rw, "abc", 3), 3);
	char buf[8];
	CHECK_EQ(read(rw, buf, sizeof(buf)), 3);
	CHECK(memcmp(buf, "abc", 3) == 0);
	CHECK_ERR(lseek(rw, 0, SEEK_SET), ESPIPE);
	CHECK_SYS(close(rw));
	/* Without a reader a non-blocking writer is ENXIO; a non-blocking reader opens. */
	CHECK_ERR(open("fifo", O_WRONLY | O_NONBLOCK), ENXIO);
	long rd = CHECK_SYS(open("fifo", O_RDONLY | O_NONBLOCK));
	/* No writer: end of file; a writer with nothing written yet: EAGAIN. */
	CHECK_EQ(read(rd, buf, sizeof(buf)), 0);
	long wr = CHECK_SYS(open("fifo", O_WRONLY | O_NONBLOCK));
	CHECK_ERR(read(rd, buf, sizeof(buf)), EAGAIN);
	CHECK_EQ(write(wr, "de", 2), 2);
	CHECK_EQ(read(rd, buf, sizeof(buf)), 2);
	CHECK_SYS(close(wr));
	/* With no writer left, read sees end of file. */
	CHECK_EQ(read(rd, buf, sizeof(buf)), 0);
	CHECK_SYS(close(rd));
}

static void seals(void)
{
	/* Without MFD_ALLOW_SEALING the set is sealed already. */
	long fd = CHECK_SYS(syscall(SYS_memfd_create, "sealed", 0));
	CHECK(syscall(SYS_fcntl, fd, F_GET_SEALS) & F_SEAL_SEAL);
	CHECK_ERR(syscall(SYS_fcntl, fd, F_ADD_SEALS, F_SEAL_WRITE), EPERM);
	CHECK_SYS(close(fd));
	fd = CHECK_SYS(syscall(SYS_memfd_create, "sealing", MFD_ALLOW_SEALING));
	long seals = CHECK_SYS(syscall(SYS_fcntl, fd, F_GET_SEALS));
	CHECK_EQ(seals & (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE), 0);
	CHECK_SYS(ftruncate(fd, 100));
	CHECK_SYS(syscall(SYS_fcntl, fd, F_ADD_SEALS, F_SEAL_GROW));
	CHECK_ERR(ftruncate(fd, 200), EPERM);
	CHECK_ERR(pwrite(fd, "x", 1, 100), EPERM);
	CHECK_EQ(pwrite(fd, "x", 1, 99), 1);
	CHECK_SYS(ftruncate(fd, 50));
	CHECK_SYS(syscall(SYS_fcntl, fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_WRITE));
	CHECK_ERR(ftruncate(fd, 10), EPERM);
	CHECK_ERR(pwrite(fd, "x", 1, 0), EPERM);
	CHECK_ERR(mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), EPERM);
	seals = CHECK_SYS(syscall(SYS_fcntl, fd, F_GET_SEALS));
	CHECK_EQ(seals & (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE),
	         F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE);
	CHECK_SYS(syscall(SYS_fcntl, fd, F_ADD_SEALS, F_SEAL_SEAL));
	CHECK_ERR(syscall(SYS_fcntl, fd, F_ADD_SEALS, F_SEAL_GROW), EPERM);
	CHECK_SYS(close(fd));
	/* A file that is not a memfd has no seals. */
	fs_write_file("f", "data");
	fd = CHECK_SYS(open("f", O_RDWR));
	CHECK_ERR(syscall(SYS_fcntl, fd, F_GET_SEALS), EINVAL);
	CHECK_ERR(syscall(SYS_fcntl, fd, F_ADD_SEALS, F_SEAL_GROW), EINVAL);
	CHECK_SYS(close(fd));
}

int main(void)
{
	fs_scratch_enter();
	fifos();
	seals();
	fs_scratch_leave();
	return 0;
}
