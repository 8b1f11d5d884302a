/*
 * Unit tests for common/oci/cgroup on fake trees: no root, no cgroupfs.
 *
 * The layout parser reads mountinfo and /proc/self/cgroup texts (this
 * machine's hybrid v1 ones, a pure v2 one, co-mounted controllers, a mount
 * whose root is not "/"). Path resolution and the saved JSON use hand-made
 * layouts. Resources, the freezer, process lists and statistics run on a
 * temporary directory laid out as cgroupfs would be, with the control files
 * as regular files: each test checks what was written to them (the last
 * write of a file, since a regular file keeps only that). What only a real
 * kernel shows (write order, limits enforced, freezing) is in
 * test_cgroup_host.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/oci/cgroup.h"

static char g_root[] = "/tmp/runsc-cgroup-XXXXXX";

/* ---- Fake tree helpers ---- */

static void mkdir_p(const char *path)
{
	char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(buf, 0755);
			*p = '/';
		}
	}
	mkdir(buf, 0755);
}

/* Writes g_root/rel (making its directories). */
static void put_file(const char *rel, const char *content)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", g_root, rel);
	*strrchr(path, '/') = '\0';
	mkdir_p(path);
	snprintf(path, sizeof(path), "%s/%s", g_root, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

static const char *get_file(const char *rel)
{
	static char buf[4096];
	char path[PATH_MAX];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", g_root, rel);
	f = fopen(path, "r");
	if (!f)
		return "(missing)";
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

static char *fake(const char *rel)
{
	static char bufs[16][PATH_MAX];
	static int next;
	char *b = bufs[next++ % 16];

	snprintf(b, PATH_MAX, "%s/%s", g_root, rel);
	return b;
}

static int remove_all(const char *path)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	return system(cmd);
}

static int setup(void **state)
{
	return mkdtemp(g_root) ? 0 : -1;
}

static int teardown(void **state)
{
	return remove_all(g_root) == 0 ? 0 : -1;
}

static json_t *parse(const char *text)
{
	json_error_t jerr;
	json_t *v = json_loads(text, 0, &jerr);

	if (!v)
		fail_msg("bad test JSON: %s: %s", text, jerr.text);
	return v;
}

/* cgroup_apply of a JSON text; returns its result, message in err. */
static int apply(struct cgroup *cg, const char *text, char *err, size_t errlen)
{
	json_t *res = parse(text);
	int ret = cgroup_apply(cg, res, err, errlen);

	json_decref(res);
	return ret;
}

/* ---- Layout ---- */

/* This machine's /proc/self/mountinfo (hybrid) and /proc/self/cgroup. */
static const char g_hybrid_mountinfo[] =
        "23 1 259:1 / / rw,relatime - ext4 /dev/vda rw\n"
        "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
        "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
        "33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
        "34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset\n"
        "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
        "36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices\n"
        "37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer\n"
        "38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio\n"
        "39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
        "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
        "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
static const char g_hybrid_self[] = "9:name=systemd:/\n8:pids:/\n7:blkio:/\n6:freezer:/\n"
                                    "5:devices:/\n4:memory:/process_api/be2c\n3:cpuset:/\n"
                                    "2:cpuacct:/\n1:cpu:/\n0::/\n";

static void test_layout_hybrid(void **state)
{
	static const char *const expect[] = { "cpu",          "cpuacct", "cpuset", "memory",
		                              "devices",      "freezer", "blkio",  "pids",
		                              "name=systemd", "" };
	struct cgroup_layout *l;
	char err[256];

	assert_int_equal(
	        cgroup_layout_parse(g_hybrid_mountinfo, g_hybrid_self, false, &l, err, sizeof(err)),
	        0);
	assert_int_equal(l->version, CGROUP_V1);
	assert_int_equal(l->count, 10);
	for (size_t i = 0; i < l->count; i++)
		assert_string_equal(l->hierarchies[i].controllers, expect[i]);
	assert_string_equal(l->hierarchies[3].mountpoint, "/sys/fs/cgroup/memory");
	assert_string_equal(l->hierarchies[3].own_path, "/process_api/be2c");
	assert_string_equal(l->hierarchies[0].own_path, "/");
	assert_string_equal(l->hierarchies[9].mountpoint, "/sys/fs/cgroup/unified");
	assert_string_equal(l->hierarchies[9].own_path, "/");
	cgroup_layout_free(l);
}

static void test_layout_v2(void **state)
{
	static const char mi[] = "23 1 259:1 / / rw - ext4 /dev/vda rw\n"
	                         "30 23 0:26 / /sys/fs/cgroup rw,nosuid shared:4 - cgroup2 cgroup2 "
	                         "rw,nsdelegate,memory_recursiveprot\n";
	struct cgroup_layout *l;
	char err[256];

	assert_int_equal(cgroup_layout_parse(mi, "0::/user.slice/session-1.scope\n", true, &l, err,
	                                     sizeof(err)),
	                 0);
	assert_int_equal(l->version, CGROUP_V2);
	assert_int_equal(l->count, 1);
	assert_string_equal(l->hierarchies[0].mountpoint, "/sys/fs/cgroup");
	assert_string_equal(l->hierarchies[0].controllers, "");
	assert_string_equal(l->hierarchies[0].own_path, "/user.slice/session-1.scope");
	cgroup_layout_free(l);
}

static void test_layout_comounted_and_mount_root(void **state)
{
	/* Inside a container: the hierarchies are mounted from /docker/abc, and
	 * the memory one twice (the first mount counts); a space in a path. */
	static const char mi[] =
	        "50 40 0:30 /docker/abc /sys/fs/cgroup/cpu,cpuacct ro - cgroup cgroup "
	        "rw,cpu,cpuacct\n"
	        "51 40 0:31 /docker/abc /sys/fs/cgroup/memory ro - cgroup cgroup rw,memory\n"
	        "52 40 0:31 /docker/abc /mnt/mem\\040copy rw - cgroup cgroup rw,memory\n"
	        "53 40 0:32 / /odd\\040place rw - cgroup cgroup rw,xattr,name=systemd\n";
	static const char self[] = "3:cpuacct,cpu:/docker/abc/sub\n2:memory:/elsewhere\n"
	                           "1:name=systemd:/a b\n";
	struct cgroup_layout *l;
	char err[256];

	assert_int_equal(cgroup_layout_parse(mi, self, false, &l, err, sizeof(err)), 0);
	assert_int_equal(l->count, 3);
	assert_string_equal(l->hierarchies[0].controllers, "cpu,cpuacct");
	assert_string_equal(l->hierarchies[0].mountpoint, "/sys/fs/cgroup/cpu,cpuacct");
	assert_string_equal(l->hierarchies[0].own_path, "/sub");
	assert_string_equal(l->hierarchies[1].mountpoint, "/sys/fs/cgroup/memory");
	assert_null(l->hierarchies[1].own_path); /* not visible through the mount */
	assert_string_equal(l->hierarchies[2].controllers, "name=systemd");
	assert_string_equal(l->hierarchies[2].mountpoint, "/odd place");
	assert_string_equal(l->hierarchies[2].own_path, "/a b");
	cgroup_layout_free(l);
}

static void test_layout_none(void **state)
{
	struct cgroup_layout *l;
	char err[256];

	assert_int_equal(cgroup_layout_parse("23 1 259:1 / / rw - ext4 /dev/vda rw\n", "0::/\n",
	                                     false, &l, err, sizeof(err)),
	                 -ENOENT);
	assert_null(l);
	assert_string_equal(err, "cgroup: no cgroup hierarchy is mounted");
}

static void test_layout_detect_here(void **state)
{
	/* Whatever this host has, detection must describe it consistently. */
	struct cgroup_layout *l;
	char err[256];

	if (cgroup_layout_detect(&l, err, sizeof(err)) != 0)
		skip();
	assert_true(l->count >= 1);
	for (size_t i = 0; i < l->count; i++)
		assert_int_equal(access(l->hierarchies[i].mountpoint, F_OK), 0);
	cgroup_layout_free(l);
}

/* ---- Paths ---- */

static struct cgroup_layout *v1_layout(void)
{
	struct cgroup_layout *l = cgroup_layout_new(CGROUP_V1);

	assert_int_equal(cgroup_layout_add(l, "/cg/memory", "memory", "/user/1"), 0);
	assert_int_equal(cgroup_layout_add(l, "/cg/cpu,cpuacct", "cpu,cpuacct", "/"), 0);
	assert_int_equal(cgroup_layout_add(l, "/cg/unified", "", "/"), 0);
	return l;
}

static void expect_dirs(struct cgroup_layout *l, const char *path, const char *id,
                        const char *memory, const char *cpu)
{
	struct cgroup *cg;
	char err[256];

	assert_int_equal(cgroup_open_layout(l, path, id, &cg, err, sizeof(err)), 0);
	assert_string_equal(cgroup_dir(cg, "memory"), memory);
	assert_string_equal(cgroup_dir(cg, "cpuacct"), cpu);
	assert_string_equal(cgroup_dir(cg, "cpu"), cpu);
	assert_null(cgroup_dir(cg, "pids"));
	cgroup_close(cg);
}

static void test_paths_v1(void **state)
{
	struct cgroup_layout *l = v1_layout();
	struct cgroup *cg;
	char err[256];

	expect_dirs(l, "/runsc/c1", "c1", "/cg/memory/runsc/c1", "/cg/cpu,cpuacct/runsc/c1");
	expect_dirs(l, "runsc/c1", "c1", "/cg/memory/user/1/runsc/c1", "/cg/cpu,cpuacct/runsc/c1");
	/* No cgroupsPath: the id, relative, as runc does. */
	expect_dirs(l, NULL, "c1", "/cg/memory/user/1/c1", "/cg/cpu,cpuacct/c1");
	expect_dirs(l, "", "c1", "/cg/memory/user/1/c1", "/cg/cpu,cpuacct/c1");
	/* Cleaned: a relative path cannot climb out of our cgroup. */
	expect_dirs(l, "../../x", "c1", "/cg/memory/user/1/x", "/cg/cpu,cpuacct/x");
	expect_dirs(l, "/a/../../b//c/.", "c1", "/cg/memory/b/c", "/cg/cpu,cpuacct/b/c");

	assert_int_equal(cgroup_open_layout(l, "/x", "c1", &cg, err, sizeof(err)), 0);
	assert_int_equal(cgroup_version(cg), CGROUP_V1);
	assert_string_equal(cgroup_dir(cg, ""), "/cg/unified/x"); /* the hybrid one */
	cgroup_close(cg);

	assert_int_equal(
	        cgroup_open_layout(l, "machine.slice:libpod:abc", "c1", &cg, err, sizeof(err)),
	        -EINVAL);
	assert_null(cg);
	assert_string_equal(err,
	                    "linux.cgroupsPath \"machine.slice:libpod:abc\": the systemd form "
	                    "slice:prefix:name needs the systemd cgroup driver, which runsc does "
	                    "not have; give a path");
	assert_int_equal(cgroup_open_layout(l, "/..", "c1", &cg, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "linux.cgroupsPath \"/..\": must name a cgroup below the root");
	assert_int_equal(cgroup_open_layout(l, NULL, NULL, &cg, err, sizeof(err)), -EINVAL);
	cgroup_layout_free(l);

	/* Relative, but our own cgroup is not visible in one hierarchy. */
	l = cgroup_layout_new(CGROUP_V1);
	assert_int_equal(cgroup_layout_add(l, "/cg/memory", "memory", NULL), 0);
	assert_int_equal(cgroup_open_layout(l, "/abs", "c1", &cg, err, sizeof(err)), 0);
	cgroup_close(cg);
	assert_int_equal(cgroup_open_layout(l, "rel", "c1", &cg, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "linux.cgroupsPath \"rel\": relative, but the caller's own cgroup "
	                         "in the memory hierarchy (/cg/memory) is unknown");
	cgroup_layout_free(l);
}

static void test_paths_v2(void **state)
{
	struct cgroup_layout *l = cgroup_layout_new(CGROUP_V2);
	struct cgroup *cg;
	char err[256];

	assert_int_equal(cgroup_layout_add(l, "/cg", "", "/a/b"), 0);
	/* v2, relative: under the parent of our cgroup (runc). */
	assert_int_equal(cgroup_open_layout(l, "x/y", "c1", &cg, err, sizeof(err)), 0);
	assert_string_equal(cgroup_dir(cg, "memory"), "/cg/a/x/y");
	assert_string_equal(cgroup_dir(cg, ""), "/cg/a/x/y");
	cgroup_close(cg);
	assert_int_equal(cgroup_open_layout(l, "/x", "c1", &cg, err, sizeof(err)), 0);
	assert_string_equal(cgroup_dir(cg, "pids"), "/cg/x");
	cgroup_close(cg);
	free(l->hierarchies[0].own_path);
	l->hierarchies[0].own_path = strdup("/");
	assert_int_equal(cgroup_open_layout(l, NULL, "c1", &cg, err, sizeof(err)), 0);
	assert_string_equal(cgroup_dir(cg, ""), "/cg/c1");
	cgroup_close(cg);
	cgroup_layout_free(l);
}

static void test_saved_paths(void **state)
{
	struct cgroup_layout *l = v1_layout();
	struct cgroup *cg, *back;
	char err[256];
	json_t *saved, *bad;
	char *text;

	assert_int_equal(cgroup_open_layout(l, "/s", "c1", &cg, err, sizeof(err)), 0);
	saved = cgroup_to_json(cg);
	text = json_dumps(saved, JSON_COMPACT);
	assert_string_equal(text, "{\"version\":1,\"paths\":{\"memory\":\"/cg/memory/s\","
	                          "\"cpu,cpuacct\":\"/cg/cpu,cpuacct/s\",\"\":\"/cg/unified/s\"},"
	                          "\"mounts\":{\"memory\":\"/cg/memory\",\"cpu,cpuacct\":"
	                          "\"/cg/cpu,cpuacct\",\"\":\"/cg/unified\"}}");
	free(text);
	assert_int_equal(cgroup_from_json(saved, &back, err, sizeof(err)), 0);
	assert_int_equal(cgroup_version(back), CGROUP_V1);
	assert_string_equal(cgroup_dir(back, "cpuacct"), "/cg/cpu,cpuacct/s");
	assert_string_equal(cgroup_dir(back, ""), "/cg/unified/s");
	cgroup_close(back);
	json_decref(saved);
	cgroup_close(cg);
	cgroup_layout_free(l);

	bad = parse("{\"version\":3,\"paths\":{\"\":\"/x\"},\"mounts\":{\"\":\"/\"}}");
	assert_int_equal(cgroup_from_json(bad, &back, err, sizeof(err)), -EINVAL);
	json_decref(bad);
	bad = parse("{\"version\":2,\"paths\":{\"\":\"rel\"},\"mounts\":{\"\":\"/\"}}");
	assert_int_equal(cgroup_from_json(bad, &back, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "cgroup: invalid saved cgroup path for \"\"");
	json_decref(bad);
}

/* ---- v1 on a fake tree ---- */

/* A v1 host with memory, cpu, cpuset, pids, blkio (BFQ) and freezer. */
static struct cgroup *open_fake_v1(void)
{
	static const char *const ctls[] = { "memory", "cpu", "cpuset", "pids", "blkio", "freezer" };
	struct cgroup_layout *l = cgroup_layout_new(CGROUP_V1);
	struct cgroup *cg;
	char err[256];

	remove_all(fake("v1"));
	for (size_t i = 0; i < sizeof(ctls) / sizeof(ctls[0]); i++) {
		char mp[64];
		snprintf(mp, sizeof(mp), "v1/%s", ctls[i]);
		assert_int_equal(cgroup_layout_add(l, fake(mp), ctls[i], "/"), 0);
	}
	put_file("v1/memory/c1/memory.limit_in_bytes", "9223372036854771712\n");
	put_file("v1/memory/c1/memory.memsw.limit_in_bytes", "9223372036854771712\n");
	put_file("v1/memory/c1/memory.soft_limit_in_bytes", "9223372036854771712\n");
	put_file("v1/memory/c1/memory.oom_control", "oom_kill_disable 0\n");
	put_file("v1/memory/c1/memory.swappiness", "60\n");
	put_file("v1/cpu/c1/cpu.shares", "1024\n");
	put_file("v1/cpu/c1/cpu.cfs_period_us", "100000\n");
	put_file("v1/cpu/c1/cpu.cfs_quota_us", "-1\n");
	put_file("v1/cpu/c1/cpu.cfs_burst_us", "0\n");
	put_file("v1/cpu/c1/cpu.idle", "0\n");
	put_file("v1/cpu/c1/cpu.rt_period_us", "1000000\n");
	put_file("v1/cpu/c1/cpu.rt_runtime_us", "0\n");
	put_file("v1/cpuset/cpuset.cpus", "0-3\n");
	put_file("v1/cpuset/cpuset.mems", "0\n");
	put_file("v1/cpuset/c1/cpuset.cpus", "\n");
	put_file("v1/cpuset/c1/cpuset.mems", "\n");
	put_file("v1/pids/c1/pids.max", "max\n");
	put_file("v1/blkio/c1/blkio.bfq.weight", "100\n");
	put_file("v1/blkio/c1/blkio.bfq.weight_device", "");
	put_file("v1/blkio/c1/blkio.throttle.read_bps_device", "");
	put_file("v1/blkio/c1/blkio.throttle.write_iops_device", "");
	put_file("v1/freezer/c1/freezer.state", "THAWED\n");
	for (size_t i = 0; i < sizeof(ctls) / sizeof(ctls[0]); i++) {
		char f[64];
		snprintf(f, sizeof(f), "v1/%s/c1/cgroup.procs", ctls[i]);
		put_file(f, "");
	}
	assert_int_equal(cgroup_open_layout(l, "/c1", "c1", &cg, err, sizeof(err)), 0);
	cgroup_layout_free(l);
	assert_int_equal(cgroup_create(cg, err, sizeof(err)), 0);
	return cg;
}

static void test_apply_v1(void **state)
{
	struct cgroup *cg = open_fake_v1();
	char err[512];

	/* The empty cpuset got its parent's cpus and mems at creation. */
	assert_string_equal(get_file("v1/cpuset/c1/cpuset.cpus"), "0-3\n");
	assert_string_equal(get_file("v1/cpuset/c1/cpuset.mems"), "0\n");

	assert_int_equal(
	        apply(cg,
	              "{\"memory\":{\"limit\":67108864,\"swap\":134217728,\"reservation\":33554432,"
	              "\"kernel\":1,\"swappiness\":10,\"disableOOMKiller\":true},"
	              "\"cpu\":{\"shares\":512,\"quota\":50000,\"period\":100000,\"burst\":1000,"
	              "\"idle\":1,\"realtimePeriod\":1000000,\"realtimeRuntime\":950000,"
	              "\"cpus\":\"0-1\"},"
	              "\"pids\":{\"limit\":10},"
	              "\"blockIO\":{\"weight\":300,\"weightDevice\":[{\"major\":8,\"minor\":0,"
	              "\"weight\":200}],\"throttleReadBpsDevice\":[{\"major\":8,\"minor\":0,"
	              "\"rate\":1048576}],\"throttleWriteIOPSDevice\":[{\"major\":8,\"minor\":16,"
	              "\"rate\":100}]},"
	              "\"devices\":[{\"allow\":false,\"access\":\"rwm\"}]}",
	              err, sizeof(err)),
	        0);
	assert_string_equal(err, "");
	assert_string_equal(get_file("v1/memory/c1/memory.limit_in_bytes"), "67108864");
	assert_string_equal(get_file("v1/memory/c1/memory.memsw.limit_in_bytes"), "134217728");
	assert_string_equal(get_file("v1/memory/c1/memory.soft_limit_in_bytes"), "33554432");
	assert_string_equal(get_file("v1/memory/c1/memory.oom_control"), "1");
	assert_string_equal(get_file("v1/memory/c1/memory.swappiness"), "10");
	assert_string_equal(get_file("v1/cpu/c1/cpu.shares"), "512");
	assert_string_equal(get_file("v1/cpu/c1/cpu.cfs_quota_us"), "50000");
	assert_string_equal(get_file("v1/cpu/c1/cpu.cfs_period_us"), "100000");
	assert_string_equal(get_file("v1/cpu/c1/cpu.cfs_burst_us"), "1000");
	assert_string_equal(get_file("v1/cpu/c1/cpu.idle"), "1");
	assert_string_equal(get_file("v1/cpu/c1/cpu.rt_period_us"), "1000000");
	assert_string_equal(get_file("v1/cpu/c1/cpu.rt_runtime_us"), "950000");
	assert_string_equal(get_file("v1/cpuset/c1/cpuset.cpus"), "0-1");
	assert_string_equal(get_file("v1/cpuset/c1/cpuset.mems"), "0\n"); /* not given: kept */
	assert_string_equal(get_file("v1/pids/c1/pids.max"), "10");
	/* No blkio.weight here: the BFQ files, as runc picks them. */
	assert_string_equal(get_file("v1/blkio/c1/blkio.bfq.weight"), "300");
	assert_string_equal(get_file("v1/blkio/c1/blkio.bfq.weight_device"), "8:0 200");
	assert_string_equal(get_file("v1/blkio/c1/blkio.throttle.read_bps_device"), "8:0 1048576");
	assert_string_equal(get_file("v1/blkio/c1/blkio.throttle.write_iops_device"), "8:16 100");

	/* An update writes only what it names; -1 is unlimited, swap too. */
	assert_int_equal(
	        apply(cg, "{\"memory\":{\"limit\":-1},\"pids\":{\"limit\":-1}}", err, sizeof(err)),
	        0);
	assert_string_equal(get_file("v1/memory/c1/memory.limit_in_bytes"), "-1");
	assert_string_equal(get_file("v1/memory/c1/memory.memsw.limit_in_bytes"), "-1");
	assert_string_equal(get_file("v1/pids/c1/pids.max"), "max");
	assert_string_equal(get_file("v1/cpu/c1/cpu.shares"), "512");
	/* 0 means "not given", as in runc. */
	assert_int_equal(
	        apply(cg, "{\"memory\":{\"limit\":0},\"pids\":{\"limit\":0}}", err, sizeof(err)),
	        0);
	assert_string_equal(get_file("v1/pids/c1/pids.max"), "max");
	assert_int_equal(apply(cg, "{}", err, sizeof(err)), 0);
	assert_int_equal(cgroup_apply(cg, NULL, err, sizeof(err)), 0);
	cgroup_close(cg);
}

static void expect_error(struct cgroup *cg, const char *json, int ret, const char *msg)
{
	char err[512];

	assert_int_equal(apply(cg, json, err, sizeof(err)), ret);
	assert_string_equal(err, msg);
}

static void test_apply_errors(void **state)
{
	struct cgroup *cg = open_fake_v1();
	char msg[PATH_MAX + 256];

	expect_error(cg, "{\"memory\":{\"limit\":\"64M\"}}", -EINVAL,
	             "linux.resources.memory.limit: must be an integer");
	expect_error(cg, "{\"memory\":{\"swap\":-2}}", -EINVAL,
	             "linux.resources.memory.swap: -2 is out of range [-1, 9223372036854775807]");
	expect_error(cg, "{\"memory\":{\"swappiness\":101}}", -EINVAL,
	             "linux.resources.memory.swappiness: 101 is out of range [0, 100]");
	expect_error(cg, "{\"cpu\":{\"shares\":-5}}", -EINVAL,
	             "linux.resources.cpu.shares: must be an unsigned integer");
	expect_error(cg, "{\"cpu\":{\"cpus\":\"0-1;rm\"}}", -EINVAL,
	             "linux.resources.cpu.cpus: \"0-1;rm\" is not a list of numbers and ranges");
	expect_error(cg, "{\"pids\":{}}", -EINVAL, "linux.resources.pids.limit: is required");
	expect_error(cg, "{\"blockIO\":{\"weight\":5}}", -EINVAL,
	             "linux.resources.blockIO.weight: 5 is out of range [10, 1000]");
	expect_error(cg, "{\"blockIO\":{\"throttleReadBpsDevice\":[{\"major\":8,\"minor\":0}]}}",
	             -EINVAL, "linux.resources.blockIO.throttleReadBpsDevice[0]: needs a rate");
	expect_error(cg, "{\"blockIO\":{\"weightDevice\":[{\"minor\":0,\"weight\":10}]}}", -EINVAL,
	             "linux.resources.blockIO.weightDevice[0]: needs major and minor");
	expect_error(
	        cg, "{\"hugepageLimits\":[{\"pageSize\":\"2M\",\"limit\":1}]}", -EINVAL,
	        "linux.resources.hugepageLimits[0]: pageSize must be a size such as \"2MB\" or "
	        "\"1GB\"");
	expect_error(cg, "{\"network\":{\"priorities\":[{\"name\":\"\",\"priority\":1}]}}", -EINVAL,
	             "linux.resources.network.priorities[0]: needs an interface name");
	expect_error(cg, "{\"devices\":{}}", -EINVAL, "linux.resources.devices: must be an array");
	expect_error(cg, "[]", -EINVAL, "linux.resources: must be an object");
	expect_error(cg, "{\"memory\":[]}", -EINVAL, "linux.resources.memory: must be an object");
	/* Checked before anything is written: pids.max is untouched here. */
	expect_error(cg, "{\"pids\":{\"limit\":7},\"cpu\":{\"quota\":1.5}}", -EINVAL,
	             "linux.resources.cpu.quota: must be an integer");
	assert_string_equal(get_file("v1/pids/c1/pids.max"), "max\n");

	/* Valid, but what v1 or this host cannot do. */
	expect_error(cg, "{\"unified\":{\"memory.high\":\"1\"}}", -EINVAL,
	             "linux.resources.unified: only supported on cgroup v2 (this host has v1)");
	expect_error(cg, "{\"network\":{\"classID\":1048577}}", -ENOTSUP,
	             "linux.resources.network.classID: the net_cls cgroup controller is not "
	             "mounted on this host");
	expect_error(cg, "{\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":0}]}", -ENOTSUP,
	             "linux.resources.hugepageLimits: the hugetlb cgroup controller is not "
	             "mounted on this host");
	/* A failed write names the field, the value and the file. */
	snprintf(msg, sizeof(msg),
	         "linux.resources.blockIO.leafWeight: write 100 to %s/blkio.leaf_weight: No such "
	         "file or directory",
	         fake("v1/blkio/c1"));
	expect_error(cg, "{\"blockIO\":{\"leafWeight\":100}}", -ENOENT, msg);
	cgroup_close(cg);
}

static void test_membership_freezer_pids_v1(void **state)
{
	struct cgroup *cg = open_fake_v1();
	enum cgroup_freezer_state fs;
	char err[256];
	pid_t *pids;
	size_t count;

	assert_int_equal(cgroup_add_pid(cg, 4321, err, sizeof(err)), 0);
	assert_string_equal(get_file("v1/memory/c1/cgroup.procs"), "4321");
	assert_string_equal(get_file("v1/freezer/c1/cgroup.procs"), "4321");

	/* Listed from the pids hierarchy, with its sub-cgroups, sorted, unique. */
	put_file("v1/pids/c1/cgroup.procs", "30\n7\n");
	put_file("v1/pids/c1/sub/cgroup.procs", "12\n7\n");
	assert_int_equal(cgroup_pids(cg, &pids, &count, err, sizeof(err)), 0);
	assert_int_equal(count, 3);
	assert_int_equal(pids[0], 7);
	assert_int_equal(pids[1], 12);
	assert_int_equal(pids[2], 30);
	free(pids);

	assert_int_equal(cgroup_state(cg, &fs, err, sizeof(err)), 0);
	assert_int_equal(fs, CGROUP_THAWED);
	assert_int_equal(cgroup_freeze(cg, true, err, sizeof(err)), 0);
	assert_string_equal(get_file("v1/freezer/c1/freezer.state"), "FROZEN");
	assert_int_equal(cgroup_state(cg, &fs, err, sizeof(err)), 0);
	assert_int_equal(fs, CGROUP_FROZEN);
	/* Frozen only through an ancestor: not paused itself (runc). */
	put_file("v1/freezer/c1/freezer.self_freezing", "0\n");
	assert_int_equal(cgroup_state(cg, &fs, err, sizeof(err)), 0);
	assert_int_equal(fs, CGROUP_THAWED);
	assert_int_equal(cgroup_freeze(cg, false, err, sizeof(err)), 0);
	assert_string_equal(get_file("v1/freezer/c1/freezer.state"), "THAWED");
	cgroup_close(cg);

	/* No freezer hierarchy. */
	struct cgroup_layout *l = cgroup_layout_new(CGROUP_V1);
	assert_int_equal(cgroup_layout_add(l, fake("v1/memory"), "memory", "/"), 0);
	assert_int_equal(cgroup_open_layout(l, "/c1", "c1", &cg, err, sizeof(err)), 0);
	assert_int_equal(cgroup_freeze(cg, true, err, sizeof(err)), -ENOTSUP);
	assert_string_equal(err, "cgroup: the freezer cgroup controller is not mounted");
	assert_int_equal(cgroup_state(cg, &fs, err, sizeof(err)), 0);
	assert_int_equal(fs, CGROUP_FREEZER_UNDEFINED);
	cgroup_close(cg);
	cgroup_layout_free(l);
}

static void test_stats_v1(void **state)
{
	struct cgroup *cg = open_fake_v1();
	struct cgroup_layout *l = cgroup_layout_new(CGROUP_V1);
	char err[256], *text;
	json_t *s;

	/* cpuacct is a hierarchy of its own here, as on this machine. */
	put_file("v1/cpuacct/c1/cgroup.procs", "");
	put_file("v1/cpuacct/c1/cpuacct.usage", "10490854\n");
	put_file("v1/cpuacct/c1/cpuacct.usage_percpu", "7817922 2672932 \n");
	put_file("v1/cpuacct/c1/cpuacct.usage_all", "cpu user system\n0 0 8000000\n1 0 0\n");
	put_file("v1/cpuacct/c1/cpuacct.stat", "user 0\nsystem 1\n");
	put_file("v1/cpu/c1/cpu.stat", "nr_periods 3\nnr_throttled 1\nthrottled_time 500\n");
	put_file("v1/memory/c1/memory.usage_in_bytes", "1888256\n");
	put_file("v1/memory/c1/memory.max_usage_in_bytes", "2236416\n");
	put_file("v1/memory/c1/memory.failcnt", "0\n");
	put_file("v1/memory/c1/memory.limit_in_bytes", "67108864\n");
	put_file("v1/memory/c1/memory.stat", "cache 0\nrss 1417216\n");
	put_file("v1/pids/c1/pids.current", "5\n");
	put_file("v1/pids/c1/pids.max", "10\n");
	put_file("v1/blkio/c1/blkio.throttle.io_service_bytes_recursive",
	         "8:0 Read 4096\n8:0 Write 0\nTotal 4096\n");
	put_file("v1/blkio/c1/blkio.throttle.io_serviced_recursive", "8:0 Read 1\nTotal 1\n");
	cgroup_close(cg);
	static const char *const ctls[] = { "memory", "cpu", "cpuacct", "cpuset", "pids", "blkio" };
	for (size_t i = 0; i < sizeof(ctls) / sizeof(ctls[0]); i++) {
		char mp[64];
		snprintf(mp, sizeof(mp), "v1/%s", ctls[i]);
		assert_int_equal(cgroup_layout_add(l, fake(mp), ctls[i], "/"), 0);
	}
	assert_int_equal(cgroup_open_layout(l, "/c1", "c1", &cg, err, sizeof(err)), 0);
	cgroup_layout_free(l);

	assert_int_equal(cgroup_stats(cg, &s, err, sizeof(err)), 0);
	text = json_dumps(s, JSON_COMPACT);
	assert_string_equal(
	        text,
	        "{\"cpu\":{\"usage\":{\"total\":10490854,\"percpu\":[7817922,2672932],"
	        "\"percpu_kernel\":[8000000,0],\"percpu_user\":[0,0],\"kernel\":10000000,\"user\":"
	        "0},"
	        "\"throttling\":{\"periods\":3,\"throttledPeriods\":1,\"throttledTime\":500}},"
	        "\"cpuset\":{\"cpus\":[0,1,2,3],\"cpu_exclusive\":0,\"mems\":[0],\"mem_hardwall\":"
	        "0,"
	        "\"mem_exclusive\":0,\"memory_migrate\":0,\"memory_spread_page\":0,"
	        "\"memory_spread_slab\":0,\"memory_pressure\":0,\"sched_load_balance\":0,"
	        "\"sched_relax_domain_level\":0},"
	        "\"memory\":{\"usage\":{\"limit\":67108864,\"usage\":1888256,\"max\":2236416,"
	        "\"failcnt\":0},\"swap\":{\"limit\":9223372036854771712,\"failcnt\":0},"
	        "\"kernel\":{\"limit\":0,\"failcnt\":0},\"kernelTCP\":{\"limit\":0,\"failcnt\":0},"
	        "\"raw\":{\"cache\":0,\"rss\":1417216}},"
	        "\"pids\":{\"current\":5,\"limit\":10},"
	        "\"blkio\":{\"ioServiceBytesRecursive\":[{\"major\":8,\"op\":\"Read\",\"value\":"
	        "4096},"
	        "{\"major\":8,\"op\":\"Write\"}],\"ioServicedRecursive\":[{\"major\":8,\"op\":"
	        "\"Read\",\"value\":1}]},"
	        "\"hugetlb\":{},\"intel_rdt\":{},\"network_interfaces\":null}");
	free(text);
	json_decref(s);
	cgroup_close(cg);
}

/* ---- v2 on a fake tree ---- */

static struct cgroup *open_fake_v2(void)
{
	static const char *const files[] = {
		"memory.max", "memory.swap.max", "memory.low",  "cpu.weight",      "cpu.max",
		"pids.max",   "io.weight",       "io.max",      "hugetlb.2MB.max", "memory.high",
		"cpu.idle",   "cpu.max.burst",   "cpuset.cpus", "cgroup.freeze",   "cgroup.procs",
	};
	struct cgroup_layout *l = cgroup_layout_new(CGROUP_V2);
	struct cgroup *cg;
	char err[256], rel[128];

	remove_all(fake("v2"));
	put_file("v2/cgroup.controllers", "cpuset cpu io memory hugetlb pids\n");
	put_file("v2/cgroup.subtree_control", "");
	put_file("v2/runsc/cgroup.controllers", "cpuset cpu io memory hugetlb pids\n");
	put_file("v2/runsc/cgroup.subtree_control", "");
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(rel, sizeof(rel), "v2/runsc/c1/%s", files[i]);
		put_file(rel, "");
	}
	put_file("v2/runsc/c1/cgroup.controllers", "cpuset cpu io memory hugetlb pids\n");
	assert_int_equal(cgroup_layout_add(l, fake("v2"), "", "/"), 0);
	assert_int_equal(cgroup_open_layout(l, "/runsc/c1", "c1", &cg, err, sizeof(err)), 0);
	cgroup_layout_free(l);
	assert_int_equal(cgroup_create(cg, err, sizeof(err)), 0);
	return cg;
}

