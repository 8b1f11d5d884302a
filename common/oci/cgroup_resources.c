/*
 * linux.resources checked into a struct cg_resources (cgroup_internal.h), so
 * that cgroup_apply writes nothing when any value is wrong. Each error names
 * its field ("linux.resources.memory.limit: must be an integer"). Types and
 * ranges are the runtime spec's (int64 limits, uint64 shares, uint16 blkio
 * weights 10-1000, swappiness 0-100, ...); the kernel checks the rest when
 * the value is written. A JSON null counts as absent, as in config.json.
 */
#include "common/oci/cgroup_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const g_cg_throttle_keys[CG_THR_COUNT] = {
	"throttleReadBpsDevice",
	"throttleWriteBpsDevice",
	"throttleReadIOPSDevice",
	"throttleWriteIOPSDevice",
};

void cg_free_resources(struct cg_resources *r)
{
	free(r->weight_devs);
	for (int i = 0; i < CG_THR_COUNT; i++)
		free(r->throttle[i]);
	free(r->pages);
	free(r->prios);
	free(r->rdma);
	free(r->unified);
}

struct ctx {
	char *err;
	size_t errlen;
};

PRINTF_LIKE(3, 4) static int bad(struct ctx *c, const char *field, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return cg_fail(c->err, c->errlen, -EINVAL, "%s: %s", field, msg);
}

static int nomem(struct ctx *c)
{
	return cg_fail(c->err, c->errlen, -ENOMEM, "cgroup: out of memory");
}

/* Field paths are cut with "..." when too long (an rdma device name could be). */
static void mark_cut(char *buf, int n)
{
	if (n >= FIELD_SIZE)
		memcpy(buf + FIELD_SIZE - 4, "...", 4);
}

void cg_field_key(char *buf, const char *base, const char *key)
{
	mark_cut(buf, snprintf(buf, FIELD_SIZE, "%s.%s", base, key));
}

void cg_field_index(char *buf, const char *base, size_t i)
{
	mark_cut(buf, snprintf(buf, FIELD_SIZE, "%s[%zu]", base, i));
}

/* obj.key, or NULL when absent or null (Go writes nulls for nil pointers). */
static json_t *get(const json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_null(v) ? NULL : v;
}

/* A signed integer in [min, max]; *given is false when absent. */
static int get_int(struct ctx *c, const json_t *obj, const char *key, const char *base, int64_t min,
                   int64_t max, int64_t *out, bool *given)
{
	char field[FIELD_SIZE];
	json_t *v = get(obj, key);

	if (given)
		*given = v != NULL;
	if (!v)
		return 0;
	cg_field_key(field, base, key);
	if (!json_is_integer(v))
		return bad(c, field, "must be an integer");
	if (json_integer_value(v) < min || json_integer_value(v) > max)
		return bad(c, field, "%" PRId64 " is out of range [%" PRId64 ", %" PRId64 "]",
		           (int64_t)json_integer_value(v), min, max);
	*out = json_integer_value(v);
	return 0;
}

/*
 * An unsigned integer up to max. The config parser leaves integers from
 * 2^63 up as reals; those read as UINT64_MAX (the usual value up there).
 */
static int get_uint(struct ctx *c, const json_t *obj, const char *key, const char *base,
                    uint64_t max, uint64_t *out, bool *given)
{
	char field[FIELD_SIZE];
	json_t *v = get(obj, key);
	uint64_t x;

	if (given)
		*given = v != NULL;
	if (!v)
		return 0;
	cg_field_key(field, base, key);
	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		x = (uint64_t)json_integer_value(v);
	} else if (json_is_real(v) && json_real_value(v) >= 9223372036854775808.0 &&
	           json_real_value(v) == floor(json_real_value(v))) {
		x = UINT64_MAX;
	} else {
		return bad(c, field, "must be an unsigned integer");
	}
	if (x > max)
		return bad(c, field, "%" PRIu64 " is out of range [0, %" PRIu64 "]", x, max);
	*out = x;
	return 0;
}

static int get_bool(struct ctx *c, const json_t *obj, const char *key, const char *base, bool *out)
{
	char field[FIELD_SIZE];
	json_t *v = get(obj, key);

	if (!v)
		return 0;
	cg_field_key(field, base, key);
	if (!json_is_boolean(v))
		return bad(c, field, "must be a boolean");
	*out = json_is_true(v);
	return 0;
}

static int get_string(struct ctx *c, const json_t *obj, const char *key, const char *base,
                      const char **out)
{
	char field[FIELD_SIZE];
	json_t *v = get(obj, key);

	if (!v)
		return 0;
	cg_field_key(field, base, key);
	if (!json_is_string(v))
		return bad(c, field, "must be a string");
	*out = json_string_value(v);
	return 0;
}

