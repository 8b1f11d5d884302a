/*
 * The socket system calls: socket, socketpair, bind, listen, accept,
 * accept4, connect, sendto, recvfrom, sendmsg, recvmsg, shutdown,
 * getsockname, getpeername, getsockopt, setsockopt (Linux's net/socket.c).
 *
 * Each handler looks the fd up (EBADF, then ENOTSOCK), copies addresses,
 * iovecs and control messages in with Linux's limits, calls the socket
 * layer (sentry/net/socket.h) and copies results out as
 * move_addr_to_user does: truncated to the caller's room, with the full
 * length written back. Data stays in guest memory behind a net_iter until
 * the family copies it.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/thread_buf.h"
#include "common/util.h"
#include "sentry/kernel/fdtable.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/net/socket.h"
#include "syscalls/syscalls.h"
#include "syscalls/vfs_ctx.h"

#define LINUX_SOCK_MAX 11
/* net.core.optmem_max: the largest control buffer sendmsg takes. */
#define OPTMEM_MAX (128 * 1024)
/* The most control data a receive produces: credentials and SCM_MAX_FD fds. */
#define RECV_CONTROL_MAX 4096
/* Linux's MAX_RW_COUNT. */
#define MAX_RW_COUNT (INT_MAX & PAGE_MASK)

/* The socket at fd: a new file reference, or -EBADF / -ENOTSOCK. */
static int get_socket(struct task *t, uint64_t fd, struct socket **out)
{
	struct file *f = task_fd_get(t, fd, /*raw=*/false);
	if (!f)
		return -EBADF;
	if (!socket_file_is(f)) {
		file_put(f);
		return -ENOTSOCK;
	}
	*out = socket_of_file(f);
	return 0;
}

static void put_socket(struct socket *s)
{
	file_put(&s->file);
}

/* Linux's move_addr_to_kernel. */
static int addr_in(struct task *t, uaddr_t uaddr, uint64_t ulen, char *buf, size_t *len)
{
	int l = arg_int(ulen);
	if (l < 0 || l > LINUX_SOCKADDR_MAX)
		return -EINVAL;
	*len = (size_t)l;
	if (l == 0)
		return 0;
	return mm_copy_in(t->mm, buf, uaddr, (size_t)l);
}

/* Linux's move_addr_to_user: the room at *ulen, then the full length written back. */
static int addr_out(struct task *t, const void *addr, size_t klen, uaddr_t uaddr, uaddr_t ulen)
{
	int len;
	int err = mm_copy_in(t->mm, &len, ulen, sizeof(len));
	if (err < 0)
		return err;
	if (len > (int)klen)
		len = (int)klen;
	if (len < 0)
		return -EINVAL;
	if (len) {
		err = mm_copy_out(t->mm, uaddr, addr, (size_t)len);
		if (err < 0)
			return err;
	}
	int full = (int)klen;
	return mm_copy_out(t->mm, ulen, &full, sizeof(full));
}

/* Installs a new socket's file at the lowest free fd. Consumes the reference. */
static long install_socket(struct task *t, struct socket *s, bool cloexec)
{
	int fd = fdtable_install(t->fdt, &s->file, 0, cloexec, task_nofile_limit(t));
	put_socket(s);
	return fd;
}

/* Splits socket(2)'s type into the type and the file flags (-EINVAL for unknown flags). */
static int decode_type(uint64_t arg, int *type, unsigned *fflags, bool *cloexec)
{
	int v = arg_int(arg);
	int flags = v & ~LINUX_SOCK_TYPE_MASK;
	if (flags & ~(LINUX_SOCK_CLOEXEC | LINUX_SOCK_NONBLOCK))
		return -EINVAL;
	*type = v & LINUX_SOCK_TYPE_MASK;
	*fflags = flags & LINUX_SOCK_NONBLOCK;
	*cloexec = flags & LINUX_SOCK_CLOEXEC;
	return 0;
}