static void test_apply_v2(void **state)
{
	struct cgroup *cg = open_fake_v2();
	char err[512], msg[PATH_MAX + 256];

	/* Every ancestor enables its controllers for its children (runc). */
	assert_string_equal(get_file("v2/cgroup.subtree_control"),
	                    "+cpuset +cpu +io +memory +hugetlb +pids");
	assert_string_equal(get_file("v2/runsc/cgroup.subtree_control"),
	                    "+cpuset +cpu +io +memory +hugetlb +pids");

	assert_int_equal(
	        apply(cg,
	              "{\"memory\":{\"limit\":67108864,\"swap\":134217728,\"reservation\":33554432,"
	              "\"swappiness\":10,\"disableOOMKiller\":true},"
	              "\"cpu\":{\"shares\":1024,\"quota\":50000,\"period\":100000,\"burst\":10,"
	              "\"idle\":0,\"realtimeRuntime\":5,\"cpus\":\"1\"},"
	              "\"pids\":{\"limit\":10},"
	              "\"blockIO\":{\"weight\":500,\"leafWeight\":10,\"throttleReadBpsDevice\":"
	              "[{\"major\":8,\"minor\":0,\"rate\":1048576}]},"
	              "\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":4194304}],"
	              "\"network\":{\"classID\":1},"
	              "\"unified\":{\"memory.high\":\"50000000\"}}",
	              err, sizeof(err)),
	        0);
	assert_string_equal(err, "");
	assert_string_equal(get_file("v2/runsc/c1/memory.max"), "67108864");
	assert_string_equal(get_file("v2/runsc/c1/memory.swap.max"), "67108864"); /* swap - limit */
	assert_string_equal(get_file("v2/runsc/c1/memory.low"), "33554432");
	assert_string_equal(get_file("v2/runsc/c1/cpu.weight"),
	                    "39"); /* 1 + 1022 * 9999 / 262142 */
	assert_string_equal(get_file("v2/runsc/c1/cpu.max"), "50000 100000");
	assert_string_equal(get_file("v2/runsc/c1/cpu.max.burst"), "10");
	assert_string_equal(get_file("v2/runsc/c1/cpu.idle"), "0");
	assert_string_equal(get_file("v2/runsc/c1/cpuset.cpus"), "1");
	assert_string_equal(get_file("v2/runsc/c1/pids.max"), "10");
	assert_string_equal(get_file("v2/runsc/c1/io.weight"), "4950"); /* 1 + 490 * 9999 / 990 */
	assert_string_equal(get_file("v2/runsc/c1/io.max"), "8:0 rbps=1048576");
	assert_string_equal(get_file("v2/runsc/c1/hugetlb.2MB.max"), "4194304");
	assert_string_equal(get_file("v2/runsc/c1/memory.high"), "50000000");

	/* Unlimited; the quota alone keeps the default period. */
	assert_int_equal(
	        apply(cg, "{\"memory\":{\"limit\":-1},\"cpu\":{\"quota\":-1}}", err, sizeof(err)),
	        0);
	assert_string_equal(get_file("v2/runsc/c1/memory.max"), "max");
	assert_string_equal(get_file("v2/runsc/c1/memory.swap.max"), "max");
	assert_string_equal(get_file("v2/runsc/c1/cpu.max"), "max 100000");
	/* swap == limit: no swap at all. */
	assert_int_equal(
	        apply(cg, "{\"memory\":{\"limit\":1048576,\"swap\":1048576}}", err, sizeof(err)),
	        0);
	assert_string_equal(get_file("v2/runsc/c1/memory.swap.max"), "0");
	/* BFQ present: io.bfq.weight takes the v1 value as is. */
	put_file("v2/runsc/c1/io.bfq.weight", "");
	assert_int_equal(apply(cg, "{\"blockIO\":{\"weight\":500}}", err, sizeof(err)), 0);
	assert_string_equal(get_file("v2/runsc/c1/io.bfq.weight"), "500");

	expect_error(cg, "{\"memory\":{\"swap\":1000}}", -EINVAL,
	             "linux.resources.memory.swap: unable to set swap limit without memory limit");
	expect_error(cg, "{\"memory\":{\"limit\":2000,\"swap\":1000}}", -EINVAL,
	             "linux.resources.memory.swap: memory+swap limit should be >= memory limit");
	snprintf(msg, sizeof(msg),
	         "linux.resources.unified.rdma.max: controller \"rdma\" is not available in %s (it "
	         "has: cpuset cpu io memory hugetlb pids)",
	         fake("v2/runsc/c1"));
	expect_error(cg, "{\"unified\":{\"rdma.max\":\"x\"}}", -ENOENT, msg);
	expect_error(cg, "{\"unified\":{\"nodot\":\"1\"}}", -ENOENT,
	             "linux.resources.unified.nodot: must be in the form CONTROLLER.PARAMETER");
	expect_error(cg, "{\"unified\":{\"../memory.max\":\"1\"}}", -EINVAL,
	             "linux.resources.unified.../memory.max: must be a file name (no slashes)");
	expect_error(cg, "{\"unified\":{\"memory.high\":1}}", -EINVAL,
	             "linux.resources.unified.memory.high: must be a string");
	cgroup_close(cg);
}

