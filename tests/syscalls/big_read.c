/*
 * Big reads of regular files (the sandbox copies these straight into the
 * application's pages): contents equal to small reads, the file position
 * advanced by read and readv but not by pread, short reads at the end of
 * the file, at a PROT_NONE page (the accessible prefix is read) and EFAULT
 * when nothing is accessible; on a file of the image (argv[0]) and on a
 * file the program writes itself.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include "fs_util.h"
#include "test.h"

#define BIG (3 * 1024 * 1024 + 123)

/* The file's bytes read 4 KiB at a time: the reference. */
static char *slurp_small(const char *path, size_t *size)
{
	int fd = CHECK_SYS(open(path, O_RDONLY));
	struct stat st;
	CHECK_SYS(fstat(fd, &st));
	char *buf = malloc((size_t)st.st_size + 1);
	CHECK(buf != NULL);
	size_t got = 0;
	for (;;) {
		ssize_t n = read(fd, buf + got, 4096);
		CHECK(n >= 0);
		if (n == 0)
			break;
		got += (size_t)n;
	}
	CHECK_EQ(got, st.st_size);
	close(fd);
	*size = got;
	return buf;
}

static void check_file(const char *path)
{
	size_t size;
	char *ref = slurp_small(path, &size);
	CHECK(size > 200 * 1024);
	char *buf = malloc(size + 8192);
	CHECK(buf != NULL);

	/* One read of everything, then EOF. */
	int fd = CHECK_SYS(open(path, O_RDONLY));
	CHECK_EQ(read(fd, buf, size + 8192), size);
	CHECK(memcmp(buf, ref, size) == 0);
	CHECK_EQ(read(fd, buf, size), 0);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), size);

	/* pread in the middle leaves the position alone. */
	CHECK_EQ(lseek(fd, 5, SEEK_SET), 5);
	memset(buf, 0, size);
	CHECK_EQ(pread(fd, buf, 150 * 1024, 1000), 150 * 1024);
	CHECK(memcmp(buf, ref + 1000, 150 * 1024) == 0);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 5);

	/* readv over three buffers, from the position. */
	struct iovec iov[3] = { { buf, 70000 }, { buf + 100000, 1 }, { buf + 200000, 90000 } };
	memset(buf, 0, size);
	CHECK_EQ(readv(fd, iov, 3), 70000 + 1 + 90000);
	CHECK(memcmp(buf, ref + 5, 70000) == 0);
	CHECK_EQ(buf[100000], ref[5 + 70000]);
	CHECK(memcmp(buf + 200000, ref + 5 + 70001, 90000) == 0);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 5 + 70000 + 1 + 90000);

	/* A buffer whose second half is PROT_NONE: the first half is read. */
	size_t half = 64 * PAGE_SIZE;
	char *m = mmap(NULL, 2 * half, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(m != MAP_FAILED);
	CHECK_SYS(mprotect(m + half, half, PROT_NONE));
	CHECK_EQ(pread(fd, m, 2 * half, 0), half);
	CHECK(memcmp(m, ref, half) == 0);
	CHECK_ERR(pread(fd, m + half, half, 0), EFAULT);
	/* A read-only buffer: EFAULT, nothing consumed. */
	CHECK_SYS(mprotect(m, half, PROT_READ));
	CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
	CHECK_ERR(read(fd, m, half), EFAULT);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 0);
	CHECK_SYS(munmap(m, 2 * half));
	close(fd);
	free(buf);
	free(ref);
}

int main(int argc, char **argv)
{
	/* A file of the image (the program itself, on the root file system). */
	check_file(argv[0]);
	/* A file written here (tmpfs in the sandbox), then changed and read again. */
	fs_scratch_enter();
	int fd = CHECK_SYS(open("big", O_RDWR | O_CREAT | O_TRUNC, 0600));
	char *data = malloc(BIG);
	CHECK(data != NULL);
	for (size_t i = 0; i < BIG; i++)
		data[i] = (char)(i * 7 + (i >> 12));
	CHECK_EQ(write(fd, data, BIG), BIG);
	close(fd);
	check_file("big");
	fd = CHECK_SYS(open("big", O_RDWR));
	CHECK_EQ(pwrite(fd, "changed", 7, 300000), 7);
	char *back = malloc(BIG);
	CHECK(back != NULL);
	CHECK_EQ(pread(fd, back, BIG, 0), BIG);
	CHECK(memcmp(back + 300000, "changed", 7) == 0);
	CHECK(memcmp(back, data, 300000) == 0);
	/* Shrunk: a big read stops at the new end. */
	CHECK_SYS(ftruncate(fd, 100000));
	CHECK_EQ(pread(fd, back, BIG, 0), 100000);
	close(fd);
	free(back);
	free(data);
	fs_scratch_leave();
	return 0;
}
