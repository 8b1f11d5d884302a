/*
 * AF_UNIX sockets (Linux's net/unix/af_unix.c, whose behaviour this
 * follows call by call; gVisor's pkg/sentry/socket/unix).
 *
 * Objects. A struct unix_sock is a socket (struct socket, with its file)
 * plus its own reference count: the file keeps it open, and peers, queued
 * messages and pending wake-ups keep the memory alive after the file is
 * released (as Linux's struct sock outlives its struct socket).
 *
 * Data. Every send makes a struct unix_msg (Linux's skb) on the
 * receiver's queue, charged to the sender's send buffer (its "wmem":
 * the bytes plus UNIX_MSG_OVERHEAD, about Linux's truesize of a small
 * skb, so that the counts of messages that fit match Linux's); the charge
 * is given back when the receiver consumes the message. A stream send is
 * split into messages of at most half the send buffer and blocks while
 * wmem >= SO_SNDBUF; a datagram blocks on its own wmem and on the
 * receiver's queue (more than net.unix.max_dgram_qlen = 10 messages from
 * a socket that is not its peer). A listening socket's queue holds
 * embryos: the server ends of connections not yet accepted, at most
 * backlog + 1 of them. SCM_RIGHTS fds travel as file references in the
 * message and are released with it (never leaked: a purged queue drops
 * them); SCM_CREDENTIALS as a struct linux_ucred.
 *
 * Names. A path name is an S_IFSOCK node made with the VFS's mknod; the
 * node's inode points at its socket (inode->bound_socket) for as long as
 * the socket is open, and the socket holds the node's path. Abstract
 * names live in one sandbox-wide list, keyed by name and type as Linux
 * hashes them. Autobind gives "\0" and five hex digits.
 *
 * Locking. One lock, g_unix_mu, protects every unix socket's state, the
 * queues, the abstract names and the inodes' bound_socket. It is never
 * held across a wait queue operation (waitqueue_add/notify) nor a
 * file_put: notifications and frees are collected in a struct unix_defer
 * and done after the unlock, so that an epoll callback (which takes its
 * instance's lock) or a socket's release never runs under it. Guest
 * memory is copied under it (mm.mu is taken inside: g_unix_mu > mm.mu),
 * and fds are installed under it (fdtable.mu is a leaf).
 *
 * Blocking calls wait on their own socket's wait queue and, when they
 * wait for room in another socket's queue (connect to a full listener, a
 * datagram to a full receiver), on that socket's peer_wait, as Linux's
 * unix_wait_for_peer. A signal ends the wait (ERESTARTSYS, or EINTR with a
 * timeout); SO_RCVTIMEO/SO_SNDTIMEO give EAGAIN at their deadline.
 *
 * Not done: MSG_OOB (EOPNOTSUPP), SO_PEEK_OFF, the garbage collection of
 * in-flight sockets that reference each other (a socket sent over itself
 * and closed stays allocated, as it would without Linux's unix_gc), and
 * the peer-wake relay of unix_dgram_poll (a poller waiting for room in a
 * full datagram receiver is woken when a message of its own is consumed).
 */
#include "sentry/net/unix.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/list.h"
#include "common/log.h"
#include "common/util.h"
#include "sentry/kernel/fdtable.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/vfs.h"

#define UNIX_PATH_MAX       108
#define UNIX_ADDR_MAX       (2 + UNIX_PATH_MAX) /* sizeof(struct sockaddr_un) */
#define UNIX_MSG_OVERHEAD   768                 /* Linux's truesize of a small skb */
#define UNIX_MAX_DGRAM_QLEN 10                  /* net.unix.max_dgram_qlen */

#define RCV_SHUTDOWN  1
#define SEND_SHUTDOWN 2
#define SHUTDOWN_MASK 3

#define POLL_OUT_EVENTS (LINUX_POLLOUT | LINUX_POLLWRNORM | LINUX_POLLWRBAND)
#define POLL_IN_EVENTS  (LINUX_POLLIN | LINUX_POLLRDNORM)

enum unix_state { UNIX_CLOSE, UNIX_LISTEN, UNIX_ESTABLISHED };

/* A socket address: the sockaddr_un bytes as getsockname returns them. */
struct unix_addr {
	size_t len; /* 0: none */
	char bytes[UNIX_ADDR_MAX];
};

struct unix_msg {
	struct list_head link;    /* in the receiver's queue */
	struct unix_sock *sender; /* a reference; charged with `charge` bytes; may be NULL */
	size_t charge;
	struct unix_sock *embryo; /* a listener's pending connection (its file's reference) */
	size_t len, off;          /* the data, and what a stream reader consumed of it */
	struct unix_addr from;    /* the sender's address when it sent */
	bool has_creds;
	struct linux_ucred creds;
	int nfds;
	struct file **fds; /* SCM_RIGHTS: references */
	char data[];
};

struct unix_sock {
	struct socket sock; /* first */
	atomic_int refs;
	struct waitqueue peer_wait; /* tasks waiting for room in this socket's queue */
	/* Protected by g_unix_mu. */
	enum unix_state state;
	bool released; /* the file is gone (Linux's SOCK_DEAD) */
	bool embryo;   /* a connection in a listener's queue, not yet accepted */
	unsigned shutdown;
	int err;                /* SO_ERROR */
	struct unix_sock *peer; /* a reference */
	struct unix_addr addr;
	bool owns_name;                 /* addr is bound here (not inherited from a listener) */
	struct path bound;              /* the path node, when bound to a path (references) */
	struct list_head abstract_link; /* in g_unix_abstract, when bound to an abstract name */
	struct list_head rq;            /* received messages, or embryos when listening */
	size_t rq_count;
	int backlog;
	size_t wmem; /* bytes charged by this socket's messages in flight */
	bool has_peercred;
	struct linux_ucred peercred;
	struct list_head all_link; /* in g_unix_all until released */
};

static pthread_mutex_t g_unix_mu = PTHREAD_MUTEX_INITIALIZER;
static struct list_head g_unix_abstract = { &g_unix_abstract, &g_unix_abstract };
/* Every socket not yet released, oldest first (/proc/net/unix). */
static struct list_head g_unix_all = { &g_unix_all, &g_unix_all };
static unsigned g_unix_autobind_next;

static const struct socket_ops g_unix_ops;

static struct unix_sock *unix_of(struct socket *s)
{
	return (struct unix_sock *)(void *)s;
}

static struct unix_sock *unix_get(struct unix_sock *u)
{
	int old = atomic_fetch_add(&u->refs, 1);
	BUG_ON(old <= 0);
	return u;
}

static void unix_put(struct unix_sock *u)
{
	int old = atomic_fetch_sub(&u->refs, 1);
	BUG_ON(old <= 0);
	if (old != 1)
		return;
	waitqueue_destroy(&u->peer_wait);
	socket_destroy(&u->sock);
	free(u);
}

/* ---- Work deferred past the unlock ---- */

struct unix_wake {
	struct unix_sock *u; /* a reference */
	uint32_t events;
	bool peer_wait;
};

struct unix_defer {
	struct unix_wake *wake; /* inline_wake, or a bigger array (a purge of many senders) */
	int nwake, cap;
	struct unix_wake inline_wake[8];
	struct list_head msgs;     /* messages to free */
	struct unix_sock *puts[4]; /* references to drop */
	int nputs;
	struct path paths[2]; /* path references to drop */
	int npaths;
};

static void defer_init(struct unix_defer *d)
{
	d->wake = d->inline_wake;
	d->cap = (int)ARRAY_SIZE(d->inline_wake);
	d->nwake = 0;
	d->nputs = 0;
	d->npaths = 0;
	list_init(&d->msgs);
}