/* sys_socket implements socket(2). */
long sys_socket(struct task *t, const struct sys_args *a)
{
	int family = arg_int(a->a[0]), type;
	unsigned fflags;
	bool cloexec;
	int err = decode_type(a->a[1], &type, &fflags, &cloexec);
	if (err < 0)
		return err;
	if (family < 0 || family >= LINUX_AF_MAX)
		return -EAFNOSUPPORT;
	if (type < 0 || type >= LINUX_SOCK_MAX)
		return -EINVAL;
	struct socket *s;
	err = socket_create(t, family, type, arg_int(a->a[2]), fflags, &s);
	if (err < 0)
		return err;
	return install_socket(t, s, cloexec);
}

/* sys_socketpair implements socketpair(2). */
long sys_socketpair(struct task *t, const struct sys_args *a)
{
	int family = arg_int(a->a[0]), type;
	unsigned fflags;
	bool cloexec;
	int err = decode_type(a->a[1], &type, &fflags, &cloexec);
	if (err < 0)
		return err;
	if (family < 0 || family >= LINUX_AF_MAX)
		return -EAFNOSUPPORT;
	if (type < 0 || type >= LINUX_SOCK_MAX)
		return -EINVAL;
	struct socket *s[2];
	err = socket_create_pair(t, family, type, arg_int(a->a[2]), fflags, &s[0], &s[1]);
	if (err < 0)
		return err;
	int fds[2] = { -1, -1 };
	int limit = task_nofile_limit(t);
	for (int i = 0; i < 2 && err == 0; i++) {
		fds[i] = fdtable_install(t->fdt, &s[i]->file, 0, cloexec, limit);
		if (fds[i] < 0)
			err = fds[i];
	}
	if (err == 0)
		err = mm_copy_out(t->mm, a->a[3], fds, sizeof(fds));
	if (err < 0) {
		/* The application never saw these fds. */
		for (int i = 0; i < 2; i++) {
			if (fds[i] >= 0)
				fdtable_close(t->fdt, fds[i]);
		}
	}
	put_socket(s[0]);
	put_socket(s[1]);
	return err;
}

/* sys_bind implements bind(2). */
long sys_bind(struct task *t, const struct sys_args *a)
{
	struct socket *s;
	int err = get_socket(t, a->a[0], &s);
	if (err < 0)
		return err;
	char addr[LINUX_SOCKADDR_MAX];
	size_t len;
	err = addr_in(t, a->a[1], a->a[2], addr, &len);
	if (err == 0)
		err = s->ops->bind ? s->ops->bind(t, s, addr, len) : -EOPNOTSUPP;
	put_socket(s);
	return err;
}

/* sys_listen implements listen(2). */
long sys_listen(struct task *t, const struct sys_args *a)
{
	struct socket *s;
	int err = get_socket(t, a->a[0], &s);
	if (err < 0)
		return err;
	/* As Linux: a backlog above somaxconn (a negative one too) is somaxconn. */
	unsigned backlog = (unsigned)arg_int(a->a[1]);
	if (backlog > SOCK_SOMAXCONN)
		backlog = SOCK_SOMAXCONN;
	err = s->ops->listen ? s->ops->listen(t, s, (int)backlog) : -EOPNOTSUPP;
	put_socket(s);
	return err;
}

static long do_accept4(struct task *t, uint64_t fd, uaddr_t uaddr, uaddr_t ulen, uint64_t flags)
{
	if ((int)flags & ~(LINUX_SOCK_CLOEXEC | LINUX_SOCK_NONBLOCK))
		return -EINVAL;
	struct socket *s;
	int err = get_socket(t, fd, &s);
	if (err < 0)
		return err;
	/* The fd first (get_unused_fd_flags): EMFILE takes no connection. */
	int newfd = fdtable_reserve(t->fdt, task_nofile_limit(t));
	if (newfd < 0) {
		put_socket(s);
		return newfd;
	}
	struct socket *ns = NULL;
	err = s->ops->accept ? s->ops->accept(t, s, (unsigned)flags & LINUX_SOCK_NONBLOCK, &ns)
	                     : -EOPNOTSUPP;
	put_socket(s);
	if (err == 0 && uaddr) {
		char addr[LINUX_SOCKADDR_MAX];
		size_t len;
		err = ns->ops->getname(ns, /*peer=*/true, addr, &len);
		if (err < 0)
			err = -ECONNABORTED;
		else
			err = addr_out(t, addr, len, uaddr, ulen);
	}
	if (err < 0) {
		fdtable_unreserve(t->fdt, newfd);
		if (ns)
			put_socket(ns);
		return err;
	}
	fdtable_install_reserved(t->fdt, newfd, &ns->file, flags & LINUX_SOCK_CLOEXEC);
	put_socket(ns);
	return newfd;
}

