/*
 * file_mmap: mappings of regular files: MAP_PRIVATE copies on write, MAP_SHARED is coherent
 * with read and write; the end of the file; the access-mode rules (EACCES) and the files
 * that cannot be mapped (ENODEV, EBADF). No signal is taken: pages past the end of the file
 * are mapped but never touched.
 */
#include <fcntl.h>
#include <sys/stat.h>

#include "fs_util.h"

/* make_file creates path with npages pages, page i filled with 'a' + i. */
static void make_file(const char *path, int npages)
{
	char page[PAGE_SIZE];
	long fd = CHECK_SYS(open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644));

	for (int i = 0; i < npages; i++) {
		memset(page, 'a' + i, sizeof(page));
		CHECK_EQ(write(fd, page, sizeof(page)), sizeof(page));
	}
	CHECK_SYS(close(fd));
}

static int all_are(const char *p, size_t size, char c)
{
	for (size_t i = 0; i < size; i++) {
		if (p[i] != c)
			return 0;
	}
	return 1;
}

static void private_maps(void)
{
	long fd = CHECK_SYS(open("f", O_RDONLY));

	/* The file's bytes, at page offsets. */
	char *p = (char *)CHECK_SYS(
	        mmap(NULL, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0));
	CHECK(all_are(p, PAGE_SIZE, 'a'));
	CHECK(all_are(p + PAGE_SIZE, PAGE_SIZE, 'b'));
	char *q = (char *)CHECK_SYS(mmap(NULL, PAGE_SIZE, PROT_READ, MAP_PRIVATE, fd, PAGE_SIZE));
	CHECK(all_are(q, PAGE_SIZE, 'b'));
	/* Writes stay in the mapping: not in the file, not in other mappings. */
	memcpy(p + PAGE_SIZE, "private", 7);
	CHECK(memcmp(p + PAGE_SIZE, "private", 7) == 0);
	CHECK(all_are(q, PAGE_SIZE, 'b'));
	char buf[8];
	CHECK_EQ(pread(fd, buf, 7, PAGE_SIZE), 7);
	CHECK(all_are(buf, 7, 'b'));
	CHECK_SYS(msync(p, 2 * PAGE_SIZE, MS_SYNC));
	CHECK_EQ(pread(fd, buf, 7, PAGE_SIZE), 7);
	CHECK(all_are(buf, 7, 'b'));
	CHECK_SYS(munmap(q, PAGE_SIZE));
	CHECK_SYS(munmap(p, 2 * PAGE_SIZE));
	/* The offset must be page aligned. */
	CHECK_ERR(mmap(NULL, PAGE_SIZE, PROT_READ, MAP_PRIVATE, fd, 100), EINVAL);
	CHECK_ERR(mmap(NULL, 0, PROT_READ, MAP_PRIVATE, fd, 0), EINVAL);
	CHECK_SYS(close(fd));
}

