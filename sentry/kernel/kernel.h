/*
 * sentry/kernel: the sandbox's kernel object, thread groups and tasks.
 *
 * One sentry thread runs each application task (gVisor's goroutine per
 * task): task_run() switches into the application through the platform,
 * handles what brought it back (a syscall, a fault, an interrupt), delivers
 * pending signals, and repeats until the task exits.
 *
 * Lock order: kernel.mu > thread_group.mu > mm.mu.
 */
#ifndef SENTRY_KERNEL_KERNEL_H
#define SENTRY_KERNEL_KERNEL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/abi/linux/misc.h"
#include "common/abi/linux/signal.h"
#include "common/abi/linux/syscall_nr.h"
#include "common/abi/linux/time.h"
#include "common/list.h"
#include "common/util.h"
#include "platform/platform.h"
#include "sentry/kernel/creds.h"
#include "sentry/kernel/waitqueue.h"

struct fdtable;
struct fs_context;
struct itimers;
struct mm;
struct mount_ns;
struct sigqueue;
struct task;
struct tty;

/* Real-time signals: LINUX_SIGRTMIN..LINUX_NSIG, each with its own queue (signal.c). */
#define SIGNAL_NRT (LINUX_NSIG - LINUX_SIGRTMIN + 1)

/* What the sandbox looks like from inside; set once at boot. */
struct kernel_config {
	const struct platform_ops *platform;
	const char *hostname; /* uname nodename */
	const char *release;  /* uname release */
	const char *version;  /* uname version */
	bool strace;          /* log every syscall */
};

struct kernel {
	struct kernel_config cfg;

	/*
	 * The task tree's lock (Linux's tasklist_lock): the lists below, every
	 * thread group's parent, children, threads, pgid and sid, and the
	 * zombie state.
	 */
	pthread_mutex_t mu;
	/* Protected by mu. */
	int next_tid;
	int ntasks;
	int max_tasks;          /* fork/clone fail with EAGAIN at this many tasks */
	bool init_exited;       /* init's last thread exited: the sandbox is ending */
	int init_status;        /* wait(2) status of the init process */
	pthread_cond_t cond;    /* signalled when a task exits */
	struct list_head tasks; /* every live task, in tid order of creation */
	struct list_head tgs;   /* every thread group until it is reaped */
	uint64_t boot_time_ns;  /* CLOCK_BOOTTIME at kernel_new: tasks' start times count from it */
	struct mount_ns *mntns; /* the sandbox's mounts; set at boot, owned */

	/* One bit per syscall number: "unsupported" already logged. */
	_Atomic uint64_t unsupported_logged[(LINUX_SYSCALL_MAX + 63) / 64];
};

/* Signal dispositions and process-wide state shared by the threads of a process. */
struct thread_group {
	struct kernel *k;
	int tgid;
	pthread_mutex_t mu;
	/* Protected by mu. */
	struct linux_rlimit rlimits[LINUX_RLIM_NLIMITS];
	struct linux_sigaction actions[LINUX_NSIG + 1]; /* indexed by signal number */
	linux_sigset_t pending;                         /* process-directed pending signals */
	struct linux_siginfo pending_info[LINUX_NSIG];
	bool unkillable; /* a pid-namespace init: Linux's SIGNAL_UNKILLABLE */
	bool exiting;    /* exit_group or a fatal signal started */
	int exit_status; /* wait(2) status once exiting */
	/* The program's file (/proc/PID/exe); references, NULL until loaded. */
	struct mount *exe_mnt;
	struct dentry *exe_dentry;
	/* CPU time of the group's exited threads, and of its reaped children (under mu). */
	uint64_t dead_utime_ns, dead_stime_ns;
	uint64_t child_utime_ns, child_stime_ns;
	uint32_t uid; /* the real uid its last thread exited with: SIGCHLD's si_uid */

