/*
 * Booting a sandbox: see boot.h.
 *
 * Until the OCI runtime lands, the sandbox runs inside the calling
 * process: the platform is prepared, the program file opened on the host
 * (the VFS will do that through the gofer), the caller's stdio wrapped as
 * host files, and the init task started on its own sentry thread.
 */
#include "sentry/boot/boot.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common/log.h"
#include "sentry/fsimpl/host/host.h"
#include "sentry/kernel/fdtable.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/file.h"

static int open_interp(void *arg, const char *path, struct loader_file **out)
{
	return host_loader_file_open(path, out);
}

/* Gives the sandbox its own copies of the caller's fds 0-2. */
static int import_stdio(struct fdtable **out)
{
	struct fdtable *fdt = fdtable_new();
	if (!fdt)
		return -ENOMEM;
	for (int fd = 0; fd < 3; fd++) {
		int copy = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		if (copy < 0)
			continue; /* not open in the caller: not open in the sandbox */
		struct file *f;
		int err = host_file_new(copy, &f);
		if (err < 0) {
			close(copy);
			fdtable_put(fdt);
			return err;
		}
		err = fdtable_install_at(fdt, fd, f, false, 3);
		file_put(f);
		if (err < 0) {
			fdtable_put(fdt);
			return err;
		}
	}
	*out = fdt;
	return 0;
}

static void initial_rlimits(struct linux_rlimit *out)
{
	for (int r = 0; r < LINUX_RLIM_NLIMITS; r++) {
		struct rlimit rl;
		if (getrlimit((__rlimit_resource_t)r, &rl) == 0)
			out[r] = (struct linux_rlimit){ rl.rlim_cur, rl.rlim_max };
		else
			out[r] = (struct linux_rlimit){ LINUX_RLIM_INFINITY, LINUX_RLIM_INFINITY };
	}
}

static void caller_creds(struct creds *c)
{
	c->ruid = c->euid = c->suid = c->fsuid = getuid();
	c->rgid = c->egid = c->sgid = c->fsgid = getgid();
	gid_t groups[32];
	int n = getgroups(32, groups);
	c->ngroups = n < 0 ? 0 : n;
	for (int i = 0; i < c->ngroups; i++)
		c->groups[i] = groups[i];
}

int sentry_do(const struct sentry_do_args *args)
{
	const struct platform_ops *platform = platform_lookup(args->platform);
	if (!platform) {
		log_error("unknown platform \"%s\"", args->platform);
		return -EINVAL;
	}
	int err = platform->init();
	if (err < 0) {
		log_error("platform %s: %s", platform->name, strerror(-err));
		return err;
	}
	/* A write to a closed pipe is the application's EPIPE, not the sentry's death. */
	signal(SIGPIPE, SIG_IGN);

	struct kernel_config cfg = {
		.platform = platform,
		.hostname = args->hostname,
		.release = args->release,
		.version = "#1 SMP PREEMPT_DYNAMIC runsc",
		.strace = args->strace,
	};
	struct kernel *k;
	err = kernel_new(&cfg, &k);
	if (err < 0)
		return err;

	struct task_init_args init = {
		.filename = args->exe_path,
		.argv = args->argv,
		.envp = args->envp,
		.open_interp = open_interp,
	};
	char cwd[4096];
	init.cwd = getcwd(cwd, sizeof(cwd)) ? cwd : "/";
	caller_creds(&init.creds);
	initial_rlimits(init.rlimits);
	err = host_loader_file_open(args->exe_path, &init.exe);
	if (err < 0)
		goto out_kernel;
	err = import_stdio(&init.fdt);
	if (err < 0) {
		init.exe->ops->close(init.exe);
		goto out_kernel;
	}
	/* On failure the loader has logged why; the caller reports the errno. */
	err = task_start_init(k, &init);
	if (err < 0)
		goto out_kernel;
	err = kernel_wait_init(k);
out_kernel:
	kernel_destroy(k);
	return err;
}
