/*
 * Internals of proc shared by its files: proc.c (the top level and sys/),
 * proc_task.c (the per-process and per-thread directories), proc_mm.c
 * (maps, smaps and the memory figures), proc_fd.c (fd/ and fdinfo/) and
 * proc_net.c (net/).
 *
 * Keys: everything under /proc/PID has the TID in key.id[0] (PROC_KEY_TID);
 * fd/N and fdinfo/N also have N in key.id[1] (PROC_KEY_FD).
 *
 * Lock order: kernel.mu > thread_group.mu > mm.mu, fs_context.mu,
 * fdtable.mu (each a leaf below kernel.mu). No path, dentry, mount or file
 * reference is dropped with kernel.mu held (a put may reach a file system).
 */
#ifndef SENTRY_FSIMPL_KERNFS_PROC_INTERNAL_H
#define SENTRY_FSIMPL_KERNFS_PROC_INTERNAL_H

#include "sentry/fsimpl/kernfs/kernfs.h"
#include "sentry/fsimpl/kernfs/proc.h"
#include "sentry/kernel/kernel.h"

struct mm;

#define PROC_KEY_TID 0
#define PROC_KEY_FD  1

/* Linux's USER_HZ: the clock ticks of /proc/stat and /proc/PID/stat. */
#define PROC_USER_HZ 100

/* The kernel proc shows (procfs_set_kernel); set once at boot. */
extern struct kernel *g_proc_kernel;
/* The sandbox's boot as wall-clock nanoseconds (btime, inode times). */
extern int64_t g_proc_boot_wall_ns;

static inline int proc_key_tid(const struct kernfs_inode *ki)
{
	return (int)ki->key.id[PROC_KEY_TID];
}

/*
 * Locks kernel.mu and returns the task ki's key names (still locked), or
 * NULL (unlocked) when it is gone.
 */
struct task *proc_lock_task(struct kernfs_inode *ki);
void proc_unlock(void);

/* Nanoseconds since the sandbox booted (CLOCK_BOOTTIME - kernel.boot_time_ns). */
uint64_t proc_uptime_ns(void);

/*
 * May the calling task (task_current()) look into target's fds, exe,
 * cwd, root and environ? Linux's ptrace_may_access(PTRACE_MODE_READ_FSCREDS)
 * without capabilities beyond root: the same user (real, effective and
 * saved ids all equal to the caller's fsuid, and the groups likewise), a
 * thread of the same process, or root. Without a caller (the sentry's own
 * use, task_current() NULL) access is granted. Returns 0 or -EACCES.
 * Preconditions: kernel.mu held.
 */
int proc_may_access(const struct task *target);

/*
 * The caller's root (task_current()'s, else the root of target's fs
 * context, else the namespace's): new references in *out (NULLs when
 * there is none). Preconditions: kernel.mu held.
 */
void proc_reader_root_locked(const struct task *target, struct path *out);

/*
 * Appends the text of p as seen from root (d_path). Returns 0 or -errno.
 * Takes no lock of the kernel.
 */
int proc_path_text(const struct path *p, const struct path *root, struct kernfs_buf *b);

/* Parses a decimal PID or fd as Linux's name_to_int: no sign, no leading 0. -1 if not one. */
int proc_parse_int(const char *name);

/* proc_task.c */

/* Templates of /proc/PID and /proc/PID/task/TID. */
extern const struct kernfs_node g_proc_tgid_dir;
extern const struct kernfs_node g_proc_tid_dir;

/* Owner of a task's subtree (euid/egid); -ENOENT once the task is gone. */
int proc_task_attr(struct kernfs_inode *ki, struct kernfs_attr *a);

/* proc_mm.c */

/* Linux's memory accounting of an mm (bytes), from the VMA tree. */
struct proc_vm_stats {
	uint64_t total;  /* total_vm */
	uint64_t locked; /* locked_vm */
	uint64_t data;   /* data_vm: private writable, not stack */
	uint64_t stack;  /* stack_vm */
	uint64_t exec;   /* exec_vm: executable, not writable, not stack */
	/* The main program's segments (the lowest ELF image); 0 when unknown. */
	uaddr_t start_code, end_code, start_data, end_data;
	uaddr_t start_brk, brk;
	uaddr_t stack_top;
	uaddr_t arg_start, arg_end, env_start, env_end;
};
void proc_vm_stats(struct mm *mm, struct proc_vm_stats *out);
/* VmExe and VmLib as Linux computes them (bytes). */
uint64_t proc_vm_exe(const struct proc_vm_stats *s);
uint64_t proc_vm_lib(const struct proc_vm_stats *s);

int proc_maps_show(struct kernfs_inode *ki, struct kernfs_buf *b);
int proc_smaps_show(struct kernfs_inode *ki, struct kernfs_buf *b);

/* proc_fd.c */

extern const struct kernfs_dyn_ops g_proc_fd_dyn;
extern const struct kernfs_dyn_ops g_proc_fdinfo_dyn;

/* proc_net.c */

/* The files of /proc/PID/net (and so of /proc/net). */
extern const struct kernfs_dyn_ops g_proc_net_dyn;

#endif /* SENTRY_FSIMPL_KERNFS_PROC_INTERNAL_H */