	/* The process tree: protected by k->mu. */
	struct thread_group *parent; /* NULL for init */
	struct list_head children;   /* thread groups, by sibling */
	struct list_head sibling;    /* in parent->children */
	struct list_head k_link;     /* in k->tgs */
	struct list_head threads;    /* live tasks, by tg_link */
	int nr_threads;              /* threads in the tree */
	int live;                    /* threads that have not begun to exit (under mu) */
	int pgid, sid;               /* process group and session */
	/* The container of the pod it runs in: 0 for the sandbox's own; inherited by fork. */
	unsigned container;
	struct tty *tty;          /* the session's controlling terminal, or NULL */
	int tty_old_pgrp;         /* a leader's foreground group when its terminal hung up */
	int exit_signal;          /* sent to the parent at exit: SIGCHLD, clone's, or 0 */
	bool zombie;              /* every thread exited; waits to be reaped */
	bool subreaper;           /* PR_SET_CHILD_SUBREAPER */
	int dumpable;             /* PR_SET_DUMPABLE: 0 or 1 (under mu) */
	int nice;                 /* setpriority(PRIO_PROCESS): -20..19 (under mu) */
	uint32_t personality;     /* personality(2): PER_LINUX and its flags (under mu) */
	int wait_stop_sig;        /* a stop not yet reported to wait (WUNTRACED), or 0 */
	bool wait_continued;      /* a continue not yet reported to wait (WCONTINUED) */
	struct task *exec_waiter; /* an execve waiting for the other threads to go */
	/* Notified (under k->mu) when a child changes state: wait4's waiters. */
	struct waitqueue child_wq;
	/* Notified when the process exits (becomes a zombie): pidfds' readers. */
	struct waitqueue exit_wq;
	/* The tree's reference, until reaped, and each pidfd's (atomic). */
	atomic_int refs;
	/*
	 * Interval and POSIX timers (itimer.h): NULL until first used; set
	 * and cleared under itimer.c's lock and mu.
	 */
	struct itimers *itimers;
	/*
	 * Real-time signals pending for the process, one queue per signal
	 * (oldest first; NULL: none), and how many siginfos the process has
	 * queued in all, against RLIMIT_SIGPENDING (signal.c). Protected by mu.
	 */
	struct sigqueue *pending_rt[SIGNAL_NRT];
	uint64_t sigqueue_count;
	/* Notified (LINUX_POLLIN) whenever a signal is queued: signalfd readiness. */
	struct waitqueue signal_wq;
	/*
	 * Job control (signal.c, Linux's group stop): a stop in progress or in
	 * effect (stop_sig, and how many threads have stopped), and a continue
	 * not yet told to the parent (done by the first thread to resume).
	 * Under mu. The stopped threads wait on stop_wq.
	 */
	bool stopping;
	int stop_sig;
	int nr_stopped;
	bool cont_to_notify;
	struct waitqueue stop_wq;
};

/* Why a task stopped running application code. */
enum task_exit_reason {
	TASK_RUNNING,
	TASK_EXITED, /* exit/exit_group: status in exit_status */
};

struct task {
	struct kernel *k;
	struct thread_group *tg;
	int tid;
	struct mm *mm;
	struct platform_ctx *ctx;
	struct fdtable *fdt;
	struct fs_context *fs; /* root, cwd, umask */
	struct creds creds;
	char comm[16];          /* prctl(PR_SET_NAME), /proc/PID/comm; under k->mu */
	uint64_t start_time_ns; /* since boot, for /proc/PID/stat */
	/*
	 * CPU time (host_time.c): the task's sentry thread's CPU clock (its
	 * system time; 0 until the thread runs), and the user time of the
	 * contexts an execve replaced. Under k->mu.
	 */
	clockid_t sentry_cpu_clock;
	uint64_t exec_utime_ns;
	struct list_head k_link; /* in k->tasks, protected by k->mu */

