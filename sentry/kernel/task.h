/*
 * Tasks: creation of the init task, the task loop, exit, and signals.
 *
 * A task's fields that only its own sentry thread touches need no lock;
 * the thread group's shared state is under tg->mu.
 */
#ifndef SENTRY_KERNEL_TASK_H
#define SENTRY_KERNEL_TASK_H

#include <poll.h>
#include <time.h>

#include "sentry/kernel/kernel.h"
#include "sentry/loader/loader.h"
#include "sentry/vfs/vfs.h"

/* What the first process of a sandbox runs. */
struct task_init_args {
	struct loader_file *exe; /* consumed */
	struct path exe_path;    /* borrowed: where exe is, for /proc/PID/exe */
	const char *filename;    /* AT_EXECFN and argv[0]'s origin */
	char *const *argv;
	char *const *envp;
	struct fs_context *fs; /* consumed: root, cwd and umask */
	struct creds creds;
	struct fdtable *fdt; /* consumed: the init task's fds */
	struct linux_rlimit rlimits[LINUX_RLIM_NLIMITS];
	loader_open_fn open_interp;
	void *open_arg;
};

/*
 * Starts the init process on a new sentry thread: creates its address
 * space (bound to that thread), loads the program and runs it. Returns 0
 * once it runs, or -errno when it could not be started (the program did
 * not load: -ENOEXEC, -EACCES, ...).
 */
int task_start_init(struct kernel *k, struct task_init_args *args);

/* Runs t's loop on the calling thread (its own) until the task exits (task_run.c). */
void task_run(struct task *t);

/* The RLIMIT_NOFILE soft limit of t's process: the fd table's bound. */
int task_nofile_limit(struct task *t);

/*
 * Starts exiting t's whole thread group with the given wait(2) status
 * (exit code << 8, or the signal number). The task loop finishes the job.
 */
void task_group_exit(struct task *t, int wait_status);

/*
 * Waiting (waitqueue.c). Every blocking call in the sentry waits in
 * task_block, on the calling task's own thread (t is the caller): until
 * task_wake(t) (a wait queue notification, see waitqueue.h), a signal for
 * t (task_interrupted becomes true), or the deadline (CLOCK_MONOTONIC,
 * absolute; NULL: none). host: host fds the wait also depends on, polled
 * at the same time (revents filled in). Returns 0 when woken or a host fd
 * is ready (callers re-check their condition: wake-ups may be spurious),
 * -ETIMEDOUT at the deadline, -EINTR at once when the task is already
 * interrupted (the caller returns -LINUX_ERESTARTSYS or the like, and the
 * task loop decides on EINTR or a restart).
 */
int task_block(struct task *t, const struct timespec *deadline, struct pollfd *host, int nhost);
/* Wakes t from task_block (or makes its next task_block return at once). Any thread. */
void task_wake(struct task *t);
/* Makes t's wake-up eventfd. Returns 0 or -errno. */
int task_wake_init(struct task *t);
/*
 * True when t has a signal it does not block pending, or its process is
 * exiting: then a wait must end (signal.c).
 */
bool task_interrupted(struct task *t);

/* signal.c */

/*
 * Queues signal sig for t's thread group (process-directed). info may be
 * NULL (SI_USER from the task itself). Returns 0 or -errno.
 */
int task_send_group_signal(struct task *t, int sig, const struct linux_siginfo *info);
/* Queues signal sig for thread t (thread-directed). */
int task_send_thread_signal(struct task *t, int sig, const struct linux_siginfo *info);
/*
 * Delivers t's pending, unblocked signals. Called by the task loop
 * before returning to the application.
 */
void task_deliver_signals(struct task *t);
/* Handles a synchronous fault of application code (SIGSEGV and the like). */
void task_handle_fault(struct task *t, const struct platform_fault *f);
/*
 * Replaces (when act is not NULL) the action for sig and returns the old
 * one in *old. An action that ignores the signal discards it if pending.
 * Preconditions: sig is valid and, with act, neither SIGKILL nor SIGSTOP.
 */
void task_set_sigaction(struct task *t, int sig, const struct linux_sigaction *act,
                        struct linux_sigaction *old);
/* Signals pending for t (thread and process). */
linux_sigset_t task_pending_signals(struct task *t);

#endif /* SENTRY_KERNEL_TASK_H */
