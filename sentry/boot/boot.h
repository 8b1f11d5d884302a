/*
 * Booting a sandbox: the sentry's entry points.
 *
 * sentry_do() runs one program in a new sandbox and returns its wait
 * status; `runsc do` is a thin layer over it. The OCI `runsc boot` will
 * share everything below the argument parsing.
 */
#ifndef SENTRY_BOOT_BOOT_H
#define SENTRY_BOOT_BOOT_H

#include <stdbool.h>

#include "platform/platform.h"

struct sentry_do_args {
	const char *platform; /* "ptrace" */
	const char *exe_path; /* host path of the program (already resolved) */
	char *const *argv;
	char *const *envp;
	const char *hostname;
	const char *release;
	bool strace;
};

/*
 * Runs the program and returns its wait(2)-style status: exit code << 8,
 * or the number of the signal that killed it. Returns -errno when the
 * sandbox or the program could not start: the caller reports it; details
 * (what is wrong with the ELF file) have been logged as warnings.
 */
int sentry_do(const struct sentry_do_args *args);

#endif /* SENTRY_BOOT_BOOT_H */
