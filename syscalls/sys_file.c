/*
 * File descriptor and I/O system calls: read, write, readv, writev,
 * pread64, pwrite64, lseek, close, dup, dup2, dup3, fcntl, ioctl. (fstat
 * and newfstatat are with the stat family in sys_stat.c, fcntl's lock
 * commands in sys_fslock.c.)
 *
 * Data moves through a per-thread bounce buffer: a read copies at most
 * what the application's buffer can take (mm_access_prefix), so no input
 * is consumed that cannot be stored, as on Linux.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "common/abi/linux/mman.h"
#include "common/log.h"
#include "common/thread_buf.h"
#include "sentry/fsimpl/pipe/pipe.h"
#include "sentry/kernel/fdtable.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/net/socket.h"
#include "sentry/vfs/file.h"
#include "syscalls/syscalls.h"
#include "syscalls/vfs_ctx.h"

/* Linux's MAX_RW_COUNT: one call moves at most this many bytes. */
#define MAX_RW_COUNT (INT_MAX & PAGE_MASK)
#define BOUNCE_SIZE  (1024 * 1024)

/*
 * The bounce buffer of the calling sentry thread (common/thread_buf.h).
 * 1 MiB, so that a big read costs one host read and one copy to the
 * guest, not sixteen.
 */
static _Thread_local void *g_bounce;

static char *bounce(void)
{
	return thread_buf(&g_bounce, BOUNCE_SIZE);
}

/* The file at fd, O_PATH ones included (Linux's fdget_raw: dup and friends). */
static struct file *get_file_raw(struct task *t, uint64_t fd)
{
	if (fd > INT_MAX)
		return NULL;
	return fdtable_lookup(t->fdt, (int)fd, NULL);
}

/* The file at fd for I/O: an O_PATH fd is EBADF (Linux's fdget). */
static struct file *get_file(struct task *t, uint64_t fd)
{
	struct file *f = get_file_raw(t, fd);
	if (f && (atomic_load(&f->flags) & LINUX_O_PATH)) {
		file_put(f);
		return NULL;
	}
	return f;
}

/* A validated iovec array, clipped to the accessible prefix of guest memory. */
struct iov_set {
	struct linux_iovec iov[LINUX_IOV_MAX];
	int count;
	uint64_t total;
};

/*
 * vfs_read()'s access_ok() on each buffer (whatever is mapped there), then
 * the clamp of the total to MAX_RW_COUNT.
 */
static int check_set(struct iov_set *s)
{
	uint64_t total = 0;
	for (int i = 0; i < s->count; i++) {
		if (!mm_access_ok(s->iov[i].base, s->iov[i].len))
			return -EFAULT;
		s->iov[i].len = MIN(s->iov[i].len, MAX_RW_COUNT - total);
		total += s->iov[i].len;
	}
	s->total = total;
	return 0;
}

/*
 * Reads and checks the application's iovec array as Linux's
 * import_iovec() does: EINVAL for a bad count or length, EFAULT for an
 * unreadable array or a buffer above the user address range. The total is
 * clipped to MAX_RW_COUNT.
 */
static int import_iov(struct task *t, uaddr_t addr, uint64_t count, struct iov_set *out)
{
	if (count > LINUX_IOV_MAX)
		return -EINVAL;
	out->count = (int)count;
	out->total = 0;
	if (count == 0)
		return 0;
	int err = mm_copy_in(t->mm, out->iov, addr, count * sizeof(struct linux_iovec));
	if (err < 0)
		return err;
	for (int i = 0; i < out->count; i++) {
		if ((int64_t)out->iov[i].len < 0)
			return -EINVAL;
	}
	return check_set(out);
}

/*
 * Clips the set to the prefix of guest memory accessible with prot.
 * Returns -EFAULT when not even the first byte is (and total > 0).
 */
static int clip_to_access(struct task *t, struct iov_set *s, int prot)
{
	uint64_t total = 0;
	for (int i = 0; i < s->count; i++) {
		uint64_t ok = mm_access_prefix(t->mm, s->iov[i].base, s->iov[i].len, prot);
		total += ok;
		if (ok < s->iov[i].len) {
			s->iov[i].len = ok;
			s->count = i + 1;
			break;
		}
	}
	if (s->total > 0 && total == 0)
		return -EFAULT;
	s->total = total;
	return 0;
}

