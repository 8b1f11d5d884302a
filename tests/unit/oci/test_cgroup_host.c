/*
 * common/oci/cgroup on this host's real cgroups. Needs root and writable
 * cgroupfs; exits 77 (meson's "skipped") otherwise.
 *
 * test_host_lifecycle uses the host's own layout (v1, hybrid, or v2) with a
 * relative cgroupsPath, so the cgroup lands under the test's own cgroup
 * (and any memory limit the test runs under still applies to it):
 * create, memory limit 64 MiB and pids limit 10 (read back from the files,
 * and the pids limit seen refusing a fork), a child moved in, freeze (the
 * child makes no progress: the counter pipe stays empty; the state reads
 * FROZEN) and thaw (it writes again), the process list, statistics, an
 * update that raises then lowers memory and swap (which fails in the wrong
 * order), and destroy with kill: the children die of SIGKILL and no
 * directory is left.
 *
 * test_cgroup2_mount points the library at a cgroup2 mount as if the host
 * were pure v2: /sys/fs/cgroup on a v2 host, /sys/fs/cgroup/unified on a
 * hybrid one (the same hierarchy a private `mount -t cgroup2` would give).
 * On a hybrid host most controllers belong to v1, so that tests the v2
 * paths that need none (cgroup.procs, cgroup.freeze and cgroup.events,
 * cgroup.kill, cpu.stat, subtree_control) plus whichever controllers it has
 * (hugetlb here); a limit of a controller it lacks must fail naming it. The
 * root's cgroup.subtree_control is put back as it was.
 *
 * No timing assertions: "no progress while frozen" is a 200 ms window in
 * which a running child would write about 200 bytes and a frozen one none;
 * waits for progress are bounded only by the test's timeout.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/oci/cgroup.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

static struct cgroup *g_cg;
static pid_t g_children[4];
static int g_nchildren;
static char g_v2_mount[64];
static char g_saved_subtree[512];

/* ---- Helpers ---- */

static const char *read_in(const char *dir, const char *file)
{
	static char buf[4096];
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return "(unreadable)";
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n < 0 ? 0 : n] = '\0';
	return buf;
}

static void write_in(const char *dir, const char *file, const char *value)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY);
	if (fd >= 0) {
		if (write(fd, value, strlen(value)) < 0) {
			/* best effort: restoring state */
		}
		close(fd);
	}
}

static json_t *parse(const char *text)
{
	json_error_t jerr;
	json_t *v = json_loads(text, 0, &jerr);

	assert_non_null(v);
	return v;
}

static int apply(const char *text, char *err, size_t errlen)
{
	json_t *res = parse(text);
	int ret = cgroup_apply(g_cg, res, err, errlen);

	json_decref(res);
	return ret;
}

struct counter {
	pid_t pid;
	int go_w;   /* write a byte: start counting */
	int prog_r; /* one byte per step, non-blocking */
};

/* A child that, once told, writes a byte to a pipe every millisecond. */
static struct counter spawn_counter(void)
{
	struct counter c;
	int go[2], prog[2];

	assert_int_equal(pipe2(go, O_CLOEXEC), 0);
	assert_int_equal(pipe2(prog, O_CLOEXEC), 0);
	c.pid = fork();
	assert_true(c.pid >= 0);
	if (c.pid == 0) {
		char ch;
		close(go[1]);
		close(prog[0]);
		if (read(go[0], &ch, 1) != 1)
			_exit(1);
		for (;;) {
			if (write(prog[1], "x", 1) < 0)
				_exit(2);
			usleep(1000);
		}
	}
	g_children[g_nchildren++] = c.pid;
	close(go[0]);
	close(prog[1]);
	c.go_w = go[1];
	c.prog_r = prog[0];
	fcntl(c.prog_r, F_SETFL, O_NONBLOCK);
	return c;
}

static void drain(int fd)
{
	char buf[4096];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

/* Whether the child writes anything within ms. */
static bool progresses(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) > 0;
}

static bool pids_contain(pid_t pid)
{
	pid_t *pids;
	size_t count;
	bool found = false;
	char err[256];

	assert_int_equal(cgroup_pids(g_cg, &pids, &count, err, sizeof(err)), 0);
	for (size_t i = 0; i < count; i++)
		found |= pids[i] == pid;
	free(pids);
	return found;
}

