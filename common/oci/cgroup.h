/*
 * The sandbox's cgroup on the host, managed through cgroupfs as runc's "fs"
 * and "fs2" managers do (there is no systemd driver: no systemd here).
 *
 * Layout. A host has either cgroup v1 (one hierarchy per controller or group
 * of controllers, e.g. /sys/fs/cgroup/memory; possibly "hybrid", with a
 * cgroup2 mount at /sys/fs/cgroup/unified as well) or pure v2 (one cgroup2
 * hierarchy at /sys/fs/cgroup). As runc: v2 when statfs(/sys/fs/cgroup) is
 * cgroup2, else v1, whose hierarchies come from /proc/self/mountinfo; on a
 * hybrid host the sandbox also joins the same path in the cgroup2 hierarchy
 * (no limits are set there: it only tracks the processes). The caller's own
 * cgroups come from /proc/self/cgroup. A struct cgroup_layout holds that;
 * tests build their own to point the library at a fake tree or at a cgroup2
 * mount of their choice.
 *
 * Paths. cgroupsPath from config.json, cleaned as runc does ("..", "." and
 * repeated slashes removed; a relative path cannot climb out):
 *  - absolute ("/runsc/ID"): relative to the root of each hierarchy;
 *  - relative ("runsc/ID"): v1, under the caller's own cgroup in each
 *    hierarchy; v2, under the parent of the caller's cgroup (its own one
 *    usually has processes, so it cannot have controllers enabled below);
 *  - NULL or "": the container ID, relative, as runc does;
 *  - the systemd form "slice:prefix:name" is rejected (no systemd driver).
 * The paths are resolved once, by cgroup_open; a later command must not
 * resolve them again (it may run in another cgroup), so the CLI saves them
 * with cgroup_to_json in the container's state and reopens them with
 * cgroup_from_json, as runc keeps cgroup_paths in state.json.
 *
 * Use: cgroup_open, cgroup_create, cgroup_apply(linux.resources), then
 * cgroup_add_pid(sandbox process) before it makes any child (they inherit
 * it); realtime cpu limits must be in place before a realtime task joins,
 * so apply comes first. `runsc update` calls cgroup_apply again with the new
 * resources: only the fields given are written, as `runc update` does.
 *
 * Resources (linux.resources) and how they are written, v1 | v2:
 *  memory.limit        memory.limit_in_bytes | memory.max (-1: max)
 *  memory.reservation  memory.soft_limit_in_bytes | memory.low
 *  memory.swap         memory.memsw.limit_in_bytes (memory+swap) |
 *                      memory.swap.max = swap - limit (runc's conversion)
 *  memory.swappiness   memory.swappiness (0-100) | ignored with a warning
 *  memory.disableOOMKiller  memory.oom_control=1 | ignored with a warning
 *  memory.kernel, kernelTCP: ignored with a warning, as runc 1.1 does
 *  cpu.shares          cpu.shares (read back and checked) |
 *                      cpu.weight = 1 + (shares - 2) * 9999 / 262142
 *  cpu.quota, period   cpu.cfs_quota_us, cpu.cfs_period_us | cpu.max
 *  cpu.burst, idle     cpu.cfs_burst_us, cpu.idle | cpu.max.burst, cpu.idle
 *  cpu.realtimeRuntime, realtimePeriod: cpu.rt_runtime_us, cpu.rt_period_us |
 *                      ignored with a warning (no realtime groups in v2)
 *  cpu.cpus, cpu.mems  cpuset.cpus, cpuset.mems (both)
 *  pids.limit          pids.max (<= -1: max; 0: not set, as runc 1.1)
 *  blockIO.weight      blkio.weight or blkio.bfq.weight | io.bfq.weight, else
 *                      io.weight = 1 + (weight - 10) * 9999 / 990
 *  blockIO.leafWeight  blkio.leaf_weight | ignored with a warning
 *  blockIO.weightDevice  blkio[.bfq].weight_device (+ leaf) | io.bfq.weight
 *  blockIO.throttle*   blkio.throttle.{read,write}_{bps,iops}_device | io.max
 *  hugepageLimits      hugetlb.SIZE.limit_in_bytes | hugetlb.SIZE.max
 *  network.classID     net_cls.classid | ignored with a warning (no net_cls)
 *  network.priorities  net_prio.ifpriomap | ignored with a warning
 *  rdma                rdma.max (both)
 *  unified             an error on v1 | each key written as a file name
 *  devices             accepted and ignored: the sandbox opens no host
 *                      device for the application (the sentry implements
 *                      /dev itself), so there is nothing to allow or deny.
 * A value of 0 for memory, cpu and blkio numbers means "not set", as in runc.
 * Every value is checked before anything is written; an invalid one is an
 * error naming its field ("linux.resources.memory.limit: must be an
 * integer"), and so is a failed write ("linux.resources.pids.limit: write
 * 10 to /sys/fs/cgroup/pids/x/pids.max: Invalid argument"). A v1 controller
 * that is not mounted makes any value for it an error ("... the net_cls
 * cgroup controller is not mounted"), as runc's "cannot set net_cls limit".
 * Unknown fields are ignored, as the runtime spec allows.
 *
 * Freezing: v1 writes FROZEN to freezer.state and reads it back until the
 * kernel is done with FREEZING (runc's retry loop: it thaws and retries now
 * and then, and gives up with "unable to freeze"); v2 writes cgroup.freeze
 * and waits for "frozen 1" in cgroup.events.
 *
 * Functions return 0 or -errno, with a message in err (errlen may be 0).
 * None of this is thread-safe; no part of the sentry (jansson, libc and the
 * common log, which gets the warnings above and, at debug level, each write).
 *
 * Files: cgroup_layout.c (layout, paths, saved JSON), cgroup.c (creation,
 * membership, freezer, listing, removal), cgroup_resources.c (checking
 * linux.resources), cgroup_apply.c (writing it), cgroup_stats.c.
 */
