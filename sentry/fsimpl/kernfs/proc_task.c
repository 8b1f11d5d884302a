/*
 * proc: the per-process (/proc/PID) and per-thread (/proc/PID/task/TID)
 * directories and their files, as Linux's fs/proc/base.c and array.c
 * format them. See proc.h.
 *
 * The kernel does not track yet: parents, process groups and sessions
 * (each process is shown as its own group and session leader, which is
 * true of the init), sleeping (every task shows as running), page faults,
 * context switches, children's times and resident memory. Named lines for
 * these are left out; positional fields (stat, statm) show 0.
 */
#include "sentry/fsimpl/kernfs/proc_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "common/abi/linux/errno.h"
#include "common/log.h"
#include "sentry/fsimpl/kernfs/synthfs_host.h"
#include "sentry/kernel/fdtable.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/tty.h"
#include "sentry/mm/mm.h"

#define PROC_SIGCHLD 17

int proc_task_attr(struct kernfs_inode *ki, struct kernfs_attr *a)
{
	struct task *t = proc_lock_task(ki);
	if (!t)
		return -ENOENT;
	a->uid = t->creds.euid;
	a->gid = t->creds.egid;
	proc_unlock();
	return 0;
}

/*
 * A word only t's own thread writes (its signal mask and private
 * pending set): read without tearing, as Linux reads them under a lock
 * the writer here does not take.
 */
