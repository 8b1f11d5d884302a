/*
 * linux.resources onto the cgroup (see cgroup.h for the mapping).
 *
 * Two passes. read_resources() checks the whole object into a struct
 * resources (each error names its field), so nothing is written when any
 * value is wrong. apply_v1()/apply_v2() then write the files, in runc's
 * order within each controller (swap before memory when the limits go up,
 * cfs_period_us again after cfs_quota_us when the kernel refused it first,
 * ...). The JSON strings are borrowed: the struct lives only during
 * cgroup_apply.
 */
#include "common/oci/cgroup_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

static const char *const g_throttle_v1_files[CG_THR_COUNT] = {
	"blkio.throttle.read_bps_device",
	"blkio.throttle.write_bps_device",
	"blkio.throttle.read_iops_device",
	"blkio.throttle.write_iops_device",
};
static const char *const g_throttle_v2_keys[CG_THR_COUNT] = { "rbps", "wbps", "riops", "wiops" };

struct ctx {
	char *err;
	size_t errlen;
	bool v2;
};

/* The message of a failed write: field, value, file and why. */
static int write_failed(struct ctx *c, int ret, const char *field, const char *dir,
                        const char *file, const char *value)
{
	const char *dot = strchr(file, '.');

	/* v2: a missing file is a controller not enabled for this cgroup. */
	if (ret == -ENOENT && c->v2 && dot)
		return cg_fail(c->err, c->errlen, ret,
		               "%s: write %s to %s/%s: %s (the %.*s controller is not enabled in "
		               "this cgroup)",
		               field, value, dir, file, strerror(-ret), (int)(dot - file), file);
	return cg_fail(c->err, c->errlen, ret, "%s: write %s to %s/%s: %s", field, value, dir, file,
	               strerror(-ret));
}

/* Writes one value; a failure names the field, the value and the file. */
PRINTF_LIKE(5, 6)
static int put(struct ctx *c, const char *field, const char *dir, const char *file, const char *fmt,
               ...)
{
	char value[256];
	va_list ap;
	int ret;

	va_start(ap, fmt);
	vsnprintf(value, sizeof(value), fmt, ap);
	va_end(ap);
	ret = cg_write(dir, file, value);
	return ret ? write_failed(c, ret, field, dir, file, value) : 0;
}

/* v1: the directory of controller, or an error naming field when not mounted. */
static int need(struct ctx *c, const struct cgroup *cg, const char *controller, const char *field,
                const char **dir)
{
	*dir = cg_dir(cg, controller);
	if (!*dir)
		return cg_fail(c->err, c->errlen, -ENOTSUP,
		               "%s: the %s cgroup controller is not mounted on this host", field,
		               controller);
	return 0;
}

/* v1: memory.limit_in_bytes, with runc's message when it is below the usage. */
static int put_v1_memory(struct ctx *c, const char *dir, int64_t limit)
{
	char value[32];
	uint64_t usage = 0, peak = 0;
	int ret;

	if (limit == 0)
		return 0;
	snprintf(value, sizeof(value), "%" PRId64, limit);
	ret = cg_write(dir, "memory.limit_in_bytes", value);
	if (ret != -EBUSY)
		return ret ? write_failed(c, ret, CG_RES ".memory.limit", dir,
		                          "memory.limit_in_bytes", value)
		           : 0;
	cg_read_u64(dir, "memory.usage_in_bytes", &usage);
	cg_read_u64(dir, "memory.max_usage_in_bytes", &peak);
	return cg_fail(c->err, c->errlen, -EBUSY,
	               CG_RES ".memory.limit: unable to set memory limit to %" PRId64
	                      " (current usage: %" PRIu64 ", peak usage: %" PRIu64 ")",
	               limit, usage, peak);
}

static int put_v1_swap(struct ctx *c, const char *dir, int64_t swap)
{
	if (swap == 0)
		return 0;
	return put(c, CG_RES ".memory.swap", dir, "memory.memsw.limit_in_bytes", "%" PRId64, swap);
}

