/*
 * Integration test of `runsc gofer` under stress: a blocked request on one
 * channel does not stall another; many threads on many channels; malformed
 * messages get an error reply and the gofer keeps serving; a dead gofer
 * makes every client call fail with EIO, never hang; bad command lines.
 * Usage: gofer_robust PATH_TO_RUNSC
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/abi/linux/misc.h"
#include "common/util.h"
#include "tests/gofer/harness.h"

static const char *g_runsc;
static char *g_tmp;

static int group_setup(void **state)
{
	g_tmp = harness_tmpdir("gofer_robust");
	if (!g_tmp)
		return -1;
	char p[1024];
	snprintf(p, sizeof(p), "%s/fifo", g_tmp);
	if (mkfifo(p, 0600) < 0)
		return -1;
	snprintf(p, sizeof(p), "%s/file", g_tmp);
	return harness_write_file(p, "data");
}

static int group_teardown(void **state)
{
	harness_rmtree(g_tmp);
	free(g_tmp);
	return 0;
}

static struct gofer_client *start(struct gofer_proc *p, uint64_t *root)
{
	struct gofer_client *c;
	const char *mounts[] = { g_tmp };
	assert_int_equal(harness_start_client(g_runsc, mounts, 1, p, &c), 0);
	struct gofer_node n;
	uint32_t flags;
	assert_int_equal(gofer_client_mount(c, 0, &n, &flags), 0);
	*root = n.id;
	return c;
}

static uint64_t walk1(struct gofer_client *c, uint64_t dir, const char *name)
{
	struct gofer_node n;
	uint32_t count, status;
	assert_int_equal(gofer_client_walk(c, dir, &name, 1, &n, &count, &status), 0);
	assert_int_equal(count, 1);
	return n.id;
}

struct blocked_open {
	struct gofer_client *c;
	uint64_t id;
	int result;
	bool done;
};

static void *open_thread(void *arg)
{
	struct blocked_open *b = arg;
	b->result = gofer_client_open(b->c, b->id, LINUX_O_RDONLY);
	__atomic_store_n(&b->done, true, __ATOMIC_RELEASE);
	return NULL;
}

/* An open of a FIFO with no writer blocks its channel, and only its channel. */
static void test_blocked_channel(void **state)
{
	struct gofer_proc p;
	uint64_t root;
	struct gofer_client *c = start(&p, &root), *slow;
	assert_int_equal(gofer_client_channel(c, &slow), 0);
	struct blocked_open b = { .c = slow, .id = walk1(c, root, "fifo") };
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, open_thread, &b), 0);
	usleep(200 * 1000); /* let it reach the gofer and block there */

	/* Were the channels not independent, these would wait on the blocked open (and the
	 * test would end on its meson timeout). */
	for (int i = 0; i < 50; i++) {
		struct linux_statx sx;
		uint64_t id = walk1(c, root, "file");
		assert_int_equal(gofer_client_stat(c, id, &sx), 0);
		int fd = gofer_client_open(c, id, LINUX_O_RDONLY);
		assert_true(fd >= 0);
		close(fd);
		assert_int_equal(gofer_client_close(c, &id, 1), 0);
	}
	assert_false(__atomic_load_n(&b.done, __ATOMIC_ACQUIRE));

	/* A writer releases the blocked open. */
	char path[1024];
	snprintf(path, sizeof(path), "%s/fifo", g_tmp);
	int w = open(path, O_WRONLY | O_CLOEXEC);
	assert_true(w >= 0);
	pthread_join(t, NULL);
	assert_true(b.result >= 0);
	assert_int_equal(write(w, "z", 1), 1);
	char ch;
	assert_int_equal(read(b.result, &ch, 1), 1);
	assert_int_equal(ch, 'z');
	close(b.result);
	close(w);

	gofer_client_free(slow);
	gofer_client_free(c);
	int status = harness_wait(&p, 10000);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

struct worker {
	struct gofer_client *c;
	uint64_t root;
	int index;
	int failures;
};

static void *worker_thread(void *arg)
{
	struct worker *w = arg;
	char name[32];
	for (int i = 0; i < 40; i++) {
		struct gofer_node n;
		snprintf(name, sizeof(name), "w%d-%d", w->index, i);
		int fd = gofer_client_create(w->c, w->root, name, LINUX_O_WRONLY, 0644,
		                             GOFER_ID_KEEP, GOFER_ID_KEEP, &n);
		if (fd < 0) {
			w->failures++;
			continue;
		}
		close(fd);
		struct linux_statx sx;
		if (gofer_client_stat(w->c, n.id, &sx) < 0 || sx.ino != n.stat.ino)
			w->failures++;
		if (gofer_client_close(w->c, &n.id, 1) < 0)
			w->failures++;
		if (gofer_client_unlink(w->c, w->root, name, 0) < 0)
			w->failures++;
	}
	return NULL;
}

