/*
 * The config.json parser (see spec.h for the contract).
 *
 * One function per object of the spec, each given the JSON value and the
 * path of the field it is at ("process.user"), so every error can name its
 * field. Helpers read one field of an object: absent (or null) is "not
 * given", and a value of the wrong type is an error. Every function returns
 * 0 or -errno with the message already written; the partly filled spec is
 * then freed by the caller, so nothing here unwinds by hand.
 *
 * Integers: jansson rejects integers above INT64_MAX ("too big integer"),
 * yet rlimits are uint64 and 2^64-1 (RLIM_INFINITY) is a common value. On
 * that error the text is parsed again with JSON_DECODE_INT_AS_REAL, every
 * whole real within int64 is turned back into an integer (so linux.resources
 * keeps its integers), and the uint64 reader takes the reals left: values
 * from 2^64 up (where 2^64-1 rounds to) become UINT64_MAX. Values between
 * 2^63 and 2^64 lose precision that way; in practice they are all 2^64-1.
 */
#include "common/oci/spec.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Long enough for any path that names a field ("linux.sysctl.KEY" is cut). */
#define FIELD_PATH_SIZE 256

struct parse_ctx {
	char *err;
	size_t errlen;
	json_t *root;
	const char *file; /* for messages; NULL: "config.json" */
};

/* Writes "config.json: PATH: MESSAGE" and returns -EINVAL. */
__attribute__((format(printf, 3, 4))) static int fail(struct parse_ctx *c, const char *path,
                                                      const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->errlen) {
		if (path[0])
			snprintf(c->err, c->errlen, "%s: %s: %s", c->file ? c->file : "config.json",
			         path, msg);
		else
			snprintf(c->err, c->errlen, "%s: %s", c->file ? c->file : "config.json",
			         msg);
	}
	return -EINVAL;
}

static int nomem(struct parse_ctx *c)
{
	if (c->errlen)
		snprintf(c->err, c->errlen, "config.json: out of memory");
	return -ENOMEM;
}

/* Marks a path cut to FIELD_PATH_SIZE with "..." (a sysctl key can be long). */
static void path_mark_cut(char *buf, int n)
{
	if (n >= FIELD_PATH_SIZE)
		memcpy(buf + FIELD_PATH_SIZE - 4, "...", 4);
}

static void path_key(char *buf, const char *base, const char *key)
{
	if (base[0])
		path_mark_cut(buf, snprintf(buf, FIELD_PATH_SIZE, "%s.%s", base, key));
	else
		path_mark_cut(buf, snprintf(buf, FIELD_PATH_SIZE, "%s", key));
}

static void path_index(char *buf, const char *base, size_t i)
{
	path_mark_cut(buf, snprintf(buf, FIELD_PATH_SIZE, "%s[%zu]", base, i));
}

/* The field key of obj, or NULL if absent or null. */
static json_t *field(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_null(v) ? NULL : v;
}

/* ---- Name tables ---- */

static const char *const g_cap_names[OCI_CAP_LAST + 1] = {
	"CAP_CHOWN",
	"CAP_DAC_OVERRIDE",
	"CAP_DAC_READ_SEARCH",
	"CAP_FOWNER",
	"CAP_FSETID",
	"CAP_KILL",
	"CAP_SETGID",
	"CAP_SETUID",
	"CAP_SETPCAP",
	"CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE",
	"CAP_NET_BROADCAST",
	"CAP_NET_ADMIN",
	"CAP_NET_RAW",
	"CAP_IPC_LOCK",
	"CAP_IPC_OWNER",
	"CAP_SYS_MODULE",
	"CAP_SYS_RAWIO",
	"CAP_SYS_CHROOT",
	"CAP_SYS_PTRACE",
	"CAP_SYS_PACCT",
	"CAP_SYS_ADMIN",
	"CAP_SYS_BOOT",
	"CAP_SYS_NICE",
	"CAP_SYS_RESOURCE",
	"CAP_SYS_TIME",
	"CAP_SYS_TTY_CONFIG",
	"CAP_MKNOD",
	"CAP_LEASE",
	"CAP_AUDIT_WRITE",
	"CAP_AUDIT_CONTROL",
	"CAP_SETFCAP",
	"CAP_MAC_OVERRIDE",
	"CAP_MAC_ADMIN",
	"CAP_SYSLOG",
	"CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND",
	"CAP_AUDIT_READ",
	"CAP_PERFMON",
	"CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
};

/* Linux's RLIMIT_* numbers (include/uapi/asm-generic/resource.h). */
static const char *const g_rlimit_names[] = {
	"RLIMIT_CPU",      "RLIMIT_FSIZE", "RLIMIT_DATA",   "RLIMIT_STACK",
	"RLIMIT_CORE",     "RLIMIT_RSS",   "RLIMIT_NPROC",  "RLIMIT_NOFILE",
	"RLIMIT_MEMLOCK",  "RLIMIT_AS",    "RLIMIT_LOCKS",  "RLIMIT_SIGPENDING",
	"RLIMIT_MSGQUEUE", "RLIMIT_NICE",  "RLIMIT_RTPRIO", "RLIMIT_RTTIME",
};
#define RLIMIT_NAMES_COUNT (sizeof(g_rlimit_names) / sizeof(g_rlimit_names[0]))