/* sys_accept implements accept(2). */
long sys_accept(struct task *t, const struct sys_args *a)
{
	return do_accept4(t, a->a[0], a->a[1], a->a[2], 0);
}

/* sys_accept4 implements accept4(2). */
long sys_accept4(struct task *t, const struct sys_args *a)
{
	return do_accept4(t, a->a[0], a->a[1], a->a[2], (uint32_t)a->a[3]);
}

/* sys_connect implements connect(2). */
long sys_connect(struct task *t, const struct sys_args *a)
{
	struct file *f = task_fd_get(t, a->a[0], /*raw=*/false);
	if (!f)
		return -EBADF;
	char addr[LINUX_SOCKADDR_MAX];
	size_t len;
	int err = addr_in(t, a->a[1], a->a[2], addr, &len);
	if (err == 0 && !socket_file_is(f))
		err = -ENOTSOCK;
	if (err == 0) {
		struct socket *s = socket_of_file(f);
		err = s->ops->connect ? s->ops->connect(t, s, addr, len) : -EOPNOTSUPP;
	}
	file_put(f);
	return err;
}

/* The iovecs of a sendmsg/recvmsg, checked as import_iovec. */
struct iov_in {
	struct linux_iovec iov[LINUX_IOV_MAX];
	int count;
	size_t total;
};

static int import_iov(struct task *t, uaddr_t uiov, uint64_t count, struct iov_in *out)
{
	if (count > LINUX_IOV_MAX)
		return -EMSGSIZE;
	out->count = (int)count;
	out->total = 0;
	if (count == 0)
		return 0;
	int err = mm_copy_in(t->mm, out->iov, uiov, count * sizeof(struct linux_iovec));
	if (err < 0)
		return err;
	for (int i = 0; i < out->count; i++) {
		if ((int64_t)out->iov[i].len < 0)
			return -EINVAL;
		if (!mm_access_ok(out->iov[i].base, out->iov[i].len))
			return -EFAULT;
		out->iov[i].len = MIN(out->iov[i].len, MAX_RW_COUNT - out->total);
		out->total += out->iov[i].len;
	}
	return 0;
}

/* Sends m on s, with the SIGPIPE and MSG_* rules left to the family. */
static long do_send(struct task *t, struct socket *s, struct sock_msg *m, int flags)
{
	if (!s->ops->sendmsg)
		return -EOPNOTSUPP;
	return s->ops->sendmsg(t, s, m, flags);
}

/* sys_sendto implements sendto(2) (and send(2), which glibc makes a sendto). */
long sys_sendto(struct task *t, const struct sys_args *a)
{
	uint64_t len = MIN(a->a[2], (uint64_t)INT_MAX);
	if (!mm_access_ok(a->a[1], len))
		return -EFAULT;
	struct socket *s;
	int err = get_socket(t, a->a[0], &s);
	if (err < 0)
		return err;
	struct linux_iovec iov = { a->a[1], len };
	struct sock_msg m = { 0 };
	net_iter_init_iov(&m.data, t->mm, &iov, 1, len);
	char addr[LINUX_SOCKADDR_MAX];
	long ret = 0;
	if (a->a[4]) {
		ret = addr_in(t, a->a[4], a->a[5], addr, &m.namelen);
		if (m.namelen)
			m.name = addr;
	}
	if (ret == 0)
		ret = do_send(t, s, &m, (int)a->a[3]);
	put_socket(s);
	return ret;
}

