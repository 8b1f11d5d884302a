/*
 * inotify: init flags, add_watch and rm_watch with their errors (EINVAL, EBADF, ENOENT,
 * ENOTDIR, EEXIST for IN_MASK_CREATE, EACCES), one wd per inode, IN_MASK_ADD, IN_ONESHOT,
 * IN_EXCL_UNLINK, IN_IGNORED; every event the file calls make (access, modify, attrib, open,
 * close, create, delete, moves with their cookie, move_self, delete_self, unmount), reported
 * to the file's watch and to its directory's with the name; coalescing of identical events,
 * the queue's overflow, the record layout (names NUL-padded to 16 bytes), EINVAL for a small
 * buffer, EAGAIN, poll and epoll readiness, FIONREAD, and a blocking read woken by a child.
 */
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/wait.h>

#include "fs_util.h"

struct ev {
	int wd;
	uint32_t mask, cookie;
	char name[64];
};

#define MAX_EVS 64

/* Reads every queued event of the non-blocking fd into evs; returns the count. */
static int drain(int fd, struct ev *evs)
{
	_Alignas(struct inotify_event) char buf[4096];
	int n = 0;
	for (;;) {
		ssize_t r = read(fd, buf, sizeof(buf));
		if (r < 0) {
			CHECK_EQ(errno, EAGAIN);
			return n;
		}
		for (ssize_t off = 0; off < r;) {
			struct inotify_event *ie = (struct inotify_event *)(buf + off);
			CHECK(n < MAX_EVS);
			evs[n].wd = ie->wd;
			evs[n].mask = ie->mask;
			evs[n].cookie = ie->cookie;
			CHECK(ie->len < sizeof(evs[n].name));
			memcpy(evs[n].name, ie->name, ie->len);
			evs[n].name[ie->len] = '\0';
			off += (ssize_t)(sizeof(*ie) + ie->len);
			n++;
		}
	}
}

struct want {
	int wd;
	uint32_t mask;
	const char *name;
};

/* Checks that the queued events are exactly those of want (n of them); returns the events. */
#define EXPECT(fd, ...)                                             \
	expect_(__LINE__, fd, (const struct want[]){ __VA_ARGS__ }, \
	        sizeof((const struct want[]){ __VA_ARGS__ }) / sizeof(struct want))
static struct ev g_evs[MAX_EVS];
static void expect_(int line, int fd, const struct want *want, size_t n)
{
	int got = drain(fd, g_evs);
	bool ok = got == (int)n;
	for (int i = 0; ok && i < got; i++) {
		ok = g_evs[i].wd == want[i].wd && g_evs[i].mask == want[i].mask &&
		     strcmp(g_evs[i].name, want[i].name ? want[i].name : "") == 0;
	}
	if (ok)
		return;
	for (int i = 0; i < got; i++)
		fprintf(stderr, "got   wd %d mask %#x cookie %u name '%s'\n", g_evs[i].wd,
		        g_evs[i].mask, g_evs[i].cookie, g_evs[i].name);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "want  wd %d mask %#x name '%s'\n", want[i].wd, want[i].mask,
		        want[i].name ? want[i].name : "");
	test_fail(__FILE__, line, "events differ");
}
#define NONE(fd) CHECK_EQ(drain(fd, g_evs), 0)