static const char *const g_ns_names[OCI_NS_COUNT] = {
	[OCI_NS_PID] = "pid",       [OCI_NS_NETWORK] = "network", [OCI_NS_MOUNT] = "mount",
	[OCI_NS_IPC] = "ipc",       [OCI_NS_UTS] = "uts",         [OCI_NS_USER] = "user",
	[OCI_NS_CGROUP] = "cgroup", [OCI_NS_TIME] = "time",
};

static const char *const g_hook_names[OCI_HOOK_KIND_COUNT] = {
	[OCI_HOOK_PRESTART] = "prestart",
	[OCI_HOOK_CREATE_RUNTIME] = "createRuntime",
	[OCI_HOOK_CREATE_CONTAINER] = "createContainer",
	[OCI_HOOK_START_CONTAINER] = "startContainer",
	[OCI_HOOK_POSTSTART] = "poststart",
	[OCI_HOOK_POSTSTOP] = "poststop",
};

/* Mount options that set (clear == false) or clear a flag, as mount(8). */
static const struct {
	const char *name;
	bool clear;
	unsigned flag;
} g_mount_flags[] = {
	{ "ro", false, OCI_MOUNT_RDONLY },
	{ "rw", true, OCI_MOUNT_RDONLY },
	{ "nosuid", false, OCI_MOUNT_NOSUID },
	{ "suid", true, OCI_MOUNT_NOSUID },
	{ "nodev", false, OCI_MOUNT_NODEV },
	{ "dev", true, OCI_MOUNT_NODEV },
	{ "noexec", false, OCI_MOUNT_NOEXEC },
	{ "exec", true, OCI_MOUNT_NOEXEC },
	{ "bind", false, OCI_MOUNT_BIND },
	{ "rbind", false, OCI_MOUNT_BIND | OCI_MOUNT_REC },
	{ "sync", false, OCI_MOUNT_SYNC },
	{ "async", true, OCI_MOUNT_SYNC },
	{ "noatime", false, OCI_MOUNT_NOATIME },
	{ "atime", true, OCI_MOUNT_NOATIME },
	{ "nodiratime", false, OCI_MOUNT_NODIRATIME },
	{ "diratime", true, OCI_MOUNT_NODIRATIME },
	{ "relatime", false, OCI_MOUNT_RELATIME },
	{ "norelatime", true, OCI_MOUNT_RELATIME },
	{ "strictatime", false, OCI_MOUNT_STRICTATIME },
	{ "nostrictatime", true, OCI_MOUNT_STRICTATIME },
};

static const struct {
	const char *name;
	enum oci_propagation propagation;
} g_propagations[] = {
	{ "private", OCI_PROPAGATION_PRIVATE },
	{ "rprivate", OCI_PROPAGATION_RPRIVATE },
	{ "shared", OCI_PROPAGATION_SHARED },
	{ "rshared", OCI_PROPAGATION_RSHARED },
	{ "slave", OCI_PROPAGATION_SLAVE },
	{ "rslave", OCI_PROPAGATION_RSLAVE },
	{ "unbindable", OCI_PROPAGATION_UNBINDABLE },
	{ "runbindable", OCI_PROPAGATION_RUNBINDABLE },
};

#define ARRAY_COUNT(a) (sizeof(a) / sizeof((a)[0]))

const char *oci_capability_name(int cap)
{
	return cap >= 0 && cap <= OCI_CAP_LAST ? g_cap_names[cap] : NULL;
}

const char *oci_rlimit_name(int resource)
{
	return resource >= 0 && (size_t)resource < RLIMIT_NAMES_COUNT ? g_rlimit_names[resource]
	                                                              : NULL;
}

const char *oci_namespace_name(enum oci_namespace_type type)
{
	return (unsigned)type < OCI_NS_COUNT ? g_ns_names[type] : NULL;
}

const char *oci_hook_kind_name(enum oci_hook_kind kind)
{
	return (unsigned)kind < OCI_HOOK_KIND_COUNT ? g_hook_names[kind] : NULL;
}

/* ---- Field readers ---- */

/* Reads a JSON integer (or a whole real, see the header comment) in [min, max]. */
static bool json_to_int(json_t *v, long long min, long long max, long long *out)
{
	if (json_is_integer(v)) {
		long long n = json_integer_value(v);

		if (n < min || n > max)
			return false;
		*out = n;
		return true;
	}
	if (json_is_real(v)) {
		double d = json_real_value(v);

		if (d < (double)min || d > (double)max || d != (double)(long long)d)
			return false;
		*out = (long long)d;
		return true;
	}
	return false;
}

static bool json_to_u64(json_t *v, uint64_t *out)
{
	if (json_is_integer(v)) {
		if (json_integer_value(v) < 0)
			return false;
		*out = (uint64_t)json_integer_value(v);
		return true;
	}
	if (json_is_real(v)) {
		double d = json_real_value(v);

		/* Every double from 2^53 up is a whole number. */
		if (d >= 18446744073709551616.0) {
			*out = UINT64_MAX;
			return true;
		}
		if (d < 0 || d != (double)(uint64_t)d)
			return false;
		*out = (uint64_t)d;
		return true;
	}
	return false;
}

static int read_u32(struct parse_ctx *c, json_t *v, const char *path, uint32_t *out)
{
	long long n;

	if (!json_to_int(v, 0, UINT32_MAX, &n))
		return fail(c, path, "must be an integer from 0 to 4294967295");
	*out = (uint32_t)n;
	return 0;
}

