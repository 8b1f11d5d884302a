/*
 * The generic socket layer (see socket.h): the socket file's file_ops,
 * the data iterator, creation by family, and the SOL_SOCKET options every
 * family shares (Linux's net/socket.c and sk_setsockopt/sk_getsockopt).
 *
 * read(2) and write(2) on a socket are recv and send without flags on the
 * calling task (task_current(): file_ops carry no task), as Linux's
 * sock_read_iter and sock_write_iter. They never raise SIGPIPE here: the
 * write path of syscalls/sys_file.c leaves that to the file (socket_file_is),
 * and the family decides, as each Linux protocol does.
 */
#include "sentry/net/socket.h"

#include <string.h>
#include <time.h>

#include "common/log.h"
#include "common/util.h"
#include "sentry/fsimpl/kernfs/proc.h"
#include "sentry/kernel/task.h"
#include "sentry/net/inet.h"
#include "sentry/mm/mm.h"
#include "sentry/net/hostinet.h"
#include "sentry/net/netmode.h"
#include "sentry/net/iface_ioctl.h"
#include "sentry/net/netlink.h"
#include "sentry/net/unix.h"

/* The sandbox's sockfs: one device number, inode numbers from one counter. */
#define SOCKFS_DEV 0x8
static atomic_uint_fast64_t g_sockfs_next_ino = 1000;

/* ---- The data iterator ---- */

void net_iter_init_kbuf(struct net_iter *it, void *buf, size_t len)
{
	*it = (struct net_iter){ .kbuf = buf, .total = len };
}

void net_iter_init_iov(struct net_iter *it, struct mm *mm, const struct linux_iovec *iov, int niov,
                       size_t total)
{
	*it = (struct net_iter){ .mm = mm, .iov = iov, .niov = niov, .total = total };
}

enum iter_dir { ITER_FROM, ITER_TO };

static int iter_move(struct net_iter *it, void *buf, size_t n, enum iter_dir dir)
{
	BUG_ON(n > net_iter_left(it));
	if (!it->mm) {
		if (dir == ITER_FROM)
			memcpy(buf, it->kbuf + it->pos, n);
		else
			memcpy(it->kbuf + it->pos, buf, n);
		it->pos += n;
		return 0;
	}
	char *p = buf;
	while (n > 0) {
		BUG_ON(it->iov_idx >= it->niov);
		const struct linux_iovec *v = &it->iov[it->iov_idx];
		size_t chunk = (size_t)MIN(v->len - it->iov_off, n);
		if (chunk > 0) {
			uaddr_t addr = v->base + it->iov_off;
			int err = dir == ITER_FROM ? mm_copy_in(it->mm, p, addr, chunk)
			                           : mm_copy_out(it->mm, addr, p, chunk);
			if (err < 0)
				return err;
		}
		p += chunk;
		n -= chunk;
		it->pos += chunk;
		it->iov_off += chunk;
		if (it->iov_off == v->len) {
			it->iov_idx++;
			it->iov_off = 0;
		}
	}
	return 0;
}

int net_iter_copy_from(struct net_iter *it, void *dst, size_t n)
{
	return iter_move(it, dst, n, ITER_FROM);
}

int net_iter_copy_to(struct net_iter *it, const void *src, size_t n)
{
	return iter_move(it, (void *)src, n, ITER_TO);
}

/* ---- The socket file ---- */

static ssize_t socket_file_read(struct file *f, void *buf, size_t len, int64_t off)
{
	(void)off;
	struct socket *s = socket_of_file(f);
	struct task *t = task_current();
	if (!s->ops->recvmsg || !t)
		return -EINVAL;
	struct sock_msg m = { 0 };
	net_iter_init_kbuf(&m.data, buf, len);
	return s->ops->recvmsg(t, s, &m, 0);
}

static ssize_t socket_file_write(struct file *f, const void *buf, size_t len, int64_t off)
{
	(void)off;
	struct socket *s = socket_of_file(f);
	struct task *t = task_current();
	if (!s->ops->sendmsg || !t)
		return -EINVAL;
	struct sock_msg m = { 0 };
	net_iter_init_kbuf(&m.data, (void *)buf, len);
	return s->ops->sendmsg(t, s, &m, 0);
}