static int new_inotify(void)
{
	return (int)CHECK_SYS(inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
}

static void test_init_and_errors(void)
{
	CHECK_ERR(inotify_init1(0x1), EINVAL);
	int fd = new_inotify();
	CHECK_EQ(fcntl(fd, F_GETFL), O_RDONLY | O_NONBLOCK);
	CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
	int plain = (int)CHECK_SYS(syscall(SYS_inotify_init));
	CHECK_EQ(fcntl(plain, F_GETFL), O_RDONLY);
	CHECK_EQ(fcntl(plain, F_GETFD), 0);
	close(plain);
	char buf[64];
	CHECK_ERR(read(fd, buf, sizeof(buf)), EAGAIN);
	CHECK_ERR(write(fd, buf, 16), EBADF);

	fs_write_file("f", "data");
	CHECK_SYS(mkdir("d", 0755));
	CHECK_ERR(inotify_add_watch(fd, "f", 0), EINVAL);
	CHECK_ERR(inotify_add_watch(fd, "f", IN_MODIFY | IN_MASK_ADD | IN_MASK_CREATE), EINVAL);
	CHECK_ERR(inotify_add_watch(-1, "f", IN_MODIFY), EBADF);
	int reg = (int)CHECK_SYS(open("f", O_RDONLY));
	CHECK_ERR(inotify_add_watch(reg, "f", IN_MODIFY), EINVAL);
	CHECK_ERR(inotify_rm_watch(reg, 1), EINVAL);
	close(reg);
	CHECK_ERR(inotify_add_watch(fd, "nothere", IN_MODIFY), ENOENT);
	CHECK_ERR(inotify_add_watch(fd, "f", IN_MODIFY | IN_ONLYDIR), ENOTDIR);
	CHECK_ERR(inotify_rm_watch(fd, 12345), EINVAL);
	CHECK_ERR(inotify_rm_watch(-1, 1), EBADF);

	/* One watch per inode: the same wd by any name; IN_MASK_CREATE then fails. */
	CHECK_SYS(link("f", "f2"));
	CHECK_SYS(symlink("f", "sl"));
	int wd = (int)CHECK_SYS(inotify_add_watch(fd, "f", IN_MODIFY));
	CHECK(wd >= 1);
	CHECK_EQ(inotify_add_watch(fd, "f2", IN_MODIFY), wd);
	CHECK_EQ(inotify_add_watch(fd, "sl", IN_MODIFY), wd);
	CHECK_ERR(inotify_add_watch(fd, "f", IN_MODIFY | IN_MASK_CREATE), EEXIST);
	/* IN_DONT_FOLLOW watches the link itself; IN_ONLYDIR accepts a directory. */
	int wl = (int)CHECK_SYS(inotify_add_watch(fd, "sl", IN_ATTRIB | IN_DONT_FOLLOW));
	CHECK(wl != wd);
	int wdir = (int)CHECK_SYS(inotify_add_watch(fd, "d", IN_CREATE | IN_ONLYDIR));
	CHECK(wdir != wd && wdir != wl);
	NONE(fd);

	/* rm_watch queues IN_IGNORED; the wd is gone and not reused at once. */
	CHECK_SYS(inotify_rm_watch(fd, wd));
	EXPECT(fd, { wd, IN_IGNORED, NULL });
	CHECK_ERR(inotify_rm_watch(fd, wd), EINVAL);
	int again = (int)CHECK_SYS(inotify_add_watch(fd, "f", IN_MODIFY));
	CHECK(again != wd && again != wl && again != wdir);
	close(fd);
	CHECK_SYS(unlink("f2"));
	CHECK_SYS(unlink("sl"));
	CHECK_SYS(unlink("f"));
	CHECK_SYS(rmdir("d"));
}

static void test_file_events(void)
{
	CHECK_SYS(mkdir("dir", 0755));
	fs_write_file("dir/f", "hello");
	int fd = new_inotify();
	int wd = (int)CHECK_SYS(inotify_add_watch(fd, "dir", IN_ALL_EVENTS));
	int wf = (int)CHECK_SYS(inotify_add_watch(fd, "dir/f", IN_ALL_EVENTS));

	int f = (int)CHECK_SYS(open("dir/f", O_RDWR));
	EXPECT(fd, { wd, IN_OPEN, "f" }, { wf, IN_OPEN, NULL });
	CHECK_EQ(write(f, "abc", 3), 3);
	EXPECT(fd, { wd, IN_MODIFY, "f" }, { wf, IN_MODIFY, NULL });
	char buf[16];
	CHECK_EQ(pread(f, buf, sizeof(buf), 0), 5);
	EXPECT(fd, { wd, IN_ACCESS, "f" }, { wf, IN_ACCESS, NULL });
	/* A read at the end reads nothing and reports nothing. */
	CHECK_EQ(read(f, buf, sizeof(buf)), 2);
	CHECK_EQ(read(f, buf, sizeof(buf)), 0);
	EXPECT(fd, { wd, IN_ACCESS, "f" }, { wf, IN_ACCESS, NULL });
	CHECK_SYS(fchmod(f, 0600));
	EXPECT(fd, { wd, IN_ATTRIB, "f" }, { wf, IN_ATTRIB, NULL });
	CHECK_SYS(ftruncate(f, 1));
	EXPECT(fd, { wd, IN_MODIFY, "f" }, { wf, IN_MODIFY, NULL });
	CHECK_SYS(utimensat(AT_FDCWD, "dir/f", NULL, 0));
	EXPECT(fd, { wd, IN_ATTRIB, "f" }, { wf, IN_ATTRIB, NULL });
	CHECK_SYS(close(f));
	EXPECT(fd, { wd, IN_CLOSE_WRITE, "f" }, { wf, IN_CLOSE_WRITE, NULL });
	f = (int)CHECK_SYS(open("dir/f", O_RDONLY));
	CHECK_SYS(close(f));
	EXPECT(fd, { wd, IN_OPEN, "f" }, { wf, IN_OPEN, NULL }, { wd, IN_CLOSE_NOWRITE, "f" },
	       { wf, IN_CLOSE_NOWRITE, NULL });
	/* O_TRUNC truncates (IN_MODIFY) after the open. */
	f = (int)CHECK_SYS(open("dir/f", O_WRONLY | O_TRUNC));
	EXPECT(fd, { wd, IN_OPEN, "f" }, { wf, IN_OPEN, NULL }, { wd, IN_MODIFY, "f" },
	       { wf, IN_MODIFY, NULL });
	/* A dup shares the open file description: only the last close reports. */
	int f2 = (int)CHECK_SYS(dup(f));
	CHECK_SYS(close(f));
	NONE(fd);
	CHECK_SYS(close(f2));
	EXPECT(fd, { wd, IN_CLOSE_WRITE, "f" }, { wf, IN_CLOSE_WRITE, NULL });
	/* The directory itself: opened, read, closed (IN_ISDIR), to its own watch only. */
	int d = (int)CHECK_SYS(open("dir", O_RDONLY | O_DIRECTORY));
	CHECK(syscall(SYS_getdents64, d, buf, sizeof(buf)) >= 0 || errno == EINVAL);
	CHECK_SYS(close(d));
	EXPECT(fd, { wd, IN_OPEN | IN_ISDIR, NULL }, { wd, IN_ACCESS | IN_ISDIR, NULL },
	       { wd, IN_CLOSE_NOWRITE | IN_ISDIR, NULL });
	/* An O_PATH open reports nothing. */
	d = (int)CHECK_SYS(open("dir/f", O_PATH));
	CHECK_SYS(close(d));
	NONE(fd);
	close(fd);
}

static void test_dir_events(void)
{
	int fd = new_inotify();
	int wd = (int)CHECK_SYS(inotify_add_watch(fd, "dir", IN_CREATE | IN_DELETE | IN_MOVE));
	int f = (int)CHECK_SYS(open("dir/new", O_CREAT | O_WRONLY, 0644));
	close(f);
	CHECK_SYS(mkdir("dir/sub", 0755));
	CHECK_SYS(symlink("new", "dir/sym"));
	CHECK_SYS(link("dir/new", "dir/hard"));
	CHECK_SYS(mknod("dir/fifo", S_IFIFO | 0644, 0));
	EXPECT(fd, { wd, IN_CREATE, "new" }, { wd, IN_CREATE | IN_ISDIR, "sub" },
	       { wd, IN_CREATE, "sym" }, { wd, IN_CREATE, "hard" }, { wd, IN_CREATE, "fifo" });
	CHECK_SYS(unlink("dir/hard"));
	CHECK_SYS(unlink("dir/sym"));
	CHECK_SYS(unlink("dir/fifo"));
	CHECK_SYS(rmdir("dir/sub"));
	EXPECT(fd, { wd, IN_DELETE, "hard" }, { wd, IN_DELETE, "sym" }, { wd, IN_DELETE, "fifo" },
	       { wd, IN_DELETE | IN_ISDIR, "sub" });
	/* A failed call reports nothing. */
	CHECK_ERR(mkdir("dir/new", 0755), EEXIST);
	CHECK_ERR(unlink("dir/none"), ENOENT);
	NONE(fd);

	/* Renames: one cookie for the pair, not 0, a new one for each rename. */
	CHECK_SYS(mkdir("other", 0755));
	int wo = (int)CHECK_SYS(inotify_add_watch(fd, "other", IN_MOVE));
	int wf = (int)CHECK_SYS(inotify_add_watch(fd, "dir/new", IN_MOVE_SELF | IN_ATTRIB));
	CHECK_SYS(rename("dir/new", "dir/renamed"));
	EXPECT(fd, { wd, IN_MOVED_FROM, "new" }, { wd, IN_MOVED_TO, "renamed" },
	       { wf, IN_MOVE_SELF, NULL });
	uint32_t c1 = g_evs[0].cookie;
	CHECK(c1 != 0);
	CHECK_EQ(g_evs[1].cookie, c1);
	CHECK_EQ(g_evs[2].cookie, 0);
	CHECK_SYS(rename("dir/renamed", "other/moved"));
	EXPECT(fd, { wd, IN_MOVED_FROM, "renamed" }, { wo, IN_MOVED_TO, "moved" },
	       { wf, IN_MOVE_SELF, NULL });
	CHECK(g_evs[0].cookie != 0 && g_evs[0].cookie != c1);
	CHECK_EQ(g_evs[1].cookie, g_evs[0].cookie);
	CHECK_SYS(mkdir("dir/sd", 0755));
	EXPECT(fd, { wd, IN_CREATE | IN_ISDIR, "sd" });
	CHECK_SYS(rename("dir/sd", "dir/sd2"));
	EXPECT(fd, { wd, IN_MOVED_FROM | IN_ISDIR, "sd" }, { wd, IN_MOVED_TO | IN_ISDIR, "sd2" });
	CHECK_SYS(rmdir("dir/sd2"));
	EXPECT(fd, { wd, IN_DELETE | IN_ISDIR, "sd2" });
	/* Replacing a file: its link count changes (IN_ATTRIB), and it is gone. */
	fs_write_file("other/victim", "v");
	int wv = (int)CHECK_SYS(inotify_add_watch(fd, "other/victim", IN_ATTRIB | IN_DELETE_SELF));
	CHECK_SYS(rename("other/moved", "other/victim"));
	EXPECT(fd, { wo, IN_MOVED_FROM, "moved" }, { wo, IN_MOVED_TO, "victim" },
	       { wv, IN_ATTRIB, NULL }, { wf, IN_MOVE_SELF, NULL }, { wv, IN_DELETE_SELF, NULL },
	       { wv, IN_IGNORED, NULL });

	/* Removing a watched file: IN_ATTRIB (its link count), IN_DELETE_SELF, IN_IGNORED. */
	CHECK_EQ(inotify_add_watch(fd, "other/victim", IN_DELETE_SELF | IN_MASK_ADD), wf);
	CHECK_EQ(inotify_add_watch(fd, "other", IN_DELETE | IN_DELETE_SELF | IN_MASK_ADD), wo);
	CHECK_SYS(unlink("other/victim"));
	EXPECT(fd, { wf, IN_ATTRIB, NULL }, { wf, IN_DELETE_SELF, NULL }, { wf, IN_IGNORED, NULL },
	       { wo, IN_DELETE, "victim" });
	/* ... and a watched directory: IN_DELETE_SELF (no IN_ISDIR), IN_IGNORED. */
	CHECK_SYS(rmdir("other"));
	EXPECT(fd, { wo, IN_DELETE_SELF, NULL }, { wo, IN_IGNORED, NULL });
	close(fd);
}

static void test_flags(void)
{
	fs_write_file("dir/g", "g");
	int fd = new_inotify();
	/* IN_MASK_ADD adds to the mask; without it the mask is replaced. */
	int wg = (int)CHECK_SYS(inotify_add_watch(fd, "dir/g", IN_MODIFY));
	CHECK_EQ(inotify_add_watch(fd, "dir/g", IN_ATTRIB | IN_MASK_ADD), wg);
	int f = (int)CHECK_SYS(open("dir/g", O_WRONLY));
	CHECK_EQ(write(f, "x", 1), 1);
	CHECK_SYS(fchmod(f, 0640));
	EXPECT(fd, { wg, IN_MODIFY, NULL }, { wg, IN_ATTRIB, NULL });
	CHECK_EQ(inotify_add_watch(fd, "dir/g", IN_ATTRIB), wg);
	CHECK_EQ(write(f, "x", 1), 1);
	CHECK_SYS(fchmod(f, 0644));
	EXPECT(fd, { wg, IN_ATTRIB, NULL });

	/* Identical events in a row are one; after a read, a new one is queued. */
	CHECK_EQ(inotify_add_watch(fd, "dir/g", IN_MODIFY | IN_ATTRIB), wg);
	for (int i = 0; i < 3; i++)
		CHECK_EQ(write(f, "x", 1), 1);
	CHECK_SYS(fchmod(f, 0644));
	CHECK_EQ(write(f, "x", 1), 1);
	CHECK_EQ(write(f, "x", 1), 1);
	EXPECT(fd, { wg, IN_MODIFY, NULL }, { wg, IN_ATTRIB, NULL }, { wg, IN_MODIFY, NULL });
	CHECK_EQ(write(f, "x", 1), 1);
	EXPECT(fd, { wg, IN_MODIFY, NULL });

	/* IN_ONESHOT: one event, then IN_IGNORED, and the watch is gone. */
	CHECK_EQ(inotify_add_watch(fd, "dir/g", IN_MODIFY | IN_ONESHOT), wg);
	CHECK_EQ(write(f, "x", 1), 1);
	CHECK_EQ(write(f, "x", 1), 1);
	EXPECT(fd, { wg, IN_MODIFY, NULL }, { wg, IN_IGNORED, NULL });
	CHECK_ERR(inotify_rm_watch(fd, wg), EINVAL);

	/* IN_EXCL_UNLINK: no events through a name removed while the file is open. */
	int wd = (int)CHECK_SYS(inotify_add_watch(fd, "dir", IN_MODIFY | IN_EXCL_UNLINK));
	wg = (int)CHECK_SYS(inotify_add_watch(fd, "dir/g", IN_MODIFY));
	CHECK_EQ(write(f, "x", 1), 1);
	EXPECT(fd, { wd, IN_MODIFY, "g" }, { wg, IN_MODIFY, NULL });
	CHECK_SYS(unlink("dir/g"));
	CHECK_EQ(write(f, "x", 1), 1);
	EXPECT(fd, { wg, IN_MODIFY, NULL });
	/* The file goes when its last user does: the watch with it. */
	CHECK_SYS(close(f));
	EXPECT(fd, { wg, IN_IGNORED, NULL });
	close(fd);
}

static void test_reading(void)
{
	int fd = new_inotify();
	int wd = (int)CHECK_SYS(inotify_add_watch(fd, "dir", IN_CREATE));
	fs_write_file("dir/abc", "");
	fs_write_file("dir/fifteen_chars__", "");  /* 15 characters: len 16 */
	fs_write_file("dir/sixteen_chars___", ""); /* 16 characters: len 32 */
	int avail = -1;
	CHECK_SYS(ioctl(fd, FIONREAD, &avail));
	CHECK_EQ(avail, 3 * 16 + 16 + 16 + 32);
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT };
	CHECK_EQ(poll(&p, 1, 0), 1);
	CHECK_EQ(p.revents, POLLIN);

	_Alignas(struct inotify_event) char buf[256];
	CHECK_ERR(read(fd, buf, 16), EINVAL);
	CHECK_ERR(read(fd, buf, 31), EINVAL);
	memset(buf, 0x7f, sizeof(buf));
	/* Only whole events: the first fits, the second does not. */
	CHECK_EQ(read(fd, buf, 40), 32);
	struct inotify_event *ie = (struct inotify_event *)buf;
	CHECK_EQ(ie->wd, wd);
	CHECK_EQ(ie->mask, IN_CREATE);
	CHECK_EQ(ie->cookie, 0);
	CHECK_EQ(ie->len, 16);
	CHECK_STREQ(ie->name, "abc");
	for (int i = 3; i < 16; i++)
		CHECK_EQ(ie->name[i], 0);
	CHECK_SYS(ioctl(fd, FIONREAD, &avail));
	CHECK_EQ(avail, 32 + 48);
	CHECK_EQ(read(fd, buf, sizeof(buf)), 80);
	CHECK_EQ(ie->len, 16);
	CHECK_STREQ(ie->name, "fifteen_chars__");
	ie = (struct inotify_event *)(buf + 32);
	CHECK_EQ(ie->len, 32);
	CHECK_STREQ(ie->name, "sixteen_chars___");
	CHECK_ERR(read(fd, buf, sizeof(buf)), EAGAIN);
	CHECK_SYS(ioctl(fd, FIONREAD, &avail));
	CHECK_EQ(avail, 0);
	CHECK_EQ(poll(&p, 1, 0), 0);

	/* epoll sees the queue become non-empty. */
	int ep = (int)CHECK_SYS(epoll_create1(0));
	struct epoll_event ee = { .events = EPOLLIN };
	CHECK_SYS(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ee));
	CHECK_EQ(epoll_wait(ep, &ee, 1, 0), 0);
	CHECK_SYS(mkdir("dir/x", 0755));
	CHECK_EQ(epoll_wait(ep, &ee, 1, 0), 1);
	CHECK_EQ(ee.events, EPOLLIN);
	EXPECT(fd, { wd, IN_CREATE | IN_ISDIR, "x" });
	CHECK_SYS(rmdir("dir/x"));
	close(ep);
	CHECK_SYS(unlink("dir/abc"));
	CHECK_SYS(unlink("dir/fifteen_chars__"));
	CHECK_SYS(unlink("dir/sixteen_chars___"));
	close(fd);
}