/* Notifies u's wait queue with events (and its peer_wait when asked) after the unlock. */
static void defer_wake(struct unix_defer *d, struct unix_sock *u, uint32_t events, bool peer_wait)
{
	for (int i = 0; i < d->nwake; i++) {
		if (d->wake[i].u == u) {
			d->wake[i].events |= events;
			d->wake[i].peer_wait |= peer_wait;
			return;
		}
	}
	if (d->nwake == d->cap) {
		struct unix_wake *w = malloc(2 * (size_t)d->cap * sizeof(*w));
		if (!w)
			log_fatal("out of memory for socket wake-ups");
		memcpy(w, d->wake, (size_t)d->nwake * sizeof(*w));
		if (d->wake != d->inline_wake)
			free(d->wake);
		d->wake = w;
		d->cap *= 2;
	}
	d->wake[d->nwake].u = unix_get(u);
	d->wake[d->nwake].events = events;
	d->wake[d->nwake].peer_wait = peer_wait;
	d->nwake++;
}

static void defer_put(struct unix_defer *d, struct unix_sock *u)
{
	BUG_ON(d->nputs == (int)ARRAY_SIZE(d->puts));
	d->puts[d->nputs++] = u;
}

static void msg_free(struct unix_msg *m)
{
	for (int i = 0; i < m->nfds; i++)
		file_put(m->fds[i]);
	free(m->fds);
	if (m->embryo)
		file_put(&m->embryo->sock.file);
	if (m->sender)
		unix_put(m->sender);
	free(m);
}

/* Unlocks g_unix_mu, then notifies and frees what d collected. */
static void unix_unlock(struct unix_defer *d)
{
	pthread_mutex_unlock(&g_unix_mu);
	for (int i = 0; i < d->nwake; i++) {
		struct unix_sock *u = d->wake[i].u;
		if (d->wake[i].events)
			waitqueue_notify(&u->sock.wq, d->wake[i].events);
		if (d->wake[i].peer_wait)
			waitqueue_notify(&u->peer_wait, WAIT_EVENTS_ALL);
	}
	struct unix_msg *m, *tmp;
	list_for_each_entry_safe (m, tmp, &d->msgs, link) {
		list_del(&m->link);
		msg_free(m);
	}
	for (int i = 0; i < d->nwake; i++)
		unix_put(d->wake[i].u);
	if (d->wake != d->inline_wake)
		free(d->wake);
	for (int i = 0; i < d->nputs; i++)
		unix_put(d->puts[i]);
	for (int i = 0; i < d->npaths; i++)
		path_put(&d->paths[i]);
	defer_init(d);
}

/* ---- Send buffers and queues (under g_unix_mu) ---- */

static int sndbuf_of(struct unix_sock *u)
{
	return atomic_load(&u->sock.sndbuf);
}

/* Linux's unix_writable: a quarter of the send buffer is free. */
static bool unix_writable(struct unix_sock *u)
{
	return u->state != UNIX_LISTEN && u->wmem * 4 <= (size_t)sndbuf_of(u);
}

/* Linux's unix_recvq_full. */
static bool recvq_full(struct unix_sock *u)
{
	return u->rq_count > (size_t)u->backlog;
}

static void enqueue(struct unix_sock *to, struct unix_msg *m, struct unix_defer *d)
{
	list_add_tail(&m->link, &to->rq);
	to->rq_count++;
	defer_wake(d, to, POLL_IN_EVENTS, false);
}

/* Takes m off u's queue, gives the sender its buffer back, and frees m after the unlock. */
static void dequeue(struct unix_sock *u, struct unix_msg *m, struct unix_defer *d)
{
	list_del(&m->link);
	u->rq_count--;
	if (m->sender) {
		struct unix_sock *s = m->sender;
		s->wmem -= m->charge;
		m->charge = 0;
		if (unix_writable(s))
			defer_wake(d, s, POLL_OUT_EVENTS, false);
	}
	defer_wake(d, u, 0, /*peer_wait=*/true);
	list_add_tail(&m->link, &d->msgs);
}

static void purge_queue(struct unix_sock *u, struct unix_defer *d)
{
	while (!list_empty(&u->rq))
		dequeue(u, list_first_entry(&u->rq, struct unix_msg, link), d);
}

/* ---- Credentials ---- */

static struct linux_ucred creds_of(struct task *t, bool effective)
{
	return (struct linux_ucred){
		.pid = t->tg->tgid,
		.uid = effective ? t->creds.euid : t->creds.ruid,
		.gid = effective ? t->creds.egid : t->creds.rgid,
	};
}

/* ---- Creation and release ---- */

static struct unix_sock *unix_alloc(struct task *t, int type, unsigned fflags)
{
	struct unix_sock *u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	socket_init(&u->sock, &g_unix_ops, LINUX_AF_UNIX, type, 0, fflags, t ? &t->creds : NULL);
	atomic_init(&u->refs, 1); /* the file's */
	waitqueue_init(&u->peer_wait);
	u->state = UNIX_CLOSE;
	list_init(&u->rq);
	list_init(&u->abstract_link);
	/* A datagram receiver's queue limit; listen() sets a listener's. */
	u->backlog = UNIX_MAX_DGRAM_QLEN;
	pthread_mutex_lock(&g_unix_mu);
	list_add_tail(&u->all_link, &g_unix_all);
	pthread_mutex_unlock(&g_unix_mu);
	return u;
}

static int check_type(int type, int protocol)
{
	if (protocol != 0 && protocol != LINUX_AF_UNIX)
		return -EPROTONOSUPPORT;
	switch (type) {
	case LINUX_SOCK_STREAM:
	case LINUX_SOCK_DGRAM:
	case LINUX_SOCK_SEQPACKET:
		return 0;
	case LINUX_SOCK_RAW: /* Linux: a raw unix socket is a datagram one */
		return 0;
	default:
		return -ESOCKTNOSUPPORT;
	}
}

int unix_socket_create(struct task *t, int type, int protocol, unsigned fflags, struct socket **out)
{
	int err = check_type(type, protocol);
	if (err < 0)
		return err;
	if (type == LINUX_SOCK_RAW)
		type = LINUX_SOCK_DGRAM;
	struct unix_sock *u = unix_alloc(t, type, fflags);
	if (!u)
		return -ENOMEM;
	*out = &u->sock;
	return 0;
}

int unix_socket_pair(struct task *t, int type, int protocol, unsigned fflags, struct socket **out0,
                     struct socket **out1)
{
	int err = check_type(type, protocol);
	if (err < 0)
		return err;
	if (type == LINUX_SOCK_RAW)
		type = LINUX_SOCK_DGRAM;
	struct unix_sock *a = unix_alloc(t, type, fflags);
	struct unix_sock *b = unix_alloc(t, type, fflags);
	if (!a || !b) {
		if (a)
			file_put(&a->sock.file);
		if (b)
			file_put(&b->sock.file);
		return -ENOMEM;
	}
	pthread_mutex_lock(&g_unix_mu);
	a->peer = unix_get(b);
	b->peer = unix_get(a);
	a->state = b->state = UNIX_ESTABLISHED;
	a->has_peercred = b->has_peercred = true;
	a->peercred = b->peercred = creds_of(t, true);
	pthread_mutex_unlock(&g_unix_mu);
	*out0 = &a->sock;
	*out1 = &b->sock;
	return 0;
}

/* Gives up u's name. Preconditions: g_unix_mu held. */
static void unbind_locked(struct unix_sock *u, struct unix_defer *d)
{
	if (!u->owns_name)
		return;
	u->owns_name = false;
	if (u->bound.d) {
		struct inode *inode = u->bound.d->inode;
		if (inode && inode->bound_socket == u)
			inode->bound_socket = NULL;
		d->paths[d->npaths++] = u->bound;
		u->bound = (struct path){ NULL, NULL };
	} else {
		list_del(&u->abstract_link);
	}
}

/* Linux's unix_release_sock. */
static void unix_release(struct socket *s)
{
	struct unix_sock *u = unix_of(s);
	struct unix_defer d;
	defer_init(&d);
	pthread_mutex_lock(&g_unix_mu);
	bool embryo = u->embryo;
	list_del(&u->all_link);
	u->released = true;
	u->shutdown = SHUTDOWN_MASK;
	u->state = UNIX_CLOSE;
	struct unix_sock *peer = u->peer;
	u->peer = NULL;
	unbind_locked(u, &d);
	defer_wake(&d, u, WAIT_EVENTS_ALL, true);
	if (peer) {
		if (s->type != LINUX_SOCK_DGRAM) {
			peer->shutdown = SHUTDOWN_MASK;
			if (!list_empty(&u->rq) || embryo)
				peer->err = ECONNRESET;
			defer_wake(&d, peer, WAIT_EVENTS_ALL, false);
		}
		defer_put(&d, peer);
	}
	/* Embryos in a listener's queue are released with their messages (msg_free). */
	purge_queue(u, &d);
	unix_unlock(&d);
	unix_put(u);
}

