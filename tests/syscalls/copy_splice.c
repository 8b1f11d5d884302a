/*
 * copy_splice: in-kernel copies: sendfile and copy_file_range between regular files, splice
 * between a file and a pipe (and pipe to pipe), tee; how each moves offsets, and its errors.
 */
#include <fcntl.h>
#include <sys/stat.h>

#include "fs_util.h"

#define DATA "0123456789abcdef"

static long pos(long fd)
{
	return CHECK_SYS(lseek(fd, 0, SEEK_CUR));
}

static void check_contents(const char *path, const char *want)
{
	char buf[256];

	CHECK_EQ(fs_read_file(path, buf, sizeof(buf)), strlen(want));
	CHECK_STREQ(buf, want);
}

static void sendfile_calls(void)
{
	long in = CHECK_SYS(open("src", O_RDONLY));
	long out = CHECK_SYS(open("dst", O_WRONLY | O_CREAT | O_TRUNC, 0644));

	/* Without an offset: from in's file position, which moves, like out's. */
	CHECK_EQ(syscall(SYS_sendfile, out, in, NULL, 5L), 5);
	CHECK_EQ(pos(in), 5);
	CHECK_EQ(pos(out), 5);
	check_contents("dst", "01234");
	CHECK_EQ(syscall(SYS_sendfile, out, in, NULL, 100L), 11);
	CHECK_EQ(pos(in), 16);
	CHECK_EQ(syscall(SYS_sendfile, out, in, NULL, 100L), 0);
	check_contents("dst", DATA);

	/* With an offset: from there, which moves; in's file position stays. */
	CHECK_EQ(lseek(in, 2, SEEK_SET), 2);
	CHECK_EQ(lseek(out, 0, SEEK_SET), 0);
	off_t off = 10;
	CHECK_EQ(syscall(SYS_sendfile, out, in, &off, 4L), 4);
	CHECK_EQ(off, 14);
	CHECK_EQ(pos(in), 2);
	CHECK_EQ(pos(out), 4);
	check_contents("dst", "abcd456789abcdef");
	CHECK_EQ(syscall(SYS_sendfile, out, in, &off, 100L), 2);
	CHECK_EQ(off, 16);
	CHECK_EQ(syscall(SYS_sendfile, out, in, &off, 100L), 0);
	off = 1000;
	CHECK_EQ(syscall(SYS_sendfile, out, in, &off, 100L), 0);
	CHECK_EQ(off, 1000);
	CHECK_EQ(syscall(SYS_sendfile, out, in, NULL, 0L), 0);

	/* Errors: the wrong access modes, bad fds, a negative offset, O_APPEND output. */
	long wo = CHECK_SYS(open("src", O_WRONLY));
	long app = CHECK_SYS(open("dst", O_WRONLY | O_APPEND));
	off = 0;
	CHECK_ERR(syscall(SYS_sendfile, out, wo, NULL, 1L), EBADF);
	CHECK_ERR(syscall(SYS_sendfile, in, in, NULL, 1L), EBADF);
	CHECK_ERR(syscall(SYS_sendfile, 9999, in, NULL, 1L), EBADF);
	CHECK_ERR(syscall(SYS_sendfile, out, 9999, NULL, 1L), EBADF);
	CHECK_ERR(syscall(SYS_sendfile, app, in, &off, 1L), EINVAL);
	off = -1;
	CHECK_ERR(syscall(SYS_sendfile, out, in, &off, 1L), EINVAL);
	CHECK_ERR(syscall(SYS_sendfile, out, in, test_unmapped_page(), 1L), EFAULT);
	CHECK_SYS(close(app));
	CHECK_SYS(close(wo));
	CHECK_SYS(close(out));
	CHECK_SYS(close(in));
}