/* An optional or required uint32 field; *present (may be NULL) says whether it was given. */
static int get_u32(struct parse_ctx *c, json_t *obj, const char *key, const char *base,
                   bool required, uint32_t *out, bool *present)
{
	char path[FIELD_PATH_SIZE];
	json_t *v = field(obj, key);

	path_key(path, base, key);
	if (present)
		*present = v != NULL;
	if (!v)
		return required ? fail(c, path, "is required") : 0;
	return read_u32(c, v, path, out);
}

static int get_bool(struct parse_ctx *c, json_t *obj, const char *key, const char *base, bool *out)
{
	char path[FIELD_PATH_SIZE];
	json_t *v = field(obj, key);

	if (!v)
		return 0;
	if (!json_is_boolean(v)) {
		path_key(path, base, key);
		return fail(c, path, "must be a boolean");
	}
	*out = json_is_true(v);
	return 0;
}

static int dup_string(struct parse_ctx *c, const char *s, char **out)
{
	*out = strdup(s);
	return *out ? 0 : nomem(c);
}

/* An optional (NULL if absent) or required string field. */
static int get_string(struct parse_ctx *c, json_t *obj, const char *key, const char *base,
                      bool required, char **out)
{
	char path[FIELD_PATH_SIZE];
	json_t *v = field(obj, key);

	path_key(path, base, key);
	if (!v)
		return required ? fail(c, path, "is required") : 0;
	if (!json_is_string(v))
		return fail(c, path, "must be a string");
	return dup_string(c, json_string_value(v), out);
}

/* A string field that must be an absolute path. */
static int get_abs_path(struct parse_ctx *c, json_t *obj, const char *key, const char *base,
                        bool required, char **out)
{
	char path[FIELD_PATH_SIZE];
	json_t *v = field(obj, key);

	path_key(path, base, key);
	if (!v) {
		if (required)
			return fail(c, path, "must be an absolute path");
		return 0;
	}
	if (!json_is_string(v) || json_string_value(v)[0] != '/')
		return fail(c, path, "must be an absolute path");
	return dup_string(c, json_string_value(v), out);
}

/* An object field: *out is NULL if absent. */
static int get_object(struct parse_ctx *c, json_t *obj, const char *key, const char *base,
                      json_t **out)
{
	char path[FIELD_PATH_SIZE];

	*out = field(obj, key);
	if (*out && !json_is_object(*out)) {
		path_key(path, base, key);
		return fail(c, path, "must be an object");
	}
	return 0;
}

/* An array field: *out is NULL if absent. */
static int get_array(struct parse_ctx *c, json_t *obj, const char *key, const char *base,
                     json_t **out)
{
	char path[FIELD_PATH_SIZE];

	*out = field(obj, key);
	if (*out && !json_is_array(*out)) {
		path_key(path, base, key);
		return fail(c, path, "must be an array");
	}
	return 0;
}

/*
 * An array of strings as a NULL-terminated vector (empty if absent, so that
 * env and args can go to execve as they are). With non_empty, absence and
 * an empty array are errors.
 */
static int get_string_array(struct parse_ctx *c, json_t *obj, const char *key, const char *base,
                            bool non_empty, char ***out, size_t *count)
{
	const char *what =
	        non_empty ? "must be a non-empty array of strings" : "must be an array of strings";
	char path[FIELD_PATH_SIZE];
	json_t *v = field(obj, key);
	json_t *elem;
	size_t i, n;

	path_key(path, base, key);
	if (v && !json_is_array(v))
		return fail(c, path, "%s", what);
	n = v ? json_array_size(v) : 0;
	if (non_empty && n == 0)
		return fail(c, path, "%s", what);
	*out = calloc(n + 1, sizeof(char *));
	if (!*out)
		return nomem(c);
	*count = 0;
	json_array_foreach(v, i, elem)
	{
		if (!json_is_string(elem))
			return fail(c, path, "%s", what);
		if (dup_string(c, json_string_value(elem), &(*out)[i]))
			return -ENOMEM;
		*count = i + 1;
	}
	return 0;
}

/* An object of strings (annotations, sysctl), in file order. */
static int get_string_map(struct parse_ctx *c, json_t *obj, const char *key, const char *base,
                          struct oci_kv **out, size_t *count)
{
	char path[FIELD_PATH_SIZE], elem_path[FIELD_PATH_SIZE];
	json_t *v, *value;
	const char *k;
	int rc;

	rc = get_object(c, obj, key, base, &v);
	if (rc || !v)
		return rc;
	path_key(path, base, key);
	*out = calloc(json_object_size(v) + 1, sizeof(**out));
	if (!*out)
		return nomem(c);
	json_object_foreach(v, k, value)
	{
		struct oci_kv *kv = &(*out)[*count];

		if (!json_is_string(value)) {
			path_key(elem_path, path, k);
			return fail(c, elem_path, "must be a string");
		}
		(*count)++;
		if (dup_string(c, k, &kv->key) ||
		    dup_string(c, json_string_value(value), &kv->value))
			return -ENOMEM;
	}
	return 0;
}

/* ---- process ---- */