static void test_freezer_v2(void **state)
{
	struct cgroup *cg = open_fake_v2();
	enum cgroup_freezer_state fs;
	char err[256];

	/* The kernel would update cgroup.events; here it already says so. */
	put_file("v2/runsc/c1/cgroup.events", "populated 1\nfrozen 1\n");
	assert_int_equal(cgroup_freeze(cg, true, err, sizeof(err)), 0);
	assert_string_equal(get_file("v2/runsc/c1/cgroup.freeze"), "1");
	assert_int_equal(cgroup_state(cg, &fs, err, sizeof(err)), 0);
	assert_int_equal(fs, CGROUP_FROZEN);
	put_file("v2/runsc/c1/cgroup.events", "populated 1\nfrozen 0\n");
	assert_int_equal(cgroup_freeze(cg, false, err, sizeof(err)), 0);
	assert_string_equal(get_file("v2/runsc/c1/cgroup.freeze"), "0");
	assert_int_equal(cgroup_state(cg, &fs, err, sizeof(err)), 0);
	assert_int_equal(fs, CGROUP_THAWED);

	assert_int_equal(cgroup_add_pid(cg, 99, err, sizeof(err)), 0);
	assert_string_equal(get_file("v2/runsc/c1/cgroup.procs"), "99");
	cgroup_close(cg);
}

