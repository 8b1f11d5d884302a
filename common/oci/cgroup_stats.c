/*
 * The cgroup's statistics as runc's `events --stats` data (types.Stats of
 * runc 1.1, which this machine's runc prints as
 *   {"cpu":{"usage":{"total":N,"percpu":[..],"percpu_kernel":[..],
 *    "percpu_user":[..],"kernel":N,"user":N},"throttling":{}},"cpuset":{..},
 *    "memory":{"usage":{"limit":N,"usage":N,"max":N,"failcnt":0},"swap":{..},
 *    "kernel":{..},"kernelTCP":{..},"raw":{..}},"pids":{"current":5,
 *    "limit":10},"blkio":{},"hugetlb":{},"intel_rdt":{},
 *    "network_interfaces":null}).
 * Go's omitempty is followed field by field: numbers that are 0 and empty
 * lists or maps are left out where runc's struct says omitempty.
 *
 * Statistics are best effort, as in runc: a file that does not exist (a
 * controller not mounted, no swap accounting) leaves its fields at zero.
 * One difference: JSON integers here are int64 (jansson), so a v2 limit of
 * "max", which runc reports as 2^64-1, is reported as 2^63-1.
 */
#include "common/oci/cgroup_internal.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* runc converts cpuacct.stat ticks with a fixed USER_HZ of 100. */
#define CLOCK_TICKS  100ULL
#define NSEC_PER_SEC 1000000000ULL

static json_t *num(uint64_t v)
{
	return json_integer(v > INT64_MAX ? INT64_MAX : (json_int_t)v);
}

static void put(json_t *obj, const char *key, uint64_t v)
{
	json_object_set_new(obj, key, num(v));
}

static void put_omitempty(json_t *obj, const char *key, uint64_t v)
{
	if (v)
		put(obj, key, v);
}

static uint64_t read_u64(const char *dir, const char *file)
{
	uint64_t v = 0;

	if (!dir || cg_read_u64(dir, file, &v))
		return 0;
	return v;
}

/* "key value" lines (cpu.stat, memory.stat) into fn(key, value, arg). */
static void for_each_kv(const char *dir, const char *file,
                        void (*fn)(const char *key, uint64_t value, void *arg), void *arg)
{
	char *text = dir ? cg_read_all(dir, file) : NULL;

	if (!text)
		return;
	for (char *save, *line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(line, ' ');
		if (!sp)
			continue;
		*sp = '\0';
		fn(line, strtoull(sp + 1, NULL, 10), arg);
	}
	free(text);
}

/* A list of numbers separated by spaces ("cpuacct.usage_percpu"), or NULL. */
static json_t *number_list(const char *dir, const char *file)
{
	char *text = dir ? cg_read_all(dir, file) : NULL;
	json_t *arr;

	if (!text)
		return NULL;
	arr = json_array();
	for (char *save, *t = strtok_r(text, " \n", &save); t && arr;
	     t = strtok_r(NULL, " \n", &save))
		json_array_append_new(arr, num(strtoull(t, NULL, 10)));
	free(text);
	if (arr && json_array_size(arr) == 0) {
		json_decref(arr);
		arr = NULL;
	}
	return arr;
}

struct cpu_stat {
	uint64_t usage, user, system, periods, throttled, throttled_time;
};

static void cpu_stat_v2(const char *key, uint64_t v, void *arg)
{
	struct cpu_stat *s = arg;

	if (strcmp(key, "usage_usec") == 0)
		s->usage = v * 1000;
	else if (strcmp(key, "user_usec") == 0)
		s->user = v * 1000;
	else if (strcmp(key, "system_usec") == 0)
		s->system = v * 1000;
	else if (strcmp(key, "nr_periods") == 0)
		s->periods = v;
	else if (strcmp(key, "nr_throttled") == 0)
		s->throttled = v;
	else if (strcmp(key, "throttled_usec") == 0)
		s->throttled_time = v * 1000;
}