static void shared_maps(void)
{
	long fd = CHECK_SYS(open("f", O_RDWR));
	char buf[16];

	/* Stores reach the file; pwrite reaches the mapping. */
	char *p = (char *)CHECK_SYS(
	        mmap(NULL, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
	char *q = (char *)CHECK_SYS(mmap(NULL, PAGE_SIZE, PROT_READ, MAP_SHARED, fd, PAGE_SIZE));
	memcpy(p + PAGE_SIZE + 10, "shared", 6);
	CHECK_SYS(msync(p, 2 * PAGE_SIZE, MS_SYNC));
	CHECK_EQ(pread(fd, buf, 6, PAGE_SIZE + 10), 6);
	CHECK(memcmp(buf, "shared", 6) == 0);
	CHECK(memcmp(q + 10, "shared", 6) == 0);
	CHECK_EQ(pwrite(fd, "written", 7, 20), 7);
	CHECK(memcmp(p + 20, "written", 7) == 0);
	/* A second description of the file sees the same. */
	long fd2 = CHECK_SYS(open("f", O_RDONLY));
	CHECK_EQ(pread(fd2, buf, 6, PAGE_SIZE + 10), 6);
	CHECK(memcmp(buf, "shared", 6) == 0);
	CHECK_SYS(close(fd2));

	/* Cutting the file inside a page zeroes the rest of that page in the mapping. */
	CHECK_SYS(ftruncate(fd, PAGE_SIZE + 100));
	CHECK_EQ(p[PAGE_SIZE + 99], 'b');
	CHECK(all_are(p + PAGE_SIZE + 100, PAGE_SIZE - 100, 0));
	/* Stores past the end of the file, in its last page, do not extend it. */
	p[PAGE_SIZE + 200] = 'x';
	CHECK_SYS(msync(p, 2 * PAGE_SIZE, MS_SYNC));
	struct stat st;
	CHECK_SYS(fstat(fd, &st));
	CHECK_EQ(st.st_size, PAGE_SIZE + 100);
	CHECK_SYS(ftruncate(fd, 2 * PAGE_SIZE));
	CHECK_EQ(p[PAGE_SIZE + 99], 'b');
	CHECK_SYS(munmap(q, PAGE_SIZE));
	CHECK_SYS(munmap(p, 2 * PAGE_SIZE));

	/* A mapping longer than the file is fine as long as the excess is not touched. */
	make_file("short", 1);
	long sfd = CHECK_SYS(open("short", O_RDWR));
	CHECK_SYS(ftruncate(sfd, 100));
	p = (char *)CHECK_SYS(
	        mmap(NULL, 3 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, sfd, 0));
	CHECK(all_are(p, 100, 'a'));
	CHECK(all_are(p + 100, PAGE_SIZE - 100, 0));
	/* The mapping outlives the fd and the name. */
	CHECK_SYS(close(sfd));
	CHECK_SYS(unlink("short"));
	p[0] = 'z';
	CHECK(all_are(p + 1, 99, 'a'));
	CHECK_SYS(munmap(p, 3 * PAGE_SIZE));
	CHECK_SYS(close(fd));
}

static void refusals(void)
{
	long ro = CHECK_SYS(open("f", O_RDONLY));
	long wo = CHECK_SYS(open("f", O_WRONLY));

	/* A write-only fd cannot be mapped at all. */
	CHECK_ERR(mmap(NULL, PAGE_SIZE, PROT_READ, MAP_PRIVATE, wo, 0), EACCES);
	CHECK_ERR(mmap(NULL, PAGE_SIZE, PROT_READ, MAP_SHARED, wo, 0), EACCES);
	CHECK_ERR(mmap(NULL, PAGE_SIZE, PROT_WRITE, MAP_SHARED, wo, 0), EACCES);
	/* A read-only fd: shared and writable is EACCES, private and writable is fine. */
	CHECK_ERR(mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0), EACCES);
	CHECK_ERR(mmap(NULL, PAGE_SIZE, PROT_WRITE, MAP_SHARED, ro, 0), EACCES);
	char *p = (char *)CHECK_SYS(
	        mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro, 0));
	CHECK_SYS(munmap(p, PAGE_SIZE));
	/* ... nor can mprotect make a shared read-only mapping of it writable. */
	p = (char *)CHECK_SYS(mmap(NULL, PAGE_SIZE, PROT_READ, MAP_SHARED, ro, 0));
	CHECK_ERR(mprotect(p, PAGE_SIZE, PROT_READ | PROT_WRITE), EACCES);
	CHECK_SYS(mprotect(p, PAGE_SIZE, PROT_NONE));
	CHECK_SYS(mprotect(p, PAGE_SIZE, PROT_READ));
	CHECK_EQ(p[0], 'a');
	CHECK_SYS(munmap(p, PAGE_SIZE));

	/* Directories and pipes have no mmap: ENODEV. O_PATH and closed fds: EBADF. */
	long dfd = CHECK_SYS(open(".", O_RDONLY | O_DIRECTORY));
	CHECK_ERR(mmap(NULL, PAGE_SIZE, PROT_READ, MAP_PRIVATE, dfd, 0), ENODEV);
	CHECK_ERR(mmap(NULL, PAGE_SIZE, PROT_READ, MAP_SHARED, dfd, 0), ENODEV);
	int pp[2];
	CHECK_SYS(pipe(pp));
	CHECK_ERR(mmap(NULL, PAGE_SIZE, PROT_READ, MAP_PRIVATE, pp[0], 0), ENODEV);
	long pfd = CHECK_SYS(open("f", O_PATH));
	CHECK_ERR(mmap(NULL, PAGE_SIZE, PROT_READ, MAP_PRIVATE, pfd, 0), EBADF);
	CHECK_ERR(mmap(NULL, PAGE_SIZE, PROT_READ, MAP_PRIVATE, 9999, 0), EBADF);
	CHECK_SYS(close(pfd));
	CHECK_SYS(close(pp[0]));
	CHECK_SYS(close(pp[1]));
	CHECK_SYS(close(dfd));
	CHECK_SYS(close(wo));
	CHECK_SYS(close(ro));
}

int main(void)
{
	fs_scratch_enter();
	make_file("f", 2);
	private_maps();
	shared_maps();
	refusals();
	fs_scratch_leave();
	return 0;
}
