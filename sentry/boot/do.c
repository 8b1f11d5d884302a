/*
 * runsc do (sentry_do, boot.h): a sandbox over the host's root, read-only
 * under an in-memory overlay, with /proc, /sys and the volumes the caller
 * asked for; the sentry confined once every host file it needs is open;
 * one process, waited for. Built only on boot.h's sandbox API.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sentry/boot/boot.h"
#include "sentry/boot/confine.h"
#include "sentry/boot/sigforward.h"
#include "sentry/kernel/kernel.h"
#include "sentry/net/netmode.h"

int sentry_do(const struct sentry_do_args *args)
{
	struct sandbox_mount *mounts = calloc((size_t)args->nvolumes + 3, sizeof(*mounts));
	if (!mounts)
		return -ENOMEM;
	int n = 0;
	mounts[n++] = (struct sandbox_mount){ .kind = SANDBOX_MOUNT_PROC,
		                              .dest = "/proc",
		                              .flags = SANDBOX_MOUNT_NOSUID | SANDBOX_MOUNT_NODEV |
		                                       SANDBOX_MOUNT_NOEXEC };
	mounts[n++] = (struct sandbox_mount){ .kind = SANDBOX_MOUNT_SYSFS,
		                              .dest = "/sys",
		                              .flags = SANDBOX_MOUNT_RDONLY | SANDBOX_MOUNT_NOSUID |
		                                       SANDBOX_MOUNT_NODEV | SANDBOX_MOUNT_NOEXEC };
	for (int i = 0; i < args->nvolumes; i++) {
		const struct sentry_volume *v = &args->volumes[i];
		mounts[n++] = (struct sandbox_mount){
			.kind = SANDBOX_MOUNT_BIND,
			.source = v->host,
			.dest = v->guest,
			.flags = v->readonly ? SANDBOX_MOUNT_RDONLY : 0,
		};
	}
	struct sandbox_config cfg = {
		.platform = args->platform,
		.hostname = args->hostname,
		.release = args->release,
		.strace = args->strace,
		.root = "/",
		.root_overlay = true,
		.mounts = mounts,
		.nmounts = n,
		.links = args->links,
		.nlinks = args->nlinks,
		.routes = args->routes,
		.nroutes = args->nroutes,
	};
	struct sandbox *sb;
	int err = sandbox_new(&cfg, &sb);
	free(mounts);
	if (err < 0)
		return err;

	gid_t groups[CREDS_NGROUPS_MAX];
	int ngroups = getgroups(CREDS_NGROUPS_MAX, groups);
	mode_t umask_now = umask(022);
	umask(umask_now);
	struct sandbox_process p = {
		.argv = args->argv,
		.envp = args->envp,
		.cwd = args->cwd,
		.uid = getuid(),
		.gid = getgid(),
		.groups = groups,
		.ngroups = ngroups < 0 ? 0 : ngroups,
		.umask = umask_now,
	};
	sandbox_process_inherit_rlimits(&p);
	/* Before any sentry thread (each inherits the blocked forwarded signals) and confinement.
	 */
	err = sigforward_start(sandbox_kernel(sb), 0);
	/* The network mode before confinement: host mode widens the allowlist. */
	enum net_mode net;
	if (err == 0)
		err = net_mode_parse(args->network, &net);
	if (err == 0)
		net_mode_set(net);
	/* Every host file the sentry needs is open now: the gofer's channels, stdio. */
	if (err == 0 && args->confine)
		err = sentry_confine(sandbox_kernel(sb)->cfg.platform);
	if (err < 0) {
		sigforward_stop();
		sandbox_destroy(sb);
		return err;
	}
	for (int fd = 0; fd < 3; fd++)
		p.stdio[fd] = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	/* A terminal on stdin is the session's controlling terminal, as a login's is. */
	p.terminal = isatty(0);
	/* The caller resolved the program on the host's PATH: the same file is here. */
	p.exe = args->exe_path;
	err = sandbox_start(sb, &p, NULL);
	if (err == 0)
		err = sandbox_wait(sb);
	sigforward_stop();
	sandbox_destroy(sb);
	return err;
}
