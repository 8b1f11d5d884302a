/*
 * The gofer's confinement (docs/architecture.md section 2).
 *
 * `runsc gofer` calls gofer_confine() once it holds an fd for each of its
 * mounts and before it serves a request. From then on:
 *   - it is in a mount namespace of its own whose root is an empty
 *     read-only tmpfs with a read-only proc at /proc (only its pid
 *     directories, where the kernel can): it reaches host files only
 *     through the mount fds it holds, as the protocol already demands,
 *     and /proc/self/fd for reopening them; its proc fd is reopened in that
 *     proc, so not even it leads to the host's /proc;
 *   - it keeps only the capabilities that serve the files of other users
 *     as root would: CAP_CHOWN (a new file's owner, chown), CAP_DAC_OVERRIDE
 *     and CAP_DAC_READ_SEARCH (the sentry checks permissions itself; the
 *     gofer opens what it asks), CAP_FOWNER (chmod, utimes, xattrs of files
 *     it does not own) and CAP_FSETID (chmod keeps set-group-ID bits, chown
 *     keeps what Linux's would). Not CAP_MKNOD: the gofer never creates a
 *     device node;
 *   - no_new_privs;
 *   - a seccomp allowlist of its host syscalls (g_gofer_rules, in
 *     confine.c, each with the reason), for every thread.
 */
#ifndef GOFER_CONFINE_H
#define GOFER_CONFINE_H

#include <stddef.h>

#include "common/host_confine.h"
#include "gofer/server.h"

/* Confines the calling gofer process as above. Returns 0 or -errno (logged). */
int gofer_confine(struct gofer_server *s);

/* The capabilities the gofer keeps. */
extern const uint64_t g_gofer_caps;

/* The gofer's allowlist. */
extern const struct confine_rule g_gofer_rules[];
extern const size_t g_gofer_rules_count;

#endif /* GOFER_CONFINE_H */
