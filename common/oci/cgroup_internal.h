/*
 * What cgroup.c, cgroup_apply.c and cgroup_stats.c share: the resolved
 * cgroup and the cgroupfs file helpers. Not for other users.
 */
#ifndef RUNSC_COMMON_OCI_CGROUP_INTERNAL_H
#define RUNSC_COMMON_OCI_CGROUP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/oci/cgroup.h"
#include "common/util.h"

/* The cgroup's directory in one hierarchy. */
struct cgroup_dir {
	char *controllers; /* as in struct cgroup_hierarchy; "" for cgroup2 */
	char *mountpoint;
	char *path; /* mountpoint + the resolved cgroup path */
};

struct cgroup {
	enum cgroup_version version;
	struct cgroup_dir *dirs;
	size_t count;
};

/* Writes a message to err (if errlen) and returns ret (a -errno). */
int cg_fail(char *err, size_t errlen, int ret, const char *fmt, ...) PRINTF_LIKE(4, 5);

/* Whether a comma-separated controller list ("cpu,cpuacct") has name. */
bool cg_list_has(const char *list, const char *name);
/* Whether a space-separated list ("cpu memory pids", cgroup.controllers) has name. */
bool cg_words_has(const char *words, const char *name);

/*
 * The v1 directory of a controller, or NULL; on v2 the one directory. The
 * cgroup2 directory of a hybrid host is found with "" only.
 */
const char *cg_dir(const struct cgroup *cg, const char *controller);

/* Writes value to dir/file (O_WRONLY|O_TRUNC, one write). 0 or -errno. */
int cg_write(const char *dir, const char *file, const char *value);
/* Reads dir/file into buf (NUL-terminated, trailing newline kept). Length or -errno. */
int cg_read(const char *dir, const char *file, char *buf, size_t size);
/* Reads a whole file into a new string. NULL with errno set on failure. */
char *cg_read_all(const char *dir, const char *file);
/* Reads one number; "max" reads as UINT64_MAX. 0 or -errno (-EINVAL if not a number). */
int cg_read_u64(const char *dir, const char *file, uint64_t *out);
bool cg_exists(const char *dir, const char *file);

/* ---- linux.resources, checked (cgroup_resources.c) for cgroup_apply.c ---- */

#define CG_RES     "linux.resources"
#define FIELD_SIZE 160

struct cg_throttle_dev {
	int64_t major, minor;
	uint64_t rate;
};

struct cg_weight_dev {
	int64_t major, minor;
	uint64_t weight, leaf_weight; /* 0: not given */
};

struct cg_page_limit {
	const char *size; /* "2MB" */
	uint64_t limit;
};

struct cg_if_prio {
	const char *name;
	uint64_t prio;
};

struct cg_rdma_limit {
	const char *device;
	bool has_handles, has_objects;
	uint64_t handles, objects;
};

struct cg_kv {
	const char *key, *value;
};

enum { CG_THR_READ_BPS, CG_THR_WRITE_BPS, CG_THR_READ_IOPS, CG_THR_WRITE_IOPS, CG_THR_COUNT };

/* Zero means "not given" for the numbers, as in runc's configs.Resources. */
struct cg_resources {
	int64_t mem_limit, mem_reservation, mem_swap;
	bool has_swappiness, oom_disable, mem_kernel, mem_kernel_tcp;
	uint64_t swappiness;

	uint64_t cpu_shares, cpu_period, cpu_rt_period;
	int64_t cpu_quota, cpu_rt_runtime;
	bool has_burst, has_idle;
	uint64_t cpu_burst;
	int64_t cpu_idle;
	const char *cpus, *mems;

	int64_t pids_limit;

	uint64_t blkio_weight, blkio_leaf_weight;
	struct cg_weight_dev *weight_devs;
	size_t weight_devs_count;
	struct cg_throttle_dev *throttle[CG_THR_COUNT];
	size_t throttle_count[CG_THR_COUNT];

	struct cg_page_limit *pages;
	size_t pages_count;

	bool has_classid;
	uint64_t classid;
	struct cg_if_prio *prios;
	size_t prios_count;

	struct cg_rdma_limit *rdma;
	size_t rdma_count;

	struct cg_kv *unified;
	size_t unified_count;

	bool has_devices;
};

/* The blockIO.throttle* keys, by CG_THR_*. */
extern const char *const g_cg_throttle_keys[CG_THR_COUNT];

/*
 * Checks linux.resources (res must be an object) into r, whose strings point
 * into res. 0, or -EINVAL/-ENOMEM with the message in err.
 */
int cg_read_resources(const json_t *res, struct cg_resources *r, char *err, size_t errlen);
void cg_free_resources(struct cg_resources *r);

/* "base.key" and "base[i]" into a FIELD_SIZE buffer, cut with "..." if long. */
void cg_field_key(char *buf, const char *base, const char *key);
void cg_field_index(char *buf, const char *base, size_t i);

#endif