/* ---- Addresses ---- */

/*
 * Checks a sockaddr_un for connect and send (Linux's unix_validate_addr):
 * longer than the family, at most sizeof(sockaddr_un), AF_UNIX.
 */
static int validate_addr(const void *addr, size_t len)
{
	if (len <= 2 || len > UNIX_ADDR_MAX)
		return -EINVAL;
	uint16_t family;
	memcpy(&family, addr, sizeof(family));
	return family == LINUX_AF_UNIX ? 0 : -EINVAL;
}

static bool is_abstract(const void *addr)
{
	return ((const char *)addr)[2] == 0;
}

/* The path of a path address, NUL-terminated within its length (as unix_mkname_bsd). */
static void addr_path(const void *addr, size_t len, char *out)
{
	size_t n = len - 2;
	memcpy(out, (const char *)addr + 2, n);
	out[n] = 0;
}

static struct unix_sock *find_abstract_locked(const void *addr, size_t len, int type)
{
	struct unix_sock *u;
	list_for_each_entry (u, &g_unix_abstract, abstract_link) {
		if (u->sock.type == type && u->addr.len == len &&
		    memcmp(u->addr.bytes, addr, len) == 0)
			return u;
	}
	return NULL;
}

/* A vfs_ctx for t's root, cwd and umask; release with ctx_put. */
static void ctx_get(struct task *t, struct vfs_ctx *c)
{
	struct path root, cwd;
	fs_context_paths(t->fs, &root, &cwd);
	pthread_mutex_lock(&t->fs->mu);
	uint32_t umask = t->fs->umask;
	pthread_mutex_unlock(&t->fs->mu);
	*c = (struct vfs_ctx){ .creds = &t->creds, .root = root, .start = cwd, .umask = umask };
}

static void ctx_put(struct vfs_ctx *c)
{
	path_put(&c->root);
	path_put(&c->start);
}

/* Linux's unix_autobind. Preconditions: g_unix_mu held. */
static int autobind_locked(struct unix_sock *u)
{
	if (u->addr.len)
		return 0;
	if (g_unix_autobind_next == 0)
		g_unix_autobind_next = (unsigned)random() & 0xfffff;
	for (unsigned tries = 0; tries <= 0xfffff; tries++) {
		char bytes[UNIX_ADDR_MAX] = { 0 };
		uint16_t family = LINUX_AF_UNIX;
		memcpy(bytes, &family, 2);
		char name[8];
		snprintf(name, sizeof(name), "%05x", g_unix_autobind_next & 0xfffff);
		g_unix_autobind_next++;
		memcpy(bytes + 3, name, 5);
		if (find_abstract_locked(bytes, 8, u->sock.type))
			continue;
		u->addr.len = 8;
		memcpy(u->addr.bytes, bytes, 8);
		u->owns_name = true;
		list_add(&u->abstract_link, &g_unix_abstract);
		return 0;
	}
	return -ENOSPC;
}

static int bind_path(struct task *t, struct unix_sock *u, const void *addr, size_t len)
{
	char path[UNIX_PATH_MAX + 1];
	addr_path(addr, len, path);
	struct vfs_ctx c;
	ctx_get(t, &c);
	struct path node;
	uint32_t mode = LINUX_S_IFSOCK | (0777 & ~c.umask);
	int err = vfs_mknod_path(&c, path, mode, &node);
	if (err == -EEXIST)
		err = -EADDRINUSE;
	if (err < 0) {
		ctx_put(&c);
		return err;
	}
	struct unix_defer d;
	defer_init(&d);
	pthread_mutex_lock(&g_unix_mu);
	if (u->addr.len) {
		err = -EINVAL;
	} else {
		u->addr.len = 2 + strlen(path) + 1;
		memset(u->addr.bytes, 0, sizeof(u->addr.bytes));
		memcpy(u->addr.bytes, addr, 2);
		memcpy(u->addr.bytes + 2, path, strlen(path));
		u->owns_name = true;
		u->bound = node;
		node.d->inode->bound_socket = u;
	}
	unix_unlock(&d);
	if (err < 0) {
		/* Bound meanwhile (Linux: the node is made first, then removed). */
		path_put(&node);
		vfs_unlink(&c, path);
	}
	ctx_put(&c);
	return err;
}

/* Linux's unix_bind. */
static int unix_bind(struct task *t, struct socket *s, const void *addr, size_t len)
{
	struct unix_sock *u = unix_of(s);
	uint16_t family = 0;
	if (len >= 2)
		memcpy(&family, addr, 2);
	struct unix_defer d;
	defer_init(&d);
	if (len == 2 && family == LINUX_AF_UNIX) {
		pthread_mutex_lock(&g_unix_mu);
		int err = autobind_locked(u);
		unix_unlock(&d);
		return err;
	}
	int err = validate_addr(addr, len);
	if (err < 0)
		return err;
	if (!is_abstract(addr))
		return bind_path(t, u, addr, len);
	pthread_mutex_lock(&g_unix_mu);
	if (u->addr.len)
		err = -EINVAL;
	else if (find_abstract_locked(addr, len, s->type))
		err = -EADDRINUSE;
	if (err == 0) {
		u->addr.len = len;
		memcpy(u->addr.bytes, addr, len);
		u->owns_name = true;
		list_add(&u->abstract_link, &g_unix_abstract);
	}
	unix_unlock(&d);
	return err;
}

/*
 * Finds the socket named by addr for a socket of type (Linux's
 * unix_find_other): a new reference in *out. Path names resolve in t's
 * tree and need write permission on the node.
 */
static int find_other(struct task *t, const void *addr, size_t len, int type,
                      struct unix_sock **out)
{
	if (is_abstract(addr)) {
		pthread_mutex_lock(&g_unix_mu);
		struct unix_sock *o = find_abstract_locked(addr, len, type);
		if (o)
			unix_get(o);
		pthread_mutex_unlock(&g_unix_mu);
		*out = o;
		return o ? 0 : -ECONNREFUSED;
	}
	char path[UNIX_PATH_MAX + 1];
	addr_path(addr, len, path);
	struct vfs_ctx c;
	ctx_get(t, &c);
	struct path p;
	int err = vfs_lookup(&c, path, LOOKUP_FOLLOW, &p);
	ctx_put(&c);
	if (err < 0)
		return err;
	struct inode *inode = p.d->inode;
	err = vfs_permission(&t->creds, inode, MAY_WRITE);
	if (err == 0 && (inode->mode & LINUX_S_IFMT) != LINUX_S_IFSOCK)
		err = -ECONNREFUSED;
	if (err == 0) {
		pthread_mutex_lock(&g_unix_mu);
		struct unix_sock *o = inode->bound_socket;
		if (!o)
			err = -ECONNREFUSED;
		else if (o->sock.type != type)
			err = -EPROTOTYPE;
		else
			*out = unix_get(o);
		pthread_mutex_unlock(&g_unix_mu);
	}
	path_put(&p);
	return err;
}

static int unix_getname(struct socket *s, bool peer, void *addr, size_t *len)
{
	struct unix_sock *u = unix_of(s);
	int err = 0;
	pthread_mutex_lock(&g_unix_mu);
	struct unix_sock *who = u;
	if (peer) {
		who = u->peer;
		if (!who)
			err = -ENOTCONN;
	}
	if (err == 0) {
		if (who->addr.len) {
			memcpy(addr, who->addr.bytes, who->addr.len);
			*len = who->addr.len;
		} else {
			uint16_t family = LINUX_AF_UNIX;
			memcpy(addr, &family, 2);
			*len = 2;
		}
	}
	pthread_mutex_unlock(&g_unix_mu);
	return err;
}

/* ---- Waiting ---- */

