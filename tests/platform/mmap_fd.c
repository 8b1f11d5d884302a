/*
 * mmap_fd PLATFORM: the platform lends a host fd to a stub to mmap it: the
 * mapping shows the file (MAP_SHARED stays coherent with the file,
 * MAP_PRIVATE does not write back), a bad fd fails cleanly, and the stub
 * keeps one lent fd per file it maps (a small cache, reused by the next
 * mapping of the same file), never more than the cache's four.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "platform/platform.h"

static int g_failed;

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
			g_failed = 1;                                          \
		}                                                              \
	} while (0)

/*
 * Counts the fds of the test's memfd held by this process's children (the
 * stubs, and for systrap its factory, which holds none of it).
 */
static int stub_fd_count(void)
{
	int n = 0;
	DIR *tasks = opendir("/proc/self/task");
	if (!tasks)
		return -1;
	for (struct dirent *t; (t = readdir(tasks));) {
		if (t->d_name[0] == '.')
			continue;
		char path[300];
		snprintf(path, sizeof(path), "/proc/self/task/%s/children", t->d_name);
		FILE *f = fopen(path, "r");
		int pid;
		while (f && fscanf(f, "%d", &pid) == 1) {
			snprintf(path, sizeof(path), "/proc/%d/fd", pid);
			DIR *d = opendir(path);
			for (struct dirent *e; d && (e = readdir(d));) {
				char link[300], target[256];
				snprintf(link, sizeof(link), "/proc/%d/fd/%s", pid, e->d_name);
				ssize_t len = readlink(link, target, sizeof(target) - 1);
				if (len > 0) {
					target[len] = '\0';
					n += strstr(target, "memfd:runsc-test") != NULL;
				}
			}
			if (d)
				closedir(d);
		}
		if (f)
			fclose(f);
	}
	closedir(tasks);
	return n;
}

int main(int argc, char **argv)
{
	const struct platform_ops *p = platform_lookup(argc > 1 ? argv[1] : "ptrace");
	if (!p) {
		printf("usage: mmap_fd ptrace|systrap\n");
		return 2;
	}
	CHECK(p->init() == 0);
	struct platform_as *as;
	struct platform_ctx *ctx;
	CHECK(p->as_new(&as, &ctx) == 0);
	CHECK(stub_fd_count() == 0);

	int fd = memfd_create("runsc-test", 0);
	CHECK(fd >= 0);
	CHECK(pwrite(fd, "hello", 5, 0) == 5);
	CHECK(ftruncate(fd, 8192) == 0);

	const uaddr_t shared = 0x10000000, priv = 0x20000000;
	CHECK(p->as_mmap_fd(as, shared, 8192, PROT_READ, MAP_SHARED, fd, 0) == (long)shared);
	char buf[8] = { 0 };
	CHECK(p->as_read(as, buf, shared, 5) == 5 && memcmp(buf, "hello", 5) == 0);
	/* MAP_SHARED: a write to the file shows through the mapping. */
	CHECK(pwrite(fd, "HELLO", 5, 0) == 5);
	CHECK(p->as_read(as, buf, shared, 5) == 5 && memcmp(buf, "HELLO", 5) == 0);
	/* A mapping at a page offset. */
	CHECK(pwrite(fd, "page2", 5, 4096) == 5);
	CHECK(p->as_mmap_fd(as, shared + 0x100000, 4096, PROT_READ, MAP_SHARED, fd, 4096) ==
	      (long)(shared + 0x100000));
	CHECK(p->as_read(as, buf, shared + 0x100000, 5) == 5 && memcmp(buf, "page2", 5) == 0);

	/* MAP_PRIVATE: writes through the mapping stay private. */
	CHECK(p->as_mmap_fd(as, priv, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0) ==
	      (long)priv);
	CHECK(p->as_write(as, priv, "xxxxx", 5) == 5);
	CHECK(pread(fd, buf, 5, 0) == 5 && memcmp(buf, "HELLO", 5) == 0);

	/* A bad fd fails cleanly, and the stub still works. */
	CHECK(p->as_mmap_fd(as, priv, 4096, PROT_READ, MAP_PRIVATE, -1, 0) == -EBADF);
	CHECK(p->as_mmap_fd(as, priv, 4096, PROT_READ, MAP_PRIVATE, fd, 0) == (long)priv);

	/* One file mapped five times: lent once, and kept for the next mapping. */
	CHECK(stub_fd_count() == 1);
	close(fd);
	p->as_destroy(as);
	if (!g_failed)
		printf("ok\n");
	return g_failed;
}
