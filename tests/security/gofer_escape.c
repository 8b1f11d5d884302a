/*
 * Hostile gofer client: tries to make `runsc gofer` reach files outside
 * its mount. The mount (T/a/mount) holds symlinks to /etc/shadow, to
 * "../../", to an absolute path outside (T/outside) and to files there;
 * requests name "..", "a/b", "/etc" and friends (sent raw: the client
 * library refuses them); and a thread swaps a directory of the mount with
 * a symlink to T/outside while walks, opens, creates and unlinks race
 * against it.
 *
 * Every node and donated fd is checked against the inodes outside the
 * mount, and at the end T/outside and /etc/shadow must be unchanged.
 * Usage: gofer_escape PATH_TO_RUNSC
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/abi/linux/misc.h"
#include "common/util.h"
#include "tests/gofer/harness.h"

static const char *g_runsc;
static char *g_tmp;
static char g_mount[512], g_outside[512], g_secret[600], g_swap_a[600], g_swap_b[600];
static struct gofer_proc g_proc;
static struct gofer_client *g_c;
static uint64_t g_root;

/* Inodes the gofer must never hand out: everything outside the mount we know of. */
static struct stat g_forbidden[16];
static unsigned g_nforbidden;
static struct stat g_secret_before, g_shadow_before;
static bool g_have_shadow;

static const char *pathf(const char *fmt, ...)
{
	static char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return buf;
}

static void forbid(const char *path)
{
	if (lstat(path, &g_forbidden[g_nforbidden]) == 0)
		g_nforbidden++;
}

static void check_inode(dev_t dev, ino_t ino)
{
	for (unsigned i = 0; i < g_nforbidden; i++) {
		if (g_forbidden[i].st_dev == dev && g_forbidden[i].st_ino == ino)
			fail_msg("the gofer reached an inode outside its mount (ino %lu)",
			         (unsigned long)ino);
	}
}

static void check_node(const struct gofer_node *n)
{
	check_inode(makedev(n->stat.dev_major, n->stat.dev_minor), n->stat.ino);
}

static void check_fd(int fd)
{
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	check_inode(st.st_dev, st.st_ino);
}

static void close_id(uint64_t id)
{
	assert_int_equal(gofer_client_close(g_c, &id, 1), 0);
}

static int group_setup(void **state)
{
	g_tmp = harness_tmpdir("gofer_escape");
	if (!g_tmp)
		return -1;
	snprintf(g_outside, sizeof(g_outside), "%s/outside", g_tmp);
	snprintf(g_mount, sizeof(g_mount), "%s/a/mount", g_tmp);
	snprintf(g_secret, sizeof(g_secret), "%s/secret", g_outside);
	snprintf(g_swap_a, sizeof(g_swap_a), "%s/swap", g_mount);
	snprintf(g_swap_b, sizeof(g_swap_b), "%s/swap_alt", g_mount);
	if (mkdir(g_outside, 0755) || mkdir(pathf("%s/a", g_tmp), 0755) || mkdir(g_mount, 0755) ||
	    mkdir(pathf("%s/sub", g_outside), 0755) || mkdir(pathf("%s/swap", g_mount), 0755))
		return -1;
	harness_write_file(pathf("%s/secret", g_outside), "SECRET");
	harness_write_file(pathf("%s/f", g_outside), "OUTSIDE f");
	harness_write_file(pathf("%s/only_outside", g_outside), "");
	harness_write_file(pathf("%s/swap/f", g_mount), "INSIDE f");

	struct {
		const char *name, *target;
	} links[] = {
		{ "shadow", "/etc/shadow" },
		{ "up", "../../" },
		{ "abs", g_outside },
		{ "abs_secret", g_secret },
		{ "rel_secret", "../../outside/secret" },
		{ "proc_shadow", "/proc/self/root/etc/shadow" },
		{ "chain", "up" },
		{ "swap_alt", g_outside },
		{ "victim_file", g_secret },
		{ "victim_dir", g_outside },
	};
	for (size_t i = 0; i < ARRAY_SIZE(links); i++) {
		if (symlink(links[i].target, pathf("%s/%s", g_mount, links[i].name)) < 0)
			return -1;
	}

	forbid("/etc/shadow");
	forbid("/etc");
	forbid(g_tmp);
	forbid(pathf("%s/a", g_tmp));
	forbid(g_outside);
	forbid(pathf("%s/secret", g_outside));
	forbid(pathf("%s/f", g_outside));
	forbid(pathf("%s/sub", g_outside));
	forbid(pathf("%s/only_outside", g_outside));
	stat(pathf("%s/secret", g_outside), &g_secret_before);
	g_have_shadow = stat("/etc/shadow", &g_shadow_before) == 0;

	const char *mounts[] = { g_mount };
	if (harness_start_client(g_runsc, mounts, 1, &g_proc, &g_c) < 0)
		return -1;
	struct gofer_node n;
	uint32_t flags;
	if (gofer_client_mount(g_c, 0, &n, &flags) < 0)
		return -1;
	g_root = n.id;
	return 0;
}