/* How a blocking call waits (Linux's sock_rcvtimeo / sock_sndtimeo). */
struct unix_wait {
	bool nonblock;
	bool has_timeout;
	struct timespec ts;
	const struct timespec *deadline;
};

static void wait_init(struct unix_wait *w, struct unix_sock *u, int flags, bool rcv)
{
	int64_t ns = atomic_load(rcv ? &u->sock.rcvtimeo_ns : &u->sock.sndtimeo_ns);
	w->nonblock = socket_nonblock(&u->sock, flags) || ns < 0;
	w->has_timeout = ns > 0;
	w->deadline = socket_deadline(ns, &w->ts);
}

/*
 * One attempt of a blocking operation, under g_unix_mu: returns its
 * result, or -EAGAIN when it must wait; then *other (a new reference, or
 * NULL) is a socket whose peer_wait it must also wait on.
 */
typedef long (*unix_try_fn)(void *arg, struct unix_defer *d, struct unix_sock **other);

/*
 * Runs try until it does not return -EAGAIN, waiting on u's wait queue
 * (and the other socket's peer_wait) in between. Returns try's result, or
 * -EAGAIN (non-blocking, deadline), -ERESTARTSYS or -EINTR.
 */
static long unix_wait_loop(struct task *t, struct unix_sock *u, const struct unix_wait *w,
                           unix_try_fn try, void *arg)
{
	struct waiter own, oth;
	struct unix_sock *waiting_on = NULL;
	bool added = false;
	struct unix_defer d;
	defer_init(&d);
	long ret;
	for (;;) {
		struct unix_sock *other = NULL;
		pthread_mutex_lock(&g_unix_mu);
		ret = try(arg, &d, &other);
		unix_unlock(&d);
		if (ret != -EAGAIN || w->nonblock) {
			if (other)
				unix_put(other);
			break;
		}
		bool retry = false;
		if (!added) {
			waiter_init_task(&own, t, WAIT_EVENTS_ALL);
			waitqueue_add(&u->sock.wq, &own);
			added = true;
			retry = true;
		}
		if (other != waiting_on) {
			if (waiting_on) {
				waitqueue_remove(&waiting_on->peer_wait, &oth);
				unix_put(waiting_on);
			}
			waiting_on = other;
			if (other) {
				waiter_init_task(&oth, t, WAIT_EVENTS_ALL);
				waitqueue_add(&other->peer_wait, &oth);
			}
			retry = true;
		} else if (other) {
			unix_put(other);
		}
		/* Linked before the next check: no wake-up is lost. */
		if (retry)
			continue;
		int err = task_block(t, w->deadline, NULL, 0);
		if (err < 0) {
			ret = socket_wait_error(err, w->has_timeout);
			break;
		}
	}
	if (waiting_on) {
		waitqueue_remove(&waiting_on->peer_wait, &oth);
		unix_put(waiting_on);
	}
	if (added)
		waitqueue_remove(&u->sock.wq, &own);
	return ret;
}

/* ---- listen, connect, accept ---- */

static int unix_listen(struct task *t, struct socket *s, int backlog)
{
	struct unix_sock *u = unix_of(s);
	if (s->type != LINUX_SOCK_STREAM && s->type != LINUX_SOCK_SEQPACKET)
		return -EOPNOTSUPP;
	struct unix_defer d;
	defer_init(&d);
	int err = 0;
	pthread_mutex_lock(&g_unix_mu);
	if (!u->addr.len || (u->state != UNIX_CLOSE && u->state != UNIX_LISTEN)) {
		err = -EINVAL;
	} else {
		/* A bigger backlog makes room: wake blocked connectors. */
		if (backlog > u->backlog)
			defer_wake(&d, u, 0, true);
		u->backlog = backlog;
		u->state = UNIX_LISTEN;
		u->has_peercred = true;
		u->peercred = creds_of(t, true);
	}
	unix_unlock(&d);
	return err;
}

struct connect_args {
	struct task *t;
	struct unix_sock *u;
	struct unix_sock *embryo; /* the server end, made before the first try */
	struct unix_sock *other;  /* the listener (a reference), found again after each wait */
	const void *addr;
	size_t len;
};

/* Linux's unix_stream_connect, from "lock other" on. */
static long connect_try(void *arg, struct unix_defer *d, struct unix_sock **wait_other)
{
	struct connect_args *c = arg;
	struct unix_sock *u = c->u, *o = c->other;
	if (o->released || o->state != UNIX_LISTEN || (o->shutdown & RCV_SHUTDOWN))
		return -ECONNREFUSED;
	if (recvq_full(o)) {
		*wait_other = unix_get(o);
		return -EAGAIN;
	}
	if (u->state == UNIX_ESTABLISHED)
		return -EISCONN;
	if (u->state != UNIX_CLOSE)
		return -EINVAL;
	struct unix_msg *m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	struct unix_sock *e = c->embryo;
	c->embryo = NULL;
	e->state = UNIX_ESTABLISHED;
	e->embryo = true;
	e->addr = o->addr; /* an accepted socket has its listener's name */
	e->peer = unix_get(u);
	e->has_peercred = true;
	e->peercred = creds_of(c->t, true);
	u->peer = unix_get(e);
	u->state = UNIX_ESTABLISHED;
	u->has_peercred = o->has_peercred;
	u->peercred = o->peercred;
	m->embryo = e;
	enqueue(o, m, d);
	return 0;
}

static int unix_stream_connect(struct task *t, struct unix_sock *u, const void *addr, size_t len)
{
	int err = validate_addr(addr, len);
	if (err < 0)
		return err;
	struct unix_defer d;
	defer_init(&d);
	if (atomic_load(&u->sock.passcred)) {
		pthread_mutex_lock(&g_unix_mu);
		err = autobind_locked(u);
		unix_unlock(&d);
		if (err < 0)
			return err;
	}
	struct connect_args c = { .t = t, .u = u, .addr = addr, .len = len };
	c.embryo = unix_alloc(t, u->sock.type, 0);
	if (!c.embryo)
		return -ENOMEM;
	struct unix_wait w;
	wait_init(&w, u, 0, /*rcv=*/false);
	long ret = find_other(t, addr, len, u->sock.type, &c.other);
	if (ret == 0) {
		/* Waits for room as unix_wait_for_peer; a closed listener then refuses. */
		ret = unix_wait_loop(t, u, &w, connect_try, &c);
		unix_put(c.other);
	}
	if (c.embryo)
		file_put(&c.embryo->sock.file);
	return (int)ret;
}

struct dgram_connect_args {
	struct unix_sock *u;
	struct unix_sock *other; /* NULL: AF_UNSPEC, disconnect */
};

/* Linux's unix_dgram_disconnected: messages from the old peer are dropped. */
static void dgram_disconnected(struct unix_sock *u, struct unix_sock *old, struct unix_defer *d)
{
	if (list_empty(&u->rq))
		return;
	purge_queue(u, d);
	if (!old->released && old->peer == u) {
		old->err = ECONNRESET;
		defer_wake(d, old, LINUX_POLLERR, false);
	}
}

static int unix_dgram_connect(struct task *t, struct unix_sock *u, const void *addr, size_t len)
{
	if (len < 2)
		return -EINVAL;
	uint16_t family;
	memcpy(&family, addr, 2);
	struct unix_sock *other = NULL;
	struct unix_defer d;
	defer_init(&d);
	int err;
	if (family != LINUX_AF_UNSPEC) {
		err = validate_addr(addr, len);
		if (err < 0)
			return err;
		if (atomic_load(&u->sock.passcred)) {
			pthread_mutex_lock(&g_unix_mu);
			err = autobind_locked(u);
			unix_unlock(&d);
			if (err < 0)
				return err;
		}
		err = find_other(t, addr, len, u->sock.type, &other);
		if (err < 0)
			return err;
	}
	pthread_mutex_lock(&g_unix_mu);
	err = 0;
	/* unix_may_send: the target must be unconnected or connected to us. */
	if (other && other->peer && other->peer != u && other != u) {
		err = -EPERM;
	} else if (other && other->released) {
		err = -ECONNREFUSED;
	} else {
		struct unix_sock *old = u->peer;
		u->peer = other ? unix_get(other) : NULL;
		u->state = other ? UNIX_ESTABLISHED : UNIX_CLOSE;
		if (old) {
			if (old != other)
				dgram_disconnected(u, old, &d);
			defer_put(&d, old);
		}
	}
	unix_unlock(&d);
	if (other)
		unix_put(other);
	return err;
}

