/*
 * Where the cgroup is (see cgroup.h, "Layout" and "Paths"): the host's
 * hierarchies from statfs, /proc/self/mountinfo and /proc/self/cgroup, and
 * cgroupsPath resolved against them into one directory per hierarchy, which
 * cgroup_to_json/cgroup_from_json save and restore.
 *
 * Path cleaning follows Go's filepath.Clean as runc's utils.CleanPath uses
 * it: a relative path is cleaned as if it started at "/", so ".." cannot
 * climb above the caller's cgroup.
 */
#include "common/oci/cgroup_internal.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

#define CGROUP_ROOT        "/sys/fs/cgroup"
#define CGROUP_HYBRID_ROOT "/sys/fs/cgroup/unified"

struct cgroup_layout *cgroup_layout_new(enum cgroup_version version)
{
	struct cgroup_layout *l = calloc(1, sizeof(*l));

	if (l)
		l->version = version;
	return l;
}

int cgroup_layout_add(struct cgroup_layout *l, const char *mountpoint, const char *controllers,
                      const char *own_path)
{
	struct cgroup_hierarchy *bigger, *h;

	bigger = realloc(l->hierarchies, (l->count + 1) * sizeof(*bigger));
	if (!bigger)
		return -ENOMEM;
	l->hierarchies = bigger;
	h = &l->hierarchies[l->count];
	h->mountpoint = strdup(mountpoint);
	h->controllers = strdup(controllers);
	h->own_path = own_path ? strdup(own_path) : NULL;
	if (!h->mountpoint || !h->controllers || (own_path && !h->own_path)) {
		free(h->mountpoint), free(h->controllers), free(h->own_path);
		return -ENOMEM;
	}
	l->count++;
	return 0;
}

void cgroup_layout_free(struct cgroup_layout *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->count; i++) {
		free(l->hierarchies[i].mountpoint);
		free(l->hierarchies[i].controllers);
		free(l->hierarchies[i].own_path);
	}
	free(l->hierarchies);
	free(l);
}

/* The v1 controllers the kernel has (and "name=" hierarchies). */
static bool is_controller(const char *opt)
{
	static const char *const names[] = {
		"cpuset",  "cpu",        "cpuacct", "blkio",    "memory",
		"devices", "freezer",    "net_cls", "net_prio", "hugetlb",
		"pids",    "perf_event", "rdma",    "misc",     "debug",
	};

	if (strncmp(opt, "name=", 5) == 0)
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (strcmp(opt, names[i]) == 0)
			return true;
	return false;
}