static int apply_v1_memory(struct ctx *c, const struct cgroup *cg, const struct cg_resources *r)
{
	int64_t limit = r->mem_limit, swap = r->mem_swap;
	const char *dir;
	int ret;

	if (!limit && !swap && !r->mem_reservation && !r->oom_disable && !r->has_swappiness)
		return 0;
	ret = need(c, cg, "memory", CG_RES ".memory", &dir);
	if (ret)
		return ret;
	/* Unlimited memory with swap not given: swap unlimited too (if accounted). */
	if (limit == -1 && swap == 0 && cg_exists(dir, "memory.memsw.limit_in_bytes"))
		swap = -1;
	/* Raising both: the kernel wants memory <= memory+swap at every step. */
	if (limit && swap) {
		uint64_t cur;
		ret = cg_read_u64(dir, "memory.limit_in_bytes", &cur);
		if (ret)
			return cg_fail(c->err, c->errlen, ret,
			               "%s: reading %s/memory.limit_in_bytes: %s",
			               CG_RES ".memory.limit", dir, strerror(-ret));
		if (swap == -1 || cur < (uint64_t)swap) {
			ret = put_v1_swap(c, dir, swap);
			if (!ret)
				ret = put_v1_memory(c, dir, limit);
			goto rest;
		}
	}
	ret = put_v1_memory(c, dir, limit);
	if (!ret)
		ret = put_v1_swap(c, dir, swap);
rest:
	if (!ret && r->mem_reservation)
		ret = put(c, CG_RES ".memory.reservation", dir, "memory.soft_limit_in_bytes",
		          "%" PRId64, r->mem_reservation);
	if (!ret && r->oom_disable)
		ret = put(c, CG_RES ".memory.disableOOMKiller", dir, "memory.oom_control", "1");
	if (!ret && r->has_swappiness)
		ret = put(c, CG_RES ".memory.swappiness", dir, "memory.swappiness", "%" PRIu64,
		          r->swappiness);
	return ret;
}

static int apply_v1_cpu(struct ctx *c, const struct cgroup *cg, const struct cg_resources *r)
{
	bool period_pending = false;
	const char *dir;
	int ret = 0;

	if (!r->cpu_shares && !r->cpu_period && !r->cpu_quota && !r->has_burst && !r->has_idle &&
	    !r->cpu_rt_period && !r->cpu_rt_runtime)
		return 0;
	ret = need(c, cg, "cpu", CG_RES ".cpu", &dir);
	if (ret)
		return ret;
	if (r->cpu_shares) {
		uint64_t got;
		ret = put(c, CG_RES ".cpu.shares", dir, "cpu.shares", "%" PRIu64, r->cpu_shares);
		if (!ret && cg_read_u64(dir, "cpu.shares", &got) == 0 && got != r->cpu_shares)
			return cg_fail(c->err, c->errlen, -EINVAL,
			               CG_RES ".cpu.shares: the %s allowed cpu-shares is %" PRIu64,
			               r->cpu_shares > got ? "maximum" : "minimum", got);
	}
	if (!ret && r->cpu_period) {
		char value[32];
		snprintf(value, sizeof(value), "%" PRIu64, r->cpu_period);
		ret = cg_write(dir, "cpu.cfs_period_us", value);
		/* A shorter period can exceed the parent's quota until the new
		 * quota is in: runc retries after writing the quota. */
		if (ret == -EINVAL && r->cpu_quota)
			period_pending = true, ret = 0;
		else if (ret)
			ret = put(c, CG_RES ".cpu.period", dir, "cpu.cfs_period_us", "%s", value);
	}
	if (!ret && r->cpu_quota)
		ret = put(c, CG_RES ".cpu.quota", dir, "cpu.cfs_quota_us", "%" PRId64,
		          r->cpu_quota);
	if (!ret && period_pending)
		ret = put(c, CG_RES ".cpu.period", dir, "cpu.cfs_period_us", "%" PRIu64,
		          r->cpu_period);
	if (!ret && r->has_burst)
		ret = put(c, CG_RES ".cpu.burst", dir, "cpu.cfs_burst_us", "%" PRIu64,
		          r->cpu_burst);
	if (!ret && r->has_idle)
		ret = put(c, CG_RES ".cpu.idle", dir, "cpu.idle", "%" PRId64, r->cpu_idle);
	if (!ret && r->cpu_rt_period)
		ret = put(c, CG_RES ".cpu.realtimePeriod", dir, "cpu.rt_period_us", "%" PRIu64,
		          r->cpu_rt_period);
	if (!ret && r->cpu_rt_runtime)
		ret = put(c, CG_RES ".cpu.realtimeRuntime", dir, "cpu.rt_runtime_us", "%" PRId64,
		          r->cpu_rt_runtime);
	return ret;
}