/* Linux's sockfs inode: S_IFSOCK | 0777, owned by the creator. */
static int socket_file_stat(struct file *f, struct linux_stat *st)
{
	struct socket *s = socket_of_file(f);
	*st = (struct linux_stat){
		.dev = SOCKFS_DEV,
		.ino = s->ino,
		.nlink = 1,
		.mode = LINUX_S_IFSOCK | 0777,
		.uid = s->uid,
		.gid = s->gid,
		.blksize = 4096,
	};
	return 0;
}

static long socket_file_ioctl(struct task *t, struct file *f, unsigned cmd, uint64_t arg)
{
	struct socket *s = socket_of_file(f);
	/* Linux's sock_ioctl: the interface ioctls (dev_ioctl, devinet_ioctl) on every socket. */
	long ret = iface_ioctl(t, s->family, cmd, arg);
	if (ret != -LINUX_ENOIOCTLCMD)
		return ret;
	return s->ops->ioctl ? s->ops->ioctl(t, s, cmd, arg) : -ENOTTY;
}

static uint32_t socket_file_readiness(struct file *f, uint32_t mask)
{
	struct socket *s = socket_of_file(f);
	return s->ops->readiness(s, mask) & mask;
}

static struct waitqueue *socket_file_wait_queue(struct file *f)
{
	return &socket_of_file(f)->wq;
}

static void socket_file_release(struct file *f)
{
	struct socket *s = socket_of_file(f);
	s->ops->release(s);
}

static const struct file_ops g_socket_file_ops = {
	.read = socket_file_read,
	.write = socket_file_write,
	.stat = socket_file_stat,
	.ioctl = socket_file_ioctl,
	.readiness = socket_file_readiness,
	.wait_queue = socket_file_wait_queue,
	.release = socket_file_release,
};

static int socket_file_poll_host_fd(struct file *f)
{
	struct socket *s = socket_of_file(f);
	return s->ops->host_fd(s);
}

/*
 * A socket whose state is a host socket's (socket_ops.host_fd): its
 * readiness is the host fd's, which poll, select and epoll watch on the
 * host as they watch any host file (file.h's poll_host_fd), so no wait
 * queue is involved.
 */
static const struct file_ops g_socket_host_file_ops = {
	.read = socket_file_read,
	.write = socket_file_write,
	.stat = socket_file_stat,
	.ioctl = socket_file_ioctl,
	.poll_host_fd = socket_file_poll_host_fd,
	.release = socket_file_release,
};

bool socket_file_is(const struct file *f)
{
	return f->ops == &g_socket_file_ops || f->ops == &g_socket_host_file_ops;
}

void socket_init(struct socket *s, const struct socket_ops *ops, int family, int type, int protocol,
                 unsigned fflags, const struct creds *creds)
{
	file_init(&s->file, ops->host_fd ? &g_socket_host_file_ops : &g_socket_file_ops,
	          LINUX_O_RDWR | (fflags & LINUX_O_NONBLOCK));
	s->ops = ops;
	s->family = family;
	s->type = type;
	s->protocol = protocol;
	s->ino = atomic_fetch_add(&g_sockfs_next_ino, 1);
	s->uid = creds ? creds->fsuid : 0;
	s->gid = creds ? creds->fsgid : 0;
	waitqueue_init(&s->wq);
	atomic_init(&s->sndbuf, SOCK_WMEM_DEFAULT);
	atomic_init(&s->rcvbuf, SOCK_RMEM_DEFAULT);
	atomic_init(&s->sndtimeo_ns, 0);
	atomic_init(&s->rcvtimeo_ns, 0);
	atomic_init(&s->passcred, false);
	atomic_init(&s->reuseaddr, false);
	atomic_init(&s->keepalive, false);
	atomic_init(&s->linger, 0);
}

void socket_destroy(struct socket *s)
{
	waitqueue_destroy(&s->wq);
	pthread_mutex_destroy(&s->file.pos_mu);
}

/* ---- Creation ---- */

/* Families the sandbox does not have yet: logged once each, EAFNOSUPPORT. */
static int socket_no_family(int family)
{
	static atomic_bool logged[LINUX_AF_MAX];
	if (family >= 0 && family < LINUX_AF_MAX && !atomic_exchange(&logged[family], true))
		log_info("socket family %d is not supported yet (network: issue 7)", family);
	return -EAFNOSUPPORT;
}

