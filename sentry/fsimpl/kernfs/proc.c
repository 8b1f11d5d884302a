/*
 * proc: the superblock, the top-level files and sys/. See proc.h.
 *
 * Figures the sandbox does not track are left out where the format
 * allows (a named line) and written as 0 only where it does not (a
 * positional field), each with a comment saying so.
 */
#include "sentry/fsimpl/kernfs/proc_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/abi/linux/errno.h"
#include "common/abi/linux/inotify.h"
#include "common/host_info.h"
#include "common/log.h"
#include "sentry/fsimpl/kernfs/synthfs_host.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"

struct kernel *g_proc_kernel;
int64_t g_proc_boot_wall_ns;

static _Thread_local struct task *g_current_task;

struct task *task_current(void)
{
	return g_current_task;
}

void task_set_current(struct task *t)
{
	g_current_task = t;
}

/* ---- Helpers shared by proc's files ---- */

static uint64_t clock_ns(clockid_t clk)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

uint64_t proc_uptime_ns(void)
{
	uint64_t now = clock_ns(CLOCK_BOOTTIME);
	uint64_t boot = g_proc_kernel->boot_time_ns;
	return now > boot ? now - boot : 0;
}

struct task *proc_lock_task(struct kernfs_inode *ki)
{
	struct kernel *k = g_proc_kernel;
	pthread_mutex_lock(&k->mu);
	struct task *t = kernel_find_task_locked(k, proc_key_tid(ki));
	if (!t)
		pthread_mutex_unlock(&k->mu);
	return t;
}

void proc_unlock(void)
{
	pthread_mutex_unlock(&g_proc_kernel->mu);
}

int proc_may_access(const struct task *target)
{
	const struct task *cur = task_current();
	if (!cur || cur == target || creds_capable(&cur->creds, LINUX_CAP_SYS_PTRACE))
		return 0;
	if (cur->tg == target->tg)
		return 0;
	const struct creds *c = &cur->creds, *tc = &target->creds;
	if (c->fsuid == tc->ruid && c->fsuid == tc->euid && c->fsuid == tc->suid &&
	    c->fsgid == tc->rgid && c->fsgid == tc->egid && c->fsgid == tc->sgid)
		return 0;
	return -EACCES;
}

void proc_reader_root_locked(const struct task *target, struct path *out)
{
	struct path cwd;
	const struct task *cur = task_current();
	*out = (struct path){ NULL, NULL };
	if (cur && cur->fs) {
		fs_context_paths(cur->fs, out, &cwd);
		path_put(&cwd);
		return;
	}
	if (target && target->fs) {
		fs_context_paths(target->fs, out, &cwd);
		path_put(&cwd);
		return;
	}
	struct mount_ns *ns = g_proc_kernel->mntns;
	if (!ns)
		return;
	pthread_mutex_lock(&ns->mu);
	if (ns->root) {
		out->mnt = mount_get(ns->root);
		out->d = dentry_get(ns->root->root);
	}
	pthread_mutex_unlock(&ns->mu);
}

int proc_path_text(const struct path *p, const struct path *root, struct kernfs_buf *b)
{
	char *dst = kernfs_reserve(b, LINUX_PATH_MAX);
	if (!dst)
		return b->err;
	ssize_t n = vfs_path_string(p, root, dst, LINUX_PATH_MAX, NULL);
	if (n < 0)
		return (int)n;
	kernfs_commit(b, (size_t)n);
	return 0;
}

int proc_parse_int(const char *name)
{
	if (name[0] < '0' || name[0] > '9' || (name[0] == '0' && name[1]))
		return -1;
	long v = 0;
	for (const char *p = name; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (*p - '0');
		if (v > INT32_MAX)
			return -1;
	}
	return (int)v;
}

/* ---- self, thread-self, mounts ---- */

static int proc_self_readlink(struct kernfs_inode *ki, struct kernfs_buf *b)
{
	struct task *t = task_current();
	if (!t)
		return -ENOENT;
	kernfs_printf(b, "%d", t->tg->tgid);
	return 0;
}

static int proc_thread_self_readlink(struct kernfs_inode *ki, struct kernfs_buf *b)
{
	struct task *t = task_current();
	if (!t)
		return -ENOENT;
	kernfs_printf(b, "%d/task/%d", t->tg->tgid, t->tid);
	return 0;
}