static void close_open(const char *path)
{
	int f = (int)CHECK_SYS(open(path, O_RDONLY));
	CHECK_SYS(close(f));
}

/* More events than the queue holds: the last one is a single IN_Q_OVERFLOW. */
static void test_overflow(void)
{
	fs_write_file("dir/o", "");
	int fd = new_inotify();
	int wd = (int)CHECK_SYS(inotify_add_watch(fd, "dir/o", IN_OPEN | IN_CLOSE));
	for (int i = 0; i < 8200; i++) /* open and close alternate: nothing coalesces */
		close_open("dir/o");
	int avail = -1;
	CHECK_SYS(ioctl(fd, FIONREAD, &avail));
	CHECK_EQ(avail, (16384 + 1) * 16);
	static struct inotify_event evs[16385];
	CHECK_EQ(read(fd, evs, sizeof(evs)), (16384 + 1) * 16);
	for (int i = 0; i < 16384; i++) {
		CHECK_EQ(evs[i].wd, wd);
		CHECK_EQ(evs[i].mask, (i % 2) ? IN_CLOSE_NOWRITE : IN_OPEN);
	}
	CHECK_EQ(evs[16384].wd, -1);
	CHECK_EQ(evs[16384].mask, IN_Q_OVERFLOW);
	CHECK_EQ(evs[16384].len, 0);
	/* Room again: events are queued again. */
	close_open("dir/o");
	EXPECT(fd, { wd, IN_OPEN, NULL }, { wd, IN_CLOSE_NOWRITE, NULL });
	CHECK_SYS(unlink("dir/o"));
	close(fd);
}