static int unix_connect(struct task *t, struct socket *s, const void *addr, size_t len)
{
	if (s->type == LINUX_SOCK_DGRAM)
		return unix_dgram_connect(t, unix_of(s), addr, len);
	return unix_stream_connect(t, unix_of(s), addr, len);
}

struct accept_args {
	struct unix_sock *u;
	struct unix_sock *got;
};

static long accept_try(void *arg, struct unix_defer *d, struct unix_sock **other)
{
	(void)other;
	struct accept_args *a = arg;
	struct unix_sock *u = a->u;
	if (u->state != UNIX_LISTEN)
		return -EINVAL;
	if (list_empty(&u->rq))
		return (u->shutdown & RCV_SHUTDOWN) ? -EINVAL : -EAGAIN;
	struct unix_msg *m = list_first_entry(&u->rq, struct unix_msg, link);
	a->got = m->embryo;
	m->embryo = NULL;
	a->got->embryo = false;
	dequeue(u, m, d);
	return 0;
}

static int unix_accept(struct task *t, struct socket *s, unsigned fflags, struct socket **out)
{
	struct unix_sock *u = unix_of(s);
	if (s->type != LINUX_SOCK_STREAM && s->type != LINUX_SOCK_SEQPACKET)
		return -EOPNOTSUPP;
	struct unix_wait w;
	wait_init(&w, u, 0, /*rcv=*/true);
	struct accept_args a = { .u = u };
	long ret = unix_wait_loop(t, u, &w, accept_try, &a);
	if (ret < 0)
		return (int)ret;
	/* The new socket's inode is the accepter's (sock_alloc in accept). */
	a.got->sock.uid = t->creds.fsuid;
	a.got->sock.gid = t->creds.fsgid;
	unsigned flags = atomic_load(&a.got->sock.file.flags) & ~LINUX_O_NONBLOCK;
	atomic_store(&a.got->sock.file.flags, flags | (fflags & LINUX_O_NONBLOCK));
	*out = &a.got->sock;
	return 0;
}

/* ---- Control messages ---- */

/* What a send carries besides its data (Linux's scm_cookie). */
struct unix_scm {
	int nfds;
	struct file *fds[LINUX_SCM_MAX_FD];
	bool has_creds;
	struct linux_ucred creds;
};

static void scm_destroy(struct unix_scm *scm)
{
	for (int i = 0; i < scm->nfds; i++)
		file_put(scm->fds[i]);
	scm->nfds = 0;
}

/* Linux's scm_check_creds: one's own ids unless privileged. */
static int check_creds(struct task *t, const struct linux_ucred *uc)
{
	const struct creds *c = &t->creds;
	if (uc->uid == (uint32_t)-1 || uc->gid == (uint32_t)-1)
		return -EINVAL;
	bool pid_ok = uc->pid == t->tg->tgid || creds_capable(c, LINUX_CAP_SYS_ADMIN);
	bool uid_ok = uc->uid == c->ruid || uc->uid == c->euid || uc->uid == c->suid ||
	              creds_capable(c, LINUX_CAP_SETUID);
	bool gid_ok = uc->gid == c->rgid || uc->gid == c->egid || uc->gid == c->sgid ||
	              creds_capable(c, LINUX_CAP_SETGID);
	if (!pid_ok || !uid_ok || !gid_ok)
		return -EPERM;
	if (uc->pid != t->tg->tgid) {
		pthread_mutex_lock(&t->k->mu);
		bool found = kernel_find_task_locked(t->k, uc->pid) != NULL;
		pthread_mutex_unlock(&t->k->mu);
		if (!found)
			return -ESRCH;
	}
	return 0;
}

/* Linux's __scm_send: parses the control messages of a send. */
static int scm_send(struct task *t, const struct sock_msg *m, struct unix_scm *scm)
{
	scm->nfds = 0;
	scm->has_creds = false;
	const char *buf = m->control;
	size_t size = m->controllen;
	size_t off = 0;
	int err = 0;
	while (off + sizeof(struct linux_cmsghdr) <= size) {
		struct linux_cmsghdr h;
		memcpy(&h, buf + off, sizeof(h));
		if (h.len < sizeof(h) || h.len > size - off) {
			err = -EINVAL;
			break;
		}
		if (h.level == LINUX_SOL_SOCKET) {
			const char *data = buf + off + sizeof(h);
			size_t dlen = h.len - sizeof(h);
			if (h.type == LINUX_SCM_RIGHTS) {
				int num = (int)(dlen / sizeof(int));
				if (scm->nfds + num > LINUX_SCM_MAX_FD) {
					err = -EINVAL;
					break;
				}
				for (int i = 0; i < num && err == 0; i++) {
					int fd;
					memcpy(&fd, data + i * sizeof(int), sizeof(int));
					struct file *f =
					        fd >= 0 ? fdtable_lookup(t->fdt, fd, NULL) : NULL;
					if (!f)
						err = -EBADF;
					else
						scm->fds[scm->nfds++] = f;
				}
			} else if (h.type == LINUX_SCM_CREDENTIALS) {
				if (h.len != LINUX_CMSG_LEN(sizeof(struct linux_ucred))) {
					err = -EINVAL;
				} else {
					memcpy(&scm->creds, data, sizeof(scm->creds));
					err = check_creds(t, &scm->creds);
					scm->has_creds = err == 0;
				}
			} else {
				err = -EINVAL;
			}
			if (err < 0)
				break;
		}
		off += LINUX_CMSG_ALIGN(h.len);
	}
	if (err < 0)
		scm_destroy(scm);
	return err;
}

/* What a receive hands to the receiver after the unlock. */
struct unix_rcv_scm {
	bool has_creds; /* emit SCM_CREDENTIALS (the receiver has SO_PASSCRED) */
	struct linux_ucred creds;
	int nfds;
	struct file **fds; /* references */
};

/* Linux's put_cmsg into m->control (its room in m->controllen), advancing *used. */
static void put_cmsg(struct sock_msg *m, size_t *used, int type, const void *data, size_t len)
{
	size_t room = m->controllen - *used;
	if (!m->control || room < sizeof(struct linux_cmsghdr)) {
		m->flags_out |= LINUX_MSG_CTRUNC;
		return;
	}
	size_t cmlen = LINUX_CMSG_LEN(len);
	if (room < cmlen) {
		m->flags_out |= LINUX_MSG_CTRUNC;
		cmlen = room;
	}
	struct linux_cmsghdr h = { .len = cmlen, .level = LINUX_SOL_SOCKET, .type = type };
	char *p = (char *)m->control + *used;
	memcpy(p, &h, sizeof(h));
	memcpy(p + sizeof(h), data, cmlen - sizeof(h));
	*used += MIN(LINUX_CMSG_SPACE(len), room);
}

