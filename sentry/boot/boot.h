/*
 * Booting a sandbox: the sentry's entry points.
 *
 * sentry_do() runs one program in a new sandbox and returns its wait
 * status; `runsc do` is a thin layer over it. The OCI `runsc boot` will
 * share everything below the argument parsing.
 *
 * The sandbox's file system: a `runsc gofer` child serves the host's
 * root read-only (mount index 0) and each volume (index 1, 2, ...); the
 * root is an overlay of the gofer's root under a tmpfs, so writes stay in
 * the sandbox; /proc, /sys, /dev (a tmpfs with the device nodes) and
 * /dev/shm are the sentry's own; volumes are gofer mounts at their guest
 * paths. From then on the sentry opens no host file of the container:
 * the program itself is read through the VFS.
 */
#ifndef SENTRY_BOOT_BOOT_H
#define SENTRY_BOOT_BOOT_H

#include <stdbool.h>

#include "platform/platform.h"

/* A host directory bind-mounted into the sandbox through the gofer (--volume). */
struct sentry_volume {
	const char *host;  /* absolute host path */
	const char *guest; /* absolute path in the sandbox */
	bool readonly;
};

struct sentry_do_args {
	const char *platform; /* "ptrace" */
	const char *exe_path; /* path of the program in the sandbox (already resolved) */
	const char *cwd;      /* the working directory in the sandbox */
	const struct sentry_volume *volumes;
	int nvolumes;
	char *const *argv;
	char *const *envp;
	const char *hostname;
	const char *release;
	bool strace;
	bool confine; /* confine the sentry (confine.h) before the program starts */
};

/*
 * Runs the program and returns its wait(2)-style status: exit code << 8,
 * or the number of the signal that killed it. Returns -errno when the
 * sandbox or the program could not start: the caller reports it; details
 * (what is wrong with the ELF file) have been logged as warnings.
 */
int sentry_do(const struct sentry_do_args *args);

#endif /* SENTRY_BOOT_BOOT_H */
