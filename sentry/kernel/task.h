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

struct file;

/* What a process started from outside the sandbox runs: init, or one `runsc exec` makes. */
struct task_init_args {
	struct loader_file *exe; /* consumed */
	struct path exe_path;    /* borrowed: where exe is, for /proc/PID/exe */
	const char *filename;    /* AT_EXECFN and argv[0]'s origin */
	char *const *argv;
	char *const *envp;
	struct fs_context *fs; /* consumed: root, cwd and umask */
	struct creds creds;
	struct fdtable *fdt; /* consumed: the init task's fds */
	struct tty *ctty;    /* the session's controlling terminal, or NULL */
	struct linux_rlimit rlimits[LINUX_RLIM_NLIMITS];
	loader_open_fn open_interp;
	void *open_arg;
	/*
	 * false: the sandbox's init (pid 1, unkillable by its own signals).
	 * true: another process with no parent in the sandbox (as a process
	 * that `runc exec` setns'd in has none there), in a session of its
	 * own; its exit is seen through the group task_start_process returns.
	 */
	bool not_init;
	bool no_new_privs;  /* PR_SET_NO_NEW_PRIVS before the program is loaded */
	unsigned container; /* the pod's container it belongs to (thread_group.container) */
};

/*
 * Starts the init process on a new sentry thread: creates its address
 * space (bound to that thread), loads the program and runs it. Returns 0
 * once it runs, or -errno when it could not be started (the program did
 * not load: -ENOEXEC, -EACCES, ...).
 */
int task_start_init(struct kernel *k, struct task_init_args *args);

/*
 * Starts a process as task_start_init does, as init or not (args->not_init).
 * On success *out_tg (if not NULL) holds a reference to the new process,
 * for tg_wait_exit and tg_put. Returns -ESRCH once init has exited.
 */
int task_start_process(struct kernel *k, struct task_init_args *args, struct thread_group **out_tg);

/*
 * Blocks the calling host thread (not a task) until tg's last thread has
 * exited, and returns its wait(2) status.
 */
int tg_wait_exit(struct thread_group *tg);

/* Runs t's loop on the calling thread (its own) until the task exits (task_run.c). */
void task_run(struct task *t);
/* A task thread's life: task_run, then task_exit. */
void task_main(struct task *t);
/* Starts fn(arg) on a new detached sentry thread. Returns 0 or -errno. */
int task_start_thread(void *(*fn)(void *), void *arg);

/* Allocation (task.c): an empty task (wake fd, start time) and process. */
struct task *task_alloc(struct kernel *k);
/* Frees a task that is not in the tree: its fd table and fs context references. */
void task_free(struct task *t);
struct thread_group *tg_alloc(struct kernel *k);
/* Frees a process that never entered the tree; tg_put drops a reference (the last frees). */
void tg_free(struct thread_group *tg);
void tg_put(struct thread_group *tg);

/* pidfd.c: a pidfd for tg (flags: O_NONBLOCK), and the process a file names (NULL: no pidfd). */
int pidfd_create(struct thread_group *tg, unsigned flags, struct file **out);
struct thread_group *pidfd_tg(struct file *f);
/* Sets comm from a program's file name, as execve does. */
void task_set_comm(struct task *t, const char *filename);

/* What clone(2), fork(2), vfork(2) and clone3(2) ask for (fork.c). */
struct clone_request {
	uint64_t flags;  /* LINUX_CLONE_*, without the exit signal */
	int exit_signal; /* for a new process */
	uaddr_t stack;   /* the child's rsp; 0: the parent's */
	uaddr_t parent_tid, child_tid, tls;
	uaddr_t pidfd; /* CLONE_PIDFD: where the pidfd's number goes */
};
/* Creates the child. Returns its id, or -errno. */
long task_clone(struct task *t, const struct clone_request *r);

/* exit.c */
/*
 * The end of a task's thread: robust futexes, CLONE_CHILD_CLEARTID, the
 * vfork parent, the context and address space, and, for the last thread,
 * the process's exit notification. Frees t.
 */