/* Checks every directory the cgroup had is gone. */
static void assert_all_removed(json_t *saved)
{
	const char *key;
	json_t *v;

	json_object_foreach(json_object_get(saved, "paths"), key, v)
	{
		if (access(json_string_value(v), F_OK) == 0)
			fail_msg("%s is left behind", json_string_value(v));
	}
}

static void reap_killed(pid_t pid)
{
	int status;

	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
	for (int i = 0; i < g_nchildren; i++)
		if (g_children[i] == pid)
			g_children[i] = 0;
}

/* After a failed assertion too: no process or cgroup is left. */
static int teardown(void **state)
{
	for (int i = 0; i < g_nchildren; i++) {
		if (g_children[i] > 0) {
			kill(g_children[i], SIGKILL);
			waitpid(g_children[i], NULL, 0);
		}
	}
	g_nchildren = 0;
	if (g_cg) {
		cgroup_destroy(g_cg, true, NULL, 0);
		cgroup_close(g_cg);
		g_cg = NULL;
	}
	if (g_saved_subtree[0] != '\0') {
		/* Disable what cgroup_create enabled in the root. */
		char now[512], *save;
		snprintf(now, sizeof(now), "%s", read_in(g_v2_mount, "cgroup.subtree_control"));
		for (char *c = strtok_r(now, " \n", &save); c; c = strtok_r(NULL, " \n", &save)) {
			char minus[64];
			if (strstr(g_saved_subtree, c))
				continue;
			snprintf(minus, sizeof(minus), "-%s", c);
			write_in(g_v2_mount, "cgroup.subtree_control", minus);
		}
		g_saved_subtree[0] = '\0';
	}
	return 0;
}

/* ---- Tests ---- */