static int parse_user(struct parse_ctx *c, json_t *obj, const char *path, struct oci_user *user)
{
	char gids_path[FIELD_PATH_SIZE], elem_path[FIELD_PATH_SIZE];
	json_t *gids, *elem;
	size_t i;
	int rc;

	if ((rc = get_u32(c, obj, "uid", path, true, &user->uid, NULL)) ||
	    (rc = get_u32(c, obj, "gid", path, true, &user->gid, NULL)) ||
	    (rc = get_u32(c, obj, "umask", path, false, &user->umask, &user->has_umask)) ||
	    (rc = get_array(c, obj, "additionalGids", path, &gids)))
		return rc;
	if (!gids)
		return 0;
	path_key(gids_path, path, "additionalGids");
	user->additional_gids = calloc(json_array_size(gids) + 1, sizeof(uint32_t));
	if (!user->additional_gids)
		return nomem(c);
	json_array_foreach(gids, i, elem)
	{
		path_index(elem_path, gids_path, i);
		rc = read_u32(c, elem, elem_path, &user->additional_gids[i]);
		if (rc)
			return rc;
		user->additional_gids_count = i + 1;
	}
	return 0;
}

static int parse_cap_set(struct parse_ctx *c, json_t *obj, const char *key, const char *base,
                         uint64_t *mask)
{
	char path[FIELD_PATH_SIZE], elem_path[FIELD_PATH_SIZE];
	json_t *v = field(obj, key), *elem;
	size_t i;
	int cap;

	path_key(path, base, key);
	if (v && !json_is_array(v))
		return fail(c, path, "must be an array of strings");
	json_array_foreach(v, i, elem)
	{
		path_index(elem_path, path, i);
		if (!json_is_string(elem))
			return fail(c, elem_path, "must be a string");
		for (cap = 0; cap <= OCI_CAP_LAST; cap++) {
			if (strcmp(g_cap_names[cap], json_string_value(elem)) == 0)
				break;
		}
		if (cap > OCI_CAP_LAST)
			return fail(c, elem_path, "unknown capability \"%s\"",
			            json_string_value(elem));
		*mask |= 1ull << cap;
	}
	return 0;
}

static int parse_capabilities(struct parse_ctx *c, json_t *obj, const char *path,
                              struct oci_capabilities *caps)
{
	int rc;

	if ((rc = parse_cap_set(c, obj, "bounding", path, &caps->bounding)) ||
	    (rc = parse_cap_set(c, obj, "effective", path, &caps->effective)) ||
	    (rc = parse_cap_set(c, obj, "inheritable", path, &caps->inheritable)) ||
	    (rc = parse_cap_set(c, obj, "permitted", path, &caps->permitted)) ||
	    (rc = parse_cap_set(c, obj, "ambient", path, &caps->ambient)))
		return rc;
	return 0;
}

static int parse_rlimit(struct parse_ctx *c, json_t *v, const char *path, struct oci_rlimit *rl)
{
	char field_path[FIELD_PATH_SIZE];
	json_t *type, *limit;
	size_t r;

	if (!json_is_object(v))
		return fail(c, path, "must be an object");
	path_key(field_path, path, "type");
	type = field(v, "type");
	if (!type || !json_is_string(type))
		return fail(c, field_path, "must be a string naming an RLIMIT_*");
	for (r = 0; r < RLIMIT_NAMES_COUNT; r++) {
		if (strcmp(g_rlimit_names[r], json_string_value(type)) == 0)
			break;
	}
	if (r == RLIMIT_NAMES_COUNT)
		return fail(c, field_path, "unknown resource \"%s\"", json_string_value(type));
	rl->resource = (int)r;

	path_key(field_path, path, "hard");
	limit = field(v, "hard");
	if (!limit || !json_to_u64(limit, &rl->hard))
		return fail(c, field_path, "must be an integer from 0 to 18446744073709551615");
	path_key(field_path, path, "soft");
	limit = field(v, "soft");
	if (!limit || !json_to_u64(limit, &rl->soft))
		return fail(c, field_path, "must be an integer from 0 to 18446744073709551615");
	if (rl->soft > rl->hard)
		return fail(c, path, "soft limit is above the hard limit");
	return 0;
}

static int parse_process(struct parse_ctx *c, json_t *obj, struct oci_process *p)
{
	static const char path[] = "process";
	char sub[FIELD_PATH_SIZE];
	json_t *user, *caps, *rlimits, *elem, *oom;
	long long n;
	size_t i;
	int rc;

	json_t *console;
	if ((rc = get_bool(c, obj, "terminal", path, &p->terminal)) ||
	    (rc = get_object(c, obj, "consoleSize", path, &console)) ||
	    (rc = get_object(c, obj, "user", path, &user)))
		return rc;
	if (console) {
		path_key(sub, path, "consoleSize");
		if ((rc = get_u32(c, console, "height", sub, true, &p->console_height, NULL)) ||
		    (rc = get_u32(c, console, "width", sub, true, &p->console_width, NULL)))
			return rc;
		/* runc sets the size only when both are nonzero. */
		p->has_console_size = p->console_height && p->console_width;
	}
	path_key(sub, path, "user");
	/* No user is uid 0, gid 0, as in runc; uid and gid are required in a user. */
	if (user && (rc = parse_user(c, user, sub, &p->user)))
		return rc;
	if ((rc = get_string_array(c, obj, "args", path, true, &p->args, &p->args_count)) ||
	    (rc = get_string_array(c, obj, "env", path, false, &p->env, &p->env_count)) ||
	    (rc = get_abs_path(c, obj, "cwd", path, true, &p->cwd)) ||
	    (rc = get_object(c, obj, "capabilities", path, &caps)))
		return rc;
	if (caps) {
		path_key(sub, path, "capabilities");
		p->has_capabilities = true;
		rc = parse_capabilities(c, caps, sub, &p->capabilities);
		if (rc)
			return rc;
	}

	if ((rc = get_array(c, obj, "rlimits", path, &rlimits)))
		return rc;
	if (rlimits) {
		p->rlimits = calloc(json_array_size(rlimits) + 1, sizeof(*p->rlimits));
		if (!p->rlimits)
			return nomem(c);
		json_array_foreach(rlimits, i, elem)
		{
			char elem_path[FIELD_PATH_SIZE];
			size_t j;

			path_key(sub, path, "rlimits");
			path_index(elem_path, sub, i);
			rc = parse_rlimit(c, elem, elem_path, &p->rlimits[i]);
			if (rc)
				return rc;
			/* The spec: "a runtime MUST generate an error for duplicated types". */
			for (j = 0; j < i; j++) {
				if (p->rlimits[j].resource == p->rlimits[i].resource) {
					path_key(sub, elem_path, "type");
					return fail(c, sub, "duplicate resource \"%s\"",
					            g_rlimit_names[p->rlimits[i].resource]);
				}
			}
			p->rlimits_count = i + 1;
		}
	}

	if ((rc = get_bool(c, obj, "noNewPrivileges", path, &p->no_new_privileges)))
		return rc;
	oom = field(obj, "oomScoreAdj");
	if (oom) {
		path_key(sub, path, "oomScoreAdj");
		if (!json_to_int(oom, -1000, 1000, &n))
			return fail(c, sub, "must be an integer from -1000 to 1000");
		p->has_oom_score_adj = true;
		p->oom_score_adj = (int)n;
	}
	return 0;
}

