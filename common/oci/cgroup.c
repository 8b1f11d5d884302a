/*
 * The sandbox's cgroup (see cgroup.h): the file helpers the other parts
 * share, creation, membership, the freezer, listing and removal. The host
 * layout and path resolution are in cgroup_layout.c, resources in
 * cgroup_resources.c (checking) and cgroup_apply.c (writing), statistics in
 * cgroup_stats.c.
 *
 * Everything is a file under cgroupfs, so the whole thing is mkdir, rmdir,
 * and short reads and writes; this file keeps to those plus kill(2) for
 * cgroup_destroy(kill=true). Timing constants (EINVAL retries when adding a
 * pid, the v1 freeze loop, rmdir's EBUSY retries) follow runc's.
 */
#include "common/oci/cgroup_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"

/* How long cgroup v2 may take to freeze or thaw before we give up. */
#define FREEZE_TIMEOUT_MS 10000

/* ---- Helpers shared with cgroup_apply.c and cgroup_stats.c ---- */

int cg_fail(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	if (errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

bool cg_list_has(const char *list, const char *name)
{
	size_t len = strlen(name);

	for (const char *p = list; *p;) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		if (n == len && strncmp(p, name, len) == 0)
			return true;
		if (!end)
			break;
		p = end + 1;
	}
	return false;
}

bool cg_words_has(const char *words, const char *name)
{
	size_t len = strlen(name);

	for (const char *p = words; *p;) {
		size_t n;
		p += strspn(p, " \n");
		n = strcspn(p, " \n");
		if (n == len && n && strncmp(p, name, len) == 0)
			return true;
		p += n;
	}
	return false;
}

const char *cg_dir(const struct cgroup *cg, const char *controller)
{
	if (cg->version == CGROUP_V2)
		return cg->count ? cg->dirs[0].path : NULL;
	for (size_t i = 0; i < cg->count; i++) {
		const char *c = cg->dirs[i].controllers;
		if (controller[0] ? cg_list_has(c, controller) : !c[0])
			return cg->dirs[i].path;
	}
	return NULL;
}

static void join_path(char *buf, size_t size, const char *dir, const char *file)
{
	snprintf(buf, size, "%s/%s", dir, file);
}

int cg_write(const char *dir, const char *file, const char *value)
{
	char path[PATH_MAX];
	size_t len = strlen(value);
	ssize_t n;
	int fd, ret = 0;

	join_path(path, sizeof(path), dir, file);
	log_debug("cgroup: write %s: %s", path, value);
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	do
		n = write(fd, value, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		ret = -errno;
	else if ((size_t)n != len)
		ret = -EIO;
	close(fd);
	return ret;
}

int cg_read(const char *dir, const char *file, char *buf, size_t size)
{
	char path[PATH_MAX];
	size_t len = 0;
	int fd;

	join_path(path, sizeof(path), dir, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (len + 1 < size) {
		ssize_t n = read(fd, buf + len, size - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int ret = -errno;
			close(fd);
			return ret;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	return (int)len;
}

char *cg_read_all(const char *dir, const char *file)
{
	char path[PATH_MAX];
	size_t len = 0, cap = 4096;
	char *buf = NULL;
	int fd, saved;

	join_path(path, sizeof(path), dir, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	for (;;) {
		ssize_t n;
		if (!buf || len + 1 >= cap) {
			char *bigger = realloc(buf, buf ? cap * 2 : cap);
			if (!bigger)
				goto out_free;
			if (buf)
				cap *= 2;
			buf = bigger;
		}
		n = read(fd, buf + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto out_free;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	return buf;

out_free:
	saved = errno;
	free(buf);
	close(fd);
	errno = saved;
	return NULL;
}

int cg_read_u64(const char *dir, const char *file, uint64_t *out)
{
	char buf[64], *end;
	int n = cg_read(dir, file, buf, sizeof(buf));

	if (n < 0)
		return n;
	if (strncmp(buf, "max", 3) == 0) {
		*out = UINT64_MAX;
		return 0;
	}
	errno = 0;
	*out = strtoull(buf, &end, 10);
	if (errno || end == buf || (*end && *end != '\n'))
		return -EINVAL;
	return 0;
}

bool cg_exists(const char *dir, const char *file)
{
	char path[PATH_MAX];

	join_path(path, sizeof(path), dir, file);
	return access(path, F_OK) == 0;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* ---- Creation ---- */

static int make_dir(const char *path)
{
	if (mkdir(path, 0755) == 0 || errno == EEXIST)
		return 0;
	return -errno;
}

/* v1 cpuset: a new cgroup gets its parent's cpus and mems when empty (runc). */
static int cpuset_copy_if_empty(const char *dir, const char *parent)
{
	static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };

	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		char cur[4096], par[4096];
		int n = cg_read(dir, files[i], cur, sizeof(cur));
		if (n < 0)
			return n;
		if (cur[0] && cur[0] != '\n')
			continue;
		n = cg_read(parent, files[i], par, sizeof(par));
		if (n < 0)
			return n;
		n = cg_write(dir, files[i], par);
		if (n < 0)
			return n;
	}
	return 0;
}

/* v2: enables in dir (for its children) every controller dir has. */
static void enable_controllers(const char *dir)
{
	char avail[1024], all[1200] = "";
	size_t len = 0;

	if (cg_read(dir, "cgroup.controllers", avail, sizeof(avail)) <= 0)
		return;
	for (char *save, *c = strtok_r(avail, " \n", &save); c; c = strtok_r(NULL, " \n", &save))
		len += (size_t)snprintf(all + len, sizeof(all) - len, "%s+%s", len ? " " : "", c);
	if (!len || cg_write(dir, "cgroup.subtree_control", all) == 0)
		return;
	/* One failed (e.g. a controller busy with threads): enable one by one. */
	for (char *save, *c = strtok_r(all, " ", &save); c; c = strtok_r(NULL, " ", &save))
		cg_write(dir, "cgroup.subtree_control", c);
}

static int create_dir(const struct cgroup *cg, const struct cgroup_dir *d, char *err, size_t errlen)
{
	size_t mlen = strlen(d->mountpoint);
	bool cpuset = cg->version == CGROUP_V1 && cg_list_has(d->controllers, "cpuset");
	bool subtree = cg->version == CGROUP_V2;
	char cur[PATH_MAX], parent[PATH_MAX];
	const char *p;
	int ret;

	if (strncmp(d->path, d->mountpoint, mlen) != 0)
		return cg_fail(err, errlen, -EINVAL, "cgroup: %s is not under %s", d->path,
		               d->mountpoint);
	snprintf(cur, sizeof(cur), "%s", d->mountpoint);
	/* From the hierarchy's root down to the cgroup, one level at a time. */
	for (p = d->path + mlen; *p;) {
		const char *end;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		end = strchrnul(p, '/');
		snprintf(parent, sizeof(parent), "%s", cur);
		snprintf(cur + strlen(cur), sizeof(cur) - strlen(cur), "/%.*s", (int)(end - p), p);
		if (subtree)
			enable_controllers(parent);
		ret = make_dir(cur);
		if (ret)
			return cg_fail(err, errlen, ret, "cgroup: mkdir %s: %s", cur,
			               strerror(-ret));
		if (cpuset) {
			ret = cpuset_copy_if_empty(cur, parent);
			if (ret)
				return cg_fail(err, errlen, ret,
				               "cgroup: copying cpuset.cpus/mems to %s: %s", cur,
				               strerror(-ret));
		}
		p = end;
	}
	return 0;
}

int cgroup_create(struct cgroup *cg, char *err, size_t errlen)
{
	for (size_t i = 0; i < cg->count; i++) {
		int ret = create_dir(cg, &cg->dirs[i], err, errlen);
		if (ret)
			return ret;
	}
	return 0;
}

/* ---- Membership ---- */

int cgroup_add_pid(struct cgroup *cg, pid_t pid, char *err, size_t errlen)
{
	char value[32];

	snprintf(value, sizeof(value), "%d", (int)pid);
	for (size_t i = 0; i < cg->count; i++) {
		int ret;
		/* EINVAL: the task may still be in TASK_NEW; runc retries 5 times. */
		for (int tries = 0;; tries++) {
			ret = cg_write(cg->dirs[i].path, "cgroup.procs", value);
			if (ret != -EINVAL || tries == 4)
				break;
			sleep_ms(30);
		}
		if (ret)
			return cg_fail(err, errlen, ret, "cgroup: adding pid %d to %s: %s",
			               (int)pid, cg->dirs[i].path, strerror(-ret));
	}
	return 0;
}

static int pid_cmp(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return x < y ? -1 : x > y;
}

struct pid_list {
	pid_t *pids;
	size_t count, cap;
};

static int collect_pids(const char *dir, struct pid_list *pl)
{
	char *procs = cg_read_all(dir, "cgroup.procs");
	DIR *d;
	struct dirent *de;
	int ret = 0;

	if (!procs)
		return -errno;
	for (char *save, *t = strtok_r(procs, "\n", &save); t; t = strtok_r(NULL, "\n", &save)) {
		if (pl->count == pl->cap) {
			size_t cap = pl->cap ? pl->cap * 2 : 32;
			pid_t *bigger = realloc(pl->pids, cap * sizeof(*bigger));
			if (!bigger) {
				free(procs);
				return -ENOMEM;
			}
			pl->pids = bigger;
			pl->cap = cap;
		}
		pl->pids[pl->count++] = (pid_t)atoi(t);
	}
	free(procs);
	d = opendir(dir);
	if (!d)
		return -errno;
	while (!ret && (de = readdir(d))) {
		char sub[PATH_MAX];
		if (de->d_type != DT_DIR || strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name);
		ret = collect_pids(sub, pl);
		if (ret == -ENOENT)
			ret = 0; /* removed meanwhile */
	}
	closedir(d);
	return ret;
}

/* The directory whose processes we list (and kill) on v1. */
static const char *procs_dir(const struct cgroup *cg)
{
	static const char *const prefer[] = { "pids", "freezer", "memory", "cpu", "devices" };

	if (cg->version == CGROUP_V2)
		return cg_dir(cg, "");
	for (size_t i = 0; i < ARRAY_SIZE(prefer); i++)
		if (cg_dir(cg, prefer[i]))
			return cg_dir(cg, prefer[i]);
	return cg->count ? cg->dirs[0].path : NULL;
}

int cgroup_pids(struct cgroup *cg, pid_t **pids, size_t *count, char *err, size_t errlen)
{
	const char *dir = procs_dir(cg);
	struct pid_list pl = { 0 };
	size_t n = 0;
	int ret;

	*pids = NULL;
	*count = 0;
	if (!dir)
		return cg_fail(err, errlen, -ENOENT, "cgroup: no hierarchy to list processes from");
	ret = collect_pids(dir, &pl);
	if (ret) {
		free(pl.pids);
		return cg_fail(err, errlen, ret, "cgroup: listing the processes of %s: %s", dir,
		               strerror(-ret));
	}
	if (pl.count) {
		qsort(pl.pids, pl.count, sizeof(pid_t), pid_cmp);
		for (size_t i = 0; i < pl.count; i++)
			if (i == 0 || pl.pids[i] != pl.pids[n - 1])
				pl.pids[n++] = pl.pids[i];
	}
	*pids = pl.pids;
	*count = n;
	return 0;
}

/* ---- Freezer ---- */

static int freeze_v1(const char *dir, char *err, size_t errlen)
{
	long backoff_s = 1;

	/* runc's loop: FREEZING may not settle while tasks keep forking, so
	 * write FROZEN again, and now and then thaw and sleep a little. */
	for (int i = 0; i < 1000; i++) {
		char state[32];
		int ret;

		if (i % 50 == 49) {
			cg_write(dir, "freezer.state", "THAWED");
			sleep_ms(10);
		}
		ret = cg_write(dir, "freezer.state", "FROZEN");
		if (ret)
			return cg_fail(err, errlen, ret, "cgroup: freezing %s: %s", dir,
			               strerror(-ret));
		if (i % 25 == 24)
			usleep(10);
		if (i % 200 == 199 && backoff_s <= 8) {
			sleep_ms(backoff_s * 1000);
			backoff_s *= 2;
		}
		ret = cg_read(dir, "freezer.state", state, sizeof(state));
		if (ret < 0) {
			cg_write(dir, "freezer.state", "THAWED");
			return cg_fail(err, errlen, ret, "cgroup: reading %s/freezer.state: %s",
			               dir, strerror(-ret));
		}
		if (strncmp(state, "FREEZING", 8) == 0)
			continue;
		if (strncmp(state, "FROZEN", 6) == 0)
			return 0;
		cg_write(dir, "freezer.state", "THAWED");
		return cg_fail(err, errlen, -EIO,
		               "cgroup: unexpected freezer state %.*s while freezing",
		               (int)strcspn(state, "\n"), state);
	}
	cg_write(dir, "freezer.state", "THAWED");
	return cg_fail(err, errlen, -EBUSY, "cgroup: unable to freeze %s", dir);
}

/* v2: waits until cgroup.events says "frozen <want>". */
static int wait_frozen_v2(const char *dir, bool want)
{
	char path[PATH_MAX];
	struct timespec start, now;
	int fd, ret = -ETIMEDOUT;

	snprintf(path, sizeof(path), "%s/cgroup.events", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		char buf[256], *line;
		ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
		long elapsed;

		if (n < 0) {
			ret = -errno;
			break;
		}
		buf[n] = '\0';
		line = strstr(buf, "frozen ");
		if (line && (line == buf || line[-1] == '\n') && (line[7] == '1') == want) {
			ret = 0;
			break;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		elapsed = (now.tv_sec - start.tv_sec) * 1000 +
		          (now.tv_nsec - start.tv_nsec) / 1000000;
		if (elapsed >= FREEZE_TIMEOUT_MS)
			break;
		/* The kernel notifies a change of cgroup.events with POLLPRI. */
		struct pollfd pfd = { .fd = fd, .events = POLLPRI };
		poll(&pfd, 1, 100);
	}
	close(fd);
	return ret;
}

int cgroup_freeze(struct cgroup *cg, bool frozen, char *err, size_t errlen)
{
	const char *dir;
	int ret;

	if (cg->version == CGROUP_V1) {
		dir = cg_dir(cg, "freezer");
		if (!dir)
			return cg_fail(err, errlen, -ENOTSUP,
			               "cgroup: the freezer cgroup controller is not mounted");
		if (frozen)
			return freeze_v1(dir, err, errlen);
		ret = cg_write(dir, "freezer.state", "THAWED");
		if (ret)
			return cg_fail(err, errlen, ret, "cgroup: thawing %s: %s", dir,
			               strerror(-ret));
		return 0;
	}
	dir = cg_dir(cg, "");
	ret = cg_write(dir, "cgroup.freeze", frozen ? "1" : "0");
	if (ret)
		return cg_fail(err, errlen, ret, "cgroup: %s %s: %s",
		               frozen ? "freezing" : "thawing", dir, strerror(-ret));
	ret = wait_frozen_v2(dir, frozen);
	if (ret) {
		if (frozen)
			cg_write(dir, "cgroup.freeze", "0");
		if (ret == -ETIMEDOUT)
			return cg_fail(err, errlen, ret, "cgroup: %s did not %s within %d s", dir,
			               frozen ? "freeze" : "thaw", FREEZE_TIMEOUT_MS / 1000);
		return cg_fail(err, errlen, ret, "cgroup: reading %s/cgroup.events: %s", dir,
		               strerror(-ret));
	}
	return 0;
}

int cgroup_state(struct cgroup *cg, enum cgroup_freezer_state *out, char *err, size_t errlen)
{
	char buf[32];
	const char *dir;
	int ret;

	*out = CGROUP_FREEZER_UNDEFINED;
	if (cg->version == CGROUP_V2) {
		dir = cg_dir(cg, "");
		ret = cg_read(dir, "cgroup.freeze", buf, sizeof(buf));
		if (ret < 0)
			return cg_fail(err, errlen, ret, "cgroup: reading %s/cgroup.freeze: %s",
			               dir, strerror(-ret));
		*out = buf[0] == '1' ? CGROUP_FROZEN : CGROUP_THAWED;
		return 0;
	}
	dir = cg_dir(cg, "freezer");
	if (!dir)
		return 0;
	/* FREEZING settles into FROZEN (or back to THAWED) quickly; wait for it. */
	for (int i = 0; i < 10000; i++) {
		ret = cg_read(dir, "freezer.state", buf, sizeof(buf));
		if (ret < 0)
			return cg_fail(err, errlen, ret, "cgroup: reading %s/freezer.state: %s",
			               dir, strerror(-ret));
		if (strncmp(buf, "THAWED", 6) == 0) {
			*out = CGROUP_THAWED;
			return 0;
		}
		if (strncmp(buf, "FROZEN", 6) == 0) {
			/* Frozen by itself, or only because an ancestor is? */
			ret = cg_read(dir, "freezer.self_freezing", buf, sizeof(buf));
			*out = ret > 0 && buf[0] == '0' ? CGROUP_THAWED : CGROUP_FROZEN;
			return 0;
		}
		sleep_ms(1);
	}
	return cg_fail(err, errlen, -EBUSY, "cgroup: %s stays FREEZING", dir);
}

/* ---- Removal ---- */

static int kill_all(struct cgroup *cg, char *err, size_t errlen)
{
	const char *v2 = cg->version == CGROUP_V2 ? cg_dir(cg, "") : NULL;
	bool frozen = false;
	pid_t *pids;
	size_t count;
	int ret;

	if (v2 && cg_write(v2, "cgroup.kill", "1") == 0)
		goto wait;
	/* Freeze first so that nothing forks between listing and killing. */
	if (cg->version == CGROUP_V2 || cg_dir(cg, "freezer"))
		frozen = cgroup_freeze(cg, true, NULL, 0) == 0;
	ret = cgroup_pids(cg, &pids, &count, err, errlen);
	if (ret == 0) {
		for (size_t i = 0; i < count; i++)
			kill(pids[i], SIGKILL);
		free(pids);
	}
	if (frozen)
		cgroup_freeze(cg, false, NULL, 0);
	if (ret == -ENOENT)
		return 0; /* already gone */
	if (ret)
		return ret;
wait:
	/* SIGKILL is not instant: wait (about 2 s at most) for them to exit. */
	for (int i = 0; i < 200; i++) {
		ret = cgroup_pids(cg, &pids, &count, NULL, 0);
		free(pids);
		if (ret || count == 0)
			return 0;
		sleep_ms(10);
	}
	return 0; /* rmdir will report what is left */
}

static int remove_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int ret = 0;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while (!ret && (de = readdir(d))) {
		char sub[PATH_MAX];
		if (de->d_type != DT_DIR || strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name);
		ret = remove_tree(sub);
	}
	closedir(d);
	if (ret)
		return ret;
	/* EBUSY while exiting tasks leave: retry with backoff, about 1.3 s in all. */
	for (long delay = 10;; delay *= 2) {
		if (rmdir(dir) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY || delay > 640)
			return -errno;
		sleep_ms(delay);
	}
}

int cgroup_destroy(struct cgroup *cg, bool kill, char *err, size_t errlen)
{
	int first = 0;

	if (kill) {
		int ret = kill_all(cg, err, errlen);
		if (ret)
			return ret;
	}
	for (size_t i = 0; i < cg->count; i++) {
		int ret = remove_tree(cg->dirs[i].path);
		if (ret && !first) {
			first = ret;
			cg_fail(err, errlen, ret, "cgroup: removing %s: %s%s", cg->dirs[i].path,
			        strerror(-ret),
			        ret == -EBUSY ? " (processes are still in it)" : "");
		}
	}
	return first;
}

/* ---- runc's conversions for cgroup v2 ---- */

unsigned long long cgroup_shares_to_weight(unsigned long long shares)
{
	if (shares == 0)
		return 0;
	if (shares < 2)
		shares = 2; /* the kernel's minimum; avoids wrapping below */
	return 1 + ((shares - 2) * 9999) / 262142;
}

unsigned long long cgroup_blkio_to_io_weight(unsigned long long weight)
{
	if (weight == 0)
		return 0;
	if (weight < 10)
		weight = 10;
	return 1 + (weight - 10) * 9999 / 990;
}

int cgroup_swap_to_v2(long long swap, long long limit, long long *out, char *err, size_t errlen)
{
	if (limit == -1 && swap == 0) {
		/* As on v1: unlimited memory with swap not given means both unlimited. */
		*out = -1;
	} else if (swap == -1 || swap == 0) {
		*out = swap;
	} else if (limit == -1) {
		*out = swap;
	} else if (limit == 0) {
		return cg_fail(err, errlen, -EINVAL,
		               "unable to set swap limit without memory limit");
	} else if (limit < 0) {
		return cg_fail(err, errlen, -EINVAL, "invalid memory value: %lld", limit);
	} else if (swap < limit) {
		return cg_fail(err, errlen, -EINVAL, "memory+swap limit should be >= memory limit");
	} else {
		*out = swap - limit;
	}
	return 0;
}