/* Whether two comma-separated lists hold the same names. */
static bool same_set(const char *a, const char *b)
{
	char buf[256];
	size_t na = 0, nb = 0;

	for (const char *p = a; *p; p++)
		na += *p == ',';
	for (const char *p = b; *p; p++)
		nb += *p == ',';
	if (na != nb || !*a != !*b)
		return false;
	snprintf(buf, sizeof(buf), "%s", a);
	for (char *save, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		if (!cg_list_has(b, tok))
			return false;
	return true;
}

/* Undoes mountinfo's octal escapes (\040 for a space) in place. */
static void unescape_octal(char *s)
{
	char *w = s;

	for (char *r = s; *r; r++) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '7' && r[2] >= '0' && r[2] <= '7' &&
		    r[3] >= '0' && r[3] <= '7') {
			*w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
			r += 3;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
}

/* The path of the caller's cgroup for a hierarchy, from /proc/self/cgroup. */
static const char *own_cgroup(const char *proc_cgroup, const char *controllers, char *buf,
                              size_t size)
{
	const char *line = proc_cgroup;

	while (line && *line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		char tmp[PATH_MAX + 256];
		char *c1, *c2;

		if (len < sizeof(tmp)) {
			memcpy(tmp, line, len);
			tmp[len] = '\0';
			c1 = strchr(tmp, ':');
			c2 = c1 ? strchr(c1 + 1, ':') : NULL;
			if (c2) {
				*c2 = '\0';
				if (same_set(c1 + 1, controllers)) {
					snprintf(buf, size, "%s", c2 + 1);
					return buf;
				}
			}
		}
		line = nl ? nl + 1 : NULL;
	}
	return NULL;
}

/* The caller's cgroup relative to a mount of the hierarchy whose root is root. */
static const char *relative_to_root(const char *cg, const char *root)
{
	size_t n = strlen(root);

	if (strcmp(root, "/") == 0)
		return cg;
	if (strncmp(cg, root, n) == 0 && (cg[n] == '/' || cg[n] == '\0'))
		return cg[n] ? cg + n : "/";
	return NULL; /* not visible through this mount */
}

int cgroup_layout_parse(const char *mountinfo, const char *proc_cgroup, bool unified,
                        struct cgroup_layout **out, char *err, size_t errlen)
{
	struct cgroup_layout *l = cgroup_layout_new(unified ? CGROUP_V2 : CGROUP_V1);
	char *text = strdup(mountinfo), *save_line;
	char *v2_mount = NULL, *v2_root = NULL;
	int ret = 0;

	*out = NULL;
	if (!l || !text) {
		ret = cg_fail(err, errlen, -ENOMEM, "cgroup: out of memory");
		goto out;
	}
	for (char *line = strtok_r(text, "\n", &save_line); line && !ret;
	     line = strtok_r(NULL, "\n", &save_line)) {
		char *f[6], *sep = strstr(line, " - "), *save;
		char *fstype, *super, ctl[256] = "", buf[PATH_MAX];
		const char *own = NULL;
		int n = 0;

		if (!sep)
			continue;
		*sep = '\0';
		for (char *tok = strtok_r(line, " ", &save); tok && n < 6;
		     tok = strtok_r(NULL, " ", &save))
			f[n++] = tok;
		fstype = strtok_r(sep + 3, " ", &save);
		strtok_r(NULL, " ", &save); /* source */
		super = strtok_r(NULL, " ", &save);
		if (n < 5 || !fstype || !super)
			continue;
		unescape_octal(f[3]);
		unescape_octal(f[4]);
		if (strcmp(fstype, "cgroup2") == 0) {
			/* Pure v2: the one at /sys/fs/cgroup; hybrid: /sys/fs/cgroup/unified. */
			const char *want = unified ? CGROUP_ROOT : CGROUP_HYBRID_ROOT;
			if (!v2_mount || strcmp(f[4], want) == 0) {
				free(v2_mount), free(v2_root);
				v2_mount = strdup(f[4]);
				v2_root = strdup(f[3]);
			}
			continue;
		}
		if (strcmp(fstype, "cgroup") != 0 || unified)
			continue;
		for (char *save2, *opt = strtok_r(super, ",", &save2); opt;
		     opt = strtok_r(NULL, ",", &save2)) {
			if (!is_controller(opt))
				continue;
			if (ctl[0])
				strncat(ctl, ",", sizeof(ctl) - strlen(ctl) - 1);
			strncat(ctl, opt, sizeof(ctl) - strlen(ctl) - 1);
		}
		if (!ctl[0])
			continue;
		for (size_t i = 0; i < l->count && ctl[0]; i++)
			if (same_set(l->hierarchies[i].controllers, ctl))
				ctl[0] = '\0'; /* mounted twice: the first one counts */
		if (!ctl[0])
			continue;
		if (own_cgroup(proc_cgroup, ctl, buf, sizeof(buf)))
			own = relative_to_root(buf, f[3]);
		if (cgroup_layout_add(l, f[4], ctl, own))
			ret = cg_fail(err, errlen, -ENOMEM, "cgroup: out of memory");
	}
	if (ret)
		goto out;
	if (v2_mount && (unified || strcmp(v2_mount, CGROUP_HYBRID_ROOT) == 0)) {
		char buf[PATH_MAX];
		const char *own = NULL;
		if (own_cgroup(proc_cgroup, "", buf, sizeof(buf)))
			own = relative_to_root(buf, v2_root);
		if (cgroup_layout_add(l, v2_mount, "", own))
			ret = cg_fail(err, errlen, -ENOMEM, "cgroup: out of memory");
	}
	if (!ret &&
	    (l->count == 0 || (l->count == 1 && !l->hierarchies[0].controllers[0] && !unified)))
		ret = cg_fail(err, errlen, -ENOENT, "cgroup: no cgroup hierarchy is mounted");
out:
	free(text), free(v2_mount), free(v2_root);
	if (ret)
		cgroup_layout_free(l);
	else
		*out = l;
	return ret;
}

int cgroup_layout_detect(struct cgroup_layout **out, char *err, size_t errlen)
{
	struct statfs st;
	char *mountinfo, *self;
	int ret;

	*out = NULL;
	if (statfs(CGROUP_ROOT, &st) < 0)
		return cg_fail(err, errlen, -errno, "cgroup: statfs %s: %s", CGROUP_ROOT,
		               strerror(errno));
	mountinfo = cg_read_all("/proc/self", "mountinfo");
	self = cg_read_all("/proc/self", "cgroup");
	if (!mountinfo || !self) {
		ret = cg_fail(err, errlen, -errno, "cgroup: reading /proc/self/%s: %s",
		              mountinfo ? "cgroup" : "mountinfo", strerror(errno));
	} else {
		ret = cgroup_layout_parse(mountinfo, self, st.f_type == CGROUP2_SUPER_MAGIC, out,
		                          err, errlen);
	}
	free(mountinfo);
	free(self);
	return ret;
}

/* ---- Paths ---- */

/*
 * Go's filepath.Clean of an absolute path, in place into out: no empty or
 * "." components, ".." removes the one before (and nothing at the root).
 */
static void clean_abs(const char *in, char *out, size_t size)
{
	size_t len = 0;

	out[0] = '\0';
	for (const char *p = in; *p;) {
		const char *end;
		size_t n;

		while (*p == '/')
			p++;
		end = strchrnul(p, '/');
		n = (size_t)(end - p);
		if (n == 0 || (n == 1 && p[0] == '.')) {
			/* skip */
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			while (len > 0 && out[len - 1] != '/')
				len--;
			if (len > 0)
				len--; /* the slash */
			out[len] = '\0';
		} else if (len + 1 + n < size) {
			out[len++] = '/';
			memcpy(out + len, p, n);
			len += n;
			out[len] = '\0';
		}
		p = end;
	}
	if (len == 0)
		snprintf(out, size, "/");
}

/* The systemd driver's "slice:prefix:name": two colons and no slash. */
static bool is_systemd_form(const char *p)
{
	const char *c1 = strchr(p, ':');
	const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;

	return c2 && !strchr(c2 + 1, ':') && !strchr(p, '/');
}

static void free_dirs(struct cgroup *cg)
{
	for (size_t i = 0; i < cg->count; i++) {
		free(cg->dirs[i].controllers);
		free(cg->dirs[i].mountpoint);
		free(cg->dirs[i].path);
	}
	free(cg->dirs);
	cg->dirs = NULL;
	cg->count = 0;
}

void cgroup_close(struct cgroup *cg)
{
	if (!cg)
		return;
	free_dirs(cg);
	free(cg);
}

static int add_dir(struct cgroup *cg, const char *controllers, const char *mountpoint,
                   const char *path)
{
	struct cgroup_dir *bigger = realloc(cg->dirs, (cg->count + 1) * sizeof(*bigger));
	struct cgroup_dir *d;

	if (!bigger)
		return -ENOMEM;
	cg->dirs = bigger;
	d = &cg->dirs[cg->count];
	d->controllers = strdup(controllers);
	d->mountpoint = strdup(mountpoint);
	d->path = strdup(path);
	if (!d->controllers || !d->mountpoint || !d->path) {
		free(d->controllers), free(d->mountpoint), free(d->path);
		return -ENOMEM;
	}
	cg->count++;
	return 0;
}

int cgroup_open_layout(const struct cgroup_layout *l, const char *cgroups_path, const char *id,
                       struct cgroup **out, char *err, size_t errlen)
{
	const char *given = cgroups_path && cgroups_path[0] ? cgroups_path : id;
	char inner[PATH_MAX];
	bool relative;
	struct cgroup *cg;
	int ret = 0;

	*out = NULL;
	if (!given || !given[0])
		return cg_fail(err, errlen, -EINVAL, "cgroup: no cgroupsPath and no container id");
	if (is_systemd_form(given))
		return cg_fail(
		        err, errlen, -EINVAL,
		        "linux.cgroupsPath \"%s\": the systemd form slice:prefix:name needs the "
		        "systemd cgroup driver, which runsc does not have; give a path",
		        given);
	relative = given[0] != '/';
	clean_abs(given, inner, sizeof(inner));
	if (strcmp(inner, "/") == 0)
		return cg_fail(err, errlen, -EINVAL,
		               "linux.cgroupsPath \"%s\": must name a cgroup below the root",
		               given);
	if (l->count == 0)
		return cg_fail(err, errlen, -ENOENT, "cgroup: no cgroup hierarchy is mounted");

	cg = calloc(1, sizeof(*cg));
	if (!cg)
		return cg_fail(err, errlen, -ENOMEM, "cgroup: out of memory");
	cg->version = l->version;
	for (size_t i = 0; i < l->count && !ret; i++) {
		const struct cgroup_hierarchy *h = &l->hierarchies[i];
		char base[PATH_MAX], path[PATH_MAX * 2];

		if (!relative) {
			snprintf(base, sizeof(base), "/");
		} else if (!h->own_path) {
			ret = cg_fail(err, errlen, -EINVAL,
			              "linux.cgroupsPath \"%s\": relative, but the caller's own "
			              "cgroup in "
			              "the %s hierarchy (%s) is unknown",
			              given, h->controllers[0] ? h->controllers : "cgroup2",
			              h->mountpoint);
			break;
		} else if (l->version == CGROUP_V2) {
			/* runc: the parent of our own cgroup, which has processes in it. */
			clean_abs(h->own_path, base, sizeof(base));
			char *slash = strrchr(base, '/');
			slash[slash == base ? 1 : 0] = '\0';
		} else {
			clean_abs(h->own_path, base, sizeof(base));
		}
		snprintf(path, sizeof(path), "%s%s%s", h->mountpoint,
		         strcmp(base, "/") == 0 ? "" : base, inner);
		if (add_dir(cg, h->controllers, h->mountpoint, path))
			ret = cg_fail(err, errlen, -ENOMEM, "cgroup: out of memory");
	}
	if (ret) {
		cgroup_close(cg);
		return ret;
	}
	*out = cg;
	return 0;
}

int cgroup_open(const char *cgroups_path, const char *id, struct cgroup **out, char *err,
                size_t errlen)
{
	struct cgroup_layout *l;
	int ret;

	*out = NULL;
	ret = cgroup_layout_detect(&l, err, errlen);
	if (ret)
		return ret;
	ret = cgroup_open_layout(l, cgroups_path, id, out, err, errlen);
	cgroup_layout_free(l);
	return ret;
}

enum cgroup_version cgroup_version(const struct cgroup *cg)
{
	return cg->version;
}

const char *cgroup_dir(const struct cgroup *cg, const char *controller)
{
	return cg_dir(cg, controller);
}

json_t *cgroup_to_json(const struct cgroup *cg)
{
	json_t *obj = json_object(), *paths = json_object(), *mounts = json_object();
	int err = !obj || !paths || !mounts;

	for (size_t i = 0; i < cg->count && !err; i++) {
		err |= json_object_set_new(paths, cg->dirs[i].controllers,
		                           json_string(cg->dirs[i].path));
		err |= json_object_set_new(mounts, cg->dirs[i].controllers,
		                           json_string(cg->dirs[i].mountpoint));
	}
	if (!err) {
		err |= json_object_set_new(obj, "version", json_integer(cg->version));
		err |= json_object_set(obj, "paths", paths);
		err |= json_object_set(obj, "mounts", mounts);
	}
	json_decref(paths);
	json_decref(mounts);
	if (err) {
		json_decref(obj);
		return NULL;
	}
	return obj;
}

int cgroup_from_json(const json_t *saved, struct cgroup **out, char *err, size_t errlen)
{
	json_t *version = json_object_get(saved, "version");
	json_t *paths = json_object_get(saved, "paths");
	json_t *mounts = json_object_get(saved, "mounts");
	struct cgroup *cg;
	const char *key;
	json_t *value;

	*out = NULL;
	if (!json_is_integer(version) ||
	    (json_integer_value(version) != 1 && json_integer_value(version) != 2) ||
	    !json_is_object(paths) || json_object_size(paths) == 0 || !json_is_object(mounts))
		return cg_fail(err, errlen, -EINVAL, "cgroup: invalid saved cgroup paths");
	cg = calloc(1, sizeof(*cg));
	if (!cg)
		return cg_fail(err, errlen, -ENOMEM, "cgroup: out of memory");
	cg->version = (enum cgroup_version)json_integer_value(version);
	json_object_foreach((json_t *)paths, key, value)
	{
		json_t *mount = json_object_get(mounts, key);
		if (!json_is_string(value) || !json_is_string(mount) ||
		    json_string_value(value)[0] != '/') {
			cgroup_close(cg);
			return cg_fail(err, errlen, -EINVAL,
			               "cgroup: invalid saved cgroup path for \"%s\"", key);
		}
		if (add_dir(cg, key, json_string_value(mount), json_string_value(value))) {
			cgroup_close(cg);
			return cg_fail(err, errlen, -ENOMEM, "cgroup: out of memory");
		}
	}
	*out = cg;
	return 0;
}