int socket_create(struct task *t, int family, int type, int protocol, unsigned fflags,
                  struct socket **out)
{
	if (family < 0 || family >= LINUX_AF_MAX)
		return -EAFNOSUPPORT;
	if (family == LINUX_AF_UNIX)
		return unix_socket_create(t, type, protocol, fflags, out);
	if ((family == LINUX_AF_INET || family == LINUX_AF_INET6) &&
	    net_mode_get() == NET_MODE_HOST)
		return hostinet_socket_create(t, family, type, protocol, fflags, out);
	if (family == LINUX_AF_INET || family == LINUX_AF_INET6)
		return inet_socket_create(t, family, type, protocol, fflags, out);
	if (family == LINUX_AF_NETLINK)
		return netlink_socket_create(t, type, protocol, fflags, out);
	return socket_no_family(family);
}

int socket_create_pair(struct task *t, int family, int type, int protocol, unsigned fflags,
                       struct socket **out0, struct socket **out1)
{
	if (family < 0 || family >= LINUX_AF_MAX)
		return -EAFNOSUPPORT;
	if (family == LINUX_AF_UNIX)
		return unix_socket_pair(t, type, protocol, fflags, out0, out1);
	/* Linux: the inet families have no socketpair (sock_no_socketpair). */
	if (family == LINUX_AF_INET || family == LINUX_AF_INET6 || family == LINUX_AF_NETLINK)
		return -EOPNOTSUPP;
	return socket_no_family(family);
}

const struct timespec *socket_deadline(int64_t ns, struct timespec *out)
{
	if (ns <= 0)
		return NULL;
	clock_gettime(CLOCK_MONOTONIC, out);
	out->tv_sec += ns / 1000000000LL;
	out->tv_nsec += ns % 1000000000LL;
	if (out->tv_nsec >= 1000000000L) {
		out->tv_sec++;
		out->tv_nsec -= 1000000000L;
	}
	return out;
}

/* ---- SOL_SOCKET options (Linux's sk_getsockopt and sk_setsockopt) ---- */

/* Copies an option value of size vlen out: truncated to *len, as Linux does. */
static int put_opt(void *val, size_t *len, const void *v, size_t vlen)
{
	if (*len > vlen)
		*len = vlen;
	memcpy(val, v, *len);
	return 0;
}

static int put_int_opt(void *val, size_t *len, int v)
{
	return put_opt(val, len, &v, sizeof(v));
}

static int64_t timeval_to_ns(const struct linux_timeval *tv)
{
	if (tv->tv_sec < 0)
		return -1; /* Linux: a negative time is "do not wait" (sk_rcvtimeo 0) */
	if (tv->tv_sec == 0 && tv->tv_usec == 0)
		return 0; /* no timeout */
	if (tv->tv_sec > INT64_MAX / 1000000000LL - 1)
		return 0;
	return tv->tv_sec * 1000000000LL + tv->tv_usec * 1000LL;
}

/* The options the generic layer keeps even for a family that answers SOL_SOCKET itself. */
static bool sentry_sol_socket(const struct socket *s, int level, int name)
{
	if (level != LINUX_SOL_SOCKET)
		return false;
	if (!s->ops->own_sol_socket)
		return true;
	return name == LINUX_SO_RCVTIMEO || name == LINUX_SO_SNDTIMEO;
}

int socket_getsockopt(struct task *t, struct socket *s, int level, int name, void *val, size_t *len)
{
	if (!sentry_sol_socket(s, level, name))
		goto family;
	switch (name) {
	case LINUX_SO_TYPE:
		return put_int_opt(val, len, s->type);
	case LINUX_SO_DOMAIN:
		return put_int_opt(val, len, s->family);
	case LINUX_SO_PROTOCOL:
		return put_int_opt(val, len, s->protocol);
	case LINUX_SO_SNDBUF:
		return put_int_opt(val, len, atomic_load(&s->sndbuf));
	case LINUX_SO_RCVBUF:
		return put_int_opt(val, len, atomic_load(&s->rcvbuf));
	case LINUX_SO_PASSCRED:
		return put_int_opt(val, len, atomic_load(&s->passcred));
	case LINUX_SO_REUSEADDR:
		return put_int_opt(val, len, atomic_load(&s->reuseaddr));
	case LINUX_SO_KEEPALIVE:
		return put_int_opt(val, len, atomic_load(&s->keepalive));
	case LINUX_SO_LINGER: {
		int64_t l = atomic_load(&s->linger);
		struct linux_linger v = { (int32_t)(l >> 32), (int32_t)(l & 0xffffffff) };
		return put_opt(val, len, &v, sizeof(v));
	}
	case LINUX_SO_RCVTIMEO:
	case LINUX_SO_SNDTIMEO: {
		int64_t ns =
		        atomic_load(name == LINUX_SO_RCVTIMEO ? &s->rcvtimeo_ns : &s->sndtimeo_ns);
		struct linux_timeval tv = { 0, 0 };
		if (ns > 0) {
			tv.tv_sec = ns / 1000000000LL;
			tv.tv_usec = (ns % 1000000000LL) / 1000;
		}
		return put_opt(val, len, &tv, sizeof(tv));
	}
	default:
		break;
	}
family:
	if (!s->ops->getsockopt)
		return level == LINUX_SOL_SOCKET ? -ENOPROTOOPT : -EOPNOTSUPP;
	return s->ops->getsockopt(t, s, level, name, val, len);
}