/* sys_recvfrom implements recvfrom(2) (and recv(2)). */
long sys_recvfrom(struct task *t, const struct sys_args *a)
{
	uint64_t len = MIN(a->a[2], (uint64_t)INT_MAX);
	if (!mm_access_ok(a->a[1], len))
		return -EFAULT;
	struct socket *s;
	int err = get_socket(t, a->a[0], &s);
	if (err < 0)
		return err;
	struct linux_iovec iov = { a->a[1], len };
	struct sock_msg m = { 0 };
	net_iter_init_iov(&m.data, t->mm, &iov, 1, len);
	char addr[LINUX_SOCKADDR_MAX];
	m.name = a->a[4] ? addr : NULL;
	long ret = s->ops->recvmsg ? s->ops->recvmsg(t, s, &m, (int)a->a[3]) : -EOPNOTSUPP;
	if (ret >= 0 && a->a[4]) {
		err = addr_out(t, addr, m.namelen, a->a[4], a->a[5]);
		if (err < 0)
			ret = err;
	}
	put_socket(s);
	return ret;
}

/* One sendmsg of the msghdr at uh on s: the bytes sent or -errno. */
static long send_msghdr(struct task *t, struct socket *s, uaddr_t uh, int flags)
{
	struct linux_msghdr h;
	static _Thread_local void *iov_slot;
	struct iov_in *iov = thread_buf(&iov_slot, sizeof(*iov));
	char addr[LINUX_SOCKADDR_MAX];
	char *control = NULL;
	struct sock_msg m = { 0 };
	long ret = mm_copy_in(t->mm, &h, uh, sizeof(h));
	if (ret < 0)
		return ret;
	if (h.name && h.namelen) {
		/* Linux clamps a long name to sockaddr_storage. */
		m.namelen = MIN((size_t)h.namelen, (size_t)LINUX_SOCKADDR_MAX);
		if ((int32_t)h.namelen < 0)
			return -EINVAL;
		ret = mm_copy_in(t->mm, addr, h.name, m.namelen);
		if (ret < 0)
			return ret;
		m.name = addr;
	}
	ret = iov ? import_iov(t, h.iov, h.iovlen, iov) : -ENOMEM;
	if (ret < 0)
		return ret;
	if (h.controllen > INT_MAX || h.controllen > OPTMEM_MAX)
		return -ENOBUFS;
	if (h.controllen) {
		control = malloc(h.controllen);
		if (!control)
			return -ENOBUFS;
		ret = mm_copy_in(t->mm, control, h.control, h.controllen);
		if (ret < 0)
			goto out_free;
		m.control = control;
		m.controllen = h.controllen;
	}
	net_iter_init_iov(&m.data, t->mm, iov->iov, iov->count, iov->total);
	ret = do_send(t, s, &m, flags);
out_free:
	free(control);
	return ret;
}

/* One recvmsg into the msghdr at uh from s: the bytes received or -errno. */
static long recv_msghdr(struct task *t, struct socket *s, uaddr_t uh, int flags)
{
	struct linux_msghdr h;
	static _Thread_local void *iov_slot;
	struct iov_in *iov = thread_buf(&iov_slot, sizeof(*iov));
	char addr[LINUX_SOCKADDR_MAX];
	char control[RECV_CONTROL_MAX];
	struct sock_msg m = { 0 };
	long ret = mm_copy_in(t->mm, &h, uh, sizeof(h));
	if (ret < 0)
		return ret;
	ret = iov ? import_iov(t, h.iov, h.iovlen, iov) : -ENOMEM;
	if (ret < 0)
		return ret;
	net_iter_init_iov(&m.data, t->mm, iov->iov, iov->count, iov->total);
	m.name = h.name ? addr : NULL;
	if (h.control && h.controllen) {
		m.control = control;
		m.controllen = MIN(h.controllen, sizeof(control));
	}
	ret = s->ops->recvmsg ? s->ops->recvmsg(t, s, &m, flags) : -EOPNOTSUPP;
	if (ret < 0)
		return ret;
	int err = 0;
	if (h.name)
		err = addr_out(t, addr, m.namelen, h.name,
		               uh + offsetof(struct linux_msghdr, namelen));
	int32_t flags_out = m.flags_out;
	uint64_t used = m.control ? m.controllen : 0;
	if (err == 0 && used)
		err = mm_copy_out(t->mm, h.control, control, used);
	if (err == 0)
		err = mm_copy_out(t->mm, uh + offsetof(struct linux_msghdr, flags), &flags_out,
		                  sizeof(flags_out));
	if (err == 0)
		err = mm_copy_out(t->mm, uh + offsetof(struct linux_msghdr, controllen), &used,
		                  sizeof(used));
	return err < 0 ? err : ret;
}