static void test_stats_v2(void **state)
{
	struct cgroup *cg = open_fake_v2();
	char err[256];
	json_t *s;
	char *text;

	put_file("v2/runsc/c1/cpu.stat", "usage_usec 100\nuser_usec 60\nsystem_usec 40\n"
	                                 "nr_periods 0\nnr_throttled 0\nthrottled_usec 0\n");
	put_file("v2/runsc/c1/memory.current", "4096\n");
	put_file("v2/runsc/c1/memory.max", "max\n");
	put_file("v2/runsc/c1/memory.swap.current", "0\n");
	put_file("v2/runsc/c1/memory.swap.max", "max\n");
	put_file("v2/runsc/c1/memory.stat", "anon 4096\nfile 8192\n");
	put_file("v2/runsc/c1/pids.current", "2\n");
	put_file("v2/runsc/c1/pids.max", "max\n");
	put_file("v2/runsc/c1/io.stat", "8:0 rbytes=512 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n");
	assert_int_equal(cgroup_stats(cg, &s, err, sizeof(err)), 0);
	text = json_dumps(s, JSON_COMPACT);
	/* "max" limits are 2^63-1 here (jansson integers), 2^64-1 in runc. */
	assert_string_equal(
	        text,
	        "{\"cpu\":{\"usage\":{\"total\":100000,\"kernel\":40000,\"user\":60000},"
	        "\"throttling\":{}},"
	        "\"cpuset\":{\"cpu_exclusive\":0,\"mem_hardwall\":0,\"mem_exclusive\":0,"
	        "\"memory_migrate\":0,\"memory_spread_page\":0,\"memory_spread_slab\":0,"
	        "\"memory_pressure\":0,\"sched_load_balance\":0,\"sched_relax_domain_level\":0},"
	        "\"memory\":{\"cache\":8192,\"usage\":{\"limit\":9223372036854775807,\"usage\":"
	        "4096,"
	        "\"failcnt\":0},\"swap\":{\"limit\":9223372036854775807,\"usage\":4096,"
	        "\"failcnt\":0},\"kernel\":{\"limit\":0,\"failcnt\":0},\"kernelTCP\":{\"limit\":0,"
	        "\"failcnt\":0},\"raw\":{\"anon\":4096,\"file\":8192}},"
	        "\"pids\":{\"current\":2},"
	        "\"blkio\":{\"ioServiceBytesRecursive\":[{\"major\":8,\"op\":\"Read\",\"value\":"
	        "512},"
	        "{\"major\":8,\"op\":\"Write\"}],\"ioServicedRecursive\":[{\"major\":8,\"op\":"
	        "\"Read\",\"value\":1},{\"major\":8,\"op\":\"Write\"}]},"
	        "\"hugetlb\":{},\"intel_rdt\":{},\"network_interfaces\":null}");
	free(text);
	json_decref(s);
	cgroup_close(cg);

	/* A cgroup that does not exist (any more). */
	struct cgroup_layout *l = cgroup_layout_new(CGROUP_V2);
	assert_int_equal(cgroup_layout_add(l, fake("v2"), "", "/"), 0);
	assert_int_equal(cgroup_open_layout(l, "/gone", "c1", &cg, err, sizeof(err)), 0);
	assert_int_equal(cgroup_stats(cg, &s, err, sizeof(err)), -ENOENT);
	assert_null(s);
	cgroup_close(cg);
	cgroup_layout_free(l);
}

