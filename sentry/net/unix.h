/*
 * AF_UNIX: unix domain sockets as sentry objects (Linux's net/unix/af_unix.c,
 * gVisor's pkg/sentry/socket/unix). SOCK_STREAM, SOCK_DGRAM and
 * SOCK_SEQPACKET; path names (an S_IFSOCK node in the sandbox's VFS) and
 * abstract names; SCM_RIGHTS and SCM_CREDENTIALS. See unix.c.
 */
#ifndef SENTRY_NET_UNIX_H
#define SENTRY_NET_UNIX_H

#include "sentry/net/socket.h"

/* socket(AF_UNIX, type, protocol): a new reference in *out, or -errno. */
int unix_socket_create(struct task *t, int type, int protocol, unsigned fflags,
                       struct socket **out);
/* socketpair(AF_UNIX, ...): two connected sockets. */
int unix_socket_pair(struct task *t, int type, int protocol, unsigned fflags, struct socket **out0,
                     struct socket **out1);

/* What /proc/net/unix shows of one socket. */
struct unix_sock_info {
	int refs;
	int type;
	bool listening, connected;
	bool embryo; /* a connection not yet accepted (no file of its own yet) */
	uint64_t ino;
	size_t addr_len; /* the sockaddr_un's bytes, as getsockname gives them; 0: none */
	char addr[110];
};

typedef void (*unix_visit_fn)(void *arg, const struct unix_sock_info *i);

/*
 * Calls fn for every socket not yet released, oldest first, under the
 * unix lock: fn must not block nor call into unix sockets.
 */
void unix_for_each(unix_visit_fn fn, void *arg);

#endif /* SENTRY_NET_UNIX_H */
