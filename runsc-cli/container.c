/* A container's state directory: see container.h. */
#include "runsc-cli/container.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/oci/control.h"
#include "common/oci/state.h"

bool container_id_valid(const char *id)
{
	size_t n = strlen(id);
	if (n == 0 || n > 1024 || id[0] == '.')
		return false;
	for (const char *p = id; *p; p++) {
		char ch = *p;
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		          (ch >= '0' && ch <= '9') || ch == '_' || ch == '+' || ch == '-' ||
		          ch == '.';
		if (!ok)
			return false;
	}
	return true;
}

/* mkdir -p root, mode 0700 for what it makes. */
static int make_root(const char *root)
{
	char buf[4096];
	if (snprintf(buf, sizeof(buf), "%s", root) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = buf + 1;; p++) {
		if (*p == '/' || *p == '\0') {
			char saved = *p;
			*p = '\0';
			if (mkdir(buf, 0700) < 0 && errno != EEXIST)
				return -errno;
			*p = saved;
			if (!saved)
				return 0;
		}
	}
}

static struct container *container_alloc(const char *root, const char *id, int dirfd)
{
	struct container *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->root = strdup(root);
	c->id = strdup(id);
	c->dirfd = dirfd;
	if (!c->root || !c->id) {
		free(c->root);
		free(c->id);
		free(c);
		return NULL;
	}
	return c;
}