static int apply_cpuset(struct ctx *c, const struct cgroup *cg, const struct cg_resources *r)
{
	const char *dir;
	int ret;

	if (!r->cpus && !r->mems)
		return 0;
	ret = cg->version == CGROUP_V1 ? need(c, cg, "cpuset", CG_RES ".cpu.cpus", &dir)
	                               : (dir = cg_dir(cg, ""), 0);
	if (!ret && r->cpus)
		ret = put(c, CG_RES ".cpu.cpus", dir, "cpuset.cpus", "%s", r->cpus);
	if (!ret && r->mems)
		ret = put(c, CG_RES ".cpu.mems", dir, "cpuset.mems", "%s", r->mems);
	return ret;
}

static int apply_pids(struct ctx *c, const struct cgroup *cg, const struct cg_resources *r)
{
	const char *dir;
	int ret;

	if (r->pids_limit == 0)
		return 0; /* runc 1.1: 0 leaves pids.max alone */
	ret = cg->version == CGROUP_V1 ? need(c, cg, "pids", CG_RES ".pids.limit", &dir)
	                               : (dir = cg_dir(cg, ""), 0);
	if (ret)
		return ret;
	if (r->pids_limit < 0)
		return put(c, CG_RES ".pids.limit", dir, "pids.max", "max");
	return put(c, CG_RES ".pids.limit", dir, "pids.max", "%" PRId64, r->pids_limit);
}

static bool blkio_set(const struct cg_resources *r)
{
	bool any = r->blkio_weight || r->blkio_leaf_weight || r->weight_devs_count;

	for (int t = 0; t < CG_THR_COUNT; t++)
		any |= r->throttle_count[t] > 0;
	return any;
}

static int apply_v1_blkio(struct ctx *c, const struct cgroup *cg, const struct cg_resources *r)
{
	const char *base = CG_RES ".blockIO";
	const char *dir, *weight_file = "blkio.weight", *wdev_file = "blkio.weight_device";
	char field[FIELD_SIZE];
	int ret;

	if (!blkio_set(r))
		return 0;
	ret = need(c, cg, "blkio", base, &dir);
	if (ret)
		return ret;
	/* CFQ has blkio.weight, BFQ blkio.bfq.weight (runc picks the same way). */
	if (!cg_exists(dir, weight_file) && cg_exists(dir, "blkio.bfq.weight")) {
		weight_file = "blkio.bfq.weight";
		wdev_file = "blkio.bfq.weight_device";
	}
	if (r->blkio_weight)
		ret = put(c, CG_RES ".blockIO.weight", dir, weight_file, "%" PRIu64,
		          r->blkio_weight);
	if (!ret && r->blkio_leaf_weight)
		ret = put(c, CG_RES ".blockIO.leafWeight", dir, "blkio.leaf_weight", "%" PRIu64,
		          r->blkio_leaf_weight);
	for (size_t i = 0; !ret && i < r->weight_devs_count; i++) {
		const struct cg_weight_dev *wd = &r->weight_devs[i];
		cg_field_index(field, CG_RES ".blockIO.weightDevice", i);
		if (wd->weight)
			ret = put(c, field, dir, wdev_file, "%" PRId64 ":%" PRId64 " %" PRIu64,
			          wd->major, wd->minor, wd->weight);
		if (!ret && wd->leaf_weight)
			ret = put(c, field, dir, "blkio.leaf_weight_device",
			          "%" PRId64 ":%" PRId64 " %" PRIu64, wd->major, wd->minor,
			          wd->leaf_weight);
	}
	for (int t = 0; !ret && t < CG_THR_COUNT; t++) {
		for (size_t i = 0; !ret && i < r->throttle_count[t]; i++) {
			const struct cg_throttle_dev *td = &r->throttle[t][i];
			char key[FIELD_SIZE];
			cg_field_key(key, base, g_cg_throttle_keys[t]);
			cg_field_index(field, key, i);
			ret = put(c, field, dir, g_throttle_v1_files[t],
			          "%" PRId64 ":%" PRId64 " %" PRIu64, td->major, td->minor,
			          td->rate);
		}
	}
	return ret;
}