	/* Only the task's own thread touches these. */
	linux_sigset_t sigmask;
	linux_sigset_t pending; /* thread-directed pending signals */
	struct linux_siginfo pending_info[LINUX_NSIG];
	uaddr_t sas_sp; /* sigaltstack(2): the alternate signal stack */
	uint64_t sas_size;
	uint32_t sas_flags; /* SS_AUTODISARM */
	uaddr_t clear_child_tid;
	uaddr_t robust_list;
	uint64_t robust_list_len;
	bool exiting;
	int wake_fd; /* eventfd: task_wake() ends the task's task_block() */
	/*
	 * Whether the task is one end of a ping-pong: it mostly waits (moving
	 * averages of its waits in task_block and of its runs between them),
	 * and the same task, which mostly waits too, woke it the last
	 * PARTNER_WAKES times. Then it runs next to that task (the platform's
	 * ctx_hint_cpu). waker: task_wake's caller, as its tid << 32 | its
	 * CPU + 1, 0 for none (or a caller that does not mostly wait).
	 */
	_Atomic uint64_t waker;
	uint64_t wait_avg_ns, run_avg_ns, unblocked_ns;
	bool waits_mostly;
	int partner_tid;         /* the last task_wake caller's tid */
	unsigned partner_in_row; /* wake-ups in a row by partner_tid */
	int exit_code; /* exit(2)'s wait status, for the group when it is the last thread */
	struct list_head tg_link; /* in tg->threads, protected by k->mu */
	/*
	 * vfork (under k->mu): the child's parent, waiting until the child
	 * execs or exits; the parent's child while it waits (NULL once done).
	 */
	struct task *vfork_parent;
	struct task *vfork_child;
	/* Set by another thread's execve: this thread must exit (de_thread). */
	bool killed;
	int pdeath_signal;       /* prctl(PR_SET_PDEATHSIG): sent when the parent exits */
	bool no_new_privs;       /* prctl(PR_SET_NO_NEW_PRIVS) */
	uint64_t timer_slack_ns; /* prctl(PR_SET_TIMERSLACK) */

	/* Signal handling (signal.c, sigframe.c, task_run.c). */
	/* Thread-directed real-time signals (as tg->pending_rt); under tg->mu. */
	struct sigqueue *pending_rt[SIGNAL_NRT];
	/*
	 * The mask to restore once a signal has been handled (or, with no
	 * handler, before returning): rt_sigsuspend and the p* waits (Linux's
	 * saved_sigmask with TIF_RESTORE_SIGMASK). Own thread only.
	 */
	linux_sigset_t saved_sigmask;
	bool restore_sigmask;
	/*
	 * The signals rt_sigtimedwait is waiting for: they end a task_block
	 * although blocked (Linux unblocks them and keeps real_blocked).
	 * Under tg->mu.
	 */
	linux_sigset_t sigwait_set;
	/*
	 * rax holds the result of the syscall just made, so that restart codes
	 * apply to it (Linux: orig_ax != -1); cleared once decided, and by
	 * rt_sigreturn. Own thread only.
	 */
	bool in_syscall;
	/* The last fault, for the trapno, err and cr2 of a signal frame (Linux's
	 * thread.trap_nr...). */
	struct platform_fault fault;
	bool stopped; /* this thread takes part in its process's group stop; under tg->mu */
	/* What restart_syscall(2) resumes (Linux's restart_block); own thread only. */
	struct task_restart_block {
		long (*fn)(struct task *t); /* NULL: restart_syscall fails with EINTR */
		uint64_t args[4];
	} restart;
};

/* Lets the VMA tree hold VFS files (mm_files.c); kernel_new calls it. */
void kernel_init_mm_files(void);

/* Creates the kernel. Returns 0 or -errno. */
int kernel_new(const struct kernel_config *cfg, struct kernel **out);
void kernel_destroy(struct kernel *k);

/*
 * A free id in the sandbox's pid namespace (the first is 1): the next
 * one, or after PID_MAX the lowest that no task, process, process group
 * or session uses. Preconditions: k->mu held.
 */
int kernel_alloc_tid_locked(struct kernel *k);
/*
 * Lists t (tid set) in k->tasks and its thread group's threads; with
 * new_tg, lists t->tg in k->tgs and its parent's children. Preconditions:
 * k->mu held.
 */
void kernel_link_task_locked(struct kernel *k, struct task *t, bool new_tg);
/* The process with id tgid, zombies included. Preconditions: k->mu held. */
struct thread_group *kernel_find_tg_locked(struct kernel *k, int tgid);

/*
 * Logs "unsupported syscall N (name)" the first time nr is seen in the
 * sandbox.
 */
void kernel_log_unsupported(struct kernel *k, uint64_t nr);

/*
 * Blocks until the init process has exited and every other task with it;
 * returns init's wait status.
 */
int kernel_wait_init(struct kernel *k);

/*
 * Finds the task with tid. Preconditions: k->mu held (the task stays
 * valid while it is). Returns NULL when there is none.
 */
struct task *kernel_find_task_locked(struct kernel *k, int tid);

#endif /* SENTRY_KERNEL_KERNEL_H */