/* Nothing outside changed: the same entries, the same secret, the same shadow. */
static void check_outside_intact(void)
{
	DIR *d = opendir(g_outside);
	assert_non_null(d);
	struct dirent *e;
	int n = 0;
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		n++;
		if (strcmp(e->d_name, "secret") && strcmp(e->d_name, "f") &&
		    strcmp(e->d_name, "sub") && strcmp(e->d_name, "only_outside"))
			fail_msg("a file appeared outside the mount: %s", e->d_name);
	}
	closedir(d);
	assert_int_equal(n, 4);
	struct stat st;
	assert_int_equal(stat(pathf("%s/secret", g_outside), &st), 0);
	assert_int_equal(st.st_ino, g_secret_before.st_ino);
	assert_int_equal(st.st_size, g_secret_before.st_size);
	assert_int_equal(st.st_mode, g_secret_before.st_mode);
	assert_int_equal(st.st_uid, g_secret_before.st_uid);
	assert_int_equal(st.st_nlink, 1);
	assert_true(st.st_mtim.tv_sec == g_secret_before.st_mtim.tv_sec &&
	            st.st_mtim.tv_nsec == g_secret_before.st_mtim.tv_nsec);
	assert_int_equal(stat(pathf("%s/sub", g_outside), &st), 0);
	assert_int_equal(st.st_nlink, 2);
	if (g_have_shadow) {
		assert_int_equal(stat("/etc/shadow", &st), 0);
		assert_int_equal(st.st_ino, g_shadow_before.st_ino);
		assert_int_equal(st.st_size, g_shadow_before.st_size);
		assert_int_equal(st.st_mode, g_shadow_before.st_mode);
		assert_int_equal(st.st_nlink, g_shadow_before.st_nlink);
		assert_true(st.st_mtim.tv_sec == g_shadow_before.st_mtim.tv_sec &&
		            st.st_mtim.tv_nsec == g_shadow_before.st_mtim.tv_nsec);
	}
}