/* A blocking read waits until a child makes a change. */
static void test_blocking(void)
{
	int fd = (int)CHECK_SYS(inotify_init());
	int wd = (int)CHECK_SYS(inotify_add_watch(fd, "dir", IN_CREATE));
	pid_t pid = (pid_t)CHECK_SYS(fork());
	if (pid == 0) {
		usleep(20000);
		int f = open("dir/child", O_CREAT | O_WRONLY, 0644);
		_exit(f < 0 ? 1 : 0);
	}
	_Alignas(struct inotify_event) char buf[256];
	CHECK_EQ(read(fd, buf, sizeof(buf)), 32);
	struct inotify_event *ie = (struct inotify_event *)buf;
	CHECK_EQ(ie->wd, wd);
	CHECK_EQ(ie->mask, IN_CREATE);
	CHECK_STREQ(ie->name, "child");
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK_EQ(status, 0);
	CHECK_SYS(unlink("dir/child"));
	close(fd);
}

/* Read permission is needed to watch (checked as an unprivileged user, in a child). */
static void test_eacces(void)
{
	fs_write_file("secret", "s");
	CHECK_SYS(chmod("secret", 0));
	CHECK_SYS(chmod(".", 0755));
	pid_t pid = (pid_t)CHECK_SYS(fork());
	if (pid == 0) {
		int fd = inotify_init1(0);
		if (fd < 0 || setresuid(65534, 65534, 65534) != 0)
			_exit(2);
		_exit(inotify_add_watch(fd, "secret", IN_MODIFY) == -1 && errno == EACCES ? 0 : 1);
	}
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK_EQ(status, 0);
	CHECK_SYS(unlink("secret"));
}