/* Linux's scm_recv and scm_detach_fds: credentials first, then the fds (installed in t). */
static void scm_recv(struct task *t, struct sock_msg *m, struct unix_rcv_scm *r, int flags)
{
	size_t used = 0;
	if (!m->control) {
		if (r->has_creds || r->nfds)
			m->flags_out |= LINUX_MSG_CTRUNC;
		goto out;
	}
	if (r->has_creds)
		put_cmsg(m, &used, LINUX_SCM_CREDENTIALS, &r->creds, sizeof(r->creds));
	if (r->nfds) {
		size_t room = m->controllen - used;
		int fdmax = room <= sizeof(struct linux_cmsghdr)
		                    ? 0
		                    : (int)((room - sizeof(struct linux_cmsghdr)) / sizeof(int));
		if (fdmax > r->nfds)
			fdmax = r->nfds;
		int fds[LINUX_SCM_MAX_FD];
		int i;
		bool cloexec = flags & LINUX_MSG_CMSG_CLOEXEC;
		for (i = 0; i < fdmax; i++) {
			int fd = fdtable_install(t->fdt, r->fds[i], 0, cloexec,
			                         task_nofile_limit(t));
			if (fd < 0)
				break;
			fds[i] = fd;
		}
		if (i > 0) {
			char *p = (char *)m->control + used;
			struct linux_cmsghdr h = { .len = LINUX_CMSG_LEN(i * sizeof(int)),
				                   .level = LINUX_SOL_SOCKET,
				                   .type = LINUX_SCM_RIGHTS };
			memcpy(p, &h, sizeof(h));
			memcpy(p + sizeof(h), fds, i * sizeof(int));
			used += MIN(LINUX_CMSG_SPACE(i * sizeof(int)), room);
		}
		if (i < r->nfds)
			m->flags_out |= LINUX_MSG_CTRUNC;
	}
	m->controllen = used;
out:
	if (!m->control)
		m->controllen = 0;
	for (int i = 0; i < r->nfds; i++)
		file_put(r->fds[i]);
	free(r->fds);
	r->fds = NULL;
	r->nfds = 0;
}

/* ---- Sending ---- */

/* Makes a message of len bytes from the iterator (copied before any lock). */
static int msg_new(struct unix_sock *u, struct net_iter *it, size_t len, struct unix_msg **out)
{
	struct unix_msg *m = calloc(1, sizeof(*m) + len);
	if (!m)
		return -ENOMEM;
	list_init(&m->link);
	int err = net_iter_copy_from(it, m->data, len);
	if (err < 0) {
		free(m);
		return err;
	}
	m->len = len;
	m->charge = len + UNIX_MSG_OVERHEAD;
	(void)u;
	*out = m;
	return 0;
}

/* Moves scm's fds and credentials into m (the first message of a send gets the fds). */
static int msg_attach_scm(struct unix_msg *m, struct unix_scm *scm)
{
	if (scm->nfds) {
		m->fds = malloc(scm->nfds * sizeof(*m->fds));
		if (!m->fds)
			return -ENOMEM;
		memcpy(m->fds, scm->fds, scm->nfds * sizeof(*m->fds));
		m->nfds = scm->nfds;
		scm->nfds = 0;
	}
	if (scm->has_creds) {
		m->has_creds = true;
		m->creds = scm->creds;
	}
	return 0;
}

/* Linux's maybe_add_creds and the charge to the sender. Preconditions: g_unix_mu held. */
static void msg_stamp_locked(struct task *t, struct unix_msg *m, struct unix_sock *from,
                             struct unix_sock *to)
{
	if (!m->has_creds &&
	    (atomic_load(&from->sock.passcred) || atomic_load(&to->sock.passcred))) {
		m->has_creds = true;
		m->creds = creds_of(t, false);
	}
	m->from = from->addr;
	m->sender = unix_get(from);
	from->wmem += m->charge;
}

struct stream_send_args {
	struct task *t;
	struct unix_sock *u;
	struct sock_msg *m;
	struct unix_scm *scm;
	size_t sent;
	bool pipe_err;
	struct unix_msg *pending; /* copied in, waiting for room */
};

/* stream_send_try's "queued a piece, copy the next one in" (never returned to a caller). */
#define STREAM_NEXT_PIECE (-100000)

/* Linux's unix_stream_sendmsg loop, one piece (copied in before the lock) at a time. */
static long stream_send_try(void *arg, struct unix_defer *d, struct unix_sock **other)
{
	(void)other;
	struct stream_send_args *a = arg;
	struct unix_sock *u = a->u;
	if (u->shutdown & SEND_SHUTDOWN) {
		a->pipe_err = true;
		return -EPIPE;
	}
	struct unix_sock *o = u->peer;
	if (!o || u->state != UNIX_ESTABLISHED)
		return -ENOTCONN;
	if (o->released || (o->shutdown & RCV_SHUTDOWN)) {
		a->pipe_err = true;
		return -EPIPE;
	}
	if (!a->pending)
		return (long)a->sent;
	if (u->wmem >= (size_t)sndbuf_of(u))
		return -EAGAIN;
	struct unix_msg *msg = a->pending;
	a->pending = NULL;
	msg_stamp_locked(a->t, msg, u, o);
	enqueue(o, msg, d);
	a->sent += msg->len;
	return net_iter_left(&a->m->data) == 0 ? (long)a->sent : STREAM_NEXT_PIECE;
}

static ssize_t unix_stream_sendmsg(struct task *t, struct unix_sock *u, struct sock_msg *m,
                                   int flags, struct unix_scm *scm)
{
	if (m->name)
		return u->state == UNIX_ESTABLISHED ? -EISCONN : -EOPNOTSUPP;
	struct unix_wait w;
	wait_init(&w, u, flags, /*rcv=*/false);
	struct stream_send_args a = { .t = t, .u = u, .m = m, .scm = scm };
	long ret;
	bool first = true;
	do {
		/* An empty send only checks the connection (and, as Linux, passes no fds). */
		size_t left = net_iter_left(&m->data);
		if (left > 0) {
			size_t piece = MIN(left, (size_t)sndbuf_of(u) / 2 - 64);
			ret = msg_new(u, &m->data, piece, &a.pending);
			if (ret == 0 && first)
				ret = msg_attach_scm(a.pending, scm);
			if (ret < 0)
				break;
		}
		first = false;
		ret = unix_wait_loop(t, u, &w, stream_send_try, &a);
	} while (ret == STREAM_NEXT_PIECE);
	if (a.pending) {
		msg_free(a.pending);
		a.pending = NULL;
	}
	if (ret < 0 && a.pipe_err && a.sent == 0 && !(flags & LINUX_MSG_NOSIGNAL))
		task_send_thread_signal(t, LINUX_SIGPIPE, NULL);
	if (a.sent > 0)
		return (ssize_t)a.sent;
	return ret;
}

struct dgram_send_args {
	struct task *t;
	struct unix_sock *u;
	struct unix_sock *other; /* a reference: the destination */
	bool explicit_dest;
	struct unix_msg *msg;
};

/* Linux's unix_dgram_sendmsg from "restart_locked" on. */
static long dgram_send_try(void *arg, struct unix_defer *d, struct unix_sock **wait_other)
{
	struct dgram_send_args *a = arg;
	struct unix_sock *u = a->u, *o = a->other;
	if (u->shutdown & SEND_SHUTDOWN)
		return -EPIPE;
	if (u->wmem >= (size_t)sndbuf_of(u))
		return -EAGAIN;
	if (o->peer && o->peer != u && o != u)
		return -EPERM; /* unix_may_send */
	if (o->released) {
		if (u->sock.type == LINUX_SOCK_SEQPACKET)
			return -EPIPE;
		if (u->peer == o) {
			u->peer = NULL;
			u->state = UNIX_CLOSE;
			dgram_disconnected(u, o, d);
			defer_put(d, o);
			return -ECONNREFUSED;
		}
		return -ECONNREFUSED;
	}
	if (o->shutdown & RCV_SHUTDOWN)
		return -EPIPE;
	if (o != u && o->peer != u && recvq_full(o)) {
		*wait_other = unix_get(o);
		return -EAGAIN;
	}
	struct unix_msg *m = a->msg;
	a->msg = NULL;
	msg_stamp_locked(a->t, m, u, o);
	size_t len = m->len;
	enqueue(o, m, d);
	return (long)len;
}

