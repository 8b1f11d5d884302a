/*
 * execve(2): loading a program into a new address space, and replacing a
 * running task's program with it.
 *
 * The program is loaded into a fresh mm and platform context (bound to the
 * calling thread) before anything of the task changes, so that every
 * error of the loader (ENOEXEC, ENOMEM, a bad interpreter) is an ordinary
 * error return; only then does exec_commit reach Linux's point of no
 * return (de_thread, then the switch to the new mm).
 */
#ifndef SENTRY_KERNEL_EXEC_H
#define SENTRY_KERNEL_EXEC_H

#include "sentry/kernel/task.h"
#include "sentry/loader/loader.h"

struct exec_load {
	/* In. */
	struct loader_file *exe; /* borrowed */
	const char *filename;    /* AT_EXECFN */
	char *const *argv;
	char *const *envp;
	loader_open_fn open_interp;
	void *open_arg;
	/* Out: the loaded program's address space and context, registers set. */
	struct mm *mm;
	struct platform_ctx *ctx;
	struct creds creds; /* what t's become at the commit (creds_exec) */
};

/*
 * Loads l->exe into a new address space for t (its credentials and
 * rlimits), bound to the calling thread, which must be t's. Returns 0 or
 * -errno; t is not changed.
 */
int exec_load(struct task *t, struct exec_load *l);

/*
 * execve(2) for t, a running task: opens path (relative to c, with
 * lookup: LOOKUP_FOLLOW unless AT_SYMLINK_NOFOLLOW, LOOKUP_EMPTY), follows
 * #!, loads the program, and commits. filename is AT_EXECFN. Returns 0
 * (t now runs the new program) or -errno (t is unchanged, or, if the
 * process is being killed meanwhile, exiting).
 */
long exec_task(struct task *t, const struct vfs_ctx *c, const char *path, unsigned lookup,
               char *const *argv, char *const *envp, const char *filename);

#endif /* SENTRY_KERNEL_EXEC_H */