static void test_host_lifecycle(void **state)
{
	char path[64], err[512];
	enum cgroup_freezer_state fs;
	struct counter c, forker;
	json_t *stats, *saved;
	int fork_result[2];
	const char *mem, *pids;
	bool v1;

	snprintf(path, sizeof(path), "runsc-test-%d", (int)getpid());
	assert_int_equal(cgroup_open(path, "unused", &g_cg, err, sizeof(err)), 0);
	v1 = cgroup_version(g_cg) == CGROUP_V1;
	assert_int_equal(cgroup_create(g_cg, err, sizeof(err)), 0);
	assert_int_equal(apply("{\"memory\":{\"limit\":67108864},\"pids\":{\"limit\":10}}", err,
	                       sizeof(err)),
	                 0);
	mem = cgroup_dir(g_cg, "memory");
	pids = cgroup_dir(g_cg, "pids");
	assert_non_null(mem);
	assert_non_null(pids);
	assert_string_equal(read_in(mem, v1 ? "memory.limit_in_bytes" : "memory.max"),
	                    "67108864\n");
	assert_string_equal(read_in(pids, "pids.max"), "10\n");

	/* A child moved in before it starts; it must show up in every list. */
	c = spawn_counter();
	assert_int_equal(cgroup_add_pid(g_cg, c.pid, err, sizeof(err)), 0);
	assert_true(pids_contain(c.pid));
	assert_int_equal(write(c.go_w, "g", 1), 1);
	assert_true(progresses(c.prog_r, 30000));

	/* Freeze: no progress, state FROZEN. Thaw: progress again. */
	assert_int_equal(cgroup_freeze(g_cg, true, err, sizeof(err)), 0);
	assert_int_equal(cgroup_state(g_cg, &fs, err, sizeof(err)), 0);
	assert_int_equal(fs, CGROUP_FROZEN);
	if (v1)
		assert_string_equal(read_in(cgroup_dir(g_cg, "freezer"), "freezer.state"),
		                    "FROZEN\n");
	drain(c.prog_r);
	assert_false(progresses(c.prog_r, 200));
	assert_int_equal(cgroup_freeze(g_cg, false, err, sizeof(err)), 0);
	assert_int_equal(cgroup_state(g_cg, &fs, err, sizeof(err)), 0);
	assert_int_equal(fs, CGROUP_THAWED);
	assert_true(progresses(c.prog_r, 30000));

	/* The pids limit holds: a child that forks 20 times gets EAGAIN. */
	assert_int_equal(pipe2(fork_result, O_CLOEXEC), 0);
	forker.pid = fork();
	assert_true(forker.pid >= 0);
	if (forker.pid == 0) {
		int n = 0, e = 0;
		kill(getpid(), SIGSTOP); /* until the parent has moved us */
		for (; n < 20; n++) {
			pid_t p = fork();
			if (p < 0) {
				e = errno;
				break;
			}
			if (p == 0) {
				pause();
				_exit(0);
			}
		}
		int report[2] = { n, e };
		if (write(fork_result[1], report, sizeof(report)) < 0)
			_exit(3);
		pause();
		_exit(0);
	}
	g_children[g_nchildren++] = forker.pid;
	close(fork_result[1]);
	assert_int_equal(waitpid(forker.pid, NULL, WUNTRACED), forker.pid);
	assert_int_equal(cgroup_add_pid(g_cg, forker.pid, err, sizeof(err)), 0);
	kill(forker.pid, SIGCONT);
	int report[2];
	assert_int_equal(read(fork_result[0], report, sizeof(report)), sizeof(report));
	close(fork_result[0]);
	assert_true(report[0] < 20);
	assert_int_equal(report[1], EAGAIN);

	/* Statistics in runc's shape. */
	assert_int_equal(cgroup_stats(g_cg, &stats, err, sizeof(err)), 0);
	assert_true(json_integer_value(
	                    json_object_get(json_object_get(stats, "pids"), "current")) >= 2);
	assert_int_equal(
	        json_integer_value(json_object_get(json_object_get(stats, "pids"), "limit")), 10);
	assert_int_equal(
	        json_integer_value(json_object_get(
	                json_object_get(json_object_get(stats, "memory"), "usage"), "limit")),
	        67108864);
	json_decref(stats);

	/* Updates: raise and then lower memory with swap. Each needs the
	 * right order of the two writes, or the kernel refuses (v1). */
	assert_int_equal(apply("{\"pids\":{\"limit\":20}}", err, sizeof(err)), 0);
	assert_string_equal(read_in(pids, "pids.max"), "20\n");
	/* (only with swap accounting, which the host may not have) */
	if (strcmp(read_in(mem, v1 ? "memory.memsw.limit_in_bytes" : "memory.swap.max"),
	           "(unreadable)") != 0) {
		assert_int_equal(apply("{\"memory\":{\"limit\":67108864,\"swap\":67108864}}", err,
		                       sizeof(err)),
		                 0);
		assert_int_equal(apply("{\"memory\":{\"limit\":134217728,\"swap\":268435456}}", err,
		                       sizeof(err)),
		                 0);
		assert_string_equal(read_in(mem, v1 ? "memory.limit_in_bytes" : "memory.max"),
		                    "134217728\n");
		assert_int_equal(apply("{\"memory\":{\"limit\":33554432,\"swap\":67108864}}", err,
		                       sizeof(err)),
		                 0);
		assert_string_equal(read_in(mem, v1 ? "memory.limit_in_bytes" : "memory.max"),
		                    "33554432\n");
		if (v1)
			assert_string_equal(read_in(mem, "memory.memsw.limit_in_bytes"),
			                    "67108864\n");
	}

	/* Destroy with kill: every process dies, no directory is left. */
	saved = cgroup_to_json(g_cg);
	assert_int_equal(cgroup_destroy(g_cg, true, err, sizeof(err)), 0);
	reap_killed(c.pid);
	reap_killed(forker.pid);
	assert_all_removed(saved);
	json_decref(saved);
	close(c.go_w);
	close(c.prog_r);
	cgroup_close(g_cg);
	g_cg = NULL;
}