#ifndef RUNSC_COMMON_OCI_CGROUP_H
#define RUNSC_COMMON_OCI_CGROUP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

enum cgroup_version {
	CGROUP_V1 = 1,
	CGROUP_V2 = 2,
};

/* One mounted hierarchy. */
struct cgroup_hierarchy {
	char *mountpoint; /* "/sys/fs/cgroup/memory" */
	/* v1: "memory", "cpu,cpuacct", "name=systemd"; "" for a cgroup2 one */
	char *controllers;
	/* the caller's cgroup in it, relative to mountpoint ("/", "/user/1") */
	char *own_path;
};

struct cgroup_layout {
	enum cgroup_version version;
	/* v1: the v1 hierarchies, then the cgroup2 one of a hybrid host (which
	 * only tracks processes); v2: the one cgroup2 hierarchy */
	struct cgroup_hierarchy *hierarchies;
	size_t count;
};

/* The host's layout, from statfs, /proc/self/mountinfo and /proc/self/cgroup. */
int cgroup_layout_detect(struct cgroup_layout **out, char *err, size_t errlen);

/*
 * The layout described by the text of a mountinfo file and of a
 * /proc/PID/cgroup file; unified tells whether /sys/fs/cgroup itself is the
 * cgroup2 mount (pure v2).
 */
int cgroup_layout_parse(const char *mountinfo, const char *proc_cgroup, bool unified,
                        struct cgroup_layout **out, char *err, size_t errlen);

/* An empty layout for tests, filled with cgroup_layout_add. NULL if no memory. */
struct cgroup_layout *cgroup_layout_new(enum cgroup_version version);
int cgroup_layout_add(struct cgroup_layout *layout, const char *mountpoint, const char *controllers,
                      const char *own_path);
void cgroup_layout_free(struct cgroup_layout *layout);

struct cgroup;

/*
 * Resolves cgroups_path (see above) for container id on the host's layout
 * (cgroup_open) or on a given one. Creates nothing. -EINVAL for a path that
 * cannot be used, -ENOENT when the host has no cgroup hierarchy.
 */
