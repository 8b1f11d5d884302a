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
#include "common/util.h"
#include "platform/platform.h"

struct fdtable;
struct mm;
struct task;

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

	pthread_mutex_t mu;
	/* Protected by mu. */
	int next_tid;
	int ntasks;
	bool init_exited;
	int init_status;     /* wait(2) status of the init process */
	pthread_cond_t cond; /* signalled when a task exits */

	/* One bit per syscall number: "unsupported" already logged. */
	_Atomic uint64_t unsupported_logged[(LINUX_SYSCALL_MAX + 63) / 64];
};

/* Credentials as the sandbox sees them (setuid(2) and friends come later). */
struct creds {
	uint32_t ruid, euid, suid, fsuid;
	uint32_t rgid, egid, sgid, fsgid;
	int ngroups;
	uint32_t groups[32];
};

/* Signal dispositions and process-wide state shared by the threads of a process. */
struct thread_group {
	struct kernel *k;
	int tgid;
	pthread_mutex_t mu;
	/* Protected by mu. */
	struct linux_rlimit rlimits[LINUX_RLIM_NLIMITS];
	struct linux_sigaction actions[LINUX_NSIG];
	linux_sigset_t pending; /* process-directed pending signals */
	struct linux_siginfo pending_info[LINUX_NSIG];
	bool unkillable; /* a pid-namespace init: Linux's SIGNAL_UNKILLABLE */
	bool exiting;    /* exit_group or a fatal signal started */
	int exit_status; /* wait(2) status once exiting */
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
	struct creds creds;
	char *cwd; /* absolute path, owned */

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
};

/* Creates the kernel. Returns 0 or -errno. */
int kernel_new(const struct kernel_config *cfg, struct kernel **out);
void kernel_destroy(struct kernel *k);

/* Allocates a thread id in the sandbox's pid namespace (the first is 1). */
int kernel_alloc_tid(struct kernel *k);
/* Gives back a thread id when its task is freed. */
void kernel_release_tid(struct kernel *k, int tid);

/*
 * Logs "unsupported syscall N (name)" the first time nr is seen in the
 * sandbox.
 */
void kernel_log_unsupported(struct kernel *k, uint64_t nr);

/* Blocks until the init process has exited; returns its wait status. */
int kernel_wait_init(struct kernel *k);

/* Called by a task's thread when thread group tgid has fully exited. */
void kernel_task_exited(struct kernel *k, int tgid, int wait_status);

#endif /* SENTRY_KERNEL_KERNEL_H */