/* ---- root ---- */

static int parse_root(struct parse_ctx *c, json_t *obj, const char *bundle, struct oci_root *root)
{
	int rc;

	if ((rc = get_string(c, obj, "path", "root", true, &root->path)) ||
	    (rc = get_bool(c, obj, "readonly", "root", &root->readonly)))
		return rc;
	if (root->path[0] == '\0')
		return fail(c, "root.path", "must not be empty");
	if (root->path[0] == '/' || !bundle)
		return dup_string(c, root->path, &root->resolved_path);
	if (asprintf(&root->resolved_path, "%s/%s", bundle, root->path) < 0) {
		root->resolved_path = NULL;
		return nomem(c);
	}
	return 0;
}

/* ---- mounts ---- */

/* Appends option to the comma-separated *data. */
static int append_data(struct parse_ctx *c, char **data, const char *option)
{
	char *joined;

	if (!*data)
		return dup_string(c, option, data);
	if (asprintf(&joined, "%s,%s", *data, option) < 0)
		return nomem(c);
	free(*data);
	*data = joined;
	return 0;
}

/* Sorts each option into flags, propagation, data ("key=value") or unknown. */
static int classify_mount_options(struct parse_ctx *c, struct oci_mount *m)
{
	size_t i, k;

	m->unknown_options = calloc(m->options_count + 1, sizeof(char *));
	if (!m->unknown_options)
		return nomem(c);
	for (i = 0; i < m->options_count; i++) {
		const char *opt = m->options[i];
		bool known = false;

		for (k = 0; k < ARRAY_COUNT(g_mount_flags) && !known; k++) {
			if (strcmp(opt, g_mount_flags[k].name) != 0)
				continue;
			if (g_mount_flags[k].clear)
				m->flags &= ~g_mount_flags[k].flag;
			else
				m->flags |= g_mount_flags[k].flag;
			known = true;
		}
		for (k = 0; k < ARRAY_COUNT(g_propagations) && !known; k++) {
			if (strcmp(opt, g_propagations[k].name) != 0)
				continue;
			m->propagation = g_propagations[k].propagation;
			known = true;
		}
		if (known)
			continue;
		if (strchr(opt, '=')) {
			if (append_data(c, &m->data, opt))
				return -ENOMEM;
			continue;
		}
		if (dup_string(c, opt, &m->unknown_options[m->unknown_options_count]))
			return -ENOMEM;
		m->unknown_options_count++;
	}
	return 0;
}

static int parse_mount(struct parse_ctx *c, json_t *v, const char *path, struct oci_mount *m)
{
	int rc;

	if (!json_is_object(v))
		return fail(c, path, "must be an object");
	if ((rc = get_abs_path(c, v, "destination", path, true, &m->destination)) ||
	    (rc = get_string(c, v, "type", path, false, &m->type)) ||
	    (rc = get_string(c, v, "source", path, false, &m->source)) ||
	    (rc = get_string_array(c, v, "options", path, false, &m->options, &m->options_count)))
		return rc;
	return classify_mount_options(c, m);
}