static int proc_mounts_readlink(struct kernfs_inode *ki, struct kernfs_buf *b)
{
	kernfs_puts(b, "self/mounts");
	return 0;
}

/* /proc/net: the caller's namespace's, as Linux's proc_net symlink. */
static int proc_net_readlink(struct kernfs_inode *ki, struct kernfs_buf *b)
{
	kernfs_puts(b, "self/net");
	return 0;
}

/* ---- Top-level files ---- */

static int proc_cpuinfo_show(struct kernfs_inode *ki, struct kernfs_buf *b)
{
	const struct synthfs_host *h = synthfs_host();
	kernfs_write(b, h->cpuinfo, h->cpuinfo_len);
	return 0;
}

/* One meminfo line as Linux's show_val_kb writes it. */
static void meminfo_line(struct kernfs_buf *b, const char *label, uint64_t kb)
{
	kernfs_printf(b, "%-16s%8llu kB\n", label, (unsigned long long)kb);
}

/*
 * The host's memory as sysinfo(2) gives it: MemAvailable is free plus
 * buffers (sysinfo does not say how much page cache could be reclaimed,
 * so this is a lower bound of Linux's estimate). The lines sysinfo cannot
 * fill (Cached, Active, Slab, ...) are left out.
 */
static int proc_meminfo_show(struct kernfs_inode *ki, struct kernfs_buf *b)
{
	struct synthfs_meminfo mi;
	int err = synthfs_host_meminfo(&mi);
	if (err < 0)
		return err;
	uint64_t total = synthfs_host()->mem_total_kb;
	uint64_t avail = MIN((mi.free + mi.buffers) / 1024, total);
	meminfo_line(b, "MemTotal:", total);
	meminfo_line(b, "MemFree:", MIN(mi.free / 1024, total));
	meminfo_line(b, "MemAvailable:", avail);
	meminfo_line(b, "Buffers:", mi.buffers / 1024);
	meminfo_line(b, "SwapTotal:", mi.swap_total / 1024);
	meminfo_line(b, "SwapFree:", mi.swap_free / 1024);
	meminfo_line(b, "Shmem:", mi.shared / 1024);
	return 0;
}

/*
 * CPU time the sandbox knows about: user is the application's time in its
 * stubs (one clock per address space, so tasks sharing an mm count once;
 * tasks that have exited no longer count), system the sentry's own time
 * (the kernel's work on the application's behalf). Preconditions:
 * kernel.mu held.
 */
static void cpu_times_locked(uint64_t *user_ns, uint64_t *system_ns)
{
	struct kernel *k = g_proc_kernel;
	const struct platform_ops *p = k->cfg.platform;
	uint64_t user = 0;
	struct task *t, *u;
	list_for_each_entry (t, &k->tasks, k_link) {
		if (!t->ctx || !p || !p->ctx_cpu_time_ns)
			continue;
		bool seen = false;
		list_for_each_entry (u, &k->tasks, k_link) {
			if (u == t)
				break;
			if (u->mm == t->mm && u->ctx) {
				seen = true;
				break;
			}
		}
		if (!seen)
			user += p->ctx_cpu_time_ns(t->ctx);
	}
	*user_ns = user;
	*system_ns = synthfs_host_sentry_cpu_ns();
}

static uint64_t ns_to_ticks(uint64_t ns)
{
	return ns / (1000000000ULL / PROC_USER_HZ);
}

/* Idle time over all CPUs: what the uptime allows beyond the time used. */
static uint64_t idle_ns(uint64_t uptime, uint64_t used)
{
	uint64_t all = uptime * (uint64_t)synthfs_host()->ncpus_online;
	return all > used ? all - used : 0;
}

/*
 * /proc/stat. The per-CPU lines split the totals evenly: the sandbox does
 * not know which CPU ran what. The sandbox has no interrupts or softirqs
 * of its own; context switches and blocked tasks are not counted yet (0),
 * and every task counts as running.
 */