enum copy_dir { COPY_OUT, COPY_IN };

/*
 * Moves n bytes between the bounce buffer and the set's guest buffers,
 * starting `from` bytes into the set: out to the guest after a read, in
 * from it before a write.
 */
static int copy_set(struct task *t, const struct iov_set *s, uint64_t from, char *buf, size_t n,
                    enum copy_dir dir)
{
	uint64_t pos = 0;
	for (int i = 0; i < s->count && n > 0; i++) {
		uint64_t len = s->iov[i].len;
		if (from >= pos + len) {
			pos += len;
			continue;
		}
		uint64_t skip = from - pos;
		size_t chunk = (size_t)MIN(len - skip, n);
		uaddr_t addr = s->iov[i].base + skip;
		int err = dir == COPY_OUT ? mm_copy_out(t->mm, addr, buf, chunk)
		                          : mm_copy_in(t->mm, buf, addr, chunk);
		if (err < 0)
			return err;
		buf += chunk;
		n -= chunk;
		from += chunk;
		pos += len;
	}
	return 0;
}

/* A read this big of a regular file with a host fd goes straight into guest memory. */
#define DIRECT_READ_MIN (64 * 1024)

/*
 * The host fd whose bytes are f's when f is a regular VFS file that one
 * backs (the gofer's donated fd, tmpfs's memfd), else -1.
 */
static int direct_read_fd(struct file *f, uint64_t total)
{
	if (total < DIRECT_READ_MIN || !f->inode || !inode_is_reg(f->inode) || !f->ops->mmap_fd)
		return -1;
	int fd;
	return f->ops->mmap_fd(f, false, &fd) == 0 ? fd : -1;
}

/*
 * A read whose copy the host kernel makes, from host_fd into the
 * application's pages (mm_pread_fd): no bounce through the sentry. The
 * set is already checked and clipped. Returns the count, -EOPNOTSUPP
 * when the platform cannot (nothing was read), or -errno.
 */
static long read_direct(struct task *t, struct file *f, int host_fd, struct iov_set *s, int64_t off)
{
	bool use_pos = off < 0;
	if (use_pos) {
		pthread_mutex_lock(&f->pos_mu);
		off = f->pos;
	}
	uint64_t done = 0;
	long ret = 0;
	for (int i = 0; i < s->count; i++) {
		uint64_t len = s->iov[i].len;
		if (len == 0)
			continue;
		long n = mm_pread_fd(t->mm, host_fd, s->iov[i].base, len, (uint64_t)off + done);
		if (n < 0) {
			ret = n;
			break;
		}
		done += (uint64_t)n;
		if ((uint64_t)n < len)
			break;
	}
	if (use_pos) {
		f->pos += (int64_t)done;
		pthread_mutex_unlock(&f->pos_mu);
	}
	return done ? (long)done : ret;
}

/*
 * The read side of read, readv and pread64. A seekable file is read until
 * the request is met or the file runs short; anything else is read once,
 * as a pipe or a terminal returns what it has.
 */
static long do_read(struct task *t, struct file *f, struct iov_set *s, int64_t off)
{
	if (!file_readable(f))
		return -EBADF;
	/* A directory can be "read" as far as the checks go: EISDIR comes from vfs_read. */
	if (!f->ops->read && !(f->inode && inode_is_dir(f->inode)))
		return -EINVAL;
	int err = check_set(s);
	if (err == 0)
		err = clip_to_access(t, s, LINUX_PROT_WRITE);
	if (err < 0)
		return err;
	int host_fd = direct_read_fd(f, s->total);
	if (host_fd >= 0) {
		long n = read_direct(t, f, host_fd, s, off);
		if (n != -EOPNOTSUPP)
			return n;
	}
	bool seekable = f->ops->seekable && f->ops->seekable(f);
	uint64_t done = 0;
	do {
		size_t want = (size_t)MIN(s->total - done, BOUNCE_SIZE);
		char *buf = bounce();
		if (!buf)
			return done ? (long)done : -ENOMEM;
		ssize_t n = vfs_read(f, buf, want, off < 0 ? -1 : off + (int64_t)done);
		if (n < 0)
			return done ? (long)done : n;
		err = copy_set(t, s, done, buf, (size_t)n, COPY_OUT);
		if (err < 0)
			return done ? (long)done : err;
		done += (uint64_t)n;
		if ((size_t)n < want)
			break;
	} while (seekable && done < s->total);
	return (long)done;
}