static uint64_t load_task_word(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

/* Preconditions: kernel.mu held. */
static int count_threads_locked(const struct task *t)
{
	int n = 0;
	struct task *u;
	list_for_each_entry (u, &t->k->tasks, k_link) {
		if (u->tg == t->tg)
			n++;
	}
	return n;
}

/* Application CPU time in the stub, and (for the caller itself) the sentry's on its behalf. */
static void task_times_ns(const struct task *t, uint64_t *user, uint64_t *system)
{
	const struct platform_ops *p = t->k->cfg.platform;
	*user = t->ctx && p && p->ctx_cpu_time_ns ? p->ctx_cpu_time_ns(t->ctx) : 0;
	/* Another task's sentry thread cannot be asked for its clock: 0 until tasks keep it. */
	*system = t == task_current() ? synthfs_host_thread_cpu_ns() : 0;
}

static uint64_t to_ticks(uint64_t ns)
{
	return ns / (1000000000ULL / PROC_USER_HZ);
}

/* ---- status ---- */

/* comm as status shows it: newline and backslash escaped. */
static void put_escaped_comm(struct kernfs_buf *b, const char *comm)
{
	for (const char *p = comm; *p; p++) {
		if (*p == '\n')
			kernfs_puts(b, "\\n");
		else if (*p == '\\')
			kernfs_puts(b, "\\\\");
		else
			kernfs_write(b, p, 1);
	}
}

/* A CPU mask as Linux's "%*pb": 32-bit hex chunks, high first, over the possible CPUs. */
static void put_cpu_mask(struct kernfs_buf *b, int nbits, int online)
{
	int chunk = nbits % 32 ? nbits % 32 : 32;
	bool first = true;
	for (int i = ((nbits + 31) / 32 - 1) * 32; i >= 0; i -= 32) {
		uint32_t val = 0;
		for (int bit = 0; bit < chunk; bit++) {
			if (i + bit < online)
				val |= 1U << bit;
		}
		kernfs_printf(b, "%s%0*x", first ? "" : ",", (chunk + 3) / 4, val);
		first = false;
		chunk = 32;
	}
}

static void put_cpu_list(struct kernfs_buf *b, int online)
{
	if (online > 1)
		kernfs_printf(b, "0-%d", online - 1);
	else
		kernfs_puts(b, "0");
}

static void status_vm_line(struct kernfs_buf *b, const char *label, uint64_t bytes)
{
	kernfs_printf(b, "%s:\t%8llu kB\n", label, (unsigned long long)(bytes / 1024));
}

/* Signal state of t. Preconditions: kernel.mu held. */
static void status_signals_locked(struct task *t, struct kernfs_buf *b)
{
	struct thread_group *tg = t->tg;
	linux_sigset_t ign = 0, cgt = 0;
	pthread_mutex_lock(&tg->mu);
	linux_sigset_t shared = tg->pending;
	uint64_t sigpending_limit = tg->rlimits[LINUX_RLIMIT_SIGPENDING].cur;
	/* tg->actions is indexed by signal number (signal.c). */
	for (int sig = 1; sig < LINUX_NSIG; sig++) {
		uint64_t h = tg->actions[sig].handler;
		if (h == LINUX_SIG_IGN)
			ign |= linux_sigmask(sig);
		else if (h != LINUX_SIG_DFL)
			cgt |= linux_sigmask(sig);
	}
	pthread_mutex_unlock(&tg->mu);
	linux_sigset_t priv = load_task_word(&t->pending);
	linux_sigset_t blocked = load_task_word(&t->sigmask);
	/* Queued signals: one per pending bit, as nothing queues more than one yet. */
	int queued = __builtin_popcountll(priv) + __builtin_popcountll(shared);
	kernfs_printf(b, "SigQ:\t%d/%llu\n", queued, (unsigned long long)sigpending_limit);
	kernfs_printf(b, "SigPnd:\t%016llx\nShdPnd:\t%016llx\n", (unsigned long long)priv,
	              (unsigned long long)shared);
	kernfs_printf(b, "SigBlk:\t%016llx\nSigIgn:\t%016llx\nSigCgt:\t%016llx\n",
	              (unsigned long long)blocked, (unsigned long long)ign,
	              (unsigned long long)cgt);
}

/* The task's capability sets (creds.h). */
static void status_caps(const struct task *t, struct kernfs_buf *b)
{
	const struct creds *c = &t->creds;
	kernfs_printf(b, "CapInh:\t%016llx\nCapPrm:\t%016llx\nCapEff:\t%016llx\n",
	              (unsigned long long)c->cap_inheritable, (unsigned long long)c->cap_permitted,
	              (unsigned long long)c->cap_effective);
	kernfs_printf(b, "CapBnd:\t%016llx\nCapAmb:\t%016llx\n", (unsigned long long)c->cap_bset,
	              (unsigned long long)c->cap_ambient);
}

static int proc_status_show(struct kernfs_inode *ki, struct kernfs_buf *b)
{
	const struct synthfs_host *h = synthfs_host();
	struct task *t = proc_lock_task(ki);
	if (!t)
		return -ESRCH;
	int tgid = t->tg->tgid;
	kernfs_puts(b, "Name:\t");
	put_escaped_comm(b, t->comm);
	kernfs_puts(b, "\n");
	if (t->fs) {
		pthread_mutex_lock(&t->fs->mu);
		uint32_t umask = t->fs->umask;
		pthread_mutex_unlock(&t->fs->mu);
		kernfs_printf(b, "Umask:\t%04o\n", umask);
	}
	kernfs_puts(b, "State:\tR (running)\n");
	/* The tree is under kernel.mu, which proc_lock_task holds. */
	int ppid = t->tg->parent ? t->tg->parent->tgid : 0;
	kernfs_printf(b, "Tgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t%d\nTracerPid:\t0\n", tgid, t->tid,
	              ppid);
	const struct creds *c = &t->creds;
	kernfs_printf(b, "Uid:\t%u\t%u\t%u\t%u\n", c->ruid, c->euid, c->suid, c->fsuid);
	kernfs_printf(b, "Gid:\t%u\t%u\t%u\t%u\n", c->rgid, c->egid, c->sgid, c->fsgid);
	if (t->fdt) {
		pthread_mutex_lock(&t->fdt->mu);
		int size = t->fdt->size;
		pthread_mutex_unlock(&t->fdt->mu);
		kernfs_printf(b, "FDSize:\t%d\n", size);
	}
	kernfs_puts(b, "Groups:\t");
	for (int i = 0; i < c->ngroups; i++)
		kernfs_printf(b, "%s%u", i ? " " : "", c->groups[i]);
	kernfs_puts(b, " \n");
	kernfs_printf(b, "NStgid:\t%d\nNSpid:\t%d\nNSpgid:\t%d\nNSsid:\t%d\n", tgid, t->tid,
	              t->tg->pgid, t->tg->sid);
	kernfs_puts(b, "Kthread:\t0\n");
	if (t->mm) {
		/*
		 * From the VMA tree. Peak, resident, page-table and swap figures
		 * (VmPeak, VmHWM, VmRSS, RssAnon, RssFile, RssShmem, VmPTE,
		 * VmSwap) are the host's, which does not tell: left out.
		 */
		struct proc_vm_stats s;
		proc_vm_stats(t->mm, &s);
		status_vm_line(b, "VmSize", s.total);
		status_vm_line(b, "VmLck", s.locked);
		status_vm_line(b, "VmPin", 0);
		status_vm_line(b, "VmData", s.data);
		status_vm_line(b, "VmStk", s.stack);
		status_vm_line(b, "VmExe", proc_vm_exe(&s));
		status_vm_line(b, "VmLib", proc_vm_lib(&s));
		status_vm_line(b, "HugetlbPages", 0);
	}
	kernfs_puts(b, "CoreDumping:\t0\n");
	kernfs_printf(b, "THP_enabled:\t%d\n", strstr(h->thp_enabled, "[never]") ? 0 : 1);
	kernfs_puts(b, "untag_mask:\t0xffffffffffffffff\n");
	kernfs_printf(b, "Threads:\t%d\n", count_threads_locked(t));
	status_signals_locked(t, b);
	status_caps(t, b);
	/* No seccomp filter can be installed inside the sandbox yet. */
	kernfs_puts(b, "Seccomp:\t0\nSeccomp_filters:\t0\n");
	kernfs_puts(b, "Cpus_allowed:\t");
	put_cpu_mask(b, h->ncpus_possible, h->ncpus_online);
	kernfs_puts(b, "\nCpus_allowed_list:\t");
	put_cpu_list(b, h->ncpus_online);
	kernfs_puts(b, "\nMems_allowed:\t00000001\nMems_allowed_list:\t0\n");
	proc_unlock();
	return 0;
}

/* ---- stat, statm ---- */

static int proc_stat_show(struct kernfs_inode *ki, struct kernfs_buf *b)
{
	struct task *t = proc_lock_task(ki);
	if (!t)
		return -ESRCH;
	struct thread_group *tg = t->tg;
	int tgid = tg->tgid;
	bool permitted = proc_may_access(t) == 0;
	struct proc_vm_stats s;
	memset(&s, 0, sizeof(s));
	if (t->mm)
		proc_vm_stats(t->mm, &s);
	if (!permitted) {
		/* Linux hides the layout from those who may not trace the task. */
		s.start_code = s.end_code = s.stack_top = 0;
		s.start_data = s.end_data = s.start_brk = 0;
		s.arg_start = s.arg_end = s.env_start = s.env_end = 0;
	}
	uint64_t utime, stime;
	task_times_ns(t, &utime, &stime);
	linux_sigset_t ign = 0, cgt = 0;
	pthread_mutex_lock(&tg->mu);
	uint64_t rsslim = tg->rlimits[LINUX_RLIMIT_RSS].cur;
	for (int sig = 1; sig < LINUX_NSIG; sig++) {
		uint64_t h = tg->actions[sig].handler;
		if (h == LINUX_SIG_IGN)
			ign |= linux_sigmask(sig);
		else if (h != LINUX_SIG_DFL)
			cgt |= linux_sigmask(sig);
	}
	pthread_mutex_unlock(&tg->mu);
	linux_sigset_t pending = load_task_word(&t->pending);
	linux_sigset_t blocked = load_task_word(&t->sigmask);
	const unsigned long long sigbits = 0x7fffffffULL; /* Linux shows the first 31 signals */

	/* pid (comm) state ppid pgrp session tty_nr tpgid flags (PF_RANDOMIZE) */
	/* tty_nr as Linux's new_encode_dev, tpgid the terminal's foreground group. */
	unsigned tty_nr = 0;
	int tpgid = -1;
	if (tg->tty) {
		unsigned ma = major(tg->tty->rdev), mi = minor(tg->tty->rdev);
		tty_nr = (mi & 0xff) | (ma << 8) | ((mi & ~0xffu) << 12);
		tpgid = tg->tty->pgrp;
	}
	kernfs_printf(b, "%d (%s) R %d %d %d %u %d 4194304", t->tid, t->comm,
	              tg->parent ? tg->parent->tgid : 0, tg->pgid, tg->sid, tty_nr, tpgid);
	/* minflt cminflt majflt cmajflt (not counted) utime stime cutime cstime */
	kernfs_printf(b, " 0 0 0 0 %llu %llu 0 0", (unsigned long long)to_ticks(utime),
	              (unsigned long long)to_ticks(stime));
	/* priority nice num_threads itrealvalue starttime vsize rss (not known) rsslim */
	kernfs_printf(b, " 20 0 %d 0 %llu %llu 0 %llu", count_threads_locked(t),
	              (unsigned long long)to_ticks(t->start_time_ns), (unsigned long long)s.total,
	              (unsigned long long)rsslim);
	/* startcode endcode startstack kstkesp kstkeip */
	kernfs_printf(b, " %llu %llu %llu 0 0", (unsigned long long)s.start_code,
	              (unsigned long long)s.end_code, (unsigned long long)s.stack_top);
	/* signal blocked sigignore sigcatch wchan nswap cnswap exit_signal processor */
	kernfs_printf(b, " %llu %llu %llu %llu 0 0 0 %d 0", (unsigned long long)(pending & sigbits),
	              (unsigned long long)(blocked & sigbits), (unsigned long long)(ign & sigbits),
	              (unsigned long long)(cgt & sigbits), t->tid == tgid ? PROC_SIGCHLD : -1);
	/* rt_priority policy delayacct_blkio_ticks guest_time cguest_time */
	kernfs_puts(b, " 0 0 0 0 0");
	/* start_data end_data start_brk arg_start arg_end env_start env_end exit_code */
	kernfs_printf(b, " %llu %llu %llu %llu %llu %llu %llu 0\n",
	              (unsigned long long)s.start_data, (unsigned long long)s.end_data,
	              (unsigned long long)s.start_brk, (unsigned long long)s.arg_start,
	              (unsigned long long)s.arg_end, (unsigned long long)s.env_start,
	              (unsigned long long)s.env_end);
	proc_unlock();
	return 0;
}

/* size resident shared text lib data dt, in pages; resident and shared are not known (0). */
static int proc_statm_show(struct kernfs_inode *ki, struct kernfs_buf *b)
{
	struct task *t = proc_lock_task(ki);
	if (!t)
		return -ESRCH;
	struct proc_vm_stats s;
	memset(&s, 0, sizeof(s));
	if (t->mm)
		proc_vm_stats(t->mm, &s);
	proc_unlock();
	kernfs_printf(b, "%llu 0 0 %llu 0 %llu 0\n", (unsigned long long)(s.total / PAGE_SIZE),
	              (unsigned long long)(proc_vm_exe(&s) / PAGE_SIZE),
	              (unsigned long long)((s.data + s.stack) / PAGE_SIZE));
	return 0;
}

/* ---- comm ---- */

static int proc_comm_show(struct kernfs_inode *ki, struct kernfs_buf *b)
{
	struct task *t = proc_lock_task(ki);
	if (!t)
		return -ESRCH;
	kernfs_printf(b, "%s\n", t->comm);
	proc_unlock();
	return 0;
}

/*
 * Linux's comm_write: the first 15 bytes, newline included, become the
 * name; only threads of the same process may rename a task.
 */
static ssize_t proc_comm_write(struct kernfs_inode *ki, const char *data, size_t len, int64_t off)
{
	char name[sizeof(((struct task *)NULL)->comm)] = { 0 };
	memcpy(name, data, MIN(len, sizeof(name) - 1));
	struct task *t = proc_lock_task(ki);
	if (!t)
		return -ESRCH;
	struct task *cur = task_current();
	if (cur && cur->tg != t->tg) {
		proc_unlock();
		return -EINVAL;
	}
	memcpy(t->comm, name, sizeof(name));
	proc_unlock();
	return (ssize_t)len;
}

/* ---- cmdline, environ ---- */

/* Appends guest memory [start, end) of mm, as much as is readable. */
static void put_guest_range(struct kernfs_buf *b, struct mm *mm, uaddr_t start, uaddr_t end)
{
	if (end <= start)
		return;
	size_t len = (size_t)(end - start);
	char *dst = kernfs_reserve(b, len);
	if (!dst)
		return;
	kernfs_commit(b, mm_copy_in_partial(mm, dst, start, len));
}

/*
 * Linux's get_mm_cmdline: the argument area; when the program overwrote
 * its final NUL (setproctitle), the string at arg_start instead, up to a
 * page and its NUL.
 */
static int proc_cmdline_show(struct kernfs_inode *ki, struct kernfs_buf *b)
{
	struct task *t = proc_lock_task(ki);
	if (!t)
		return -ESRCH;
	struct mm *mm = t->mm;
	if (mm) {
		pthread_mutex_lock(&mm->mu);
		uaddr_t start = mm->arg_start, end = mm->arg_end;
		pthread_mutex_unlock(&mm->mu);
		put_guest_range(b, mm, start, end);
		if (b->err == 0 && b->len > 0 && b->len == end - start &&
		    b->data[b->len - 1] != '\0') {
			b->len = 0;
			put_guest_range(b, mm, start, start + PAGE_SIZE);
			if (b->err == 0) {
				size_t n = strnlen(b->data, b->len);
				b->len = n < b->len ? n + 1 : n;
			}
		}
	}
	proc_unlock();
	return 0;
}

static int proc_environ_show(struct kernfs_inode *ki, struct kernfs_buf *b)
{
	struct task *t = proc_lock_task(ki);
	if (!t)
		return -ESRCH;
	int err = proc_may_access(t);
	struct mm *mm = t->mm;
	if (err == 0 && mm) {
		pthread_mutex_lock(&mm->mu);
		uaddr_t start = mm->env_start, end = mm->env_end;
		pthread_mutex_unlock(&mm->mu);
		put_guest_range(b, mm, start, end);
	}
	proc_unlock();
	return err;
}

/* ---- limits ---- */

static const struct {
	const char *name;
	const char *unit;
} g_limit_names[LINUX_RLIM_NLIMITS] = {
	{ "Max cpu time", "seconds" },     { "Max file size", "bytes" },
	{ "Max data size", "bytes" },      { "Max stack size", "bytes" },
	{ "Max core file size", "bytes" }, { "Max resident set", "bytes" },
	{ "Max processes", "processes" },  { "Max open files", "files" },
	{ "Max locked memory", "bytes" },  { "Max address space", "bytes" },
	{ "Max file locks", "locks" },     { "Max pending signals", "signals" },
	{ "Max msgqueue size", "bytes" },  { "Max nice priority", NULL },
	{ "Max realtime priority", NULL }, { "Max realtime timeout", "us" },
};

/* Linux's proc_pid_limits, column for column. */
static int proc_limits_show(struct kernfs_inode *ki, struct kernfs_buf *b)
{
	struct linux_rlimit rl[LINUX_RLIM_NLIMITS];
	struct task *t = proc_lock_task(ki);
	if (!t)
		return -ESRCH;
	pthread_mutex_lock(&t->tg->mu);
	memcpy(rl, t->tg->rlimits, sizeof(rl));
	pthread_mutex_unlock(&t->tg->mu);
	proc_unlock();
	kernfs_printf(b, "%-25s %-20s %-20s %-10s\n", "Limit", "Soft Limit", "Hard Limit", "Units");
	for (int i = 0; i < LINUX_RLIM_NLIMITS; i++) {
		if (rl[i].cur == LINUX_RLIM_INFINITY)
			kernfs_printf(b, "%-25s %-20s ", g_limit_names[i].name, "unlimited");
		else
			kernfs_printf(b, "%-25s %-20llu ", g_limit_names[i].name,
			              (unsigned long long)rl[i].cur);
		if (rl[i].max == LINUX_RLIM_INFINITY)
			kernfs_printf(b, "%-20s ", "unlimited");
		else
			kernfs_printf(b, "%-20llu ", (unsigned long long)rl[i].max);
		if (g_limit_names[i].unit)
			kernfs_printf(b, "%-10s\n", g_limit_names[i].unit);
		else
			kernfs_puts(b, "\n");
	}
	return 0;
}

/* ---- cgroup ---- */

/* The sandbox has one cgroup (v2) hierarchy with everything at its root. */
static int proc_cgroup_show(struct kernfs_inode *ki, struct kernfs_buf *b)
{
	struct task *t = proc_lock_task(ki);
	if (!t)
		return -ESRCH;
	proc_unlock();
	kernfs_puts(b, "0::/\n");
	return 0;
}

/* ---- oom_score_adj ---- */

/*
 * Per process in Linux (signal_struct), so per (tgid, leader's start
 * time) here, which no reused PID matches: the kernel has no field for it
 * yet. Entries of processes that have gone are dropped at each write.
 * Children do not inherit the value until the kernel keeps it.
 */
struct oom_entry {
	int tgid;
	uint64_t start_ns;
	int adj, adj_min;
};

static pthread_mutex_t g_oom_mu = PTHREAD_MUTEX_INITIALIZER;
static struct oom_entry *g_oom; /* protected by g_oom_mu */
static size_t g_noom, g_oom_cap;

/* The start time of t's process (its leader's). Preconditions: kernel.mu held. */
static uint64_t process_start_locked(struct task *t)
{
	struct task *leader = kernel_find_task_locked(t->k, t->tg->tgid);
	return leader ? leader->start_time_ns : t->start_time_ns;
}

/* Preconditions: g_oom_mu held. */
static struct oom_entry *oom_find_locked(int tgid, uint64_t start)
{
	for (size_t i = 0; i < g_noom; i++) {
		if (g_oom[i].tgid == tgid && g_oom[i].start_ns == start)
			return &g_oom[i];
	}
	return NULL;
}

static int proc_oom_score_adj_show(struct kernfs_inode *ki, struct kernfs_buf *b)
{
	struct task *t = proc_lock_task(ki);
	if (!t)
		return -ESRCH;
	int tgid = t->tg->tgid;
	uint64_t start = process_start_locked(t);
	proc_unlock();
	pthread_mutex_lock(&g_oom_mu);
	struct oom_entry *e = oom_find_locked(tgid, start);
	int adj = e ? e->adj : 0;
	pthread_mutex_unlock(&g_oom_mu);
	kernfs_printf(b, "%d\n", adj);
	return 0;
}

/* Linux's kstrtoint(strstrip(s), 0, &v): whitespace around, a sign, base from the prefix. */
static int parse_int_base0(const char *s, int *out)
{
	while (*s == ' ' || (*s >= '\t' && *s <= '\r'))
		s++;
	char *end;
	errno = 0;
	long v = strtol(s, &end, 0);
	if (end == s || errno)
		return -EINVAL;
	while (*end == ' ' || (*end >= '\t' && *end <= '\r'))
		end++;
	if (*end || v < INT32_MIN || v > INT32_MAX)
		return -EINVAL;
	*out = (int)v;
	return 0;
}

/* Drops the entries of processes that have gone. Preconditions: kernel.mu and g_oom_mu held. */
static void oom_prune_locked(struct kernel *k)
{
	size_t j = 0;
	for (size_t i = 0; i < g_noom; i++) {
		struct task *leader = kernel_find_task_locked(k, g_oom[i].tgid);
		if (leader && leader->start_time_ns == g_oom[i].start_ns)
			g_oom[j++] = g_oom[i];
	}
	g_noom = j;
}

/* Linux's oom_score_adj_write and __set_oom_adj. */
static ssize_t proc_oom_score_adj_write(struct kernfs_inode *ki, const char *data, size_t len,
                                        int64_t off)
{
	char buf[13]; /* PROC_NUMBUF */
	size_t n = MIN(len, sizeof(buf) - 1);
	memcpy(buf, data, n);
	buf[n] = '\0';
	int adj;
	if (parse_int_base0(buf, &adj) < 0 || adj < -1000 || adj > 1000)
		return -EINVAL;
	struct task *cur = task_current();
	bool privileged = !cur || creds_capable(&cur->creds, LINUX_CAP_SYS_RESOURCE);
	struct task *t = proc_lock_task(ki);
	if (!t)
		return -ESRCH;
	int tgid = t->tg->tgid;
	uint64_t start = process_start_locked(t);
	ssize_t ret = (ssize_t)n;
	pthread_mutex_lock(&g_oom_mu);
	oom_prune_locked(t->k);
	struct oom_entry *e = oom_find_locked(tgid, start);
	int min = e ? e->adj_min : 0;
	if (adj < min && !privileged) {
		ret = -EACCES; /* lowering below the floor needs CAP_SYS_RESOURCE */
	} else {
		if (!e && g_noom == g_oom_cap) {
			size_t cap = g_oom_cap ? g_oom_cap * 2 : 8;
			struct oom_entry *ne = realloc(g_oom, cap * sizeof(*ne));
			if (ne) {
				g_oom = ne;
				g_oom_cap = cap;
			}
		}
		if (!e && g_noom < g_oom_cap) {
			e = &g_oom[g_noom++];
			*e = (struct oom_entry){ tgid, start, 0, 0 };
		}
		if (!e) {
			ret = -ENOMEM;
		} else {
			e->adj = adj;
			if (privileged)
				e->adj_min = adj;
		}
	}
	pthread_mutex_unlock(&g_oom_mu);
	proc_unlock();
	return ret;
}

/* ---- mounts, mountinfo ---- */

static int mounts_show(struct kernfs_inode *ki, struct kernfs_buf *b, bool mountinfo)
{
	struct task *t = proc_lock_task(ki);
	if (!t)
		return -ESRCH;
	struct mount_ns *ns = t->k->mntns;
	struct path root = { NULL, NULL }, cwd = { NULL, NULL };
	if (t->fs)
		fs_context_paths(t->fs, &root, &cwd);
	proc_unlock();
	path_put(&cwd);
	if (!ns || !root.mnt)
		goto out_put;
	/* mount_ns_format truncates like snprintf and returns the full length. */
	size_t size = 4096;
	for (;;) {
		char *dst = kernfs_reserve(b, size);
		if (!dst)
			break;
		size_t n = mount_ns_format(ns, root.mnt, root.d, mountinfo, dst, size);
		if (n < size) {
			kernfs_commit(b, n);
			break;
		}
		size = n + 1 > size * 2 ? n + 1 : size * 2;
	}
out_put:
	path_put(&root);
	return 0;
}

static int proc_mounts_show(struct kernfs_inode *ki, struct kernfs_buf *b)
{
	return mounts_show(ki, b, false);
}

static int proc_mountinfo_show(struct kernfs_inode *ki, struct kernfs_buf *b)
{
	return mounts_show(ki, b, true);
}

/* ---- exe, cwd, root ---- */

enum task_link { LINK_EXE, LINK_CWD, LINK_ROOT };

/*
 * The path a task link names (new references) and the reader's root for
 * its text (when root is not NULL). Returns 0 or -errno.
 */
static int task_link_path(struct kernfs_inode *ki, enum task_link which, struct path *out,
                          struct path *root)
{
	struct task *t = proc_lock_task(ki);
	if (!t)
		return -ENOENT;
	int err = proc_may_access(t);
	struct path p = { NULL, NULL }, other = { NULL, NULL };
	if (err == 0 && which == LINK_EXE) {
		if (t->tg->exe_mnt && t->tg->exe_dentry) {
			p = (struct path){ t->tg->exe_mnt, t->tg->exe_dentry };
			path_get(&p);
		}
	} else if (err == 0 && t->fs) {
		if (which == LINK_CWD)
			fs_context_paths(t->fs, &other, &p);
		else
			fs_context_paths(t->fs, &p, &other);
	}
	if (err == 0 && p.d && root)
		proc_reader_root_locked(t, root);
	proc_unlock();
	path_put(&other);
	if (err == 0 && !p.d)
		err = -ENOENT;
	if (err < 0)
		path_put(&p);
	*out = p;
	return err;
}

static int task_link_readlink(struct kernfs_inode *ki, struct kernfs_buf *b, enum task_link which)
{
	struct path p, root = { NULL, NULL };
	int err = task_link_path(ki, which, &p, &root);
	if (err == 0)
		err = proc_path_text(&p, &root, b);
	path_put(&p);
	path_put(&root);
	return err;
}

static int task_link_follow(struct kernfs_inode *ki, enum task_link which, struct mount **out_mnt,
                            struct dentry **out_d)
{
	struct path p;
	int err = task_link_path(ki, which, &p, NULL);
	if (err < 0)
		return err;
	*out_mnt = p.mnt;
	*out_d = p.d;
	return 0;
}

static int proc_exe_readlink(struct kernfs_inode *ki, struct kernfs_buf *b)
{
	return task_link_readlink(ki, b, LINK_EXE);
}

static int proc_exe_follow(struct kernfs_inode *ki, struct mount **out_mnt, struct dentry **out_d)
{
	return task_link_follow(ki, LINK_EXE, out_mnt, out_d);
}

static int proc_cwd_readlink(struct kernfs_inode *ki, struct kernfs_buf *b)
{
	return task_link_readlink(ki, b, LINK_CWD);
}

static int proc_cwd_follow(struct kernfs_inode *ki, struct mount **out_mnt, struct dentry **out_d)
{
	return task_link_follow(ki, LINK_CWD, out_mnt, out_d);
}

static int proc_root_readlink(struct kernfs_inode *ki, struct kernfs_buf *b)
{
	return task_link_readlink(ki, b, LINK_ROOT);
}

static int proc_root_follow(struct kernfs_inode *ki, struct mount **out_mnt, struct dentry **out_d)
{
	return task_link_follow(ki, LINK_ROOT, out_mnt, out_d);
}

/* ---- task/ ---- */

/* Collects the TIDs (from from on) of the process ki's task belongs to. */
static int collect_tids(struct kernfs_inode *ki, uint64_t from, int **out, size_t *out_count)
{
	struct task *t = proc_lock_task(ki);
	if (!t)
		return -ENOENT;
	size_t cap = (size_t)count_threads_locked(t), n = 0;
	int *ids = malloc(cap * sizeof(*ids));
	struct task *u;
	if (ids) {
		list_for_each_entry (u, &t->k->tasks, k_link) {
			if (u->tg == t->tg && (uint64_t)u->tid >= from && n < cap)
				ids[n++] = u->tid;
		}
	}
	proc_unlock();
	if (!ids)
		return -ENOMEM;
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

static int proc_task_list(struct kernfs_inode *dir, uint64_t from, kernfs_emit_fn emit, void *arg)
{
	int *ids;
	size_t n;
	int err = collect_tids(dir, from, &ids, &n);
	if (err < 0)
		return err;
	for (size_t i = 0; i < n; i++) {
		char name[16];
		snprintf(name, sizeof(name), "%d", ids[i]);
		if (!emit(arg, name, &g_proc_tid_dir, (uint64_t)ids[i]))
			break;
	}
	free(ids);
	return 0;
}

static int proc_task_lookup(struct kernfs_inode *dir, const char *name,
                            const struct kernfs_node **node, struct kernfs_key *key)
{
	int tid = proc_parse_int(name);
	if (tid <= 0)
		return -ENOENT;
	struct task *t = proc_lock_task(dir);
	if (!t)
		return -ENOENT;
	struct task *u = kernel_find_task_locked(t->k, tid);
	bool found = u && u->tg == t->tg;
	proc_unlock();
	if (!found)
		return -ENOENT;
	*node = &g_proc_tid_dir;
	key->id[PROC_KEY_TID] = tid;
	return 0;
}

static int proc_task_count_subdirs(struct kernfs_inode *dir)
{
	struct task *t = proc_lock_task(dir);
	if (!t)
		return 0;
	int n = count_threads_locked(t);
	proc_unlock();
	return n;
}

static const struct kernfs_dyn_ops g_proc_task_dyn = {
	.list = proc_task_list,
	.lookup = proc_task_lookup,
	.count_subdirs = proc_task_count_subdirs,
};

/* ---- The tables ---- */

/* A per-task file: written to without a write op, it fails with EINVAL, as Linux's do. */
#define PID_FILE(n, m, fn)                                                                   \
	{                                                                                    \
		.name = (n), .kind = KERNFS_FILE, .mode = (m), .flags = KERNFS_WRITE_EINVAL, \
		.show = (fn)                                                                 \
	}
#define PID_RW_FILE(n, m, fn, wfn)                                                          \
	{                                                                                   \
		.name = (n), .kind = KERNFS_FILE, .mode = (m), .show = (fn), .write = (wfn) \
	}
#define PID_LINK(n, rl, fl)                                                            \
	{                                                                              \
		.name = (n), .kind = KERNFS_MAGICLINK, .mode = 0777, .readlink = (rl), \
		.follow = (fl)                                                         \
	}
#define PID_DYNDIR(n, m, d)                                              \
	{                                                                \
		.name = (n), .kind = KERNFS_DIR, .mode = (m), .dyn = (d) \
	}

/* What /proc/PID and /proc/PID/task/TID share, in name order. */
/* clang-format off */
#define PROC_TASK_ENTRIES \
	PID_FILE("cgroup", 0444, proc_cgroup_show), \
	PID_FILE("cmdline", 0444, proc_cmdline_show), \
	PID_RW_FILE("comm", 0644, proc_comm_show, proc_comm_write), \
	PID_LINK("cwd", proc_cwd_readlink, proc_cwd_follow), \
	PID_FILE("environ", 0400, proc_environ_show), \
	PID_LINK("exe", proc_exe_readlink, proc_exe_follow), \
	PID_DYNDIR("fd", 0500, &g_proc_fd_dyn), \
	PID_DYNDIR("fdinfo", 0555, &g_proc_fdinfo_dyn), \
	PID_FILE("limits", 0444, proc_limits_show), \
	PID_FILE("maps", 0444, proc_maps_show), \
	PID_FILE("mountinfo", 0444, proc_mountinfo_show), \
	PID_FILE("mounts", 0444, proc_mounts_show), \
	PID_DYNDIR("net", 0555, &g_proc_net_dyn), \
	PID_RW_FILE("oom_score_adj", 0644, proc_oom_score_adj_show, proc_oom_score_adj_write), \
	PID_LINK("root", proc_root_readlink, proc_root_follow), \
	PID_FILE("smaps", 0444, proc_smaps_show), \
	PID_FILE("stat", 0444, proc_stat_show), \
	PID_FILE("statm", 0444, proc_statm_show), \
	PID_FILE("status", 0444, proc_status_show)
/* clang-format on */

static const struct kernfs_node g_tgid_children[] = {
	PROC_TASK_ENTRIES,
	PID_DYNDIR("task", 0555, &g_proc_task_dyn),
};

static const struct kernfs_node g_tid_children[] = {
	PROC_TASK_ENTRIES,
};

const struct kernfs_node g_proc_tgid_dir = {
	.kind = KERNFS_DIR,
	.mode = 0555,
	.attr = proc_task_attr,
	.children = g_tgid_children,
	.nchildren = ARRAY_SIZE(g_tgid_children),
};

const struct kernfs_node g_proc_tid_dir = {
	.kind = KERNFS_DIR,
	.mode = 0555,
	.attr = proc_task_attr,
	.children = g_tid_children,
	.nchildren = ARRAY_SIZE(g_tid_children),
};