static ssize_t unix_dgram_sendmsg(struct task *t, struct unix_sock *u, struct sock_msg *m,
                                  int flags, struct unix_scm *scm)
{
	struct socket *s = &u->sock;
	struct unix_defer d;
	defer_init(&d);
	struct dgram_send_args a = { .t = t, .u = u };
	long ret;
	if (s->type == LINUX_SOCK_SEQPACKET) {
		pthread_mutex_lock(&g_unix_mu);
		ret = u->err ? -u->err : 0;
		u->err = 0;
		if (ret == 0 && u->state != UNIX_ESTABLISHED)
			ret = -ENOTCONN;
		unix_unlock(&d);
		if (ret < 0)
			return ret;
		m->name = NULL; /* ignored on a connected seqpacket socket */
	}
	if (m->name) {
		ret = validate_addr(m->name, m->namelen);
		if (ret < 0)
			return ret;
	}
	if (atomic_load(&s->passcred)) {
		pthread_mutex_lock(&g_unix_mu);
		ret = autobind_locked(u);
		unix_unlock(&d);
		if (ret < 0)
			return ret;
	}
	size_t len = net_iter_left(&m->data);
	if (len > (size_t)sndbuf_of(u) - 32)
		return -EMSGSIZE;
	if (m->name) {
		ret = find_other(t, m->name, m->namelen, s->type, &a.other);
		if (ret < 0)
			return ret;
		a.explicit_dest = true;
	} else {
		pthread_mutex_lock(&g_unix_mu);
		a.other = u->peer ? unix_get(u->peer) : NULL;
		pthread_mutex_unlock(&g_unix_mu);
		if (!a.other)
			return -ENOTCONN;
	}
	ret = msg_new(u, &m->data, len, &a.msg);
	if (ret == 0)
		ret = msg_attach_scm(a.msg, scm);
	if (ret == 0) {
		struct unix_wait w;
		wait_init(&w, u, flags, /*rcv=*/false);
		ret = unix_wait_loop(t, u, &w, dgram_send_try, &a);
	}
	if (a.msg)
		msg_free(a.msg);
	unix_put(a.other);
	return ret;
}

static ssize_t unix_sendmsg(struct task *t, struct socket *s, struct sock_msg *m, int flags)
{
	struct unix_sock *u = unix_of(s);
	if (flags & LINUX_MSG_OOB)
		return -EOPNOTSUPP;
	struct unix_scm scm;
	int err = scm_send(t, m, &scm);
	if (err < 0)
		return err;
	ssize_t ret = s->type == LINUX_SOCK_STREAM ? unix_stream_sendmsg(t, u, m, flags, &scm)
	                                           : unix_dgram_sendmsg(t, u, m, flags, &scm);
	scm_destroy(&scm);
	return ret;
}

/* ---- Receiving ---- */

/* The source address into m->name (LINUX_SOCKADDR_MAX bytes), as unix_copy_addr: none when unbound.
 */
static void copy_from_addr(struct sock_msg *m, const struct unix_addr *a)
{
	if (!m->name || !a->len)
		return;
	memcpy(m->name, a->bytes, a->len);
	m->namelen = a->len;
}

static struct linux_ucred msg_creds(const struct unix_msg *msg)
{
	if (msg->has_creds)
		return msg->creds;
	return (struct linux_ucred){ 0, 65534, 65534 }; /* no pid, the overflow ids */
}

/* Takes (or, peeking, shares) msg's fds into r. */
static int take_fds(struct unix_msg *msg, struct unix_rcv_scm *r, bool peek)
{
	if (!msg->nfds)
		return 0;
	r->fds = malloc(msg->nfds * sizeof(*r->fds));
	if (!r->fds)
		return -ENOMEM;
	for (int i = 0; i < msg->nfds; i++)
		r->fds[i] = peek ? file_get(msg->fds[i]) : msg->fds[i];
	r->nfds = msg->nfds;
	if (!peek) {
		free(msg->fds);
		msg->fds = NULL;
		msg->nfds = 0;
	}
	return 0;
}

struct recv_args {
	struct unix_sock *u;
	struct sock_msg *m;
	int flags;
	bool nonblock;
	size_t target; /* stream: bytes to wait for (1, or all with MSG_WAITALL) */
	size_t copied;
	bool check_creds;
	struct unix_rcv_scm scm;
};

/* Linux's unix_stream_read_generic, one pass over the queue. */
static long stream_recv_try(void *arg, struct unix_defer *d, struct unix_sock **other)
{
	(void)other;
	struct recv_args *a = arg;
	struct unix_sock *u = a->u;
	bool peek = a->flags & LINUX_MSG_PEEK;
	bool passcred = atomic_load(&u->sock.passcred);
	if (u->state != UNIX_ESTABLISHED)
		return -EINVAL;
	struct unix_msg *msg =
	        list_empty(&u->rq) ? NULL : list_first_entry(&u->rq, struct unix_msg, link);
	size_t skip = 0;
	while (net_iter_left(&a->m->data) > 0) {
		if (!msg) {
			if (a->copied >= a->target)
				return (long)a->copied;
			if (u->err) {
				int err = u->err;
				u->err = 0;
				return a->copied ? (long)a->copied : -err;
			}
			if (u->shutdown & RCV_SHUTDOWN)
				return (long)a->copied;
			return a->copied && peek ? (long)a->copied : -EAGAIN;
		}
		struct linux_ucred c = msg_creds(msg);
		if (a->check_creds) {
			if (memcmp(&c, &a->scm.creds, sizeof(c)) != 0)
				break;
		} else if (passcred) {
			a->scm.has_creds = true;
			a->scm.creds = c;
			a->check_creds = true;
		}
		if (a->copied == 0)
			copy_from_addr(a->m, &msg->from);
		size_t avail = msg->len - msg->off - skip;
		size_t chunk = MIN(avail, net_iter_left(&a->m->data));
		int err = net_iter_copy_to(&a->m->data, msg->data + msg->off + skip, chunk);
		if (err < 0)
			return a->copied ? (long)a->copied : err;
		a->copied += chunk;
		if (!peek) {
			msg->off += chunk;
			bool had_fds = msg->nfds > 0;
			if (had_fds && take_fds(msg, &a->scm, false) < 0)
				return a->copied ? (long)a->copied : -ENOMEM;
			if (msg->off < msg->len)
				break;
			dequeue(u, msg, d);
			if (had_fds)
				break;
			msg = list_empty(&u->rq) ? NULL
			                         : list_first_entry(&u->rq, struct unix_msg, link);
		} else {
			if (msg->nfds) {
				take_fds(msg, &a->scm, true);
				break;
			}
			skip = 0;
			msg = msg->link.next == &u->rq
			              ? NULL
			              : list_entry(msg->link.next, struct unix_msg, link);
			if (!msg)
				break;
		}
	}
	return (long)a->copied;
}

/* Linux's __unix_dgram_recvmsg (and unix_seqpacket_recvmsg). */
static long dgram_recv_try(void *arg, struct unix_defer *d, struct unix_sock **other)
{
	(void)other;
	struct recv_args *a = arg;
	struct unix_sock *u = a->u;
	bool peek = a->flags & LINUX_MSG_PEEK;
	if (list_empty(&u->rq)) {
		if (u->err) {
			int err = u->err;
			u->err = 0;
			return -err;
		}
		/*
		 * __skb_recv_datagram: only a datagram call that would wait sees
		 * the shutdown (seqpacket checks it first).
		 */
		if (a->nonblock && u->sock.type == LINUX_SOCK_DGRAM)
			return -EAGAIN;
		if (u->shutdown & RCV_SHUTDOWN)
			return 0;
		if (u->sock.type == LINUX_SOCK_SEQPACKET && u->state != UNIX_ESTABLISHED)
			return -ENOTCONN;
		return -EAGAIN;
	}
	struct unix_msg *msg = list_first_entry(&u->rq, struct unix_msg, link);
	copy_from_addr(a->m, &msg->from);
	size_t size = net_iter_left(&a->m->data);
	if (size > msg->len)
		size = msg->len;
	else if (size < msg->len)
		a->m->flags_out |= LINUX_MSG_TRUNC;
	int err = net_iter_copy_to(&a->m->data, msg->data, size);
	if (err < 0)
		return err;
	if (atomic_load(&u->sock.passcred)) {
		a->scm.has_creds = true;
		a->scm.creds = msg_creds(msg);
	}
	take_fds(msg, &a->scm, peek);
	long ret = (a->flags & LINUX_MSG_TRUNC) ? (long)msg->len : (long)size;
	if (!peek)
		dequeue(u, msg, d);
	return ret;
}