static long do_write(struct task *t, struct file *f, struct iov_set *s, int64_t off)
{
	if (!file_writable(f))
		return -EBADF;
	if (!f->ops->write)
		return -EINVAL;
	int err = check_set(s);
	if (err == 0)
		err = clip_to_access(t, s, LINUX_PROT_READ);
	if (err < 0)
		return err;
	uint64_t done = 0;
	do {
		size_t want = (size_t)MIN(s->total - done, BOUNCE_SIZE);
		char *buf = bounce();
		if (!buf)
			return done ? (long)done : -ENOMEM;
		err = copy_set(t, s, done, buf, want, COPY_IN);
		if (err < 0)
			return done ? (long)done : err;
		ssize_t n = vfs_write(f, buf, want, off < 0 ? -1 : off + (int64_t)done);
		/*
		 * A write to a pipe with no reader also raises SIGPIPE (pipe_write()'s
		 * send_sig()); the sandbox's init drops it, as Linux's does. A
		 * socket decides for itself, as each Linux protocol does.
		 */
		if (n == -EPIPE && !socket_file_is(f))
			task_send_thread_signal(t, LINUX_SIGPIPE, NULL);
		if (n < 0)
			return done ? (long)done : n;
		done += (uint64_t)n;
		if ((size_t)n < want)
			break;
	} while (done < s->total);
	return (long)done;
}

/* A set of one buffer; `len` is kept whole for the access_ok check in check_set. */
static void single_iov(struct iov_set *s, uaddr_t buf, uint64_t len)
{
	s->iov[0] = (struct linux_iovec){ buf, len };
	s->count = 1;
	s->total = s->iov[0].len;
}

enum rw_kind { RW_READ, RW_WRITE };

/* read, write, pread64, pwrite64: off is -1 for the current position. */
static long rw_single(struct task *t, enum rw_kind kind, uint64_t fd, uaddr_t buf, uint64_t len,
                      int64_t off)
{
	struct file *f = get_file(t, fd);
	if (!f)
		return -EBADF;
	long ret;
	if (off >= 0 && !(f->ops->seekable && f->ops->seekable(f))) {
		ret = -ESPIPE;
		goto out_put;
	}
	struct iov_set s;
	single_iov(&s, buf, len);
	ret = kind == RW_READ ? do_read(t, f, &s, off) : do_write(t, f, &s, off);
out_put:
	file_put(f);
	return ret;
}

static long rw_vector(struct task *t, enum rw_kind kind, uint64_t fd, uaddr_t iov, uint64_t count)
{
	struct file *f = get_file(t, fd);
	if (!f)
		return -EBADF;
	static _Thread_local void *slot;
	struct iov_set *s = thread_buf(&slot, sizeof(*s));
	long ret = s ? import_iov(t, iov, count, s) : -ENOMEM;
	if (ret == 0)
		ret = kind == RW_READ ? do_read(t, f, s, -1) : do_write(t, f, s, -1);
	file_put(f);
	return ret;
}

/* sys_read implements read(2). */
long sys_read(struct task *t, const struct sys_args *a)
{
	return rw_single(t, RW_READ, a->a[0], a->a[1], a->a[2], -1);
}

/* sys_write implements write(2). */
long sys_write(struct task *t, const struct sys_args *a)
{
	return rw_single(t, RW_WRITE, a->a[0], a->a[1], a->a[2], -1);
}

/* sys_pread64 implements pread64(2). */
long sys_pread64(struct task *t, const struct sys_args *a)
{
	if ((int64_t)a->a[3] < 0)
		return -EINVAL;
	return rw_single(t, RW_READ, a->a[0], a->a[1], a->a[2], (int64_t)a->a[3]);
}

/* sys_pwrite64 implements pwrite64(2). */
long sys_pwrite64(struct task *t, const struct sys_args *a)
{
	if ((int64_t)a->a[3] < 0)
		return -EINVAL;
	return rw_single(t, RW_WRITE, a->a[0], a->a[1], a->a[2], (int64_t)a->a[3]);
}