/* sys_sendmsg implements sendmsg(2). */
long sys_sendmsg(struct task *t, const struct sys_args *a)
{
	struct socket *s;
	int err = get_socket(t, a->a[0], &s);
	if (err < 0)
		return err;
	long ret = send_msghdr(t, s, a->a[1], (int)a->a[2]);
	put_socket(s);
	return ret;
}

/* sys_recvmsg implements recvmsg(2). */
long sys_recvmsg(struct task *t, const struct sys_args *a)
{
	struct socket *s;
	int err = get_socket(t, a->a[0], &s);
	if (err < 0)
		return err;
	long ret = recv_msghdr(t, s, a->a[1], (int)a->a[2]);
	put_socket(s);
	return ret;
}

/* struct mmsghdr: a msghdr and the length that message moved. */
#define MMSGHDR_SIZE   64
#define MMSGHDR_LEN_AT 56
/* Linux's UIO_MAXIOV: the most messages one call moves. */
#define MMSG_MAX             1024
#define LINUX_MSG_WAITFORONE 0x10000

/* One message of an mmsghdr array at uh, sent or received, then its msg_len: its length or -errno.
 */
static long mmsg_one(struct task *t, struct socket *s, uaddr_t uh, int flags, bool send)
{
	long ret = send ? send_msghdr(t, s, uh, flags) : recv_msghdr(t, s, uh, flags);
	if (ret < 0)
		return ret;
	uint32_t len = (uint32_t)ret;
	long err = mm_copy_out(t->mm, uh + MMSGHDR_LEN_AT, &len, sizeof(len));
	return err < 0 ? err : ret;
}

/* sys_sendmmsg implements sendmmsg(2): each message as sendmsg, until one fails. */
long sys_sendmmsg(struct task *t, const struct sys_args *a)
{
	struct socket *s;
	int err = get_socket(t, a->a[0], &s);
	if (err < 0)
		return err;
	unsigned vlen = MIN((unsigned)a->a[2], (unsigned)MMSG_MAX);
	int flags = (int)a->a[3];
	long ret = 0;
	unsigned done = 0;
	for (; done < vlen; done++) {
		uaddr_t uh = a->a[1] + (uint64_t)done * MMSGHDR_SIZE;
		ret = mmsg_one(t, s, uh, flags, true);
		if (ret < 0)
			break;
	}
	put_socket(s);
	/* Linux: the messages sent, or the first one's error (a later error is lost). */
	return done ? (long)done : ret;
}

/* sys_recvmmsg implements recvmmsg(2), with Linux's timeout: checked after each message. */
long sys_recvmmsg(struct task *t, const struct sys_args *a)
{
	struct linux_timespec ts;
	struct timespec deadline = { 0 }, now;
	bool timed = a->a[4] != 0;
	if (timed) {
		int err = mm_copy_in(t->mm, &ts, a->a[4], sizeof(ts));
		if (err < 0)
			return err;
		if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000L)
			return -EINVAL;
		clock_gettime(CLOCK_MONOTONIC, &deadline);
		deadline.tv_sec += ts.tv_sec;
		deadline.tv_nsec += ts.tv_nsec;
		if (deadline.tv_nsec >= 1000000000L) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000L;
		}
	}
	struct socket *s;
	int err = get_socket(t, a->a[0], &s);
	if (err < 0)
		return err;
	unsigned vlen = MIN((unsigned)a->a[2], (unsigned)MMSG_MAX);
	int flags = (int)a->a[3];
	long ret = 0;
	unsigned done = 0;
	for (; done < vlen; done++) {
		uaddr_t uh = a->a[1] + (uint64_t)done * MMSGHDR_SIZE;
		ret = mmsg_one(t, s, uh, flags & ~LINUX_MSG_WAITFORONE, false);
		if (ret < 0)
			break;
		/* After the first message, MSG_WAITFORONE makes the rest non-blocking. */
		if (flags & LINUX_MSG_WAITFORONE)
			flags |= LINUX_MSG_DONTWAIT;
		if (timed) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (now.tv_sec > deadline.tv_sec ||
			    (now.tv_sec == deadline.tv_sec && now.tv_nsec >= deadline.tv_nsec)) {
				done++;
				break;
			}
		}
	}
	put_socket(s);
	if (timed && (done || ret >= 0)) {
		/* Linux writes the time left back. */
		clock_gettime(CLOCK_MONOTONIC, &now);
		int64_t left = (deadline.tv_sec - now.tv_sec) * 1000000000LL +
		               (deadline.tv_nsec - now.tv_nsec);
		if (left < 0)
			left = 0;
		ts.tv_sec = left / 1000000000LL;
		ts.tv_nsec = left % 1000000000LL;
		if (mm_copy_out(t->mm, a->a[4], &ts, sizeof(ts)) < 0 && !done)
			return -EFAULT;
	}
	/* Linux: the messages received; an error after some is reported by the next call. */
	if (done)
		return (long)done;
	return ret == -LINUX_ERESTARTSYS && timed ? -EINTR : ret;
}