static int apply_hugetlb(struct ctx *c, const struct cgroup *cg, const struct cg_resources *r)
{
	char field[FIELD_SIZE], file[64];
	const char *dir;
	int ret = 0;

	if (!r->pages_count)
		return 0;
	if (cg->version == CGROUP_V1)
		ret = need(c, cg, "hugetlb", CG_RES ".hugepageLimits", &dir);
	else
		dir = cg_dir(cg, "");
	for (size_t i = 0; !ret && i < r->pages_count; i++) {
		cg_field_index(field, CG_RES ".hugepageLimits", i);
		snprintf(file, sizeof(file), "hugetlb.%s.%s", r->pages[i].size,
		         cg->version == CGROUP_V1 ? "limit_in_bytes" : "max");
		ret = put(c, field, dir, file, "%" PRIu64, r->pages[i].limit);
	}
	return ret;
}

static int apply_v1_network(struct ctx *c, const struct cgroup *cg, const struct cg_resources *r)
{
	char field[FIELD_SIZE];
	const char *dir = NULL;
	int ret = 0;

	if (r->has_classid) {
		ret = need(c, cg, "net_cls", CG_RES ".network.classID", &dir);
		if (!ret)
			ret = put(c, CG_RES ".network.classID", dir, "net_cls.classid", "%" PRIu64,
			          r->classid);
	}
	if (!ret && r->prios_count)
		ret = need(c, cg, "net_prio", CG_RES ".network.priorities", &dir);
	for (size_t i = 0; !ret && i < r->prios_count; i++) {
		cg_field_index(field, CG_RES ".network.priorities", i);
		ret = put(c, field, dir, "net_prio.ifpriomap", "%s %" PRIu64, r->prios[i].name,
		          r->prios[i].prio);
	}
	return ret;
}

static int apply_rdma(struct ctx *c, const struct cgroup *cg, const struct cg_resources *r)
{
	char field[FIELD_SIZE];
	const char *dir;
	int ret = 0;

	if (!r->rdma_count)
		return 0;
	if (cg->version == CGROUP_V1)
		ret = need(c, cg, "rdma", CG_RES ".rdma", &dir);
	else
		dir = cg_dir(cg, "");
	for (size_t i = 0; !ret && i < r->rdma_count; i++) {
		const struct cg_rdma_limit *l = &r->rdma[i];
		char value[128];
		int n = snprintf(value, sizeof(value), "%s", l->device);
		if (l->has_handles)
			n += snprintf(value + n, sizeof(value) - (size_t)n, " hca_handle=%" PRIu64,
			              l->handles);
		if (l->has_objects)
			snprintf(value + n, sizeof(value) - (size_t)n, " hca_object=%" PRIu64,
			         l->objects);
		cg_field_key(field, CG_RES ".rdma", l->device);
		ret = put(c, field, dir, "rdma.max", "%s", value);
	}
	return ret;
}

static void warn_ignored(const struct cg_resources *r, enum cgroup_version v)
{
	if (r->mem_kernel)
		log_warn("cgroup: " CG_RES ".memory.kernel is ignored: kernel memory limits are "
		         "deprecated (runc ignores them too)");
	if (r->mem_kernel_tcp)
		log_warn("cgroup: " CG_RES ".memory.kernelTCP is ignored, as by runc");
	if (r->has_devices)
		log_debug("cgroup: " CG_RES
		          ".devices ignored: the sandbox opens no host device for "
		          "the application");
	if (v == CGROUP_V1)
		return;
	if (r->has_swappiness)
		log_warn("cgroup: " CG_RES ".memory.swappiness is ignored: cgroup v2 has no "
		         "per-cgroup swappiness");
	if (r->oom_disable)
		log_warn("cgroup: " CG_RES ".memory.disableOOMKiller is ignored: cgroup v2 cannot "
		         "disable the OOM killer");
	if (r->cpu_rt_period || r->cpu_rt_runtime)
		log_warn("cgroup: " CG_RES
		         ".cpu.realtimePeriod/realtimeRuntime are ignored: cgroup "
		         "v2 has no realtime groups");
	if (r->blkio_leaf_weight)
		log_warn("cgroup: " CG_RES ".blockIO.leafWeight is ignored on cgroup v2");
	if (r->has_classid || r->prios_count)
		log_warn("cgroup: " CG_RES ".network is ignored: cgroup v2 has no net_cls or "
		         "net_prio controller");
}