/* sys_readv implements readv(2). */
long sys_readv(struct task *t, const struct sys_args *a)
{
	return rw_vector(t, RW_READ, a->a[0], a->a[1], a->a[2]);
}

/* sys_writev implements writev(2). */
long sys_writev(struct task *t, const struct sys_args *a)
{
	return rw_vector(t, RW_WRITE, a->a[0], a->a[1], a->a[2]);
}

/* sys_lseek implements lseek(2). */
long sys_lseek(struct task *t, const struct sys_args *a)
{
	struct file *f = get_file(t, a->a[0]);
	if (!f)
		return -EBADF;
	long ret;
	int whence = (int)a->a[2];
	if ((uint32_t)a->a[2] > 4 /* SEEK_HOLE */)
		ret = -EINVAL;
	else
		ret = (long)vfs_llseek(f, (int64_t)a->a[1], whence);
	file_put(f);
	return ret;
}

/* sys_close implements close(2). */
long sys_close(struct task *t, const struct sys_args *a)
{
	if (a->a[0] > INT_MAX)
		return -EBADF;
	return fdtable_close(t->fdt, (int)a->a[0]);
}

/* sys_dup implements dup(2). */
long sys_dup(struct task *t, const struct sys_args *a)
{
	struct file *f = get_file_raw(t, a->a[0]);
	if (!f)
		return -EBADF;
	long ret = fdtable_install(t->fdt, f, 0, false, task_nofile_limit(t));
	file_put(f);
	return ret;
}

static long do_dup3(struct task *t, uint64_t oldfd, uint64_t newfd, uint64_t flags)
{
	if (flags & ~(uint64_t)LINUX_O_CLOEXEC)
		return -EINVAL;
	if (oldfd == newfd)
		return -EINVAL;
	int limit = task_nofile_limit(t);
	if ((uint32_t)newfd >= (uint32_t)limit)
		return -EBADF;
	struct file *f = get_file_raw(t, oldfd);
	if (!f)
		return -EBADF;
	long ret = fdtable_install_at(t->fdt, (int)newfd, f, flags & LINUX_O_CLOEXEC, limit);
	file_put(f);
	return ret;
}

/* sys_dup2 implements dup2(2). */
long sys_dup2(struct task *t, const struct sys_args *a)
{
	uint32_t oldfd = (uint32_t)a->a[0], newfd = (uint32_t)a->a[1];
	if (oldfd == newfd) {
		struct file *f = get_file_raw(t, oldfd);
		if (!f)
			return -EBADF;
		file_put(f);
		return newfd;
	}
	return do_dup3(t, oldfd, newfd, 0);
}

/* sys_dup3 implements dup3(2). */
long sys_dup3(struct task *t, const struct sys_args *a)
{
	return do_dup3(t, (uint32_t)a->a[0], (uint32_t)a->a[1], (uint32_t)a->a[2]);
}

/* Status flags F_SETFL may change (Linux's SETFL_MASK). */
#define SETFL_MASK \
	(LINUX_O_APPEND | LINUX_O_NONBLOCK | LINUX_O_ASYNC | LINUX_O_DIRECT | LINUX_O_NOATIME)

/* Linux's check_fcntl_cmd(): what an O_PATH fd allows. */
static bool fcntl_cmd_on_opath(uint32_t cmd)
{
	switch (cmd) {
	case LINUX_F_DUPFD:
	case LINUX_F_DUPFD_CLOEXEC:
	case LINUX_F_GETFD:
	case LINUX_F_SETFD:
	case LINUX_F_GETFL:
		return true;
	}
	return false;
}