int cgroup_open(const char *cgroups_path, const char *id, struct cgroup **out, char *err,
                size_t errlen);
int cgroup_open_layout(const struct cgroup_layout *layout, const char *cgroups_path, const char *id,
                       struct cgroup **out, char *err, size_t errlen);

/*
 * The resolved directories as JSON ({"version":1,"paths":{"memory":DIR,...}},
 * the key "" for a cgroup2 hierarchy), to keep in the container's state, and
 * a cgroup made from them. cgroup_to_json returns a new reference or NULL.
 */
json_t *cgroup_to_json(const struct cgroup *cg);
int cgroup_from_json(const json_t *saved, struct cgroup **out, char *err, size_t errlen);

void cgroup_close(struct cgroup *cg);

enum cgroup_version cgroup_version(const struct cgroup *cg);
/*
 * The directory of a controller ("memory", "name=systemd"; "" for the
 * cgroup2 hierarchy of a v1 hybrid host); on v2 any name gives the one
 * directory. NULL when that controller is not mounted.
 */
const char *cgroup_dir(const struct cgroup *cg, const char *controller);

/*
 * Creates the directories (and their missing parents) in every hierarchy.
 * v1: a new cpuset cgroup gets its parent's cpus and mems (the kernel leaves
 * them empty, and a task cannot join an empty cpuset). v2: every ancestor
 * enables all the controllers it has for its children (cgroup.subtree_control),
 * as runc does; a failure to enable one only shows later, when a limit of
 * that controller cannot be written. An existing cgroup is reused.
 */
int cgroup_create(struct cgroup *cg, char *err, size_t errlen);

/* Writes linux.resources (a JSON object; NULL or {} writes nothing). */
int cgroup_apply(struct cgroup *cg, const json_t *resources, char *err, size_t errlen);

/* Moves pid (the whole thread group) into the cgroup in every hierarchy. */
int cgroup_add_pid(struct cgroup *cg, pid_t pid, char *err, size_t errlen);

enum cgroup_freezer_state {
	CGROUP_THAWED,
	CGROUP_FROZEN,
	CGROUP_FREEZER_UNDEFINED, /* v1 with no freezer hierarchy mounted */
};

/* Freezes or thaws every process of the cgroup; returns once it is done. */
int cgroup_freeze(struct cgroup *cg, bool frozen, char *err, size_t errlen);
/* Frozen only when the cgroup itself is frozen (not just an ancestor), as runc. */
int cgroup_state(struct cgroup *cg, enum cgroup_freezer_state *out, char *err, size_t errlen);

/*
 * Every process in the cgroup and its descendant cgroups, sorted, as a new
 * array (free() it) of *count pids.
 */
int cgroup_pids(struct cgroup *cg, pid_t **pids, size_t *count, char *err, size_t errlen);

/*
 * The statistics as the "data" of runc's `events --stats` event (runc's
 * types.Stats: cpu, cpuset, memory, pids, blkio, hugetlb, intel_rdt,
 * network_interfaces, with Go's omitempty rules). The CLI prints
 * {"type":"stats","id":ID,"data":<this>}. Returns a new reference in *out.
 */
int cgroup_stats(struct cgroup *cg, json_t **out, char *err, size_t errlen);

/*
 * Removes the cgroup's directories (and any below them) in every hierarchy.
 * With kill, SIGKILLs every process in it first (v2: cgroup.kill; v1: freeze,
 * kill, thaw, so that none forks in between) and waits for them to leave.
 * An rmdir that fails with EBUSY is retried for about a second. A cgroup
 * that is already gone is not an error.
 */
int cgroup_destroy(struct cgroup *cg, bool kill, char *err, size_t errlen);

/* For tests and messages: runc's conversions. */
unsigned long long cgroup_shares_to_weight(unsigned long long shares);
unsigned long long cgroup_blkio_to_io_weight(unsigned long long weight);
/* memory.swap.max for memory+swap total swap and limit; -EINVAL with a message. */
int cgroup_swap_to_v2(long long swap, long long limit, long long *out, char *err, size_t errlen);

#endif
