/*
 * proc: the sandbox's /proc, a kernfs (kernfs.h) over the kernel's tasks.
 *
 * Top level: self, thread-self, mounts (-> self/mounts), cpuinfo,
 * meminfo, stat, uptime, loadavg, version, filesystems, sys/ (kernel, vm
 * and fs sysctls, read-only) and one directory per process. Per process
 * (and per thread under task/): stat, status, statm, maps, smaps,
 * cmdline, environ, comm, exe, cwd, root, fd/, fdinfo/, mounts,
 * mountinfo, limits, cgroup, oom_score_adj.
 *
 * Content is generated from the kernel under kernel.mu, the lock that
 * keeps a task from being freed; paths (fd links, exe, cwd) are taken
 * as references under it and turned into text after it is dropped.
 * Times: the sandbox booted at kernel.boot_time_ns (CLOCK_BOOTTIME); its
 * uptime, the tasks' start times (task.start_time_ns, read as nanoseconds
 * since that boot) and btime are counted from it.
 *
 * Host facts (cpuinfo, MemTotal, the CPU count) are read once by
 * procfs_new, which must therefore run before the sandbox confines
 * itself; nothing here opens a host file afterwards.
 *
 * The VFS has no notion of the calling task; /proc/self, the access
 * checks and the reader's root for link texts come from task_current(),
 * a thread-local that the task loop sets on each task's sentry thread.
 */
#ifndef SENTRY_FSIMPL_KERNFS_PROC_H
#define SENTRY_FSIMPL_KERNFS_PROC_H

#include "sentry/vfs/vfs.h"

struct kernel;
struct task;

#define PROC_SUPER_MAGIC 0x9fa0

/* "proc" for mount(2): mounts see the kernel given to procfs_new or procfs_set_kernel. */
extern const struct fs_type procfs_fs_type;

/*
 * Sets the kernel that proc shows, reads the host facts (once) and makes
 * a new proc superblock. Returns 0 and a new reference in *out, or -errno.
 * Register procfs_fs_type with vfs_register_fs for mount(2) -t proc.
 */
int procfs_new(struct kernel *k, struct superblock **out);
/* Sets the kernel that proc shows without making a superblock. */
void procfs_set_kernel(struct kernel *k);

/*
 * The task whose syscall the calling sentry thread is running, or NULL
 * (boot code, the gofer's threads). The task loop calls
 * task_set_current(t) once on t's thread before it first runs t, and
 * task_set_current(NULL) before freeing it.
 */
struct task *task_current(void);
void task_set_current(struct task *t);

#endif /* SENTRY_FSIMPL_KERNFS_PROC_H */
