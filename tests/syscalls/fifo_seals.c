/*
 * fifo_seals: the seals of a memfd (F_ADD_SEALS and F_GET_SEALS). Split out of fs_misc, whose
 * other checks run in the sandbox already: this runs natively only until the sandbox has
 * seals. (Its FIFO checks moved to fifo.c, which runs in the sandbox.)
 */
#include <fcntl.h>
#include <linux/memfd.h>
#include <sys/stat.h>

#include "fs_util.h"

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
	seals();
	fs_scratch_leave();
	return 0;
}