/* obj.key as an object (*out NULL when absent). */
static int get_object(struct ctx *c, const json_t *obj, const char *key, const char *base,
                      json_t **out)
{
	char field[FIELD_SIZE];

	*out = get(obj, key);
	if (!*out)
		return 0;
	cg_field_key(field, base, key);
	if (!json_is_object(*out))
		return bad(c, field, "must be an object");
	return 0;
}

/* obj.key as an array, with a zeroed C array of its size (elem bytes each). */
static int get_array(struct ctx *c, const json_t *obj, const char *key, const char *base,
                     size_t elem, json_t **arr, void **items, size_t *count)
{
	char field[FIELD_SIZE];

	*arr = get(obj, key);
	*count = 0;
	if (!*arr)
		return 0;
	cg_field_key(field, base, key);
	if (!json_is_array(*arr))
		return bad(c, field, "must be an array");
	*count = json_array_size(*arr);
	if (*count) {
		*items = calloc(*count, elem);
		if (!*items)
			return nomem(c);
	}
	return 0;
}

static int get_device(struct ctx *c, const json_t *v, const char *field, int64_t *major,
                      int64_t *minor)
{
	bool has_major, has_minor;
	int ret;

	if (!json_is_object(v))
		return bad(c, field, "must be an object");
	ret = get_int(c, v, "major", field, 0, INT64_MAX, major, &has_major);
	if (!ret)
		ret = get_int(c, v, "minor", field, 0, INT64_MAX, minor, &has_minor);
	if (!ret && (!has_major || !has_minor))
		ret = bad(c, field, "needs major and minor");
	return ret;
}

static int read_memory(struct ctx *c, const json_t *res, struct cg_resources *r)
{
	const char *base = CG_RES ".memory";
	int64_t ignored;
	json_t *m;
	int ret;

	ret = get_object(c, res, "memory", CG_RES, &m);
	if (ret || !m)
		return ret;
	ret = get_int(c, m, "limit", base, -1, INT64_MAX, &r->mem_limit, NULL);
	if (!ret)
		ret = get_int(c, m, "reservation", base, -1, INT64_MAX, &r->mem_reservation, NULL);
	if (!ret)
		ret = get_int(c, m, "swap", base, -1, INT64_MAX, &r->mem_swap, NULL);
	if (!ret)
		ret = get_int(c, m, "kernel", base, INT64_MIN, INT64_MAX, &ignored, &r->mem_kernel);
	if (!ret)
		ret = get_int(c, m, "kernelTCP", base, INT64_MIN, INT64_MAX, &ignored,
		              &r->mem_kernel_tcp);
	if (!ret)
		ret = get_uint(c, m, "swappiness", base, 100, &r->swappiness, &r->has_swappiness);
	if (!ret)
		ret = get_bool(c, m, "disableOOMKiller", base, &r->oom_disable);
	return ret;
}

/* cpuset lists: digits, commas and dashes ("0-3,8"); the kernel checks the rest. */
static int check_cpu_list(struct ctx *c, const char *s, const char *field)
{
	if (s && strspn(s, "0123456789,- \n") != strlen(s))
		return bad(c, field, "\"%s\" is not a list of numbers and ranges", s);
	return 0;
}

static int read_cpu(struct ctx *c, const json_t *res, struct cg_resources *r)
{
	const char *base = CG_RES ".cpu";
	json_t *cpu;
	int ret;

	ret = get_object(c, res, "cpu", CG_RES, &cpu);
	if (ret || !cpu)
		return ret;
	ret = get_uint(c, cpu, "shares", base, UINT64_MAX, &r->cpu_shares, NULL);
	if (!ret)
		ret = get_int(c, cpu, "quota", base, INT64_MIN, INT64_MAX, &r->cpu_quota, NULL);
	if (!ret)
		ret = get_uint(c, cpu, "period", base, UINT64_MAX, &r->cpu_period, NULL);
	if (!ret)
		ret = get_uint(c, cpu, "burst", base, UINT64_MAX, &r->cpu_burst, &r->has_burst);
	if (!ret)
		ret = get_int(c, cpu, "realtimeRuntime", base, INT64_MIN, INT64_MAX,
		              &r->cpu_rt_runtime, NULL);
	if (!ret)
		ret = get_uint(c, cpu, "realtimePeriod", base, UINT64_MAX, &r->cpu_rt_period, NULL);
	if (!ret)
		ret = get_int(c, cpu, "idle", base, INT64_MIN, INT64_MAX, &r->cpu_idle,
		              &r->has_idle);
	if (!ret)
		ret = get_string(c, cpu, "cpus", base, &r->cpus);
	if (!ret)
		ret = get_string(c, cpu, "mems", base, &r->mems);
	if (!ret)
		ret = check_cpu_list(c, r->cpus, CG_RES ".cpu.cpus");
	if (!ret)
		ret = check_cpu_list(c, r->mems, CG_RES ".cpu.mems");
	if (r->cpus && !r->cpus[0])
		r->cpus = NULL; /* "" is "not given" in runc */
	if (r->mems && !r->mems[0])
		r->mems = NULL;
	return ret;
}