static void cpu_stat_v1(const char *key, uint64_t v, void *arg)
{
	struct cpu_stat *s = arg;

	if (strcmp(key, "nr_periods") == 0)
		s->periods = v;
	else if (strcmp(key, "nr_throttled") == 0)
		s->throttled = v;
	else if (strcmp(key, "throttled_time") == 0)
		s->throttled_time = v;
	else if (strcmp(key, "user") == 0) /* cpuacct.stat, in ticks */
		s->user = v * NSEC_PER_SEC / CLOCK_TICKS;
	else if (strcmp(key, "system") == 0)
		s->system = v * NSEC_PER_SEC / CLOCK_TICKS;
}

/* v1 cpuacct.usage_all: "cpu user system" then one row per cpu. */
static void percpu_modes(const char *dir, json_t *usage)
{
	char *text = dir ? cg_read_all(dir, "cpuacct.usage_all") : NULL;
	json_t *user = json_array(), *kernel = json_array();
	bool header = true;

	for (char *save, *line = text ? strtok_r(text, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		unsigned long long cpu, u, s;
		if (header) {
			header = false;
			continue;
		}
		if (sscanf(line, "%llu %llu %llu", &cpu, &u, &s) == 3) {
			json_array_append_new(user, num(u));
			json_array_append_new(kernel, num(s));
		}
	}
	free(text);
	if (json_array_size(kernel))
		json_object_set(usage, "percpu_kernel", kernel);
	if (json_array_size(user))
		json_object_set(usage, "percpu_user", user);
	json_decref(user);
	json_decref(kernel);
}

static json_t *cpu_stats(const struct cgroup *cg)
{
	json_t *cpu = json_object(), *usage = json_object(), *thr = json_object();
	struct cpu_stat s = { 0 };

	if (cg->version == CGROUP_V2) {
		for_each_kv(cg_dir(cg, ""), "cpu.stat", cpu_stat_v2, &s);
		put_omitempty(usage, "total", s.usage);
	} else {
		const char *acct = cg_dir(cg, "cpuacct");
		json_t *percpu = number_list(acct, "cpuacct.usage_percpu");
		put_omitempty(usage, "total", read_u64(acct, "cpuacct.usage"));
		if (percpu)
			json_object_set_new(usage, "percpu", percpu);
		percpu_modes(acct, usage);
		for_each_kv(acct, "cpuacct.stat", cpu_stat_v1, &s);
		for_each_kv(cg_dir(cg, "cpu"), "cpu.stat", cpu_stat_v1, &s);
	}
	put(usage, "kernel", s.system);
	put(usage, "user", s.user);
	put_omitempty(thr, "periods", s.periods);
	put_omitempty(thr, "throttledPeriods", s.throttled);
	put_omitempty(thr, "throttledTime", s.throttled_time);
	json_object_set_new(cpu, "usage", usage);
	json_object_set_new(cpu, "throttling", thr);
	return cpu;
}

/* "0-2,5" as [0,1,2,5]; NULL when empty or unreadable. */
static json_t *cpu_list(const char *dir, const char *file)
{
	char buf[4096];
	json_t *arr;

	if (!dir || cg_read(dir, file, buf, sizeof(buf)) <= 0)
		return NULL;
	arr = json_array();
	for (char *save, *t = strtok_r(buf, ",\n", &save); t; t = strtok_r(NULL, ",\n", &save)) {
		unsigned lo, hi;
		int n = sscanf(t, "%u-%u", &lo, &hi);
		if (n == 1)
			hi = lo;
		if (n < 1 || hi < lo || hi - lo > 65535)
			continue;
		for (unsigned i = lo; i <= hi; i++)
			json_array_append_new(arr, json_integer(i));
	}
	if (!json_array_size(arr)) {
		json_decref(arr);
		return NULL;
	}
	return arr;
}

static json_t *cpuset_stats(const struct cgroup *cg)
{
	static const struct {
		const char *key, *file;
	} flags[] = {
		{ "cpu_exclusive", "cpuset.cpu_exclusive" },
		{ "mems", NULL },
		{ "mem_hardwall", "cpuset.mem_hardwall" },
		{ "mem_exclusive", "cpuset.mem_exclusive" },
		{ "memory_migrate", "cpuset.memory_migrate" },
		{ "memory_spread_page", "cpuset.memory_spread_page" },
		{ "memory_spread_slab", "cpuset.memory_spread_slab" },
		{ "memory_pressure", "cpuset.memory_pressure" },
		{ "sched_load_balance", "cpuset.sched_load_balance" },
	};
	const char *dir = cg->version == CGROUP_V1 ? cg_dir(cg, "cpuset") : NULL;
	json_t *obj = json_object(), *list;
	char buf[32];

	list = cpu_list(dir, "cpuset.cpus");
	if (list)
		json_object_set_new(obj, "cpus", list);
	for (size_t i = 0; i < ARRAY_SIZE(flags); i++) {
		if (!flags[i].file) {
			list = cpu_list(dir, "cpuset.mems");
			if (list)
				json_object_set_new(obj, "mems", list);
			continue;
		}
		put(obj, flags[i].key, read_u64(dir, flags[i].file));
	}
	json_object_set_new(obj, "sched_relax_domain_level",
	                    json_integer(dir && cg_read(dir, "cpuset.sched_relax_domain_level", buf,
	                                                sizeof(buf)) > 0
	                                         ? strtoll(buf, NULL, 10)
	                                         : 0));
	return obj;
}

/* runc's MemoryEntry: limit and failcnt always, usage and max when not 0. */
static json_t *memory_entry(uint64_t limit, uint64_t usage, uint64_t max, uint64_t failcnt)
{
	json_t *e = json_object();

	put(e, "limit", limit);
	put_omitempty(e, "usage", usage);
	put_omitempty(e, "max", max);
	put(e, "failcnt", failcnt);
	return e;
}

/* v1: memory[.name].{limit_in_bytes,usage_in_bytes,max_usage_in_bytes,failcnt}. */
static json_t *memory_entry_v1(const char *dir, const char *name)
{
	char f[4][64];
	const char *sep = name[0] ? "." : "";

	snprintf(f[0], sizeof(f[0]), "memory%s%s.limit_in_bytes", sep, name);
	snprintf(f[1], sizeof(f[1]), "memory%s%s.usage_in_bytes", sep, name);
	snprintf(f[2], sizeof(f[2]), "memory%s%s.max_usage_in_bytes", sep, name);
	snprintf(f[3], sizeof(f[3]), "memory%s%s.failcnt", sep, name);
	return memory_entry(read_u64(dir, f[0]), read_u64(dir, f[1]), read_u64(dir, f[2]),
	                    read_u64(dir, f[3]));
}

static void raw_stat(const char *key, uint64_t v, void *arg)
{
	json_object_set_new(arg, key, num(v));
}

static json_t *memory_stats(const struct cgroup *cg)
{
	const char *dir = cg->version == CGROUP_V1 ? cg_dir(cg, "memory") : cg_dir(cg, "");
	json_t *mem = json_object(), *raw = json_object(), *cache;

	for_each_kv(dir, "memory.stat", raw_stat, raw);
	/* v1 calls the page cache "cache", v2 "file". */
	cache = json_object_get(raw, cg->version == CGROUP_V1 ? "cache" : "file");
	if (cache && json_integer_value(cache))
		json_object_set(mem, "cache", cache);
	if (cg->version == CGROUP_V1) {
		json_object_set_new(mem, "usage", memory_entry_v1(dir, ""));
		json_object_set_new(mem, "swap", memory_entry_v1(dir, "memsw"));
		json_object_set_new(mem, "kernel", memory_entry_v1(dir, "kmem"));
		json_object_set_new(mem, "kernelTCP", memory_entry_v1(dir, "kmem.tcp"));
	} else {
		uint64_t usage = read_u64(dir, "memory.current"),
		         limit = read_u64(dir, "memory.max");
		uint64_t swap = read_u64(dir, "memory.swap.current");
		uint64_t swap_limit = read_u64(dir, "memory.swap.max");
		json_object_set_new(mem, "usage", memory_entry(limit, usage, 0, 0));
		/* v2 counts swap alone; runc reports memory+swap, as v1 does. */
		if (swap_limit != UINT64_MAX && limit != UINT64_MAX)
			swap_limit += limit;
		else
			swap_limit = UINT64_MAX;
		json_object_set_new(mem, "swap", memory_entry(swap_limit, swap + usage, 0, 0));
		json_object_set_new(mem, "kernel", memory_entry(0, 0, 0, 0));
		json_object_set_new(mem, "kernelTCP", memory_entry(0, 0, 0, 0));
	}
	if (json_object_size(raw))
		json_object_set(mem, "raw", raw);
	json_decref(raw);
	return mem;
}

static json_t *pids_stats(const struct cgroup *cg)
{
	const char *dir = cg->version == CGROUP_V1 ? cg_dir(cg, "pids") : cg_dir(cg, "");
	json_t *pids = json_object();
	uint64_t limit = read_u64(dir, "pids.max");

	put_omitempty(pids, "current", read_u64(dir, "pids.current"));
	put_omitempty(pids, "limit", limit == UINT64_MAX ? 0 : limit); /* "max": no limit */
	return pids;
}

static json_t *blkio_entry(uint64_t major, uint64_t minor, const char *op, uint64_t value)
{
	json_t *e = json_object();

	put_omitempty(e, "major", major);
	put_omitempty(e, "minor", minor);
	if (op && op[0])
		json_object_set_new(e, "op", json_string(op));
	put_omitempty(e, "value", value);
	return e;
}

/* v1 "8:0 Read 1282048" lines (and "Total N", skipped); NULL if none. */
static json_t *blkio_v1_file(const char *dir, const char *file)
{
	char *text = cg_read_all(dir, file);
	json_t *arr = json_array();

	for (char *save, *line = text ? strtok_r(text, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		unsigned long long major, minor, value;
		char op[32];
		if (sscanf(line, "%llu:%llu %31s %llu", &major, &minor, op, &value) == 4)
			json_array_append_new(arr, blkio_entry(major, minor, op, value));
		else if (sscanf(line, "%llu:%llu %llu", &major, &minor, &value) == 3)
			json_array_append_new(arr, blkio_entry(major, minor, NULL, value));
	}
	free(text);
	if (!json_array_size(arr)) {
		json_decref(arr);
		return NULL;
	}
	return arr;
}

static json_t *blkio_stats(const struct cgroup *cg)
{
	/* runc's order: the first group whose first file has entries. */
	static const char *const groups[][2] = {
		{ "blkio.bfq.io_service_bytes_recursive", "blkio.bfq.io_serviced_recursive" },
		{ "blkio.io_service_bytes_recursive", "blkio.io_serviced_recursive" },
		{ "blkio.throttle.io_service_bytes_recursive",
		  "blkio.throttle.io_serviced_recursive" },
		{ "blkio.throttle.io_service_bytes", "blkio.throttle.io_serviced" },
	};
	json_t *blkio = json_object();

	if (cg->version == CGROUP_V1) {
		const char *dir = cg_dir(cg, "blkio");
		for (size_t g = 0; dir && g < ARRAY_SIZE(groups); g++) {
			json_t *bytes = blkio_v1_file(dir, groups[g][0]);
			if (!bytes)
				continue;
			json_object_set_new(blkio, "ioServiceBytesRecursive", bytes);
			json_t *ios = blkio_v1_file(dir, groups[g][1]);
			if (ios)
				json_object_set_new(blkio, "ioServicedRecursive", ios);
			break;
		}
		return blkio;
	}
	/* v2 io.stat: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0". */
	char *text = cg_read_all(cg_dir(cg, ""), "io.stat");
	json_t *bytes = json_array(), *ios = json_array();
	for (char *save, *line = text ? strtok_r(text, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		unsigned long long major, minor, v;
		char *p = strchr(line, ' ');
		if (!p || sscanf(line, "%llu:%llu", &major, &minor) != 2)
			continue;
		for (char *save2, *t = strtok_r(p, " ", &save2); t;
		     t = strtok_r(NULL, " ", &save2)) {
			char key[16];
			if (sscanf(t, "%15[^=]=%llu", key, &v) != 2)
				continue;
			if (strcmp(key, "rbytes") == 0 || strcmp(key, "wbytes") == 0)
				json_array_append_new(
				        bytes, blkio_entry(major, minor,
				                           key[0] == 'r' ? "Read" : "Write", v));
			else if (strcmp(key, "rios") == 0 || strcmp(key, "wios") == 0)
				json_array_append_new(
				        ios, blkio_entry(major, minor,
				                         key[0] == 'r' ? "Read" : "Write", v));
		}
	}
	free(text);
	if (json_array_size(bytes))
		json_object_set(blkio, "ioServiceBytesRecursive", bytes);
	if (json_array_size(ios))
		json_object_set(blkio, "ioServicedRecursive", ios);
	json_decref(bytes);
	json_decref(ios);
	return blkio;
}

/* "hugepages-2048kB" as runc names the size: "2MB". */
static bool page_size_name(const char *dirname, char *out, size_t size)
{
	static const char *const units[] = { "KB", "MB", "GB", "TB" };
	unsigned long long kb;
	size_t u = 0;

	if (sscanf(dirname, "hugepages-%llukB", &kb) != 1 || kb == 0)
		return false;
	while (kb >= 1024 && kb % 1024 == 0 && u + 1 < ARRAY_SIZE(units))
		kb /= 1024, u++;
	snprintf(out, size, "%llu%s", kb, units[u]);
	return true;
}

static void hugetlb_events_max(const char *key, uint64_t v, void *arg)
{
	if (strcmp(key, "max") == 0)
		*(uint64_t *)arg = v;
}

static json_t *hugetlb_stats(const struct cgroup *cg)
{
	const char *dir = cg->version == CGROUP_V1 ? cg_dir(cg, "hugetlb") : cg_dir(cg, "");
	json_t *obj = json_object();
	DIR *d = dir ? opendir("/sys/kernel/mm/hugepages") : NULL;
	struct dirent *de;

	while (d && (de = readdir(d))) {
		char name[32], file[96];
		json_t *e;
		if (!page_size_name(de->d_name, name, sizeof(name)))
			continue;
		snprintf(file, sizeof(file), "hugetlb.%s.%s", name,
		         cg->version == CGROUP_V1 ? "usage_in_bytes" : "current");
		if (!cg_exists(dir, file))
			continue; /* no hugetlb controller here */
		e = json_object();
		put_omitempty(e, "usage", read_u64(dir, file));
		if (cg->version == CGROUP_V1) {
			snprintf(file, sizeof(file), "hugetlb.%s.max_usage_in_bytes", name);
			put_omitempty(e, "max", read_u64(dir, file));
			snprintf(file, sizeof(file), "hugetlb.%s.failcnt", name);
			put(e, "failcnt", read_u64(dir, file));
		} else {
			uint64_t failcnt = 0;
			snprintf(file, sizeof(file), "hugetlb.%s.events", name);
			for_each_kv(dir, file, hugetlb_events_max, &failcnt);
			put(e, "failcnt", failcnt);
		}
		json_object_set_new(obj, name, e);
	}
	if (d)
		closedir(d);
	return obj;
}

int cgroup_stats(struct cgroup *cg, json_t **out, char *err, size_t errlen)
{
	const char *any = cg->count ? cg->dirs[0].path : NULL;
	json_t *s;

	*out = NULL;
	if (!any || !cg_exists(any, "cgroup.procs"))
		return cg_fail(err, errlen, -ENOENT, "cgroup: %s does not exist",
		               any ? any : "(no hierarchy)");
	s = json_object();
	if (!s)
		return cg_fail(err, errlen, -ENOMEM, "cgroup: out of memory");
	json_object_set_new(s, "cpu", cpu_stats(cg));
	json_object_set_new(s, "cpuset", cpuset_stats(cg));
	json_object_set_new(s, "memory", memory_stats(cg));
	json_object_set_new(s, "pids", pids_stats(cg));
	json_object_set_new(s, "blkio", blkio_stats(cg));
	json_object_set_new(s, "hugetlb", hugetlb_stats(cg));
	json_object_set_new(s, "intel_rdt", json_object());
	json_object_set_new(s, "network_interfaces", json_null());
	*out = s;
	return 0;
}