static int apply_v1(struct ctx *c, const struct cgroup *cg, const struct cg_resources *r)
{
	int ret;

	if (r->unified_count)
		return cg_fail(c->err, c->errlen, -EINVAL,
		               CG_RES ".unified: only supported on cgroup v2 (this host has v1)");
	ret = apply_cpuset(c, cg, r);
	if (!ret)
		ret = apply_v1_memory(c, cg, r);
	if (!ret)
		ret = apply_v1_cpu(c, cg, r);
	if (!ret)
		ret = apply_pids(c, cg, r);
	if (!ret)
		ret = apply_v1_blkio(c, cg, r);
	if (!ret)
		ret = apply_hugetlb(c, cg, r);
	if (!ret)
		ret = apply_v1_network(c, cg, r);
	if (!ret)
		ret = apply_rdma(c, cg, r);
	return ret;
}

/* v2 files are -1 = "max", 0 = leave alone (runc's numToStr). */
static void v2_num(int64_t v, char *buf, size_t size)
{
	if (v == -1)
		snprintf(buf, size, "max");
	else if (v == 0)
		buf[0] = '\0';
	else
		snprintf(buf, size, "%" PRId64, v);
}

static int apply_v2_memory(struct ctx *c, const char *dir, const struct cg_resources *r)
{
	char swap_s[32], value[32], msg[128];
	long long swap;
	int ret;

	if (!r->mem_limit && !r->mem_reservation && !r->mem_swap)
		return 0;
	ret = cgroup_swap_to_v2(r->mem_swap, r->mem_limit, &swap, msg, sizeof(msg));
	if (ret)
		return cg_fail(c->err, c->errlen, ret, CG_RES ".memory.swap: %s", msg);
	v2_num(swap, swap_s, sizeof(swap_s));
	if (!swap_s[0] && r->mem_swap > 0)
		snprintf(swap_s, sizeof(swap_s), "0"); /* swap == limit: no swap at all */
	if (swap_s[0]) {
		ret = cg_write(dir, "memory.swap.max", swap_s);
		/* No swap accounting: "max" and "0" are what the host has anyway. */
		if (ret == -ENOENT && (strcmp(swap_s, "max") == 0 || strcmp(swap_s, "0") == 0))
			ret = 0;
		if (ret)
			return write_failed(c, ret, CG_RES ".memory.swap", dir, "memory.swap.max",
			                    swap_s);
	}
	v2_num(r->mem_limit, value, sizeof(value));
	if (value[0]) {
		ret = put(c, CG_RES ".memory.limit", dir, "memory.max", "%s", value);
		if (ret)
			return ret;
	}
	v2_num(r->mem_reservation, value, sizeof(value));
	if (value[0])
		return put(c, CG_RES ".memory.reservation", dir, "memory.low", "%s", value);
	return 0;
}

static int apply_v2_cpu(struct ctx *c, const char *dir, const struct cg_resources *r)
{
	int ret = 0;

	if (r->cpu_shares)
		ret = put(c, CG_RES ".cpu.shares", dir, "cpu.weight", "%llu",
		          cgroup_shares_to_weight(r->cpu_shares));
	if (!ret && (r->cpu_quota || r->cpu_period)) {
		char quota[32];
		if (r->cpu_quota > 0)
			snprintf(quota, sizeof(quota), "%" PRId64, r->cpu_quota);
		else
			snprintf(quota, sizeof(quota), "max");
		ret = put(c, r->cpu_quota ? CG_RES ".cpu.quota" : CG_RES ".cpu.period", dir,
		          "cpu.max", "%s %" PRIu64, quota, r->cpu_period ? r->cpu_period : 100000);
	}
	if (!ret && r->has_burst)
		ret = put(c, CG_RES ".cpu.burst", dir, "cpu.max.burst", "%" PRIu64, r->cpu_burst);
	if (!ret && r->has_idle)
		ret = put(c, CG_RES ".cpu.idle", dir, "cpu.idle", "%" PRId64, r->cpu_idle);
	return ret;
}