/* Unmounting a file system: IN_UNMOUNT, then IN_IGNORED, for each of its watched inodes. */
static void test_unmount(void)
{
	/* Natively, in a mount namespace of our own; the sandbox refuses unshare. */
	if (unshare(CLONE_NEWNS) == 0)
		CHECK_SYS(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
	CHECK_SYS(mkdir("mnt", 0755));
	CHECK_SYS(mount("none", "mnt", "tmpfs", 0, NULL));
	fs_write_file("mnt/file", "x");
	int fd = new_inotify();
	int wr = (int)CHECK_SYS(inotify_add_watch(fd, "mnt", IN_CREATE));
	int wf = (int)CHECK_SYS(inotify_add_watch(fd, "mnt/file", IN_MODIFY));
	CHECK_SYS(umount("mnt"));
	int n = drain(fd, g_evs);
	CHECK_EQ(n, 4);
	for (int i = 0; i < 4; i += 2) {
		CHECK(g_evs[i].wd == wr || g_evs[i].wd == wf);
		CHECK_EQ(g_evs[i].mask & ~(uint32_t)IN_ISDIR, IN_UNMOUNT);
		CHECK_EQ(g_evs[i + 1].wd, g_evs[i].wd);
		CHECK_EQ(g_evs[i + 1].mask, IN_IGNORED);
	}
	CHECK(g_evs[0].wd != g_evs[2].wd);
	CHECK_ERR(inotify_rm_watch(fd, wr), EINVAL);
	close(fd);
	CHECK_SYS(rmdir("mnt"));
}

int main(void)
{
	fs_scratch_enter();
	test_init_and_errors();
	test_file_events();
	test_dir_events();
	test_flags();
	test_reading();
	test_overflow();
	test_blocking();
	test_eacces();
	test_unmount();
	CHECK_SYS(unlink("dir/f"));
	CHECK_SYS(rmdir("dir"));
	fs_scratch_leave();
	return 0;
}