static void test_conversions(void **state)
{
	long long out;
	char err[128];

	assert_int_equal(cgroup_shares_to_weight(0), 0);
	assert_int_equal(cgroup_shares_to_weight(2), 1);
	assert_int_equal(cgroup_shares_to_weight(1024), 39);
	assert_int_equal(cgroup_shares_to_weight(262144), 10000);
	assert_int_equal(cgroup_blkio_to_io_weight(0), 0);
	assert_int_equal(cgroup_blkio_to_io_weight(10), 1);
	assert_int_equal(cgroup_blkio_to_io_weight(1000), 10000);

	assert_int_equal(cgroup_swap_to_v2(0, -1, &out, err, sizeof(err)), 0);
	assert_int_equal(out, -1);
	assert_int_equal(cgroup_swap_to_v2(-1, 100, &out, err, sizeof(err)), 0);
	assert_int_equal(out, -1);
	assert_int_equal(cgroup_swap_to_v2(0, 100, &out, err, sizeof(err)), 0);
	assert_int_equal(out, 0);
	assert_int_equal(cgroup_swap_to_v2(300, -1, &out, err, sizeof(err)), 0);
	assert_int_equal(out, 300);
	assert_int_equal(cgroup_swap_to_v2(300, 100, &out, err, sizeof(err)), 0);
	assert_int_equal(out, 200);
	assert_int_equal(cgroup_swap_to_v2(300, 0, &out, err, sizeof(err)), -EINVAL);
	assert_int_equal(cgroup_swap_to_v2(50, 100, &out, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "memory+swap limit should be >= memory limit");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout_hybrid),
		cmocka_unit_test(test_layout_v2),
		cmocka_unit_test(test_layout_comounted_and_mount_root),
		cmocka_unit_test(test_layout_none),
		cmocka_unit_test(test_layout_detect_here),
		cmocka_unit_test(test_paths_v1),
		cmocka_unit_test(test_paths_v2),
		cmocka_unit_test(test_saved_paths),
		cmocka_unit_test(test_apply_v1),
		cmocka_unit_test(test_apply_errors),
		cmocka_unit_test(test_membership_freezer_pids_v1),
		cmocka_unit_test(test_stats_v1),
		cmocka_unit_test(test_apply_v2),
		cmocka_unit_test(test_freezer_v2),
		cmocka_unit_test(test_stats_v2),
		cmocka_unit_test(test_conversions),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
