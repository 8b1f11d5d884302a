/*
 * pipe_reopen: opening /proc/self/fd/N (or /dev/fd/N) of an anonymous pipe
 * opens a new end of the same pipe (what bash's <(...) and >(...) rely
 * on), whatever the original end's mode; stat through the link shows the
 * FIFO, and O_CREAT|O_TRUNC on it is harmless.
 */
#include <fcntl.h>
#include <sys/stat.h>

#include "test.h"

int main(void)
{
	int p[2];
	CHECK_EQ(pipe(p), 0);
	char path[64];

	/* A new reader on the read end's link, a new writer on the write end's. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", p[0]);
	int r2 = open(path, O_RDONLY);
	CHECK(r2 >= 0 && r2 != p[0]);
	snprintf(path, sizeof(path), "/dev/fd/%d", p[1]);
	int w2 = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(w2 >= 0);
	CHECK_EQ(write(w2, "ab", 2), 2);
	char b[4] = { 0 };
	CHECK_EQ(read(r2, b, 2), 2);
	CHECK_STREQ(b, "ab");
	CHECK_EQ(write(p[1], "cd", 2), 2);
	CHECK_EQ(read(r2, b, 2), 2);
	CHECK_STREQ(b, "cd");

	/* stat follows the link to the pipe; lstat sees the link. */
	struct stat st, fst;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", p[0]);
	CHECK_EQ(stat(path, &st), 0);
	CHECK(S_ISFIFO(st.st_mode));
	CHECK_EQ(fstat(p[0], &fst), 0);
	CHECK_EQ(st.st_ino, fst.st_ino);
	CHECK_EQ(lstat(path, &st), 0);
	CHECK(S_ISLNK(st.st_mode));

	/* When every writer is gone, a reader opened through the link sees EOF at once. */
	close(p[1]);
	close(w2);
	int r3 = open(path, O_RDONLY);
	CHECK(r3 >= 0);
	CHECK_EQ(read(r3, b, 1), 0);
	/* A non-blocking writer with readers left opens; with none, ENXIO. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", r2);
	int w3 = open(path, O_WRONLY | O_NONBLOCK);
	CHECK(w3 >= 0);
	close(w3);
	puts("pipe_reopen: ok");
	return 0;
}