static int lock_dir(int dirfd, bool exclusive)
{
	while (flock(dirfd, exclusive ? LOCK_EX : LOCK_SH) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	return 0;
}

int container_create(const char *root, const char *id, struct container **out)
{
	if (!container_id_valid(id))
		return -EINVAL;
	int err = make_root(root);
	if (err < 0)
		return err;
	int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return -errno;
	if (mkdirat(rootfd, id, 0700) < 0) {
		err = -errno;
		close(rootfd);
		return err;
	}
	int dirfd = openat(rootfd, id, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	err = dirfd < 0 ? -errno : 0;
	close(rootfd);
	if (err == 0)
		err = lock_dir(dirfd, true);
	struct container *c = err == 0 ? container_alloc(root, id, dirfd) : NULL;
	if (c)
		c->st = json_object();
	if (!c || !c->st) {
		if (dirfd >= 0)
			close(dirfd);
		char path[4200];
		snprintf(path, sizeof(path), "%s/%s", root, id);
		rmdir(path);
		if (c) {
			free(c->root);
			free(c->id);
			free(c);
		}
		return err < 0 ? err : -ENOMEM;
	}
	*out = c;
	return 0;
}

int container_open(const char *root, const char *id, bool exclusive, struct container **out)
{
	if (!container_id_valid(id))
		return -ENOENT;
	char path[4200];
	if (snprintf(path, sizeof(path), "%s/%s", root, id) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	int dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return errno == ENOTDIR ? -ENOENT : -errno;
	int err = lock_dir(dirfd, exclusive);
	if (err < 0) {
		close(dirfd);
		return err;
	}
	/* A delete may have removed it while we waited for the lock. */
	struct stat st;
	if (fstat(dirfd, &st) < 0 || st.st_nlink == 0) {
		close(dirfd);
		return -ENOENT;
	}
	int fd = openat(dirfd, "state.json", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		close(dirfd);
		/* A create that has not written its state yet, or died before: not a container. */
		return err == -ENOENT ? -ENOENT : err;
	}
	json_error_t jerr;
	json_t *j = json_loadfd(fd, 0, &jerr);
	close(fd);
	if (!j || !json_is_object(j)) {
		json_decref(j);
		close(dirfd);
		return -EBADMSG;
	}
	struct container *c = container_alloc(root, id, dirfd);
	if (!c) {
		json_decref(j);
		close(dirfd);
		return -ENOMEM;
	}
	c->st = j;
	*out = c;
	return 0;
}

int container_save(struct container *c)
{
	int fd = openat(c->dirfd, "state.json.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	int err = json_dumpfd(c->st, fd, JSON_COMPACT) < 0 ? -EIO : 0;
	if (close(fd) < 0 && err == 0)
		err = -errno;
	if (err == 0 && renameat(c->dirfd, "state.json.tmp", c->dirfd, "state.json") < 0)
		err = -errno;
	return err;
}

static void free_container(struct container *c)
{
	json_decref(c->st);
	free(c->root);
	free(c->id);
	free(c);
}

void container_remove(struct container *c)
{
	/* Everything in it is ours and flat: the state, the socket, temporary files. */
	int fd = openat(c->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (d) {
		struct dirent *e;
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
				unlinkat(c->dirfd, e->d_name, 0);
		}
		closedir(d);
	} else if (fd >= 0) {
		close(fd);
	}
	char path[4200];
	snprintf(path, sizeof(path), "%s/%s", c->root, c->id);
	rmdir(path);
	close(c->dirfd);
	free_container(c);
}

void container_close(struct container *c)
{
	close(c->dirfd);
	free_container(c);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int container_list(const char *root, char ***out)
{
	size_t n = 0, cap = 16;
	char **ids = malloc(cap * sizeof(*ids));
	if (!ids)
		return -ENOMEM;
	DIR *d = opendir(root);
	if (d) {
		struct dirent *e;
		while ((e = readdir(d)) != NULL) {
			if (!container_id_valid(e->d_name) || e->d_type != DT_DIR)
				continue;
			if (n + 2 > cap) {
				char **bigger = realloc(ids, (cap *= 2) * sizeof(*ids));
				if (!bigger)
					break;
				ids = bigger;
			}
			ids[n] = strdup(e->d_name);
			if (ids[n])
				n++;
		}
		closedir(d);
	}
	qsort(ids, n, sizeof(*ids), cmp_str);
	ids[n] = NULL;
	*out = ids;
	return 0;
}

long long container_int(const struct container *c, const char *key)
{
	return json_integer_value(json_object_get(c->st, key));
}

const char *container_str(const struct container *c, const char *key)
{
	return json_string_value(json_object_get(c->st, key));
}

unsigned long long process_start_time(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* After the command's closing parenthesis: state (field 3) ... starttime (22). */
	char *p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return 0;
	p += 2;
	if (*p == 'Z' || *p == 'X')
		return 0;
	for (int field = 3; field < 22; field++) {
		p = strchr(p, ' ');
		if (!p)
			return 0;
		p++;
	}
	return strtoull(p, NULL, 10);
}

bool container_sandbox_alive(const struct container *c)
{
	pid_t pid = (pid_t)container_int(c, "sandbox_pid");
	unsigned long long start = (unsigned long long)container_int(c, "sandbox_start");
	return pid > 0 && process_start_time(pid) == start;
}

int container_connect(struct container *c)
{
	const char *sandbox = container_str(c, "sandbox_id");
	if (!sandbox || strcmp(sandbox, c->id) == 0)
		return control_connect(c->dirfd);
	char path[4200];
	snprintf(path, sizeof(path), "%s/%s", c->root, sandbox);
	int dirfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return -errno;
	int sock = control_connect(dirfd);
	close(dirfd);
	return sock;
}

int container_call(struct container *c, const char *op, json_t *extra, json_t **reply, char *err,
                   size_t errlen)
{
	json_t *req = extra ? json_deep_copy(extra) : json_object();
	if (!req)
		return -ENOMEM;
	json_object_set_new(req, "op", json_string(op));
	json_object_set_new(req, "container", json_string(c->id));
	int sock = container_connect(c);
	int e = sock;
	if (sock >= 0) {
		e = control_call(sock, req, NULL, 0, reply);
		close(sock);
	}
	json_decref(req);
	if (e < 0) {
		snprintf(err, errlen, "cannot reach the sandbox: %s", strerror(-e));
		return e;
	}
	const char *msg = json_string_value(json_object_get(*reply, "error"));
	if (msg) {
		snprintf(err, errlen, "%s", msg);
		json_decref(*reply);
		*reply = NULL;
		return -EIO;
	}
	return 0;
}

int container_cgroup(const struct container *c, struct cgroup **out, char *err, size_t errlen)
{
	*out = NULL;
	json_t *saved = json_object_get(c->st, "cgroup");
	if (!saved)
		return 0;
	return cgroup_from_json(saved, out, err, errlen);
}

bool container_frozen(const struct container *c)
{
	struct cgroup *cg;
	char err[256];
	if (container_cgroup(c, &cg, err, sizeof(err)) < 0 || !cg)
		return false;
	enum cgroup_freezer_state fs = CGROUP_THAWED;
	int e = cgroup_state(cg, &fs, err, sizeof(err));
	cgroup_close(cg);
	return e == 0 && fs == CGROUP_FROZEN;
}

enum oci_status container_oci_status(struct container *c, pid_t *pid)
{
	*pid = 0;
	if (!container_sandbox_alive(c))
		return OCI_STATUS_STOPPED;
	/* A frozen sandbox cannot answer: paused is what the freezer says, as runc. */
	if (container_frozen(c)) {
		*pid = (pid_t)container_int(c, "pid");
		return OCI_STATUS_PAUSED;
	}
	json_t *reply;
	char err[256];
	if (container_call(c, "state", NULL, &reply, err, sizeof(err)) < 0)
		return OCI_STATUS_STOPPED;
	const char *s = json_string_value(json_object_get(reply, "status"));
	enum oci_status status = OCI_STATUS_STOPPED;
	if (s && strcmp(s, "created") == 0)
		status = OCI_STATUS_CREATED;
	else if (s && strcmp(s, "running") == 0)
		status = OCI_STATUS_RUNNING;
	json_decref(reply);
	if (status != OCI_STATUS_STOPPED)
		*pid = (pid_t)container_int(c, "pid");
	return status;
}

const char *container_status(struct container *c, pid_t *pid)
{
	return oci_status_name(container_oci_status(c, pid));
}

char *container_state_json(const struct container *c, enum oci_state_format format,
                           enum oci_status status, pid_t pid, const char *owner)
{
	json_t *ann = json_object_get(c->st, "annotations");
	size_t n = json_object_size(ann), i = 0;
	struct oci_kv *kv = calloc(n + 1, sizeof(*kv));
	if (!kv)
		return NULL;
	const char *key;
	json_t *v;
	json_object_foreach(ann, key, v)
	{
		if (i < n && json_is_string(v)) {
			kv[i].key = (char *)key;
			kv[i].value = (char *)json_string_value(v);
			i++;
		}
	}
	long long created = container_int(c, "created_ns");
	struct oci_state st = {
		.oci_version = container_str(c, "oci_version"),
		.id = c->id,
		.status = status,
		.pid = (int)pid,
		.bundle = container_str(c, "bundle"),
		.rootfs = container_str(c, "rootfs"),
		.created = { .tv_sec = created / 1000000000, .tv_nsec = created % 1000000000 },
		.owner = owner,
		.annotations = kv,
		.annotations_count = i,
	};
	char *out = oci_state_json(&st, format);
	free(kv);
	return out;
}