static void test_cgroup2_mount(void **state)
{
	struct cgroup_layout *l;
	enum cgroup_freezer_state fs;
	char path[64], err[512], expect[PATH_MAX + 128];
	const char *dir;
	struct counter c;
	json_t *stats, *saved;
	struct statfs st;

	if (statfs("/sys/fs/cgroup", &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC)
		snprintf(g_v2_mount, sizeof(g_v2_mount), "/sys/fs/cgroup");
	else if (statfs("/sys/fs/cgroup/unified", &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC)
		snprintf(g_v2_mount, sizeof(g_v2_mount), "/sys/fs/cgroup/unified");
	else
		skip();
	snprintf(g_saved_subtree, sizeof(g_saved_subtree), " %s",
	         read_in(g_v2_mount, "cgroup.subtree_control"));

	l = cgroup_layout_new(CGROUP_V2);
	assert_int_equal(cgroup_layout_add(l, g_v2_mount, "", "/"), 0);
	snprintf(path, sizeof(path), "/runsc-test-v2-%d", (int)getpid());
	assert_int_equal(cgroup_open_layout(l, path, "unused", &g_cg, err, sizeof(err)), 0);
	cgroup_layout_free(l);
	assert_int_equal(cgroup_create(g_cg, err, sizeof(err)), 0);
	dir = cgroup_dir(g_cg, "");
	assert_int_equal(access(dir, F_OK), 0);

	c = spawn_counter();
	assert_int_equal(cgroup_add_pid(g_cg, c.pid, err, sizeof(err)), 0);
	assert_true(pids_contain(c.pid));
	assert_int_equal(write(c.go_w, "g", 1), 1);
	assert_true(progresses(c.prog_r, 30000));

	assert_int_equal(cgroup_freeze(g_cg, true, err, sizeof(err)), 0);
	assert_non_null(strstr(read_in(dir, "cgroup.events"), "frozen 1\n"));
	assert_int_equal(cgroup_state(g_cg, &fs, err, sizeof(err)), 0);
	assert_int_equal(fs, CGROUP_FROZEN);
	drain(c.prog_r);
	assert_false(progresses(c.prog_r, 200));
	assert_int_equal(cgroup_freeze(g_cg, false, err, sizeof(err)), 0);
	assert_non_null(strstr(read_in(dir, "cgroup.events"), "frozen 0\n"));
	assert_int_equal(cgroup_state(g_cg, &fs, err, sizeof(err)), 0);
	assert_int_equal(fs, CGROUP_THAWED);
	assert_true(progresses(c.prog_r, 30000));

	/* Limits of the controllers this hierarchy has; an error for the others. */
	char controllers[256];
	snprintf(controllers, sizeof(controllers), " %s", read_in(dir, "cgroup.controllers"));
	if (strstr(controllers, " hugetlb") &&
	    access("/sys/kernel/mm/hugepages/hugepages-2048kB", F_OK) == 0) {
		assert_int_equal(apply("{\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":"
		                       "2097152}]}",
		                       err, sizeof(err)),
		                 0);
		assert_string_equal(read_in(dir, "hugetlb.2MB.max"), "2097152\n");
	}
	if (strstr(controllers, " pids")) {
		assert_int_equal(apply("{\"pids\":{\"limit\":10}}", err, sizeof(err)), 0);
		assert_string_equal(read_in(dir, "pids.max"), "10\n");
	} else {
		assert_int_equal(apply("{\"pids\":{\"limit\":10}}", err, sizeof(err)), -ENOENT);
		snprintf(expect, sizeof(expect),
		         "linux.resources.pids.limit: write 10 to %s/pids.max: No such file or "
		         "directory (the pids controller is not enabled in this cgroup)",
		         dir);
		assert_string_equal(err, expect);
	}

	assert_int_equal(cgroup_stats(g_cg, &stats, err, sizeof(err)), 0);
	assert_non_null(
	        json_object_get(json_object_get(json_object_get(stats, "cpu"), "usage"), "kernel"));
	json_decref(stats);

	saved = cgroup_to_json(g_cg);
	assert_int_equal(cgroup_destroy(g_cg, true, err, sizeof(err)), 0);
	reap_killed(c.pid);
	assert_all_removed(saved);
	json_decref(saved);
	close(c.go_w);
	close(c.prog_r);
	cgroup_close(g_cg);
	g_cg = NULL;
}

/* Whether we may create cgroups here at all. */
static bool cgroups_writable(void)
{
	struct cgroup *cg;
	char path[64], err[256];
	bool ok;

	if (geteuid() != 0)
		return false;
	snprintf(path, sizeof(path), "runsc-probe-%d", (int)getpid());
	if (cgroup_open(path, "probe", &cg, err, sizeof(err)) != 0)
		return false;
	ok = cgroup_create(cg, err, sizeof(err)) == 0;
	cgroup_destroy(cg, false, NULL, 0);
	cgroup_close(cg);
	return ok;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_host_lifecycle, teardown),
		cmocka_unit_test_teardown(test_cgroup2_mount, teardown),
	};

	if (!cgroups_writable()) {
		fprintf(stderr, "skipped: needs root and writable cgroups\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