static int apply_v2_io(struct ctx *c, const char *dir, const struct cg_resources *r)
{
	const char *base = CG_RES ".blockIO";
	char field[FIELD_SIZE];
	int ret = 0;

	if (r->blkio_weight) {
		/* BFQ takes the v1 range as is; otherwise io.weight, converted. */
		if (cg_exists(dir, "io.bfq.weight"))
			ret = put(c, CG_RES ".blockIO.weight", dir, "io.bfq.weight", "%" PRIu64,
			          r->blkio_weight);
		else
			ret = put(c, CG_RES ".blockIO.weight", dir, "io.weight", "%llu",
			          cgroup_blkio_to_io_weight(r->blkio_weight));
	}
	for (size_t i = 0; !ret && i < r->weight_devs_count; i++) {
		const struct cg_weight_dev *wd = &r->weight_devs[i];
		cg_field_index(field, CG_RES ".blockIO.weightDevice", i);
		if (wd->weight)
			ret = put(c, field, dir, "io.bfq.weight",
			          "%" PRId64 ":%" PRId64 " %" PRIu64, wd->major, wd->minor,
			          wd->weight);
	}
	for (int t = 0; !ret && t < CG_THR_COUNT; t++) {
		for (size_t i = 0; !ret && i < r->throttle_count[t]; i++) {
			const struct cg_throttle_dev *td = &r->throttle[t][i];
			char key[FIELD_SIZE];
			cg_field_key(key, base, g_cg_throttle_keys[t]);
			cg_field_index(field, key, i);
			ret = put(c, field, dir, "io.max", "%" PRId64 ":%" PRId64 " %s=%" PRIu64,
			          td->major, td->minor, g_throttle_v2_keys[t], td->rate);
		}
	}
	return ret;
}

static int apply_v2_unified(struct ctx *c, const char *dir, const struct cg_resources *r)
{
	for (size_t i = 0; i < r->unified_count; i++) {
		const struct cg_kv *kv = &r->unified[i];
		char field[FIELD_SIZE], avail[1024] = "", ctl[64];
		const char *dot = strchr(kv->key, '.');
		int ret = cg_write(dir, kv->key, kv->value);

		if (!ret)
			continue;
		cg_field_key(field, CG_RES ".unified", kv->key);
		if ((ret == -ENOENT || ret == -EPERM || ret == -EACCES) && dot) {
			/* Say which controller is missing rather than "No such file". */
			snprintf(ctl, sizeof(ctl), "%.*s", (int)(dot - kv->key), kv->key);
			cg_read(dir, "cgroup.controllers", avail, sizeof(avail));
			avail[strcspn(avail, "\n")] = '\0';
			if (strcmp(ctl, "cgroup") != 0 && !cg_words_has(avail, ctl))
				return cg_fail(
				        c->err, c->errlen, ret,
				        "%s: controller \"%s\" is not available in %s (it has: %s)",
				        field, ctl, dir, avail[0] ? avail : "none");
		} else if (ret == -ENOENT) {
			return cg_fail(c->err, c->errlen, ret,
			               "%s: must be in the form CONTROLLER.PARAMETER", field);
		}
		return cg_fail(c->err, c->errlen, ret, "%s: write %s to %s/%s: %s", field,
		               kv->value, dir, kv->key, strerror(-ret));
	}
	return 0;
}

static int apply_v2(struct ctx *c, const struct cgroup *cg, const struct cg_resources *r)
{
	const char *dir = cg_dir(cg, "");
	int ret;

	ret = apply_pids(c, cg, r);
	if (!ret)
		ret = apply_v2_memory(c, dir, r);
	if (!ret)
		ret = apply_v2_io(c, dir, r);
	if (!ret)
		ret = apply_v2_cpu(c, dir, r);
	if (!ret)
		ret = apply_cpuset(c, cg, r);
	if (!ret)
		ret = apply_hugetlb(c, cg, r);
	if (!ret)
		ret = apply_rdma(c, cg, r);
	if (!ret)
		ret = apply_v2_unified(c, dir, r);
	return ret;
}

int cgroup_apply(struct cgroup *cg, const json_t *resources, char *err, size_t errlen)
{
	struct ctx c = { err, errlen, cg->version == CGROUP_V2 };
	struct cg_resources r = { 0 };
	int ret;

	if (errlen)
		err[0] = '\0';
	if (!resources)
		return 0;
	ret = cg_read_resources(resources, &r, err, errlen);
	if (!ret) {
		warn_ignored(&r, cg->version);
		ret = cg->version == CGROUP_V1 ? apply_v1(&c, cg, &r) : apply_v2(&c, cg, &r);
	}
	cg_free_resources(&r);
	return ret;
}
