/*
 * The sandbox's network mode: runsc's --network, set once by the runner
 * (sentry_do for runsc do, cmd_boot for runsc boot) before the sentry
 * confines itself and before any task runs; read-only afterwards.
 *
 *  - NET_MODE_SANDBOX (the default): the sandbox's own inet stack
 *    (issue 7; until it lands, AF_INET and AF_INET6 fail with
 *    EAFNOSUPPORT);
 *  - NET_MODE_HOST: AF_INET and AF_INET6 sockets are host sockets the
 *    sentry opens on the application's behalf (hostinet.h), and the
 *    sentry's seccomp allowlist is widened for them (sentry/boot/confine.c);
 *  - NET_MODE_NONE: the sandbox's own stack with loopback only.
 */
#ifndef SENTRY_NET_NETMODE_H
#define SENTRY_NET_NETMODE_H

enum net_mode { NET_MODE_SANDBOX, NET_MODE_HOST, NET_MODE_NONE };

void net_mode_set(enum net_mode mode);
enum net_mode net_mode_get(void);
/* "sandbox", "host" or "none" (NULL: sandbox) into *out. Returns 0 or -EINVAL. */
int net_mode_parse(const char *name, enum net_mode *out);

#endif /* SENTRY_NET_NETMODE_H */