static int parse_mounts(struct parse_ctx *c, json_t *mounts, struct oci_spec *spec)
{
	char path[FIELD_PATH_SIZE];
	json_t *elem;
	size_t i;
	int rc;

	spec->mounts = calloc(json_array_size(mounts) + 1, sizeof(*spec->mounts));
	if (!spec->mounts)
		return nomem(c);
	json_array_foreach(mounts, i, elem)
	{
		path_index(path, "mounts", i);
		/* Counted first: a half-parsed mount is freed with the rest. */
		spec->mounts_count = i + 1;
		rc = parse_mount(c, elem, path, &spec->mounts[i]);
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- linux ---- */

static int parse_namespace(struct parse_ctx *c, json_t *v, const char *path,
                           struct oci_namespace *ns)
{
	char type_path[FIELD_PATH_SIZE];
	json_t *type;
	int t;

	if (!json_is_object(v))
		return fail(c, path, "must be an object");
	path_key(type_path, path, "type");
	type = field(v, "type");
	if (!type || !json_is_string(type))
		return fail(c, type_path, "must be a string naming a namespace type");
	for (t = 0; t < OCI_NS_COUNT; t++) {
		if (strcmp(g_ns_names[t], json_string_value(type)) == 0)
			break;
	}
	if (t == OCI_NS_COUNT)
		return fail(c, type_path, "unknown namespace type \"%s\"", json_string_value(type));
	ns->type = (enum oci_namespace_type)t;
	return get_abs_path(c, v, "path", path, false, &ns->path);
}

static int parse_namespaces(struct parse_ctx *c, json_t *arr, struct oci_linux *lx)
{
	char path[FIELD_PATH_SIZE], type_path[FIELD_PATH_SIZE];
	json_t *elem;
	size_t i, j;
	int rc;

	lx->namespaces = calloc(json_array_size(arr) + 1, sizeof(*lx->namespaces));
	if (!lx->namespaces)
		return nomem(c);
	json_array_foreach(arr, i, elem)
	{
		path_index(path, "linux.namespaces", i);
		lx->namespaces_count = i + 1;
		rc = parse_namespace(c, elem, path, &lx->namespaces[i]);
		if (rc)
			return rc;
		/* The spec: duplicated namespaces are an error. */
		for (j = 0; j < i; j++) {
			if (lx->namespaces[j].type == lx->namespaces[i].type) {
				path_key(type_path, path, "type");
				return fail(c, type_path, "duplicate namespace type \"%s\"",
				            g_ns_names[lx->namespaces[i].type]);
			}
		}
	}
	return 0;
}

static int parse_id_mappings(struct parse_ctx *c, json_t *obj, const char *key,
                             struct oci_id_mapping **out, size_t *count)
{
	char path[FIELD_PATH_SIZE], elem_path[FIELD_PATH_SIZE];
	json_t *arr, *elem;
	size_t i;
	int rc;

	if ((rc = get_array(c, obj, key, "linux", &arr)) || !arr)
		return rc;
	path_key(path, "linux", key);
	*out = calloc(json_array_size(arr) + 1, sizeof(**out));
	if (!*out)
		return nomem(c);
	json_array_foreach(arr, i, elem)
	{
		struct oci_id_mapping *m = &(*out)[i];

		path_index(elem_path, path, i);
		if (!json_is_object(elem))
			return fail(c, elem_path, "must be an object");
		if ((rc = get_u32(c, elem, "containerID", elem_path, true, &m->container_id,
		                  NULL)) ||
		    (rc = get_u32(c, elem, "hostID", elem_path, true, &m->host_id, NULL)) ||
		    (rc = get_u32(c, elem, "size", elem_path, true, &m->size, NULL)))
			return rc;
		*count = i + 1;
	}
	return 0;
}

static int parse_linux(struct parse_ctx *c, json_t *obj, struct oci_linux *lx)
{
	static const char path[] = "linux";
	json_t *namespaces, *resources, *seccomp;
	int rc;

	if ((rc = get_array(c, obj, "namespaces", path, &namespaces)))
		return rc;
	if (namespaces && (rc = parse_namespaces(c, namespaces, lx)))
		return rc;
	if ((rc = parse_id_mappings(c, obj, "uidMappings", &lx->uid_mappings,
	                            &lx->uid_mappings_count)) ||
	    (rc = parse_id_mappings(c, obj, "gidMappings", &lx->gid_mappings,
	                            &lx->gid_mappings_count)) ||
	    (rc = get_object(c, obj, "resources", path, &resources)))
		return rc;
	lx->resources = json_incref(resources);
	if ((rc = get_string_array(c, obj, "maskedPaths", path, false, &lx->masked_paths,
	                           &lx->masked_paths_count)) ||
	    (rc = get_string_array(c, obj, "readonlyPaths", path, false, &lx->readonly_paths,
	                           &lx->readonly_paths_count)) ||
	    (rc = get_string_map(c, obj, "sysctl", path, &lx->sysctl, &lx->sysctl_count)) ||
	    (rc = get_string(c, obj, "cgroupsPath", path, false, &lx->cgroups_path)) ||
	    (rc = get_object(c, obj, "seccomp", path, &seccomp)))
		return rc;
	lx->has_seccomp = seccomp != NULL;
	return 0;
}

/* ---- hooks ---- */

static int parse_hook(struct parse_ctx *c, json_t *v, const char *path, struct oci_hook *h)
{
	char timeout_path[FIELD_PATH_SIZE];
	json_t *timeout;
	long long n;
	int rc;

	if (!json_is_object(v))
		return fail(c, path, "must be an object");
	if ((rc = get_abs_path(c, v, "path", path, true, &h->path)) ||
	    (rc = get_string_array(c, v, "args", path, false, &h->args, &h->args_count)) ||
	    (rc = get_string_array(c, v, "env", path, false, &h->env, &h->env_count)))
		return rc;
	timeout = field(v, "timeout");
	if (timeout) {
		path_key(timeout_path, path, "timeout");
		if (!json_to_int(timeout, 1, INT_MAX, &n))
			return fail(c, timeout_path, "must be a positive integer");
		h->timeout = (int)n;
	}
	return 0;
}

static int parse_hooks(struct parse_ctx *c, json_t *obj, struct oci_spec *spec)
{
	char path[FIELD_PATH_SIZE], elem_path[FIELD_PATH_SIZE];
	json_t *arr, *elem;
	size_t i;
	int kind, rc;

	for (kind = 0; kind < OCI_HOOK_KIND_COUNT; kind++) {
		struct oci_hook_list *list = &spec->hooks[kind];

		if ((rc = get_array(c, obj, g_hook_names[kind], "hooks", &arr)))
			return rc;
		if (!arr)
			continue;
		path_key(path, "hooks", g_hook_names[kind]);
		list->hooks = calloc(json_array_size(arr) + 1, sizeof(*list->hooks));
		if (!list->hooks)
			return nomem(c);
		json_array_foreach(arr, i, elem)
		{
			path_index(elem_path, path, i);
			list->count = i + 1;
			rc = parse_hook(c, elem, elem_path, &list->hooks[i]);
			if (rc)
				return rc;
		}
	}
	return 0;
}

/* ---- The document ---- */

/* Accepts 1.0.x and 1.1.x (with any suffix after the patch number, e.g. "-rc.1"). */
static bool version_supported(const char *v)
{
	const char *rest;

	if (strncmp(v, "1.0.", 4) != 0 && strncmp(v, "1.1.", 4) != 0)
		return false;
	rest = v + 4;
	if (*rest < '0' || *rest > '9')
		return false;
	while (*rest >= '0' && *rest <= '9')
		rest++;
	return *rest == '\0' || *rest == '-' || *rest == '+';
}

static int parse_document(struct parse_ctx *c, json_t *doc, struct oci_spec *spec)
{
	json_t *process, *root, *mounts, *linux_obj, *hooks;
	int rc;

	if (!json_is_object(doc))
		return fail(c, "", "must be a JSON object");
	if ((rc = get_string(c, doc, "ociVersion", "", true, &spec->oci_version)))
		return rc;
	if (!version_supported(spec->oci_version))
		return fail(c, "ociVersion",
		            "unsupported version \"%s\" (1.0.x and 1.1.x are accepted)",
		            spec->oci_version);

	if ((rc = get_object(c, doc, "process", "", &process)))
		return rc;
	if (process) {
		spec->has_process = true;
		if ((rc = parse_process(c, process, &spec->process)))
			return rc;
	}

	if ((rc = get_object(c, doc, "root", "", &root)))
		return rc;
	if (!root)
		return fail(c, "root", "is required");
	if ((rc = parse_root(c, root, spec->bundle, &spec->root)) ||
	    (rc = get_string(c, doc, "hostname", "", false, &spec->hostname)) ||
	    (rc = get_array(c, doc, "mounts", "", &mounts)))
		return rc;
	if (mounts && (rc = parse_mounts(c, mounts, spec)))
		return rc;
	if ((rc = get_string_map(c, doc, "annotations", "", &spec->annotations,
	                         &spec->annotations_count)) ||
	    (rc = get_object(c, doc, "linux", "", &linux_obj)))
		return rc;
	if (linux_obj) {
		spec->has_linux = true;
		if ((rc = parse_linux(c, linux_obj, &spec->linux_)))
			return rc;
	}
	if ((rc = get_object(c, doc, "hooks", "", &hooks)))
		return rc;
	if (hooks && (rc = parse_hooks(c, hooks, spec)))
		return rc;
	return 0;
}

/* A real from JSON_DECODE_INT_AS_REAL that is a whole number within int64. */
static bool is_int64_real(json_t *v)
{
	double d = json_real_value(v);

	return json_is_real(v) && d >= -9223372036854775808.0 && d < 9223372036854775808.0 &&
	       d == (double)(long long)d;
}

/* Turns whole reals within int64 back into integers, in the whole tree (see the top). */
static int reals_to_integers(json_t *v)
{
	const char *key;
	json_t *elem;
	size_t i;

	json_object_foreach(v, key, elem)
	{
		if (is_int64_real(elem)) {
			if (json_object_set_new(v, key,
			                        json_integer((long long)json_real_value(elem))))
				return -1;
		} else if (reals_to_integers(elem)) {
			return -1;
		}
	}
	json_array_foreach(v, i, elem)
	{
		if (is_int64_real(elem)) {
			if (json_array_set_new(v, i,
			                       json_integer((long long)json_real_value(elem))))
				return -1;
		} else if (reals_to_integers(elem)) {
			return -1;
		}
	}
	return 0;
}

static void json_fail(struct parse_ctx *c, const json_error_t *jerr)
{
	if (c->errlen)
		snprintf(c->err, c->errlen, "config.json: line %d, column %d: %s", jerr->line,
		         jerr->column, jerr->text);
}

int oci_spec_parse(const char *json, const char *bundle_dir, struct oci_spec **out, char *err,
                   size_t errlen)
{
	struct parse_ctx c = { .err = err, .errlen = errlen };
	struct oci_spec *spec;
	json_error_t jerr;
	json_t *doc;
	int rc;

	*out = NULL;
	if (errlen)
		err[0] = '\0';
	doc = json_loads(json, 0, &jerr);
	if (!doc && json_error_code(&jerr) == json_error_numeric_overflow) {
		doc = json_loads(json, JSON_DECODE_INT_AS_REAL, &jerr);
		if (doc && reals_to_integers(doc) < 0) {
			json_decref(doc);
			return nomem(&c);
		}
	}
	if (!doc) {
		json_fail(&c, &jerr);
		return -EINVAL;
	}
	spec = calloc(1, sizeof(*spec));
	if (!spec) {
		json_decref(doc);
		return nomem(&c);
	}
	rc = 0;
	if (bundle_dir)
		rc = dup_string(&c, bundle_dir, &spec->bundle);
	if (!rc)
		rc = parse_document(&c, doc, spec);
	json_decref(doc);
	if (rc) {
		oci_spec_free(spec);
		return rc;
	}
	*out = spec;
	return 0;
}

/* Reads all of path into a NUL-terminated buffer; -errno on failure. */
static int read_file(const char *path, char **out)
{
	size_t size = 0, cap = 0;
	char *buf = NULL, *grown;
	FILE *f;
	size_t n;
	int rc = 0;

	f = fopen(path, "re");
	if (!f)
		return -errno;
	do {
		if (cap - size < 4096) {
			cap = cap ? cap * 2 : 16384;
			grown = realloc(buf, cap + 1);
			if (!grown) {
				rc = -ENOMEM;
				break;
			}
			buf = grown;
		}
		n = fread(buf + size, 1, cap - size, f);
		size += n;
	} while (n > 0);
	if (!rc && ferror(f))
		rc = -EIO;
	fclose(f);
	if (rc) {
		free(buf);
		return rc;
	}
	buf[size] = '\0';
	if (strlen(buf) != size) {
		free(buf);
		return -EILSEQ; /* a NUL byte: not JSON text */
	}
	*out = buf;
	return 0;
}

int oci_spec_load(const char *bundle_dir, struct oci_spec **out, char *err, size_t errlen)
{
	char *bundle, *config_path, *text = NULL;
	struct stat st;
	int rc;

	*out = NULL;
	if (errlen)
		err[0] = '\0';
	if (stat(bundle_dir, &st) != 0)
		rc = -errno;
	else if (!S_ISDIR(st.st_mode))
		rc = -ENOTDIR;
	else
		rc = 0;
	if (rc) {
		if (errlen)
			snprintf(err, errlen, "bundle %s: %s", bundle_dir, strerror(-rc));
		return rc;
	}
	bundle = realpath(bundle_dir, NULL);
	if (!bundle) {
		rc = -errno;
		if (errlen)
			snprintf(err, errlen, "bundle %s: %s", bundle_dir, strerror(-rc));
		return rc;
	}
	if (asprintf(&config_path, "%s/config.json", bundle) < 0) {
		free(bundle);
		if (errlen)
			snprintf(err, errlen, "config.json: out of memory");
		return -ENOMEM;
	}
	rc = read_file(config_path, &text);
	if (rc) {
		if (errlen)
			snprintf(err, errlen, "config.json: %s: %s", config_path,
			         rc == -EILSEQ ? "contains a NUL byte" : strerror(-rc));
		if (rc == -EILSEQ)
			rc = -EINVAL;
		goto out_free_path;
	}
	rc = oci_spec_parse(text, bundle, out, err, errlen);
	free(text);
out_free_path:
	free(config_path);
	free(bundle);
	return rc;
}

/* ---- Freeing ---- */

static void free_strv(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

static void free_kv(struct oci_kv *kv, size_t count)
{
	if (!kv)
		return;
	/* The array is zeroed one past count, where a failed entry may be half-filled. */
	for (size_t i = 0; i <= count; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

void oci_spec_free(struct oci_spec *spec)
{
	size_t i;
	int kind;

	if (!spec)
		return;
	free(spec->oci_version);
	free(spec->bundle);

	oci_process_free(&spec->process);

	free(spec->root.path);
	free(spec->root.resolved_path);
	free(spec->hostname);

	for (i = 0; i < spec->mounts_count; i++) {
		struct oci_mount *m = &spec->mounts[i];

		free(m->destination);
		free(m->type);
		free(m->source);
		free_strv(m->options);
		free(m->data);
		free_strv(m->unknown_options);
	}
	free(spec->mounts);
	free_kv(spec->annotations, spec->annotations_count);

	for (i = 0; i < spec->linux_.namespaces_count; i++)
		free(spec->linux_.namespaces[i].path);
	free(spec->linux_.namespaces);
	free(spec->linux_.uid_mappings);
	free(spec->linux_.gid_mappings);
	json_decref(spec->linux_.resources);
	free_strv(spec->linux_.masked_paths);
	free_strv(spec->linux_.readonly_paths);
	free_kv(spec->linux_.sysctl, spec->linux_.sysctl_count);
	free(spec->linux_.cgroups_path);

	for (kind = 0; kind < OCI_HOOK_KIND_COUNT; kind++) {
		struct oci_hook_list *list = &spec->hooks[kind];

		for (i = 0; i < list->count; i++) {
			free(list->hooks[i].path);
			free_strv(list->hooks[i].args);
			free_strv(list->hooks[i].env);
		}
		free(list->hooks);
	}
	free(spec);
}

int oci_process_parse(json_t *obj, const char *file, struct oci_process *out, char *err,
                      size_t errlen)
{
	struct parse_ctx c = { .err = err, .errlen = errlen, .root = obj, .file = file };
	memset(out, 0, sizeof(*out));
	if (errlen)
		err[0] = '\0';
	if (!json_is_object(obj))
		return fail(&c, NULL, "the process must be a JSON object");
	int rc = parse_process(&c, obj, out);
	if (rc) {
		oci_process_free(out);
		memset(out, 0, sizeof(*out));
	}
	return rc;
}

void oci_process_free(struct oci_process *p)
{
	free(p->user.additional_gids);
	free_strv(p->args);
	free_strv(p->env);
	free(p->cwd);
	free(p->rlimits);
}