/* sys_shutdown implements shutdown(2). */
long sys_shutdown(struct task *t, const struct sys_args *a)
{
	struct socket *s;
	int err = get_socket(t, a->a[0], &s);
	if (err < 0)
		return err;
	int how = arg_int(a->a[1]);
	if (how < LINUX_SHUT_RD || how > LINUX_SHUT_RDWR)
		err = -EINVAL;
	else
		err = s->ops->shutdown ? s->ops->shutdown(s, how) : -EOPNOTSUPP;
	put_socket(s);
	return err;
}

static long do_getname(struct task *t, const struct sys_args *a, bool peer)
{
	struct socket *s;
	int err = get_socket(t, a->a[0], &s);
	if (err < 0)
		return err;
	char addr[LINUX_SOCKADDR_MAX];
	size_t len;
	err = s->ops->getname(s, peer, addr, &len);
	if (err == 0)
		err = addr_out(t, addr, len, a->a[1], a->a[2]);
	put_socket(s);
	return err;
}

/* sys_getsockname implements getsockname(2). */
long sys_getsockname(struct task *t, const struct sys_args *a)
{
	return do_getname(t, a, false);
}

/* sys_getpeername implements getpeername(2). */
long sys_getpeername(struct task *t, const struct sys_args *a)
{
	return do_getname(t, a, true);
}

/* The largest option value any family reads or writes (TCP_INFO's struct tcp_info: 232 today). */
#define OPT_MAX 256

/* sys_getsockopt implements getsockopt(2). */
long sys_getsockopt(struct task *t, const struct sys_args *a)
{
	struct socket *s;
	int err = get_socket(t, a->a[0], &s);
	if (err < 0)
		return err;
	int ulen;
	err = mm_copy_in(t->mm, &ulen, a->a[4], sizeof(ulen));
	if (err == 0 && ulen < 0)
		err = -EINVAL;
	if (err == 0) {
		char val[OPT_MAX] = { 0 };
		size_t len = MIN((size_t)ulen, sizeof(val));
		err = socket_getsockopt(t, s, arg_int(a->a[1]), arg_int(a->a[2]), val, &len);
		if (err == 0 && len)
			err = mm_copy_out(t->mm, a->a[3], val, len);
		int out = (int)len;
		if (err == 0)
			err = mm_copy_out(t->mm, a->a[4], &out, sizeof(out));
	}
	put_socket(s);
	return err;
}

/* sys_setsockopt implements setsockopt(2). */
long sys_setsockopt(struct task *t, const struct sys_args *a)
{
	struct socket *s;
	int err = get_socket(t, a->a[0], &s);
	if (err < 0)
		return err;
	int ulen = arg_int(a->a[4]);
	if (ulen < 0) {
		err = -EINVAL;
	} else {
		/*
		 * The option's value, up to OPT_MAX bytes (ICMP6_FILTER's 32, TCP_INFO-sized
		 * structs): the family gets exactly the bytes read, and a longer optlen as
		 * OPT_MAX (every option reads its own size from the start, as Linux's).
		 */
		char val[OPT_MAX] = { 0 };
		size_t len = MIN((size_t)ulen, sizeof(val));
		if (len)
			err = mm_copy_in(t->mm, val, a->a[3], len);
		if (err == 0)
			err = socket_setsockopt(t, s, arg_int(a->a[1]), arg_int(a->a[2]), val, len);
	}
	put_socket(s);
	return err;
}
