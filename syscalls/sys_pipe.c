/*
 * pipe(2) and pipe2(2): the sentry's own pipes (sentry/fsimpl/pipe), two
 * files installed as a pair of fds.
 */
#include <errno.h>

#include "sentry/fsimpl/pipe/pipe.h"
#include "sentry/kernel/fdtable.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/file.h"
#include "syscalls/syscalls.h"

#define LINUX_O_NOTIFICATION_PIPE LINUX_O_EXCL

static long do_pipe2(struct task *t, uaddr_t ufds, uint64_t flags)
{
	if (flags & ~(uint64_t)(LINUX_O_CLOEXEC | LINUX_O_NONBLOCK | LINUX_O_DIRECT |
	                        LINUX_O_NOTIFICATION_PIPE))
		return -EINVAL;
	if (flags & LINUX_O_NOTIFICATION_PIPE)
		return -ENOPKG; /* Linux without CONFIG_WATCH_QUEUE */
	struct file *files[2];
	int err = pipe_new(&t->creds, (unsigned)flags, &files[0], &files[1]);
	if (err < 0)
		return err;
	int fds[2] = { -1, -1 };
	bool cloexec = flags & LINUX_O_CLOEXEC;
	int limit = task_nofile_limit(t);
	for (int i = 0; i < 2 && err == 0; i++) {
		fds[i] = fdtable_install(t->fdt, files[i], 0, cloexec, limit);
		if (fds[i] < 0)
			err = fds[i];
	}
	if (err == 0)
		err = mm_copy_out(t->mm, ufds, fds, sizeof(fds));
	if (err < 0) {
		/* Nothing may stay behind: the fds were never the application's to see. */
		for (int i = 0; i < 2; i++) {
			if (fds[i] >= 0)
				fdtable_close(t->fdt, fds[i]);
		}
	}
	for (int i = 0; i < 2; i++)
		file_put(files[i]);
	return err;
}

/* sys_pipe implements pipe(2). */
long sys_pipe(struct task *t, const struct sys_args *a)
{
	return do_pipe2(t, a->a[0], 0);
}

/* sys_pipe2 implements pipe2(2). */
long sys_pipe2(struct task *t, const struct sys_args *a)
{
	return do_pipe2(t, a->a[0], a->a[1]);
}