/* Threads on channels of their own, and two threads sharing one channel. */
static void test_many_channels(void **state)
{
	enum { N = 6 };
	struct gofer_proc p;
	uint64_t root;
	struct gofer_client *c = start(&p, &root), *chans[N];
	struct worker w[N + 1];
	pthread_t t[N + 1];
	for (int i = 0; i < N; i++)
		assert_int_equal(gofer_client_channel(c, &chans[i]), 0);
	for (int i = 0; i <= N; i++) {
		w[i] = (struct worker){ .c = i < N ? chans[i] : chans[0],
			                .root = root,
			                .index = i };
		assert_int_equal(pthread_create(&t[i], NULL, worker_thread, &w[i]), 0);
	}
	for (int i = 0; i <= N; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(w[i].failures, 0);
	}
	for (int i = 0; i < N; i++)
		gofer_client_free(chans[i]);
	gofer_client_free(c);
	int status = harness_wait(&p, 10000);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* Sends len raw bytes on sock (with fd, if >= 0) and expects R_ERROR with err. */
static void expect_error(int sock, const void *msg, size_t len, int fd, uint32_t err)
{
	static uint8_t buf[GOFER_MSG_MAX];
	int fds[2];
	unsigned nfds;
	assert_int_equal(gofer_send(sock, msg, len, &fd, fd >= 0 ? 1 : 0), 0);
	ssize_t n = gofer_recv(sock, buf, sizeof(buf), fds, 2, &nfds, 0);
	assert_true(n > 0);
	assert_int_equal(nfds, 0);
	struct gofer_msg r;
	assert_int_equal(gofer_decode(buf, (size_t)n, &r), 0);
	assert_int_equal(r.id, GOFER_R_ERROR);
	assert_int_equal(r.r_error.err, err);
}

static void test_malformed(void **state)
{
	static uint8_t msg[GOFER_MSG_MAX + 16];
	struct gofer_proc p;
	const char *mounts[] = { g_tmp };
	assert_int_equal(harness_start(g_runsc, mounts, 1, &p), 0);

	/* Shorter than a header; an empty datagram; random bytes. */
	expect_error(p.sock, "abc", 3, -1, EINVAL);
	expect_error(p.sock, "", 0, -1, EINVAL);
	for (size_t i = 0; i < 64; i++)
		msg[i] = (uint8_t)(i * 37 + 11);
	expect_error(p.sock, msg, 64, -1, EINVAL);

	/* A valid T_STAT, then variants of it. */
	struct gofer_msg t = { .id = GOFER_T_STAT, .tag = 77, .t_node.id = 1 };
	ssize_t len = gofer_encode(msg, sizeof(msg), &t);
	assert_true(len > 0);
	expect_error(p.sock, msg, (size_t)len - 1, -1, EINVAL); /* truncated */
	msg[4] = 200;                                           /* unknown id */
	expect_error(p.sock, msg, (size_t)len, -1, ENOSYS);
	msg[4] = GOFER_R_STAT; /* a reply sent as a request */
	expect_error(p.sock, msg, (size_t)len, -1, EINVAL);
	msg[4] = GOFER_T_STAT;
	expect_error(p.sock, msg, (size_t)len, dup(STDERR_FILENO), EINVAL); /* with an fd */
	/* Larger than any message: the gofer reads it truncated. */
	memset(msg + len, 0, sizeof(msg) - (size_t)len);
	uint32_t big = GOFER_MSG_MAX + 16;
	memcpy(msg, &big, 4);
	expect_error(p.sock, msg, big, -1, EINVAL);
	/* A walk with ".." in it, hand-made (the encoder refuses it). */
	uint8_t walk[] = { 0,   0,   0, 0, GOFER_T_WALK,
		           0,   0,   0, 1, 0,
		           0,   0,   0, 0, 0,
		           0,   1,   0, 0, 0,
		           0,   0,   0, 0, 1,
		           0,   0,   0, 2, 0,
		           '.', '.', 0 };
	walk[0] = sizeof(walk);
	expect_error(p.sock, walk, sizeof(walk), -1, EINVAL);

	/* The channel still serves. */
	struct gofer_client *c;
	assert_int_equal(gofer_client_new(p.sock, &c), 0);
	p.sock = -1;
	struct gofer_node n;
	uint32_t flags;
	assert_int_equal(gofer_client_mount(c, 0, &n, &flags), 0);
	struct gofer_msg r;
	assert_int_equal(gofer_client_raw(c, "junk", 4, &r), 0);
	assert_int_equal(r.id, GOFER_R_ERROR);
	assert_int_equal(gofer_client_stat(c, n.id, &n.stat), 0);
	gofer_client_free(c);
	int status = harness_wait(&p, 10000);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* Kills the gofer: every call on every channel returns -EIO, none hangs. */
static void test_server_death(void **state)
{
	struct gofer_proc p;
	uint64_t root;
	struct gofer_client *c = start(&p, &root), *other, *slow;
	assert_int_equal(gofer_client_channel(c, &other), 0);
	assert_int_equal(gofer_client_channel(c, &slow), 0);
	uint64_t file = walk1(c, root, "file");
	struct blocked_open b = { .c = slow, .id = walk1(c, root, "fifo") };
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, open_thread, &b), 0);
	usleep(200 * 1000);

	alarm(60); /* a hang fails the test instead of stalling the suite */
	assert_int_equal(kill(p.pid, SIGKILL), 0);
	int status = harness_wait(&p, 10000);
	assert_true(WIFSIGNALED(status));
	pthread_join(t, NULL);
	assert_int_equal(b.result, -EIO);

	struct gofer_client *cs[] = { c, other };
	for (size_t i = 0; i < ARRAY_SIZE(cs); i++) {
		struct gofer_client *k = cs[i];
		struct gofer_node n;
		struct linux_statx sx;
		struct linux_statfs sf;
		struct gofer_setstat a = { .mask = GOFER_SETSTAT_MODE };
		uint32_t u32, u32b;
		char buf[64];
		const char *name = "x";
		struct gofer_client *nc;
		struct gofer_msg r;
		assert_int_equal(gofer_client_mount(k, 0, &n, &u32), -EIO);
		assert_int_equal(gofer_client_walk(k, root, &name, 1, &n, &u32, &u32b), -EIO);
		assert_int_equal(gofer_client_stat(k, file, &sx), -EIO);
		assert_int_equal(gofer_client_open(k, file, LINUX_O_RDONLY), -EIO);
		assert_int_equal(gofer_client_create(k, root, "x", 0, 0644, GOFER_ID_KEEP,
		                                     GOFER_ID_KEEP, &n),
		                 -EIO);
		assert_int_equal(gofer_client_mkdir(k, root, "x", 0, 0, 0, &n), -EIO);
		assert_int_equal(gofer_client_mknod(k, root, "x", 0, 0, 0, 0, 0, &n), -EIO);
		assert_int_equal(gofer_client_symlink(k, root, "x", "y", 0, 0, &n), -EIO);
		assert_int_equal(gofer_client_link(k, root, "x", file, &n), -EIO);
		assert_int_equal(gofer_client_unlink(k, root, "x", 0), -EIO);
		assert_int_equal(gofer_client_rename(k, root, "x", root, "y", 0), -EIO);
		assert_int_equal(gofer_client_readlink(k, file, buf, sizeof(buf)), -EIO);
		assert_int_equal(gofer_client_getdents(k, root, 0, buf, sizeof(buf)), -EIO);
		assert_int_equal(gofer_client_setstat(k, file, &a, NULL), -EIO);
		assert_int_equal(gofer_client_statfs(k, root, &sf), -EIO);
		assert_int_equal(gofer_client_getxattr(k, file, "user.a", buf, sizeof(buf)), -EIO);
		assert_int_equal(gofer_client_setxattr(k, file, "user.a", "v", 1, 0), -EIO);
		assert_int_equal(gofer_client_listxattr(k, file, buf, sizeof(buf)), -EIO);
		assert_int_equal(gofer_client_removexattr(k, file, "user.a"), -EIO);
		assert_int_equal(gofer_client_bind(k, root, "s", SOCK_STREAM, &n), -EIO);
		assert_int_equal(gofer_client_connect(k, file, SOCK_STREAM), -EIO);
		assert_int_equal(gofer_client_close(k, &file, 1), -EIO);
		assert_int_equal(gofer_client_channel(k, &nc), -EIO);
		assert_int_equal(gofer_client_raw(k, "junk", 4, &r), -EIO);
		assert_true(gofer_client_dead(k));
	}
	alarm(0);
	gofer_client_free(slow);
	gofer_client_free(other);
	gofer_client_free(c);
}

static int run_status(const char *const *argv)
{
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, STDERR_FILENO);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	int status;
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_command_line(void **state)
{
	const char *no_fd[] = { g_runsc, "gofer", "--mount", g_tmp, NULL };
	const char *bad_fd[] = { g_runsc, "gofer", "--socket-fd", "x", "--mount", g_tmp, NULL };
	const char *no_dir[] = { g_runsc,   "gofer",        "--socket-fd", "0",
		                 "--mount", "/nonexistent", NULL };
	const char *extra[] = { g_runsc, "gofer", "--socket-fd", "0", "arg", NULL };
	assert_int_equal(run_status(no_fd), 2);
	assert_int_equal(run_status(bad_fd), 2);
	assert_int_equal(run_status(no_dir), 1);
	assert_int_equal(run_status(extra), 2);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s PATH_TO_RUNSC\n", argv[0]);
		return 2;
	}
	g_runsc = argv[1];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blocked_channel), cmocka_unit_test(test_many_channels),
		cmocka_unit_test(test_malformed),       cmocka_unit_test(test_server_death),
		cmocka_unit_test(test_command_line),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