static int proc_stat_show(struct kernfs_inode *ki, struct kernfs_buf *b)
{
	struct kernel *k = g_proc_kernel;
	uint64_t user, system;
	pthread_mutex_lock(&k->mu);
	cpu_times_locked(&user, &system);
	int ntasks = k->ntasks;
	int created = k->next_tid - 1;
	pthread_mutex_unlock(&k->mu);
	uint64_t uptime = proc_uptime_ns();
	uint64_t idle = idle_ns(uptime, user + system);
	int ncpus = synthfs_host()->ncpus_online;
	kernfs_printf(
	        b, "cpu  %llu 0 %llu %llu 0 0 0 0 0 0\n", (unsigned long long)ns_to_ticks(user),
	        (unsigned long long)ns_to_ticks(system), (unsigned long long)ns_to_ticks(idle));
	for (int i = 0; i < ncpus; i++) {
		kernfs_printf(b, "cpu%d %llu 0 %llu %llu 0 0 0 0 0 0\n", i,
		              (unsigned long long)ns_to_ticks(user / (uint64_t)ncpus),
		              (unsigned long long)ns_to_ticks(system / (uint64_t)ncpus),
		              (unsigned long long)ns_to_ticks(idle / (uint64_t)ncpus));
	}
	kernfs_puts(b, "intr 0\nctxt 0\n");
	kernfs_printf(b, "btime %lld\n", (long long)(g_proc_boot_wall_ns / 1000000000LL));
	kernfs_printf(b, "processes %d\nprocs_running %d\nprocs_blocked 0\n", created, ntasks);
	kernfs_puts(b, "softirq 0 0 0 0 0 0 0 0 0 0 0\n");
	return 0;
}

/* /proc/uptime: seconds since the sandbox booted, and idle seconds summed over the CPUs. */
static int proc_uptime_show(struct kernfs_inode *ki, struct kernfs_buf *b)
{
	struct kernel *k = g_proc_kernel;
	uint64_t user, system;
	pthread_mutex_lock(&k->mu);
	cpu_times_locked(&user, &system);
	pthread_mutex_unlock(&k->mu);
	uint64_t up = proc_uptime_ns();
	uint64_t idle = idle_ns(up, user + system);
	kernfs_printf(b, "%llu.%02llu %llu.%02llu\n", (unsigned long long)(up / 1000000000ULL),
	              (unsigned long long)(up % 1000000000ULL / 10000000ULL),
	              (unsigned long long)(idle / 1000000000ULL),
	              (unsigned long long)(idle % 1000000000ULL / 10000000ULL));
	return 0;
}

/*
 * /proc/loadavg: load averages are not tracked (0.00, as sysinfo(2) says
 * too); every task counts as runnable; the last PID handed out.
 */
static int proc_loadavg_show(struct kernfs_inode *ki, struct kernfs_buf *b)
{
	struct kernel *k = g_proc_kernel;
	pthread_mutex_lock(&k->mu);
	int ntasks = k->ntasks;
	int last = k->next_tid - 1;
	pthread_mutex_unlock(&k->mu);
	kernfs_printf(b, "0.00 0.00 0.00 %d/%d %d\n", ntasks, ntasks, last);
	return 0;
}

static int proc_version_show(struct kernfs_inode *ki, struct kernfs_buf *b)
{
	const struct kernel_config *cfg = &g_proc_kernel->cfg;
	kernfs_printf(b, "Linux version %s (runsc) %s\n", cfg->release ? cfg->release : "",
	              cfg->version ? cfg->version : "");
	return 0;
}

/*
 * /proc/filesystems: the types mount(2) knows, in Linux's order. The VFS
 * can only be asked by name, so the names a sandbox may have are tried;
 * none needs a block device ("nodev").
 */
static int proc_filesystems_show(struct kernfs_inode *ki, struct kernfs_buf *b)
{
	static const char *const names[] = {
		"sysfs",  "tmpfs",  "bdev",   "proc",   "cgroup",  "cgroup2", "devtmpfs",
		"sockfs", "pipefs", "devpts", "mqueue", "overlay", "9p",      "fuse",
	};
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		if (vfs_find_fs(names[i]))
			kernfs_printf(b, "nodev\t%s\n", names[i]);
	}
	return 0;
}

/* ---- sys/: read-only sysctls ---- */

static char g_boot_id[37];

static void format_uuid(char *out, size_t size, const uint8_t u[16])
{
	snprintf(out, size, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	         u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12],
	         u[13], u[14], u[15]);
}