static void copy_file_range_calls(void)
{
	long in = CHECK_SYS(open("src", O_RDONLY));
	long out = CHECK_SYS(open("dst", O_RDWR | O_CREAT | O_TRUNC, 0644));

	/* With offsets: they move, the file positions do not. */
	loff_t off_in = 2, off_out = 0;
	CHECK_EQ(syscall(SYS_copy_file_range, in, &off_in, out, &off_out, 5L, 0), 5);
	CHECK_EQ(off_in, 7);
	CHECK_EQ(off_out, 5);
	CHECK_EQ(pos(in), 0);
	CHECK_EQ(pos(out), 0);
	check_contents("dst", "23456");
	/* Past the end of the input: a short copy, then 0. */
	off_in = 14;
	CHECK_EQ(syscall(SYS_copy_file_range, in, &off_in, out, &off_out, 10L, 0), 2);
	CHECK_EQ(off_out, 7);
	CHECK_EQ(syscall(SYS_copy_file_range, in, &off_in, out, &off_out, 10L, 0), 0);
	check_contents("dst", "23456ef");
	/* Without offsets: the file positions, which move. */
	CHECK_EQ(lseek(in, 10, SEEK_SET), 10);
	CHECK_EQ(lseek(out, 1, SEEK_SET), 1);
	CHECK_EQ(syscall(SYS_copy_file_range, in, NULL, out, NULL, 3L, 0), 3);
	CHECK_EQ(pos(in), 13);
	CHECK_EQ(pos(out), 4);
	check_contents("dst", "2abc6ef");
	/* Writing past the end of the output leaves a hole. */
	off_in = 0;
	off_out = 10;
	CHECK_EQ(syscall(SYS_copy_file_range, in, &off_in, out, &off_out, 2L, 0), 2);
	char buf[16];
	CHECK_EQ(pread(out, buf, sizeof(buf), 0), 12);
	CHECK(memcmp(buf,
	             "2abc6ef\0\0\0"
	             "01",
	             12) == 0);

	/* Within one file: fine apart, EINVAL when the ranges overlap. */
	loff_t a = 0, b = 8;
	CHECK_EQ(syscall(SYS_copy_file_range, out, &a, out, &b, 2L, 0), 2);
	CHECK_EQ(pread(out, buf, 2, 8), 2);
	CHECK(memcmp(buf, "2a", 2) == 0);
	a = 0;
	b = 2;
	CHECK_ERR(syscall(SYS_copy_file_range, out, &a, out, &b, 5L, 0), EINVAL);
	a = 4;
	b = 2;
	CHECK_ERR(syscall(SYS_copy_file_range, out, &a, out, &b, 5L, 0), EINVAL);

	/* Errors: flags, access modes, O_APPEND, a directory, a pipe, a bad pointer. */
	off_in = off_out = 0;
	CHECK_ERR(syscall(SYS_copy_file_range, in, &off_in, out, &off_out, 1L, 1), EINVAL);
	long wo = CHECK_SYS(open("src", O_WRONLY));
	long app = CHECK_SYS(open("dst", O_WRONLY | O_APPEND));
	long dfd = CHECK_SYS(open(".", O_RDONLY | O_DIRECTORY));
	int p[2];
	CHECK_SYS(pipe(p));
	CHECK_ERR(syscall(SYS_copy_file_range, wo, &off_in, out, &off_out, 1L, 0), EBADF);
	CHECK_ERR(syscall(SYS_copy_file_range, in, &off_in, in, &off_out, 1L, 0), EBADF);
	CHECK_ERR(syscall(SYS_copy_file_range, in, &off_in, app, NULL, 1L, 0), EBADF);
	CHECK_ERR(syscall(SYS_copy_file_range, 9999, &off_in, out, &off_out, 1L, 0), EBADF);
	CHECK_ERR(syscall(SYS_copy_file_range, dfd, &off_in, out, &off_out, 1L, 0), EISDIR);
	CHECK_ERR(syscall(SYS_copy_file_range, in, &off_in, p[1], NULL, 1L, 0), EINVAL);
	CHECK_ERR(syscall(SYS_copy_file_range, p[0], NULL, out, &off_out, 1L, 0), EINVAL);
	CHECK_ERR(syscall(SYS_copy_file_range, in, test_unmapped_page(), out, NULL, 1L, 0), EFAULT);
	CHECK_SYS(close(p[0]));
	CHECK_SYS(close(p[1]));
	CHECK_SYS(close(dfd));
	CHECK_SYS(close(app));
	CHECK_SYS(close(wo));
	CHECK_SYS(close(out));
	CHECK_SYS(close(in));
}