void task_exit(struct task *t);
/*
 * What happens when t stops using its mm (exit, exec; Linux's
 * exit_mm_release and exec_mm_release): its robust futexes are released,
 * a vfork parent is released, and CLONE_CHILD_CLEARTID's word cleared and
 * woken. Preconditions: t->mm and t->ctx are still the old program's.
 */
void task_mm_release(struct task *t);
/* vfork: blocks t until its child has exec'd or exited (or t is killed). */
void task_vfork_wait(struct task *t);
/* wait4(2) and waitid(2). */
long task_wait4(struct task *t, int pid, uaddr_t status, int options, uaddr_t rusage);
long task_waitid(struct task *t, int idtype, int id, uaddr_t infop, int options, uaddr_t rusage);
/*
 * Tells tg's parent that tg stopped (with sig) or continued: SIGCHLD
 * unless SA_NOCLDSTOP, and wait's waiters. Preconditions: k->mu held.
 */
void tg_notify_parent_stop_locked(struct thread_group *tg, bool stopped, int sig);

/* The RLIMIT_NOFILE soft limit of t's process: the fd table's bound. */
int task_nofile_limit(struct task *t);

/*
 * Starts exiting t's whole thread group with the given wait(2) status
 * (exit code << 8, or the signal number): every thread is interrupted,
 * and each one's task loop finishes the job.
 */
void task_group_exit(struct task *t, int wait_status);
/* The same for any process. Preconditions: k->mu held. */
void tg_kill_locked(struct thread_group *tg, int wait_status);
/*
 * Makes t notice something soon: wakes it from task_block and interrupts
 * its application code. Preconditions: k->mu held (t stays alive).
 */
void task_kick_locked(struct task *t);
/* Kicks a thread of tg that does not block sig (if any). Preconditions: k->mu held. */
void tg_signal_kick_locked(struct thread_group *tg, int sig);
/* Should t's loop end: its own exit, its process's, or an execve's kill? */
bool task_should_exit(struct task *t);

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
/*
 * Like task_block without deadline or host fds, but only the end of the
 * task (its process killed, or an execve killing the other threads) ends
 * it early (-EINTR): Linux's killable sleep (vfork, execve's wait).
 */
int task_block_killable(struct task *t);
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
/*
 * A signal from outside the sandbox (runsc kill) to process tg, as from
 * an ancestor pid namespace: si_pid 0, and SIGKILL and SIGSTOP reach even
 * init. Returns 0, -ESRCH for a process that has exited, or -EINVAL.
 * Preconditions: k->mu held.
 */
int tg_signal_from_host_locked(struct thread_group *tg, int sig);
/* Queues signal sig for thread t (thread-directed). */
int task_send_thread_signal(struct task *t, int sig, const struct linux_siginfo *info);
/*
 * Delivers t's pending, unblocked signals. Called by the task loop
 * before returning to the application.
 */
void task_deliver_signals(struct task *t);
/* Handles a synchronous fault of application code (SIGSEGV and the like). */
void task_handle_fault(struct task *t, const struct platform_fault *f);
/* Forces SIGSEGV (SI_KERNEL) on t, e.g. for a bad rt_sigreturn frame (Linux's force_sig). */
void task_force_sigsegv(struct task *t);
/*
 * Replaces (when act is not NULL) the action for sig and returns the old
 * one in *old. An action that ignores the signal discards it if pending.
 * Preconditions: sig is valid and, with act, neither SIGKILL nor SIGSTOP.
 */
void task_set_sigaction(struct task *t, int sig, const struct linux_sigaction *act,
                        struct linux_sigaction *old);
/*
 * The queued siginfo of sig in t's pending set (group: its process's)
 * for which match(info, arg) holds, or NULL (POSIX timers count their
 * overruns in it). Preconditions: t->tg->mu held.
 */
struct linux_siginfo *
task_find_queued_locked(struct task *t, bool group, int sig,
                        bool (*match)(const struct linux_siginfo *, const void *), const void *arg);
/* Signals pending for t (thread and process). */
linux_sigset_t task_pending_signals(struct task *t);
/*
 * Takes the next pending signal of t among wanted (thread-directed first,
 * Linux's order) into *out. Returns it, or 0 when none is pending.
 */