static ssize_t unix_recvmsg(struct task *t, struct socket *s, struct sock_msg *m, int flags)
{
	struct unix_sock *u = unix_of(s);
	if (flags & LINUX_MSG_OOB)
		return -EOPNOTSUPP;
	m->namelen = 0;
	m->flags_out = flags & LINUX_MSG_CMSG_CLOEXEC;
	struct recv_args a = { .u = u, .m = m, .flags = flags, .target = 1 };
	if (s->type == LINUX_SOCK_SEQPACKET) {
		pthread_mutex_lock(&g_unix_mu);
		bool connected = u->state == UNIX_ESTABLISHED;
		pthread_mutex_unlock(&g_unix_mu);
		if (!connected)
			return -ENOTCONN;
	}
	if (flags & LINUX_MSG_WAITALL)
		a.target = net_iter_left(&m->data);
	if (a.target == 0)
		a.target = 1;
	struct unix_wait w;
	wait_init(&w, u, flags, /*rcv=*/true);
	a.nonblock = w.nonblock;
	long ret = unix_wait_loop(
	        t, u, &w, s->type == LINUX_SOCK_STREAM ? stream_recv_try : dgram_recv_try, &a);
	if (s->type == LINUX_SOCK_STREAM && ret < 0 && a.copied > 0)
		ret = (long)a.copied;
	if (ret <= 0)
		m->namelen = 0;
	if (ret >= 0)
		scm_recv(t, m, &a.scm, flags);
	else {
		for (int i = 0; i < a.scm.nfds; i++)
			file_put(a.scm.fds[i]);
		free(a.scm.fds);
	}
	return ret;
}

/* ---- shutdown, options, ioctl, readiness ---- */

static int unix_shutdown(struct socket *s, int how)
{
	struct unix_sock *u = unix_of(s);
	unsigned mode = (unsigned)how + 1;
	struct unix_defer d;
	defer_init(&d);
	pthread_mutex_lock(&g_unix_mu);
	u->shutdown |= mode;
	defer_wake(&d, u, WAIT_EVENTS_ALL, true);
	struct unix_sock *o = u->peer;
	if (o && s->type != LINUX_SOCK_DGRAM) {
		unsigned peer_mode = 0;
		if (mode & RCV_SHUTDOWN)
			peer_mode |= SEND_SHUTDOWN;
		if (mode & SEND_SHUTDOWN)
			peer_mode |= RCV_SHUTDOWN;
		o->shutdown |= peer_mode;
		defer_wake(&d, o, WAIT_EVENTS_ALL, false);
	}
	unix_unlock(&d);
	return 0;
}

static int put_int(void *val, size_t *len, int v)
{
	if (*len > sizeof(v))
		*len = sizeof(v);
	memcpy(val, &v, *len);
	return 0;
}

static int unix_getsockopt(struct task *t, struct socket *s, int level, int name, void *val,
                           size_t *len)
{
	(void)t;
	struct unix_sock *u = unix_of(s);
	if (level != LINUX_SOL_SOCKET)
		return -EOPNOTSUPP;
	int v;
	switch (name) {
	case LINUX_SO_ERROR:
		pthread_mutex_lock(&g_unix_mu);
		v = u->err;
		u->err = 0;
		pthread_mutex_unlock(&g_unix_mu);
		return put_int(val, len, v);
	case LINUX_SO_ACCEPTCONN:
		pthread_mutex_lock(&g_unix_mu);
		v = u->state == UNIX_LISTEN;
		pthread_mutex_unlock(&g_unix_mu);
		return put_int(val, len, v);
	case LINUX_SO_PEERCRED: {
		struct linux_ucred c = { 0, (uint32_t)-1, (uint32_t)-1 };
		pthread_mutex_lock(&g_unix_mu);
		if (u->has_peercred)
			c = u->peercred;
		pthread_mutex_unlock(&g_unix_mu);
		if (*len > sizeof(c))
			*len = sizeof(c);
		memcpy(val, &c, *len);
		return 0;
	}
	default:
		return -ENOPROTOOPT;
	}
}

static int unix_setsockopt(struct task *t, struct socket *s, int level, int name, const void *val,
                           size_t len)
{
	(void)t;
	(void)s;
	(void)name;
	(void)val;
	(void)len;
	/* Linux's unix sockets have no options of their own: sock_no_setsockopt. */
	return level == LINUX_SOL_SOCKET ? -ENOPROTOOPT : -EOPNOTSUPP;
}

static long unix_ioctl(struct task *t, struct socket *s, unsigned cmd, uint64_t arg)
{
	struct unix_sock *u = unix_of(s);
	int amount = 0;
	pthread_mutex_lock(&g_unix_mu);
	long err = 0;
	if (cmd == LINUX_SIOCOUTQ) {
		amount = (int)u->wmem;
	} else if (cmd == LINUX_SIOCINQ) {
		if (u->state == UNIX_LISTEN) {
			err = -EINVAL;
		} else if (s->type == LINUX_SOCK_DGRAM) {
			if (!list_empty(&u->rq))
				amount = (int)list_first_entry(&u->rq, struct unix_msg, link)->len;
		} else {
			struct unix_msg *m;
			list_for_each_entry (m, &u->rq, link)
				amount += (int)(m->len - m->off);
		}
	} else {
		err = -ENOTTY;
	}
	pthread_mutex_unlock(&g_unix_mu);
	if (err < 0)
		return err;
	return mm_copy_out(t->mm, arg, &amount, sizeof(amount));
}

/* Linux's unix_poll (stream) and unix_dgram_poll (datagram and seqpacket). */
static uint32_t unix_readiness(struct socket *s, uint32_t mask)
{
	struct unix_sock *u = unix_of(s);
	uint32_t ev = 0;
	pthread_mutex_lock(&g_unix_mu);
	if (u->err)
		ev |= LINUX_POLLERR;
	if (u->shutdown == SHUTDOWN_MASK)
		ev |= LINUX_POLLHUP;
	if (u->shutdown & RCV_SHUTDOWN)
		ev |= LINUX_POLLRDHUP | POLL_IN_EVENTS;
	if (!list_empty(&u->rq))
		ev |= POLL_IN_EVENTS;
	if (s->type == LINUX_SOCK_STREAM) {
		if (u->state == UNIX_CLOSE)
			ev |= LINUX_POLLHUP;
		if (unix_writable(u))
			ev |= POLL_OUT_EVENTS;
	} else {
		if (s->type == LINUX_SOCK_SEQPACKET && u->state == UNIX_CLOSE)
			ev |= LINUX_POLLHUP;
		if (mask & POLL_OUT_EVENTS) {
			bool writable = unix_writable(u);
			struct unix_sock *o = u->peer;
			if (writable && o && o->peer != u && recvq_full(o))
				writable = false;
			if (writable)
				ev |= POLL_OUT_EVENTS;
		}
	}
	pthread_mutex_unlock(&g_unix_mu);
	return ev;
}

_Static_assert(sizeof(((struct unix_sock_info *)0)->addr) >= UNIX_ADDR_MAX, "unix_sock_info.addr");

void unix_for_each(unix_visit_fn fn, void *arg)
{
	pthread_mutex_lock(&g_unix_mu);
	struct unix_sock *u;
	list_for_each_entry (u, &g_unix_all, all_link) {
		struct unix_sock_info i = {
			.refs = atomic_load(&u->refs),
			.type = u->sock.type,
			.listening = u->state == UNIX_LISTEN,
			.connected = u->state == UNIX_ESTABLISHED,
			.embryo = u->embryo,
			.ino = u->sock.ino,
			.addr_len = u->addr.len,
		};
		memcpy(i.addr, u->addr.bytes, u->addr.len);
		fn(arg, &i);
	}
	pthread_mutex_unlock(&g_unix_mu);
}

static const struct socket_ops g_unix_ops = {
	.bind = unix_bind,
	.listen = unix_listen,
	.accept = unix_accept,
	.connect = unix_connect,
	.sendmsg = unix_sendmsg,
	.recvmsg = unix_recvmsg,
	.shutdown = unix_shutdown,
	.getsockopt = unix_getsockopt,
	.setsockopt = unix_setsockopt,
	.getname = unix_getname,
	.readiness = unix_readiness,
	.ioctl = unix_ioctl,
	.release = unix_release,
};