static void splice_calls(void)
{
	long in = CHECK_SYS(open("src", O_RDONLY));
	long out = CHECK_SYS(open("dst", O_WRONLY | O_CREAT | O_TRUNC, 0644));
	int p[2], q[2];
	CHECK_SYS(syscall(SYS_pipe2, p, 0));
	CHECK_SYS(syscall(SYS_pipe2, q, O_NONBLOCK));
	char buf[32];

	/* File to pipe with an offset: the offset moves, the file position does not. */
	loff_t off = 4;
	CHECK_EQ(syscall(SYS_splice, in, &off, p[1], NULL, 6L, 0), 6);
	CHECK_EQ(off, 10);
	CHECK_EQ(pos(in), 0);
	CHECK_EQ(read(p[0], buf, sizeof(buf)), 6);
	CHECK(memcmp(buf, "456789", 6) == 0);
	/* Without one: the file position. */
	CHECK_EQ(syscall(SYS_splice, in, NULL, p[1], NULL, 3L, 0), 3);
	CHECK_EQ(pos(in), 3);
	/* Pipe to file, at the file position, then at an offset. */
	CHECK_EQ(syscall(SYS_splice, p[0], NULL, out, NULL, 100L, 0), 3);
	CHECK_EQ(pos(out), 3);
	check_contents("dst", "012");
	CHECK_EQ(write(p[1], "XY", 2), 2);
	off = 8;
	CHECK_EQ(syscall(SYS_splice, p[0], NULL, out, &off, 2L, 0), 2);
	CHECK_EQ(off, 10);
	CHECK_EQ(pos(out), 3);
	CHECK_EQ(fs_read_file("dst", buf, sizeof(buf)), 10);
	CHECK(memcmp(buf, "012\0\0\0\0\0XY", 10) == 0);
	/* At the end of the file: 0. */
	off = 16;
	CHECK_EQ(syscall(SYS_splice, in, &off, p[1], NULL, 6L, 0), 0);
	CHECK_EQ(syscall(SYS_splice, in, NULL, p[1], NULL, 0L, 0), 0);

	/* Pipe to pipe, and tee, which copies without consuming. */
	CHECK_EQ(write(p[1], "pipe", 4), 4);
	CHECK_EQ(syscall(SYS_tee, p[0], q[1], 100L, 0), 4);
	CHECK_EQ(read(q[0], buf, sizeof(buf)), 4);
	CHECK(memcmp(buf, "pipe", 4) == 0);
	CHECK_EQ(syscall(SYS_splice, p[0], NULL, q[1], NULL, 100L, 0), 4);
	CHECK_EQ(read(q[0], buf, sizeof(buf)), 4);
	CHECK(memcmp(buf, "pipe", 4) == 0);
	/* An empty pipe with a writer: EAGAIN when not blocking. */
	CHECK_ERR(syscall(SYS_splice, q[0], NULL, out, NULL, 10L, SPLICE_F_NONBLOCK), EAGAIN);
	CHECK_ERR(syscall(SYS_splice, q[0], NULL, out, NULL, 10L, 0), EAGAIN);
	CHECK_ERR(syscall(SYS_tee, p[0], q[1], 10L, SPLICE_F_NONBLOCK), EAGAIN);

	/* No pipe on either side is EINVAL; an offset for a pipe is ESPIPE. */
	off = 0;
	CHECK_ERR(syscall(SYS_splice, in, NULL, out, NULL, 1L, 0), EINVAL);
	CHECK_ERR(syscall(SYS_splice, in, &off, out, &off, 1L, 0), EINVAL);
	CHECK_ERR(syscall(SYS_splice, in, &off, p[1], &off, 1L, 0), ESPIPE);
	CHECK_EQ(write(p[1], "z", 1), 1);
	CHECK_ERR(syscall(SYS_splice, p[0], &off, out, NULL, 1L, 0), ESPIPE);
	CHECK_ERR(syscall(SYS_tee, in, q[1], 1L, 0), EINVAL);
	/* Errors: access modes, O_APPEND output, unknown flags, bad fds. */
	long app = CHECK_SYS(open("dst", O_WRONLY | O_APPEND));
	CHECK_ERR(syscall(SYS_splice, p[0], NULL, app, NULL, 1L, 0), EINVAL);
	CHECK_ERR(syscall(SYS_splice, p[0], NULL, in, NULL, 1L, 0), EBADF);
	CHECK_ERR(syscall(SYS_splice, out, NULL, p[1], NULL, 1L, 0), EBADF);
	CHECK_ERR(syscall(SYS_splice, p[1], NULL, out, NULL, 1L, 0), EBADF);
	CHECK_ERR(syscall(SYS_splice, p[0], NULL, out, NULL, 1L, 0x100), EINVAL);
	CHECK_ERR(syscall(SYS_splice, 9999, NULL, p[1], NULL, 1L, 0), EBADF);
	CHECK_ERR(syscall(SYS_splice, p[0], NULL, 9999, NULL, 1L, 0), EBADF);
	off = -1;
	CHECK_ERR(syscall(SYS_splice, in, &off, p[1], NULL, 1L, 0), EINVAL);
	CHECK_EQ(read(p[0], buf, sizeof(buf)), 1);
	CHECK_SYS(close(app));
	CHECK_SYS(close(q[0]));
	CHECK_SYS(close(q[1]));
	CHECK_SYS(close(p[0]));
	CHECK_SYS(close(p[1]));
	CHECK_SYS(close(out));
	CHECK_SYS(close(in));
}

int main(void)
{
	fs_scratch_enter();
	fs_write_file("src", DATA);
	sendfile_calls();
	copy_file_range_calls();
	splice_calls();
	fs_scratch_leave();
	return 0;
}