/* A random (version 4) UUID, as Linux's generate_random_uuid. */
static void random_uuid(char *out, size_t size)
{
	uint8_t u[16];
	host_random_bytes(u, sizeof(u));
	u[6] = (u[6] & 0x0f) | 0x40;
	u[8] = (u[8] & 0x3f) | 0x80;
	format_uuid(out, size, u);
}

static int sysctl_hostname_show(struct kernfs_inode *ki, struct kernfs_buf *b)
{
	const char *h = g_proc_kernel->cfg.hostname;
	kernfs_printf(b, "%s\n", h ? h : "");
	return 0;
}

static int sysctl_osrelease_show(struct kernfs_inode *ki, struct kernfs_buf *b)
{
	const char *r = g_proc_kernel->cfg.release;
	kernfs_printf(b, "%s\n", r ? r : "");
	return 0;
}

static int sysctl_ostype_show(struct kernfs_inode *ki, struct kernfs_buf *b)
{
	kernfs_puts(b, "Linux\n");
	return 0;
}

/*
 * PID_MAX_LIMIT of 64-bit Linux: the kernel hands out thread ids without
 * a smaller bound (and so does gVisor, which shows the same).
 */
static int sysctl_pid_max_show(struct kernfs_inode *ki, struct kernfs_buf *b)
{
	kernfs_puts(b, "4194304\n");
	return 0;
}

static int sysctl_uuid_show(struct kernfs_inode *ki, struct kernfs_buf *b)
{
	char uuid[37];
	random_uuid(uuid, sizeof(uuid));
	kernfs_printf(b, "%s\n", uuid);
	return 0;
}

static int sysctl_boot_id_show(struct kernfs_inode *ki, struct kernfs_buf *b)
{
	kernfs_printf(b, "%s\n", g_boot_id);
	return 0;
}

static int sysctl_ngroups_max_show(struct kernfs_inode *ki, struct kernfs_buf *b)
{
	kernfs_puts(b, "65536\n");
	return 0;
}

static int sysctl_cap_last_cap_show(struct kernfs_inode *ki, struct kernfs_buf *b)
{
	kernfs_printf(b, "%d\n", LINUX_CAP_LAST_CAP); /* CAP_CHECKPOINT_RESTORE */
	return 0;
}

/* The heuristic mode (0): mmap(2) applies no overcommit accounting of its own. */
static int sysctl_overcommit_show(struct kernfs_inode *ki, struct kernfs_buf *b)
{
	kernfs_puts(b, "0\n");
	return 0;
}

/* No system-wide limit on open files: LONG_MAX, as systemd sets it on hosts. */
static int sysctl_file_max_show(struct kernfs_inode *ki, struct kernfs_buf *b)
{
	kernfs_puts(b, "9223372036854775807\n");
	return 0;
}

static int sysctl_pipe_max_size_show(struct kernfs_inode *ki, struct kernfs_buf *b)
{
	kernfs_puts(b, "1048576\n");
	return 0;
}

static int sysctl_nr_open_show(struct kernfs_inode *ki, struct kernfs_buf *b)
{
	kernfs_puts(b, "1048576\n");
	return 0;
}

/* The inotify limits (sentry/fsimpl/anon/inotify.c), fixed at Linux's defaults. */
static int sysctl_inotify_max_queued_events_show(struct kernfs_inode *ki, struct kernfs_buf *b)
{
	kernfs_printf(b, "%d\n", LINUX_INOTIFY_MAX_QUEUED_EVENTS);
	return 0;
}

static int sysctl_inotify_max_user_instances_show(struct kernfs_inode *ki, struct kernfs_buf *b)
{
	kernfs_printf(b, "%d\n", LINUX_INOTIFY_MAX_USER_INSTANCES);
	return 0;
}

static int sysctl_inotify_max_user_watches_show(struct kernfs_inode *ki, struct kernfs_buf *b)
{
	kernfs_printf(b, "%d\n", LINUX_INOTIFY_MAX_USER_WATCHES);
	return 0;
}

/*
 * A read-only sysctl: open for writing fails with EACCES even for root,
 * as Linux's proc_sys_permission does for a 0444 entry. (hostname and the
 * others Linux lets root write are read-only here until the kernel keeps
 * them: it has no UTS namespace or sysctl state yet.)
 */
