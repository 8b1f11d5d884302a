/*
 * The interface ioctls every socket answers (Linux's sock_do_ioctl ->
 * dev_ioctl and dev_ifconf, and for AF_INET sockets devinet_ioctl), from
 * the interface table (iface.h). See iface_ioctl.c.
 */
#ifndef SENTRY_NET_IFACE_IOCTL_H
#define SENTRY_NET_IFACE_IOCTL_H

#include <stdint.h>

struct task;

/*
 * ioctl(fd, cmd, arg) on a socket of family: the result, or
 * -LINUX_ENOIOCTLCMD when cmd is not an interface ioctl (the family's
 * ioctl then answers it).
 */
long iface_ioctl(struct task *t, int family, unsigned cmd, uint64_t arg);

#endif /* SENTRY_NET_IFACE_IOCTL_H */