static int read_pids(struct ctx *c, const json_t *res, struct cg_resources *r)
{
	json_t *p;
	bool given;
	int ret = get_object(c, res, "pids", CG_RES, &p);

	if (ret || !p)
		return ret;
	ret = get_int(c, p, "limit", CG_RES ".pids", INT64_MIN, INT64_MAX, &r->pids_limit, &given);
	if (!ret && !given)
		ret = bad(c, CG_RES ".pids.limit", "is required");
	return ret;
}

static int read_blkio(struct ctx *c, const json_t *res, struct cg_resources *r)
{
	const char *base = CG_RES ".blockIO";
	char field[FIELD_SIZE], item[FIELD_SIZE];
	json_t *b, *arr;
	int ret;

	ret = get_object(c, res, "blockIO", CG_RES, &b);
	if (ret || !b)
		return ret;
	ret = get_uint(c, b, "weight", base, 1000, &r->blkio_weight, NULL);
	if (!ret && r->blkio_weight && r->blkio_weight < 10)
		ret = bad(c, CG_RES ".blockIO.weight", "%" PRIu64 " is out of range [10, 1000]",
		          r->blkio_weight);
	if (!ret)
		ret = get_uint(c, b, "leafWeight", base, 1000, &r->blkio_leaf_weight, NULL);
	if (!ret)
		ret = get_array(c, b, "weightDevice", base, sizeof(struct cg_weight_dev), &arr,
		                (void **)&r->weight_devs, &r->weight_devs_count);
	cg_field_key(field, base, "weightDevice");
	for (size_t i = 0; !ret && i < r->weight_devs_count; i++) {
		struct cg_weight_dev *wd = &r->weight_devs[i];
		json_t *v = json_array_get(arr, i);
		cg_field_index(item, field, i);
		ret = get_device(c, v, item, &wd->major, &wd->minor);
		if (!ret)
			ret = get_uint(c, v, "weight", item, 1000, &wd->weight, NULL);
		if (!ret)
			ret = get_uint(c, v, "leafWeight", item, 1000, &wd->leaf_weight, NULL);
	}
	for (int t = 0; !ret && t < CG_THR_COUNT; t++) {
		ret = get_array(c, b, g_cg_throttle_keys[t], base, sizeof(struct cg_throttle_dev),
		                &arr, (void **)&r->throttle[t], &r->throttle_count[t]);
		cg_field_key(field, base, g_cg_throttle_keys[t]);
		for (size_t i = 0; !ret && i < r->throttle_count[t]; i++) {
			struct cg_throttle_dev *td = &r->throttle[t][i];
			json_t *v = json_array_get(arr, i);
			bool given;
			cg_field_index(item, field, i);
			ret = get_device(c, v, item, &td->major, &td->minor);
			if (!ret)
				ret = get_uint(c, v, "rate", item, UINT64_MAX, &td->rate, &given);
			if (!ret && !given)
				ret = bad(c, item, "needs a rate");
		}
	}
	return ret;
}

/* "2MB", "64KB", "1GB": what the kernel names hugetlb.<size>.* files with. */
static bool valid_page_size(const char *s)
{
	size_t digits = strspn(s, "0123456789");

	return digits > 0 && strlen(s) == digits + 2 && strchr("KMG", s[digits]) &&
	       s[digits + 1] == 'B';
}

static int read_hugetlb(struct ctx *c, const json_t *res, struct cg_resources *r)
{
	char field[FIELD_SIZE];
	json_t *arr;
	int ret;

	ret = get_array(c, res, "hugepageLimits", CG_RES, sizeof(struct cg_page_limit), &arr,
	                (void **)&r->pages, &r->pages_count);
	for (size_t i = 0; !ret && i < r->pages_count; i++) {
		json_t *v = json_array_get(arr, i);
		bool given;
		cg_field_index(field, CG_RES ".hugepageLimits", i);
		if (!json_is_object(v))
			return bad(c, field, "must be an object");
		ret = get_string(c, v, "pageSize", field, &r->pages[i].size);
		if (!ret && (!r->pages[i].size || !valid_page_size(r->pages[i].size)))
			ret = bad(c, field, "pageSize must be a size such as \"2MB\" or \"1GB\"");
		if (!ret)
			ret = get_uint(c, v, "limit", field, UINT64_MAX, &r->pages[i].limit,
			               &given);
		if (!ret && !given)
			ret = bad(c, field, "needs a limit");
	}
	return ret;
}