#define SYSCTL_RO(n, fn)                                                                        \
	{                                                                                       \
		.name = (n), .kind = KERNFS_FILE, .mode = 0444, .flags = KERNFS_NOWRITE_EACCES, \
		.show = (fn)                                                                    \
	}

static const struct kernfs_node g_sys_kernel_random[] = {
	SYSCTL_RO("boot_id", sysctl_boot_id_show),
	SYSCTL_RO("uuid", sysctl_uuid_show),
};

static const struct kernfs_node g_sys_kernel[] = {
	SYSCTL_RO("cap_last_cap", sysctl_cap_last_cap_show),
	SYSCTL_RO("hostname", sysctl_hostname_show),
	SYSCTL_RO("ngroups_max", sysctl_ngroups_max_show),
	SYSCTL_RO("osrelease", sysctl_osrelease_show),
	SYSCTL_RO("ostype", sysctl_ostype_show),
	SYSCTL_RO("pid_max", sysctl_pid_max_show),
	KERNFS_DIR_NODE("random", 0555, g_sys_kernel_random),
};

static const struct kernfs_node g_sys_vm[] = {
	SYSCTL_RO("overcommit_memory", sysctl_overcommit_show),
};

static const struct kernfs_node g_sys_fs_inotify[] = {
	SYSCTL_RO("max_queued_events", sysctl_inotify_max_queued_events_show),
	SYSCTL_RO("max_user_instances", sysctl_inotify_max_user_instances_show),
	SYSCTL_RO("max_user_watches", sysctl_inotify_max_user_watches_show),
};

static const struct kernfs_node g_sys_fs[] = {
	SYSCTL_RO("file-max", sysctl_file_max_show),
	KERNFS_DIR_NODE("inotify", 0555, g_sys_fs_inotify),
	SYSCTL_RO("nr_open", sysctl_nr_open_show),
	SYSCTL_RO("pipe-max-size", sysctl_pipe_max_size_show),
};

static const struct kernfs_node g_sys[] = {
	KERNFS_DIR_NODE("fs", 0555, g_sys_fs),
	KERNFS_DIR_NODE("kernel", 0555, g_sys_kernel),
	KERNFS_DIR_NODE("vm", 0555, g_sys_vm),
};

/* ---- The PID directories ---- */

/* Collects thread-group leaders' ids from from on (in increasing order) into a new array. */
static int collect_tgids(uint64_t from, int **out, size_t *out_count)
{
	struct kernel *k = g_proc_kernel;
	pthread_mutex_lock(&k->mu);
	size_t cap = (size_t)(k->ntasks > 0 ? k->ntasks : 1), n = 0;
	int *ids = malloc(cap * sizeof(*ids));
	struct task *t;
	if (ids) {
		list_for_each_entry (t, &k->tasks, k_link) {
			if (t->tid != t->tg->tgid || (uint64_t)t->tid < from)
				continue;
			if (n == cap)
				break; /* cannot happen: ntasks counts the list */
			ids[n++] = t->tid;
		}
	}
	pthread_mutex_unlock(&k->mu);
	if (!ids)
		return -ENOMEM;
	/* The list is in creation order, which is tid order; sort anyway (cheap). */
	for (size_t i = 1; i < n; i++) {
		int v = ids[i];
		size_t j = i;
		for (; j > 0 && ids[j - 1] > v; j--)
			ids[j] = ids[j - 1];
		ids[j] = v;
	}
	*out = ids;
	*out_count = n;
	return 0;
}

static int proc_root_list(struct kernfs_inode *dir, uint64_t from, kernfs_emit_fn emit, void *arg)
{
	int *ids;
	size_t n;
	int err = collect_tgids(from, &ids, &n);
	if (err < 0)
		return err;
	for (size_t i = 0; i < n; i++) {
		char name[16];
		snprintf(name, sizeof(name), "%d", ids[i]);
		if (!emit(arg, name, &g_proc_tgid_dir, (uint64_t)ids[i]))
			break;
	}
	free(ids);
	return 0;
}

/* Any TID is found, threads included (Linux hides them from the listing only). */
static int proc_root_lookup(struct kernfs_inode *dir, const char *name,
                            const struct kernfs_node **node, struct kernfs_key *key)
{
	int tid = proc_parse_int(name);
	if (tid <= 0)
		return -ENOENT;
	struct kernel *k = g_proc_kernel;
	pthread_mutex_lock(&k->mu);
	bool found = kernel_find_task_locked(k, tid) != NULL;
	pthread_mutex_unlock(&k->mu);
	if (!found)
		return -ENOENT;
	*node = &g_proc_tgid_dir;
	key->id[PROC_KEY_TID] = tid;
	return 0;
}