/* Linux's sock_setsockopt for SO_SNDBUF/SO_RCVBUF: capped at the max, doubled, floored. */
static int clamp_buf(int v, int max, int min)
{
	if (v < 0)
		v = 0;
	if (v > max)
		v = max;
	v *= 2;
	return v < min ? min : v;
}

int socket_setsockopt(struct task *t, struct socket *s, int level, int name, const void *val,
                      size_t len)
{
	if (!sentry_sol_socket(s, level, name))
		goto family;
	int v = 0;
	switch (name) {
	case LINUX_SO_RCVTIMEO:
	case LINUX_SO_SNDTIMEO: {
		struct linux_timeval tv;
		if (len < sizeof(tv))
			return -EINVAL;
		memcpy(&tv, val, sizeof(tv));
		if (tv.tv_usec < 0 || tv.tv_usec >= 1000000)
			return -EDOM;
		int64_t ns = timeval_to_ns(&tv);
		atomic_store(name == LINUX_SO_RCVTIMEO ? &s->rcvtimeo_ns : &s->sndtimeo_ns, ns);
		return 0;
	}
	case LINUX_SO_LINGER: {
		struct linux_linger l;
		if (len < sizeof(l))
			return -EINVAL;
		memcpy(&l, val, sizeof(l));
		/*
		 * Linux's sock_setsockopt: off keeps the old time; on sets it. Unix
		 * sockets have nothing to linger for, inet ones reset at close with 0.
		 */
		int64_t old = atomic_load(&s->linger);
		uint32_t secs = l.onoff ? (uint32_t)l.linger : (uint32_t)(old & 0xffffffff);
		atomic_store(&s->linger, ((int64_t)(l.onoff != 0) << 32) | secs);
		return 0;
	}
	default:
		break;
	}
	if (len < sizeof(int))
		goto int_opt_short;
	memcpy(&v, val, sizeof(int));
	switch (name) {
	case LINUX_SO_SNDBUF:
		atomic_store(&s->sndbuf, clamp_buf(v, SOCK_WMEM_MAX, SOCK_MIN_SNDBUF));
		goto notify;
	case LINUX_SO_RCVBUF:
		atomic_store(&s->rcvbuf, clamp_buf(v, SOCK_RMEM_MAX, SOCK_MIN_RCVBUF));
		return 0;
	case LINUX_SO_PASSCRED:
		atomic_store(&s->passcred, v != 0);
		return 0;
	case LINUX_SO_REUSEADDR:
		/* Accepted: the unix family has no address reuse to allow. */
		atomic_store(&s->reuseaddr, v != 0);
		return 0;
	case LINUX_SO_KEEPALIVE:
		atomic_store(&s->keepalive, v != 0);
		if (s->ops->sockopt_changed)
			s->ops->sockopt_changed(s, name);
		return 0;
	case LINUX_SO_TYPE:
	case LINUX_SO_DOMAIN:
	case LINUX_SO_PROTOCOL:
		return -ENOPROTOOPT;
	default:
		break;
	}
family:
	if (!s->ops->setsockopt)
		return level == LINUX_SOL_SOCKET ? -ENOPROTOOPT : -EOPNOTSUPP;
	return s->ops->setsockopt(t, s, level, name, val, len);
int_opt_short:
	switch (name) {
	case LINUX_SO_SNDBUF:
	case LINUX_SO_RCVBUF:
	case LINUX_SO_PASSCRED:
	case LINUX_SO_REUSEADDR:
	case LINUX_SO_KEEPALIVE:
		return -EINVAL;
	default:
		goto family;
	}
notify:
	/* A bigger send buffer may make the socket writable. */
	waitqueue_notify(&s->wq, LINUX_POLLOUT | LINUX_POLLWRNORM | LINUX_POLLWRBAND);
	return 0;
}
