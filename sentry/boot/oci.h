/*
 * From an OCI bundle to a sandbox: what of config.json the sandbox
 * implements, and how (docs/architecture.md section 12).
 *
 * Mounts: "bind" (or the bind/rbind options) of a host file or directory
 * goes through the gofer; tmpfs, proc and sysfs are the sentry's own file
 * systems; a tmpfs on /dev is the sentry's /dev with its device nodes.
 * devpts, mqueue, cgroup and cgroup2 mounts have no sentry file system yet
 * and are skipped with a warning (the sentry's /dev has its own ptmx and
 * pts directory). Any other type is an error naming the mount. The
 * sentry's /proc/sys is read-only, so linux.sysctl is not applied either
 * (a warning for each).
 *
 * The process: args (argv[0] looked up in the process's PATH inside the
 * container), env, cwd, user (uid, gid, additionalGids, umask), the
 * capability sets, rlimits (the others as the runtime has them), and
 * noNewPrivileges, as runc applies them before its execve.
 */
#ifndef SENTRY_BOOT_OCI_H
#define SENTRY_BOOT_OCI_H

#include <stddef.h>

#include "common/oci/spec.h"
#include "sentry/boot/boot.h"

/* A sandbox_config and the storage it points into. */
struct oci_sandbox {
	struct sandbox_config cfg;
	struct sandbox_mount *mounts;
	char **sources; /* canonical bind sources, owned */
	size_t nsources;
	char hostname[256];
};

/*
 * Builds the sandbox's configuration from spec (which must outlive out).
 * Returns 0, or -errno with a message naming the config.json field.
 */
int oci_sandbox_config(const struct oci_spec *spec, const char *platform, bool strace,
                       struct oci_sandbox *out, char *err, size_t errlen);

/*
 * The same for a further container of a pod, inside the confined sentry:
 * its bind sources must already be canonical host paths (the runtime
 * rewrote them), and nothing is asked of the host; the platform,
 * hostname and the like are the sandbox's and not taken from spec.
 */
int oci_container_config(const struct oci_spec *spec, struct oci_sandbox *out, char *err,
                         size_t errlen);
void oci_sandbox_release(struct oci_sandbox *s);

/*
 * Fills p from an OCI process (which must outlive p), with p->stdio all
 * -1 and p->terminal false for the caller to set. Returns 0 or -errno
 * with a message.
 */
int oci_sandbox_process(const struct oci_process *op, struct sandbox_process *p, char *err,
                        size_t errlen);

#endif /* SENTRY_BOOT_OCI_H */