static int read_network(struct ctx *c, const json_t *res, struct cg_resources *r)
{
	const char *base = CG_RES ".network";
	char field[FIELD_SIZE];
	json_t *n, *arr;
	int ret;

	ret = get_object(c, res, "network", CG_RES, &n);
	if (ret || !n)
		return ret;
	ret = get_uint(c, n, "classID", base, UINT32_MAX, &r->classid, &r->has_classid);
	if (!ret)
		ret = get_array(c, n, "priorities", base, sizeof(struct cg_if_prio), &arr,
		                (void **)&r->prios, &r->prios_count);
	for (size_t i = 0; !ret && i < r->prios_count; i++) {
		json_t *v = json_array_get(arr, i);
		cg_field_index(field, CG_RES ".network.priorities", i);
		if (!json_is_object(v))
			return bad(c, field, "must be an object");
		ret = get_string(c, v, "name", field, &r->prios[i].name);
		if (!ret && (!r->prios[i].name || !r->prios[i].name[0] ||
		             strpbrk(r->prios[i].name, " \n/")))
			ret = bad(c, field, "needs an interface name");
		if (!ret)
			ret = get_uint(c, v, "priority", field, UINT32_MAX, &r->prios[i].prio,
			               NULL);
	}
	return ret;
}

static int read_rdma(struct ctx *c, const json_t *res, struct cg_resources *r)
{
	char field[FIELD_SIZE];
	const char *dev;
	json_t *obj, *v;
	size_t i = 0;
	int ret;

	ret = get_object(c, res, "rdma", CG_RES, &obj);
	if (ret || !obj || !json_object_size(obj))
		return ret;
	r->rdma = calloc(json_object_size(obj), sizeof(*r->rdma));
	if (!r->rdma)
		return nomem(c);
	json_object_foreach(obj, dev, v)
	{
		struct cg_rdma_limit *l = &r->rdma[i++];
		cg_field_key(field, CG_RES ".rdma", dev);
		if (!json_is_object(v))
			return bad(c, field, "must be an object");
		if (!dev[0] || strpbrk(dev, " \n/"))
			return bad(c, field, "is not a device name");
		l->device = dev;
		ret = get_uint(c, v, "hcaHandles", field, UINT32_MAX, &l->handles, &l->has_handles);
		if (!ret)
			ret = get_uint(c, v, "hcaObjects", field, UINT32_MAX, &l->objects,
			               &l->has_objects);
		if (ret)
			return ret;
		r->rdma_count = i;
	}
	return 0;
}

static int read_unified(struct ctx *c, const json_t *res, struct cg_resources *r)
{
	char field[FIELD_SIZE];
	const char *key;
	json_t *obj, *v;
	int ret;

	ret = get_object(c, res, "unified", CG_RES, &obj);
	if (ret || !obj || !json_object_size(obj))
		return ret;
	r->unified = calloc(json_object_size(obj), sizeof(*r->unified));
	if (!r->unified)
		return nomem(c);
	json_object_foreach(obj, key, v)
	{
		cg_field_key(field, CG_RES ".unified", key);
		if (!json_is_string(v))
			return bad(c, field, "must be a string");
		/* runc: a file name, never a path. */
		if (!key[0] || strchr(key, '/') || strcmp(key, ".") == 0 || strcmp(key, "..") == 0)
			return bad(c, field, "must be a file name (no slashes)");
		r->unified[r->unified_count].key = key;
		r->unified[r->unified_count++].value = json_string_value(v);
	}
	return 0;
}

static int read_all(struct ctx *c, const json_t *res, struct cg_resources *r)
{
	int ret;

	if (!json_is_object(res))
		return bad(c, CG_RES, "must be an object");
	ret = read_memory(c, res, r);
	if (!ret)
		ret = read_cpu(c, res, r);
	if (!ret)
		ret = read_pids(c, res, r);
	if (!ret)
		ret = read_blkio(c, res, r);
	if (!ret)
		ret = read_hugetlb(c, res, r);
	if (!ret)
		ret = read_network(c, res, r);
	if (!ret)
		ret = read_rdma(c, res, r);
	if (!ret)
		ret = read_unified(c, res, r);
	if (!ret && get(res, "devices")) {
		if (!json_is_array(get(res, "devices")))
			return bad(c, CG_RES ".devices", "must be an array");
		r->has_devices = true;
	}
	return ret;
}

int cg_read_resources(const json_t *res, struct cg_resources *r, char *err, size_t errlen)
{
	struct ctx c = { err, errlen };

	return read_all(&c, res, r);
}