int task_dequeue_signal(struct task *t, linux_sigset_t wanted, struct linux_siginfo *out);
/* Sets t's signal mask (SIGKILL and SIGSTOP are never blocked). t is the caller. */
void task_set_sigmask(struct task *t, linux_sigset_t mask);
/*
 * The "saved sigmask" of rt_sigsuspend, ppoll, pselect6 and epoll_pwait
 * (Linux's set_user_sigmask): sets mask for the call, to be restored by
 * task_restore_sigmask_unless(t, interrupted) when the call ends, or, when
 * it was interrupted (returns EINTR or a restart code), after the handler
 * has run (its frame saves the old mask) or before returning without one.
 */
void task_set_temporary_sigmask(struct task *t, linux_sigset_t mask);
void task_restore_sigmask_unless(struct task *t, bool interrupted);
/*
 * rt_sigsuspend(2) and pause(2): wait for a signal (with mask in place
 * for rt_sigsuspend). Return -LINUX_ERESTARTNOHAND.
 */
long task_sigsuspend(struct task *t, linux_sigset_t mask);
long task_pause(struct task *t);
/*
 * rt_sigtimedwait(2): takes a signal of set into *out, waiting until the
 * deadline (CLOCK_MONOTONIC; NULL: none; poll_only: no wait at all).
 * Returns the signal, -EAGAIN at the deadline, -EINTR when another
 * signal interrupted the wait.
 */
long task_sigtimedwait(struct task *t, linux_sigset_t set, const struct timespec *deadline,
                       bool poll_only, struct linux_siginfo *out);

/*
 * The alternate signal stack (sigaltstack(2); sp is the stack pointer
 * the call is judged by, min_size the smallest size accepted): returns
 * the old one in *old (when not NULL) and installs *ss (when not NULL).
 * Returns 0, -EPERM (on the stack), -EINVAL or -ENOMEM.
 */
int task_sigaltstack(struct task *t, const struct linux_stack *ss, struct linux_stack *old,
                     uint64_t sp, uint64_t min_size);
/* Linux's on_sig_stack() (never with SS_AUTODISARM) and __on_sig_stack() (raw). */
bool task_on_sig_stack(const struct task *t, uint64_t sp);
bool task_on_sig_stack_raw(const struct task *t, uint64_t sp);
/* Linux's sas_ss_flags(): SS_DISABLE, SS_ONSTACK or 0. */
int task_sas_ss_flags(const struct task *t, uint64_t sp);

/* Which fields of a siginfo are meaningful (Linux's siginfo_layout). */
enum siginfo_layout {
	SIL_KILL,
	SIL_TIMER,
	SIL_POLL,
	SIL_FAULT,
	SIL_CHLD,
	SIL_RT,
	SIL_SYS,
};
enum siginfo_layout siginfo_layout(int sig, int code);

/*
 * Signal state of a new thread group (its signalfd wait queue), and its
 * release (pending siginfos). A task's queued siginfos are given back to
 * its process's RLIMIT_SIGPENDING count when it exits
 * (task_signals_release, with t->tg alive) and freed with it
 * (task_signals_free: whatever is left, without the count).
 */
void thread_group_signals_init(struct thread_group *tg);
void thread_group_signals_release(struct thread_group *tg);
void task_signals_release(struct task *t);
void task_signals_free(struct task *t);

/* task_run.c */

/*
 * Decides, in one place, what the application sees of the result of the
 * syscall t was in when a restart code is in rax (Linux's handle_signal
 * and arch_do_signal_or_restart): act is the handler about to run, or NULL
 * when none will. ERESTARTSYS restarts unless a handler without
 * SA_RESTART runs (then EINTR); ERESTARTNOINTR always restarts;
 * ERESTARTNOHAND and ERESTART_RESTARTBLOCK fail with EINTR when a handler
 * runs, else restart (the latter through restart_syscall(2)). A restart
 * moves rip back over the syscall instruction and puts the number back in
 * rax. Does nothing when t is not in a syscall, or was already decided.
 */
void task_syscall_result(struct task *t, const struct linux_sigaction *act);

#endif /* SENTRY_KERNEL_TASK_H */