static int group_teardown(void **state)
{
	gofer_client_free(g_c);
	int status = harness_wait(&g_proc, 10000);
	harness_rmtree(g_tmp);
	free(g_tmp);
	return status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static const char *const g_symlinks[] = { "shadow",     "up",    "abs",         "abs_secret",
	                                  "rel_secret", "chain", "proc_shadow", "swap_alt" };

/* Every symlink is a node of its own; nothing is reached through it. */
static void test_symlinks_not_followed(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(g_symlinks); i++) {
		const char *names[] = { g_symlinks[i], "secret", "etc", "shadow" };
		struct gofer_node nodes[4], n;
		uint32_t count, status;
		assert_int_equal(gofer_client_walk(g_c, g_root, names, 4, nodes, &count, &status),
		                 0);
		assert_int_equal(status, GOFER_WALK_SYMLINK);
		assert_int_equal(count, 1);
		assert_int_equal(nodes[0].stat.mode & LINUX_S_IFMT, LINUX_S_IFLNK);
		check_node(&nodes[0]);
		uint64_t id = nodes[0].id;

		/*
		 * Requests that would write through a broken gofer are tried only
		 * on the links to files in our temporary directory, never on
		 * those to the real /etc/shadow.
		 */
		bool host = strstr(g_symlinks[i], "shadow") != NULL;
		uint32_t flags[] = { LINUX_O_RDONLY,
			             LINUX_O_RDONLY | LINUX_O_DIRECTORY,
			             LINUX_O_RDONLY | LINUX_O_NONBLOCK,
			             LINUX_O_WRONLY,
			             LINUX_O_RDWR,
			             LINUX_O_WRONLY | LINUX_O_TRUNC };
		for (size_t f = 0; f < (host ? 3 : ARRAY_SIZE(flags)); f++)
			assert_int_equal(gofer_client_open(g_c, id, flags[f]), -ELOOP);
		assert_int_equal(gofer_client_walk(g_c, id, names + 1, 1, nodes, &count, &status),
		                 -ENOTDIR);
		uint8_t buf[256];
		assert_int_equal(gofer_client_getdents(g_c, id, 0, buf, sizeof(buf)), -ENOTDIR);
		assert_int_equal(gofer_client_create(g_c, id, "x", LINUX_O_RDWR, 0644,
		                                     GOFER_ID_KEEP, GOFER_ID_KEEP, &n),
		                 -ENOTDIR);
		assert_int_equal(
		        gofer_client_mkdir(g_c, id, "x", 0755, GOFER_ID_KEEP, GOFER_ID_KEEP, &n),
		        -ENOTDIR);
		assert_int_equal(gofer_client_unlink(g_c, id, "secret", 0), -ENOTDIR);
		assert_int_equal(gofer_client_rename(g_c, id, "secret", g_root, "stolen", 0),
		                 -ENOTDIR);
		assert_int_equal(gofer_client_bind(g_c, id, "s", SOCK_STREAM, &n), -ENOTDIR);
		assert_int_equal(gofer_client_connect(g_c, id, SOCK_STREAM), -ECONNREFUSED);

		struct gofer_setstat a = { .mask = GOFER_SETSTAT_SIZE, .size = 0 };
		if (!host) {
			assert_int_equal(gofer_client_setstat(g_c, id, &a, NULL), -EINVAL);
			a = (struct gofer_setstat){ .mask = GOFER_SETSTAT_MODE, .mode = 0777 };
			assert_int_equal(gofer_client_setstat(g_c, id, &a, NULL), -EOPNOTSUPP);
		}
		/* Times and owner apply to the symlink itself. */
		a = (struct gofer_setstat){ .mask = 0 };
		if (!host)
			a = (struct gofer_setstat){ .mask = GOFER_SETSTAT_MTIME |
				                            GOFER_SETSTAT_UID | GOFER_SETSTAT_GID,
				                    .mtime_sec = 1,
				                    .uid = 4321,
				                    .gid = 4321 };
		assert_int_equal(gofer_client_setstat(g_c, id, &a, NULL), 0);
		if (!host)
			assert_int_equal(gofer_client_setxattr(g_c, id, "user.x", "v", 1, 0),
			                 -EPERM);
		assert_int_equal(gofer_client_getxattr(g_c, id, "user.x", buf, sizeof(buf)),
		                 -ENODATA);

		/* A hard link to a symlink is another symlink, not its target. */
		if (!host) {
			assert_int_equal(gofer_client_link(g_c, g_root, "hard", id, &n), 0);
			assert_int_equal(n.stat.mode & LINUX_S_IFMT, LINUX_S_IFLNK);
			check_node(&n);
			close_id(n.id);
			assert_int_equal(gofer_client_unlink(g_c, g_root, "hard", 0), 0);
		}
		char target[GOFER_PATH_MAX + 1];
		assert_true(gofer_client_readlink(g_c, id, target, sizeof(target)) > 0);
		close_id(id);
	}
	check_outside_intact();
}

/* A hand-made request with name at the end (or in the middle, for rename and symlink). */
static void send_bad(uint16_t id, unsigned nfixed, const char *name, size_t len)
{
	static uint8_t msg[1024];
	size_t pos = GOFER_HDR_SIZE;
	memset(msg, 0, sizeof(msg));
	memcpy(msg + 4, &id, 2);
	msg[8] = 9; /* tag */
	/* Fixed fields: every id the root's, other u32/u64 fields 0 or 1. */
	for (unsigned i = 0; i < nfixed; i++) {
		uint64_t v = i == 0 || (id == GOFER_T_RENAME && i == 1) ? g_root : 0;
		if (id == GOFER_T_WALK && i == 1) {
			uint32_t one = 1;
			memcpy(msg + pos, &one, 4);
			pos += 4;
			continue;
		}
		if (id == GOFER_T_LINK && i == 1)
			v = g_root;
		if (id == GOFER_T_BIND && i == 1)
			v = SOCK_STREAM;
		size_t size =
		        i == 0 || (id == GOFER_T_RENAME && i == 1) || (id == GOFER_T_LINK && i == 1)
		                ? 8
		                : 4;
		memcpy(msg + pos, &v, size);
		pos += size;
	}
	if (id == GOFER_T_RENAME) { /* a good old name, then the bad new one */
		memcpy(msg + pos, "\x02\x00ok", 5);
		pos += 5;
	}
	uint16_t l = (uint16_t)len;
	memcpy(msg + pos, &l, 2);
	memcpy(msg + pos + 2, name, len);
	pos += 2 + len + 1;
	if (id == GOFER_T_SYMLINK) {
		memcpy(msg + pos, "\x01\x00t", 4);
		pos += 4;
	}
	uint32_t size = (uint32_t)pos;
	memcpy(msg, &size, 4);

	struct gofer_msg r;
	assert_int_equal(gofer_client_raw(g_c, msg, pos, &r), 0);
	assert_int_equal(r.id, GOFER_R_ERROR);
	assert_int_equal(r.r_error.err, EINVAL);
}

