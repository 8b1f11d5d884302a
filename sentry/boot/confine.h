/*
 * The sentry's confinement (docs/architecture.md section 2).
 *
 * The sandbox process (pid 1 of its own PID, mount, IPC and UTS
 * namespaces: common/host_confine.h's confine_spawn) builds its mounts and
 * starts the gofer, then calls sentry_confine() before any application
 * code runs. From then on:
 *   - its root is an empty read-only tmpfs (pivot_root; the old root
 *     detached): it reaches host files only through the fds it holds (the
 *     gofer's channels and donated files, stdio, memfds);
 *   - it has no capability at all, in any set or the bounding set (the
 *     ptrace platform needs none: the stubs are its own children, with its
 *     uid and no capabilities either);
 *   - no_new_privs;
 *   - a seccomp allowlist of its host syscalls (g_sentry_rules, in
 *     confine.c, each with the reason), for every thread; any other call
 *     kills the whole sandbox. The application's own calls never reach it
 *     (PTRACE_SYSEMU stops them before seccomp runs), but the stubs inherit
 *     it under their own filter, so the calls the sentry injects into a
 *     stub pass through both. A platform whose stubs must not inherit it
 *     (systrap: the application's calls trap there, under the stubs' own
 *     filter) forks their ancestor in its prepare_confined, which runs
 *     after the root and the capabilities are dropped, just before the
 *     filter is installed.
 */
#ifndef SENTRY_BOOT_CONFINE_H
#define SENTRY_BOOT_CONFINE_H

#include <stddef.h>

#include "common/host_confine.h"
#include "platform/platform.h"
#include "sentry/net/netmode.h"

/*
 * Confines the calling sentry process, which runs on platform, as above. Preconditions: in a mount
 * namespace of its own with private mounts; every host file it will need
 * is already open; the gofer has opened its mounts. Returns 0 or -errno
 * (logged).
 */
int sentry_confine(const struct platform_ops *platform);

/* The sentry's allowlist. */
extern const struct confine_rule g_sentry_rules[];
extern const size_t g_sentry_rules_count;
/* What --network=host adds to it (netmode.h: NET_MODE_HOST). */
extern const struct confine_rule g_sentry_hostnet_rules[];
extern const size_t g_sentry_hostnet_rules_count;

/*
 * The allowlist sentry_confine installs in network mode net: g_sentry_rules,
 * and g_sentry_hostnet_rules in host mode. Returns an array to free, with
 * *count entries, or NULL when out of memory.
 */
struct confine_rule *sentry_confine_rules(enum net_mode net, size_t *count);

#endif /* SENTRY_BOOT_CONFINE_H */