/* sys_fcntl implements fcntl(2). */
long sys_fcntl(struct task *t, const struct sys_args *a)
{
	int fd = a->a[0] > INT_MAX ? -1 : (int)a->a[0];
	bool cloexec = false;
	struct file *f = fd < 0 ? NULL : fdtable_lookup(t->fdt, fd, &cloexec);
	if (!f)
		return -EBADF;
	uint32_t cmd = (uint32_t)a->a[1];
	uint64_t arg = a->a[2];
	long ret;
	if ((atomic_load(&f->flags) & LINUX_O_PATH) && !fcntl_cmd_on_opath(cmd)) {
		file_put(f);
		return -EBADF;
	}
	switch (cmd) {
	case LINUX_F_DUPFD:
	case LINUX_F_DUPFD_CLOEXEC: {
		int limit = task_nofile_limit(t);
		if ((uint32_t)arg >= (uint32_t)limit)
			ret = -EINVAL;
		else
			ret = fdtable_install(t->fdt, f, (int)arg, cmd == LINUX_F_DUPFD_CLOEXEC,
			                      limit);
		break;
	}
	case LINUX_F_GETFD:
		ret = cloexec ? LINUX_FD_CLOEXEC : 0;
		break;
	case LINUX_F_SETFD:
		ret = fdtable_set_cloexec(t->fdt, fd, arg & LINUX_FD_CLOEXEC);
		break;
	case LINUX_F_GETFL:
		ret = atomic_load(&f->flags);
		break;
	case LINUX_F_SETFL: {
		unsigned old = atomic_load(&f->flags);
		unsigned flags = (old & ~SETFL_MASK) | ((unsigned)arg & SETFL_MASK);
		ret = f->ops->set_status_flags ? f->ops->set_status_flags(f, flags) : 0;
		if (ret == 0)
			atomic_store(&f->flags, flags);
		break;
	}
	case LINUX_F_GETPIPE_SZ:
	case LINUX_F_SETPIPE_SZ:
		ret = pipe_fcntl(t, f, cmd, arg);
		break;
	case LINUX_F_GETLK:
	case LINUX_F_SETLK:
	case LINUX_F_SETLKW:
	case LINUX_F_OFD_GETLK:
	case LINUX_F_OFD_SETLK:
	case LINUX_F_OFD_SETLKW:
		ret = fslock_fcntl(t, f, cmd, arg);
		break;
	default:
		log_info("fcntl: unsupported command %u", cmd);
		ret = -EINVAL;
		break;
	}
	file_put(f);
	return ret;
}

#define LINUX_FIONCLEX 0x5450
#define LINUX_FIOCLEX  0x5451
#define LINUX_FIONBIO  0x5421

/* sys_ioctl implements ioctl(2): the generic requests here, the rest per file. */
long sys_ioctl(struct task *t, const struct sys_args *a)
{
	int fd = a->a[0] > INT_MAX ? -1 : (int)a->a[0];
	struct file *f = get_file(t, a->a[0]);
	if (!f)
		return -EBADF;
	uint32_t cmd = (uint32_t)a->a[1];
	long ret;
	switch (cmd) {
	case LINUX_FIOCLEX:
	case LINUX_FIONCLEX:
		ret = fdtable_set_cloexec(t->fdt, fd, cmd == LINUX_FIOCLEX);
		break;
	case LINUX_FIONBIO: {
		int32_t on;
		ret = mm_copy_in(t->mm, &on, a->a[2], sizeof(on));
		if (ret < 0)
			break;
		unsigned old = atomic_load(&f->flags);
		unsigned flags = on ? old | LINUX_O_NONBLOCK : old & ~LINUX_O_NONBLOCK;
		ret = f->ops->set_status_flags ? f->ops->set_status_flags(f, flags) : 0;
		if (ret == 0)
			atomic_store(&f->flags, flags);
		break;
	}
	case LINUX_FIONREAD:
		if (f->inode && inode_is_reg(f->inode)) {
			/* Linux's do_vfs_ioctl: a regular file's bytes from the position to the
			 * end. */
			struct linux_statx sx;
			ret = vfs_file_getattr(f, &sx);
			if (ret < 0)
				break;
			pthread_mutex_lock(&f->pos_mu);
			int32_t left = (int32_t)((int64_t)sx.size - f->pos);
			pthread_mutex_unlock(&f->pos_mu);
			ret = mm_copy_out(t->mm, a->a[2], &left, sizeof(left));
			break;
		}
		/* Anything else: the file's own answer (pipes, sockets, terminals). */
		/* fallthrough */
	default:
		ret = f->ops->ioctl ? f->ops->ioctl(t, f, cmd, a->a[2]) : -ENOTTY;
		break;
	}
	file_put(f);
	return ret;
}