static int proc_root_count_subdirs(struct kernfs_inode *dir)
{
	struct kernel *k = g_proc_kernel;
	int n = 0;
	struct task *t;
	pthread_mutex_lock(&k->mu);
	list_for_each_entry (t, &k->tasks, k_link) {
		if (t->tid == t->tg->tgid)
			n++;
	}
	pthread_mutex_unlock(&k->mu);
	return n;
}

static const struct kernfs_dyn_ops g_proc_root_dyn = {
	.list = proc_root_list,
	.lookup = proc_root_lookup,
	.count_subdirs = proc_root_count_subdirs,
};

/* A top-level file: written to, it fails with EIO as Linux's read-only proc entries do. */
static const struct kernfs_node g_proc_root_children[] = {
	KERNFS_FILE_NODE("cpuinfo", 0444, proc_cpuinfo_show),
	KERNFS_FILE_NODE("filesystems", 0444, proc_filesystems_show),
	KERNFS_FILE_NODE("loadavg", 0444, proc_loadavg_show),
	KERNFS_FILE_NODE("meminfo", 0444, proc_meminfo_show),
	KERNFS_SYMLINK_NODE("mounts", proc_mounts_readlink),
	KERNFS_SYMLINK_NODE("net", proc_net_readlink),
	KERNFS_SYMLINK_NODE("self", proc_self_readlink),
	KERNFS_FILE_NODE("stat", 0444, proc_stat_show),
	KERNFS_DIR_NODE("sys", 0555, g_sys),
	KERNFS_SYMLINK_NODE("thread-self", proc_thread_self_readlink),
	KERNFS_FILE_NODE("uptime", 0444, proc_uptime_show),
	KERNFS_FILE_NODE("version", 0444, proc_version_show),
};

static const struct kernfs_node g_proc_root = {
	.name = "/",
	.kind = KERNFS_DIR,
	.mode = 0555,
	.children = g_proc_root_children,
	.nchildren = ARRAY_SIZE(g_proc_root_children),
	.dyn = &g_proc_root_dyn,
};

/* ---- Superblocks ---- */

static pthread_mutex_t g_proc_boot_mu = PTHREAD_MUTEX_INITIALIZER;

void procfs_set_kernel(struct kernel *k)
{
	pthread_mutex_lock(&g_proc_boot_mu);
	g_proc_kernel = k;
	/* Wall time now, less the time since the kernel's boot on CLOCK_BOOTTIME. */
	uint64_t boot_now = clock_ns(CLOCK_BOOTTIME);
	uint64_t since = boot_now > k->boot_time_ns ? boot_now - k->boot_time_ns : 0;
	g_proc_boot_wall_ns = (int64_t)(clock_ns(CLOCK_REALTIME) - since);
	if (!g_boot_id[0])
		random_uuid(g_boot_id, sizeof(g_boot_id));
	pthread_mutex_unlock(&g_proc_boot_mu);
	synthfs_host_load();
}

static int proc_sb_new(struct superblock **out)
{
	if (!g_proc_kernel)
		return -ENODEV;
	struct linux_statx_timestamp boot = {
		.tv_sec = g_proc_boot_wall_ns / 1000000000LL,
		.tv_nsec = (uint32_t)(g_proc_boot_wall_ns % 1000000000LL),
	};
	return kernfs_sb_new("proc", PROC_SUPER_MAGIC, &g_proc_root, boot, g_proc_kernel,
	                     KERNFS_SB_NOCACHE, out);
}

int procfs_new(struct kernel *k, struct superblock **out)
{
	procfs_set_kernel(k);
	return proc_sb_new(out);
}

/* mount -t proc: options (hidepid=, gid=, subset=) are not supported and ignored. */
static int procfs_mount(const char *source, unsigned long flags, const char *data,
                        struct superblock **out)
{
	return proc_sb_new(out);
}

const struct fs_type procfs_fs_type = {
	.name = "proc",
	.mount = procfs_mount,
};