static void test_bad_names(void **state)
{
	struct {
		const char *name;
		size_t len;
	} bad[] = {
		{ "..", 2 },          { ".", 1 },       { "a/b", 3 },  { "/etc", 4 }, { "", 0 },
		{ "../outside", 10 }, { "swap/..", 7 }, { "x\0y", 3 }, { "up/", 3 },
	};
	struct {
		uint16_t id;
		unsigned nfixed;
	} reqs[] = {
		{ GOFER_T_WALK, 2 },   { GOFER_T_CREATE, 5 },  { GOFER_T_MKDIR, 4 },
		{ GOFER_T_MKNOD, 6 },  { GOFER_T_SYMLINK, 3 }, { GOFER_T_LINK, 2 },
		{ GOFER_T_UNLINK, 2 }, { GOFER_T_RENAME, 3 },  { GOFER_T_BIND, 2 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		for (size_t j = 0; j < ARRAY_SIZE(reqs); j++)
			send_bad(reqs[j].id, reqs[j].nfixed, bad[i].name, bad[i].len);
		struct gofer_node n;
		uint32_t count, status;
		if (strlen(bad[i].name) != bad[i].len)
			continue; /* as a C string it is another, valid, name */
		assert_int_equal(
		        gofer_client_walk(g_c, g_root, &bad[i].name, 1, &n, &count, &status),
		        -EINVAL);
	}
	/* The gofer still serves, and nothing was made anywhere. */
	uint8_t buf[4096];
	ssize_t size = gofer_client_getdents(g_c, g_root, 0, buf, sizeof(buf));
	assert_true(size > 0);
	struct gofer_dirent e;
	size_t pos = 0;
	while (gofer_dirent_next(buf, (size_t)size, &pos, &e))
		assert_true(strcmp(e.name, "ok") != 0 && strcmp(e.name, "x") != 0);
	check_outside_intact();
}

/* Creation calls fail on a symlink's name instead of following it. */
static void test_create_over_symlinks(void **state)
{
	struct gofer_node n;
	/* Only links into our temporary directory: a broken gofer would truncate the target. */
	const char *targets[] = { "abs_secret", "abs", "rel_secret", "up" };
	for (size_t i = 0; i < ARRAY_SIZE(targets); i++) {
		const char *t = targets[i];
		assert_int_equal(gofer_client_create(g_c, g_root, t, LINUX_O_RDWR | LINUX_O_TRUNC,
		                                     0644, GOFER_ID_KEEP, GOFER_ID_KEEP, &n),
		                 -EEXIST);
		assert_int_equal(
		        gofer_client_mkdir(g_c, g_root, t, 0755, GOFER_ID_KEEP, GOFER_ID_KEEP, &n),
		        -EEXIST);
		assert_int_equal(gofer_client_mknod(g_c, g_root, t, LINUX_S_IFIFO | 0600, 0, 0,
		                                    GOFER_ID_KEEP, GOFER_ID_KEEP, &n),
		                 -EEXIST);
		assert_int_equal(
		        gofer_client_symlink(g_c, g_root, t, "x", GOFER_ID_KEEP, GOFER_ID_KEEP, &n),
		        -EEXIST);
		assert_int_equal(gofer_client_bind(g_c, g_root, t, SOCK_STREAM, &n), -EADDRINUSE);
	}
	/* Renaming onto a symlink replaces the link, and unlink removes only the link. */
	int fd = gofer_client_create(g_c, g_root, "newfile", LINUX_O_RDWR, 0644, GOFER_ID_KEEP,
	                             GOFER_ID_KEEP, &n);
	assert_true(fd >= 0);
	check_fd(fd);
	close(fd);
	close_id(n.id);
	assert_int_equal(gofer_client_rename(g_c, g_root, "newfile", g_root, "victim_file", 0), 0);
	assert_int_equal(gofer_client_unlink(g_c, g_root, "victim_dir", 0), 0);
	assert_int_equal(gofer_client_unlink(g_c, g_root, "victim_file", 0), 0);
	check_outside_intact();
}

static volatile bool g_stop;

static void *swapper(void *arg)
{
	for (long i = 0; i < 2000000 && !g_stop; i++)
		renameat2(AT_FDCWD, g_swap_a, AT_FDCWD, g_swap_b, RENAME_EXCHANGE);
	return NULL;
}

/* A directory swapped for a symlink while requests race against it. */
static void test_swap_race(void **state)
{
	pthread_t t;
	g_stop = false;
	assert_int_equal(pthread_create(&t, NULL, swapper, NULL), 0);

	int as_dir = 0, as_link = 0;
	for (int i = 0; i < 20000 && (i < 2000 || !as_dir || !as_link); i++) {
		const char *names[] = { i & 1 ? "swap" : "swap_alt", "f" };
		struct gofer_node nodes[2], n;
		uint32_t count, status;
		assert_int_equal(gofer_client_walk(g_c, g_root, names, 2, nodes, &count, &status),
		                 0);
		for (uint32_t k = 0; k < count; k++)
			check_node(&nodes[k]);
		if (status == GOFER_WALK_SYMLINK) {
			as_link++;
			assert_int_equal(count, 1);
			assert_int_equal(gofer_client_open(g_c, nodes[0].id, LINUX_O_RDONLY),
			                 -ELOOP);
			close_id(nodes[0].id);
			continue;
		}
		assert_int_equal(status, GOFER_WALK_OK);
		as_dir++;
		int fd = gofer_client_open(g_c, nodes[1].id, LINUX_O_RDWR);
		assert_true(fd >= 0);
		check_fd(fd);
		char buf[16] = { 0 };
		assert_int_equal(pread(fd, buf, sizeof(buf) - 1, 0), 8);
		assert_string_equal(buf, "INSIDE f");
		close(fd);
		/* The directory node stays the directory, wherever its name went. */
		uint64_t dir = nodes[0].id;
		char name[32];
		snprintf(name, sizeof(name), "c%d", i);
		fd = gofer_client_create(g_c, dir, name, LINUX_O_WRONLY, 0644, GOFER_ID_KEEP,
		                         GOFER_ID_KEEP, &n);
		assert_true(fd >= 0);
		check_fd(fd);
		close(fd);
		close_id(n.id);
		assert_int_equal(
		        gofer_client_mkdir(g_c, dir, "d", 0755, GOFER_ID_KEEP, GOFER_ID_KEEP, &n),
		        0);
		check_node(&n);
		close_id(n.id);
		uint8_t dents[4096];
		ssize_t size = gofer_client_getdents(g_c, dir, 0, dents, sizeof(dents));
		assert_true(size > 0);
		struct gofer_dirent e;
		size_t pos = 0;
		while (gofer_dirent_next(dents, (size_t)size, &pos, &e))
			assert_string_not_equal(e.name, "only_outside");
		assert_int_equal(gofer_client_unlink(g_c, dir, "d", LINUX_AT_REMOVEDIR), 0);
		assert_int_equal(gofer_client_unlink(g_c, dir, name, 0), 0);
		uint64_t ids[] = { nodes[0].id, nodes[1].id };
		assert_int_equal(gofer_client_close(g_c, ids, 2), 0);
	}
	g_stop = true;
	pthread_join(t, NULL);
	print_message("swap race: %d walks through the directory, %d stopped at the symlink\n",
	              as_dir, as_link);
	assert_true(as_dir > 0 && as_link > 0);
	check_outside_intact();
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s PATH_TO_RUNSC\n", argv[0]);
		return 2;
	}
	g_runsc = argv[1];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_symlinks_not_followed),
		cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_create_over_symlinks),
		cmocka_unit_test(test_swap_race),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
