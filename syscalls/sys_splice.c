/*
 * Data moved between two files inside the kernel: sendfile,
 * copy_file_range, splice and tee.
 *
 * The sandbox has no page cache to share between files, so data goes
 * through a bounce buffer: a read from one file, then a write to the
 * other. Checks and offsets are Linux's (fs/read_write.c, fs/splice.c).
 *
 * Pipes are the sentry's own (sentry/fsimpl/pipe) or host pipes the
 * sandbox inherited as stdio; a file is a pipe when its type is S_IFIFO.
 * Out of a sentry pipe, splice and tee copy the front of the pipe without
 * consuming it (pipe_peek), pass it on, and then consume what the output
 * took, so nothing is lost when the output stops short; into a sentry
 * pipe they first wait for room and read no more than fits. A host pipe
 * cannot give data back, so splice from a host pipe to a file whose write
 * stops short loses the rest of what it read (Linux would leave it in the
 * pipe). tee between two host pipes is the host's tee(2) on their fds
 * (host_file_tee); tee from a host pipe into a sentry pipe is ENOSYS.
 * SPLICE_F_NONBLOCK (or the pipe's O_NONBLOCK) makes a sentry pipe's side
 * fail with EAGAIN instead of waiting; a host pipe's own mode decides for
 * it.
 */
#include <errno.h>
#include <stdlib.h>

#include "common/log.h"
#include "common/thread_buf.h"
#include "sentry/fsimpl/host/host.h"
#include "sentry/fsimpl/pipe/pipe.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "syscalls/syscalls.h"
#include "syscalls/vfs_ctx.h"

#define SPLICE_BUF_SIZE (64 * 1024)

#define SPLICE_F_ALL \
	(LINUX_SPLICE_F_MOVE | LINUX_SPLICE_F_NONBLOCK | LINUX_SPLICE_F_MORE | LINUX_SPLICE_F_GIFT)

/* The calling thread's copy buffer (common/thread_buf.h). */
static _Thread_local void *g_splice_slot;

static char *splice_buf(void)
{
	return thread_buf(&g_splice_slot, SPLICE_BUF_SIZE);
}

/* The file type of f: its inode's, or what a file outside the VFS says of itself. */
static uint32_t file_type(struct file *f)
{
	if (f->inode)
		return f->inode->mode & LINUX_S_IFMT;
	struct linux_statx x;
	if (file_statx(f, &x) < 0)
		return 0;
	return x.mode & LINUX_S_IFMT;
}

static bool file_is_pipe(struct file *f)
{
	return pipe_file_is(f) || file_type(f) == LINUX_S_IFIFO;
}

/* Whether two files are the ends of one pipe (or one file): same device and inode. */
static bool same_pipe(struct file *a, struct file *b)
{
	if (a == b || pipe_same(a, b))
		return true;
	if (pipe_file_is(a) || pipe_file_is(b))
		return false;
	struct linux_statx xa, xb;
	if (file_statx(a, &xa) < 0 || file_statx(b, &xb) < 0)
		return false;
	return xa.ino == xb.ino && xa.dev_major == xb.dev_major && xa.dev_minor == xb.dev_minor;
}

static bool file_seekable(struct file *f)
{
	return f->ops->seekable && f->ops->seekable(f);
}

/* Linux's rw_verify_area() for a signed offset: no negative offset, no wrap. */
static int verify_area(int64_t pos, uint64_t count)
{
	if (pos < 0)
		return -EINVAL;
	if (count > (uint64_t)INT64_MAX - (uint64_t)pos)
		return -EINVAL;
	return 0;
}

/*
 * Copies up to count bytes from in to out through the bounce buffer.
 * *in_pos and *out_pos are explicit offsets, or NULL for the file's own
 * position. one_chunk: stop after one buffer (a pipe gives what it has;
 * a second read could block). Returns the bytes written, or -errno when
 * nothing was; the offsets advance by what was written.
 */
static ssize_t copy_through(struct file *in, int64_t *in_pos, struct file *out, int64_t *out_pos,
                            uint64_t count, bool one_chunk)
{
	char *buf = splice_buf();
	if (!buf)
		return -ENOMEM;
	uint64_t done = 0;
	while (done < count) {
		size_t want = (size_t)MIN(count - done, SPLICE_BUF_SIZE);
		ssize_t n = vfs_read(in, buf, want, in_pos ? *in_pos : -1);
		if (n <= 0) {
			if (n < 0 && done == 0)
				return n;
			break;
		}
		ssize_t w = vfs_write(out, buf, (size_t)n, out_pos ? *out_pos : -1);
		if (w < 0) {
			/* What was read and not written goes back, where a position can. */
			if (!in_pos && file_seekable(in))
				vfs_llseek(in, -n, /*SEEK_CUR=*/1);
			if (done == 0)
				return w;
			break;
		}
		if (w < n && !in_pos && file_seekable(in))
			vfs_llseek(in, -(n - w), /*SEEK_CUR=*/1);
		done += (uint64_t)w;
		if (in_pos)
			*in_pos += w;
		if (out_pos)
			*out_pos += w;
		if (w < n || (size_t)n < want || one_chunk)
			break;
	}
	return (ssize_t)done;
}

/* Linux's do_sendfile(). */
static long do_sendfile(struct task *t, uint64_t out_fd, uint64_t in_fd, int64_t *ppos,
                        uint64_t count)
{
	struct file *in = task_fd_get(t, in_fd, /*raw=*/false);
	if (!in)
		return -EBADF;
	struct file *out = NULL;
	long ret = -EBADF;
	if (!file_readable(in))
		goto out_put;
	if (ppos) {
		ret = -ESPIPE;
		if (!file_seekable(in))
			goto out_put;
		ret = verify_area(*ppos, count);
		if (ret < 0)
			goto out_put;
	}
	count = MIN(count, VFS_MAX_RW_COUNT);
	ret = -EBADF;
	out = task_fd_get(t, out_fd, /*raw=*/false);
	if (!out || !file_writable(out))
		goto out_put;
	/* The input must be readable page by page (Linux's splice_read): no pipes, no directories.
	 */
	uint32_t in_type = file_type(in);
	ret = -EINVAL;
	if (in_type == LINUX_S_IFIFO || in_type == LINUX_S_IFDIR)
		goto out_put;
	bool out_pipe = file_is_pipe(out);
	/* do_splice_direct(): an output in append mode cannot take spliced data. */
	if (!out_pipe && (atomic_load(&out->flags) & LINUX_O_APPEND))
		goto out_put;
	ret = 0;
	if (count > 0)
		ret = copy_through(in, ppos, out, NULL, count, false);
out_put:
	if (out)
		file_put(out);
	file_put(in);
	return ret;
}

/* sys_sendfile implements sendfile(2) (sendfile64: a 64-bit offset). */
long sys_sendfile(struct task *t, const struct sys_args *a)
{
	uaddr_t uoff = a->a[2];
	if (!uoff)
		return do_sendfile(t, a->a[0], a->a[1], NULL, a->a[3]);
	int64_t pos;
	if (mm_copy_in(t->mm, &pos, uoff, sizeof(pos)) < 0)
		return -EFAULT;
	long ret = do_sendfile(t, a->a[0], a->a[1], &pos, a->a[3]);
	if (mm_copy_out(t->mm, uoff, &pos, sizeof(pos)) < 0)
		return -EFAULT;
	return ret;
}

/*
 * The position of a VFS file, for the calls that take one or use the
 * file's (others keep theirs themselves and fail copy_file_checks).
 */
static int64_t file_pos(struct file *f)
{
	if (!file_in_vfs(f))
		return 0;
	pthread_mutex_lock(&f->pos_mu);
	int64_t pos = f->pos;
	pthread_mutex_unlock(&f->pos_mu);
	return pos;
}

static void file_set_pos(struct file *f, int64_t pos)
{
	pthread_mutex_lock(&f->pos_mu);
	f->pos = pos;
	pthread_mutex_unlock(&f->pos_mu);
}

/*
 * Linux's generic_copy_file_checks() and vfs_copy_file_range(): regular
 * files of one file system (EXDEV across file systems, as since Linux
 * 5.19), no overlap within one file, the count cut at the input's end.
 */
static long copy_file_checks(struct file *in, int64_t pos_in, struct file *out, int64_t pos_out,
                             uint64_t *count)
{
	uint32_t tin = file_type(in), tout = file_type(out);
	if (tin == LINUX_S_IFDIR || tout == LINUX_S_IFDIR)
		return -EISDIR;
	if (tin != LINUX_S_IFREG || tout != LINUX_S_IFREG)
		return -EINVAL;
	if (!file_readable(in) || !file_writable(out) ||
	    (atomic_load(&out->flags) & LINUX_O_APPEND))
		return -EBADF;
	/* Files outside the VFS (host files) count as file systems of their own. */
	if (!file_in_vfs(in) || !file_in_vfs(out) || in->inode->sb != out->inode->sb)
		return -EXDEV;
	uint64_t n = *count;
	if ((uint64_t)pos_in + n < (uint64_t)pos_in || (uint64_t)pos_out + n < (uint64_t)pos_out)
		return -EOVERFLOW;
	struct linux_statx x;
	int err = vfs_file_getattr(in, &x);
	if (err < 0)
		return err;
	int64_t size_in = (int64_t)x.size;
	n = pos_in >= size_in ? 0 : MIN(n, (uint64_t)(size_in - pos_in));
	if (in->inode == out->inode && pos_out + (int64_t)n > pos_in &&
	    pos_out < pos_in + (int64_t)n)
		return -EINVAL;
	if (pos_in < 0 || pos_out < 0)
		return -EINVAL;
	*count = n;
	return 0;
}

/* sys_copy_file_range implements copy_file_range(2). */
long sys_copy_file_range(struct task *t, const struct sys_args *a)
{
	uaddr_t uoff_in = a->a[1], uoff_out = a->a[3];
	uint64_t count = a->a[4];
	struct file *in = task_fd_get(t, a->a[0], /*raw=*/false);
	if (!in)
		return -EBADF;
	struct file *out = task_fd_get(t, a->a[2], /*raw=*/false);
	long ret = -EBADF;
	if (!out)
		goto out_put;
	int64_t pos_in, pos_out;
	ret = -EFAULT;
	if (uoff_in ? mm_copy_in(t->mm, &pos_in, uoff_in, sizeof(pos_in)) < 0
	            : (pos_in = file_pos(in), false))
		goto out_put;
	if (uoff_out ? mm_copy_in(t->mm, &pos_out, uoff_out, sizeof(pos_out)) < 0
	             : (pos_out = file_pos(out), false))
		goto out_put;
	ret = -EINVAL;
	if ((uint32_t)a->a[5] != 0)
		goto out_put;
	ret = copy_file_checks(in, pos_in, out, pos_out, &count);
	if (ret < 0 || count == 0)
		goto out_put;
	count = MIN(count, VFS_MAX_RW_COUNT);
	ret = copy_through(in, &pos_in, out, &pos_out, count, false);
	if (ret <= 0)
		goto out_put;
	if (!uoff_in)
		file_set_pos(in, pos_in);
	else if (mm_copy_out(t->mm, uoff_in, &pos_in, sizeof(pos_in)) < 0)
		ret = -EFAULT;
	if (!uoff_out)
		file_set_pos(out, pos_out);
	else if (mm_copy_out(t->mm, uoff_out, &pos_out, sizeof(pos_out)) < 0)
		ret = -EFAULT;
out_put:
	if (out)
		file_put(out);
	file_put(in);
	return ret;
}

/* Whether the sentry pipe f is not to wait: SPLICE_F_NONBLOCK or its own O_NONBLOCK. */
static bool pipe_nonblock(struct file *f, unsigned flags)
{
	return (flags & LINUX_SPLICE_F_NONBLOCK) || (atomic_load(&f->flags) & LINUX_O_NONBLOCK);
}

/*
 * Splice out of sentry pipe in: waits for data (0 at end of file), then
 * for room when out is a sentry pipe too, passes on the front of the pipe
 * and consumes what out took.
 */
static ssize_t splice_from_pipe(struct file *in, struct file *out, int64_t *off_out, size_t len,
                                unsigned flags)
{
	char *buf = splice_buf();
	if (!buf)
		return -ENOMEM;
	ssize_t n = pipe_peek(in, buf, MIN(len, SPLICE_BUF_SIZE), pipe_nonblock(in, flags));
	if (n <= 0)
		return n;
	ssize_t w;
	if (pipe_file_is(out)) {
		ssize_t room = pipe_wait_room(out, pipe_nonblock(out, flags));
		if (room < 0)
			return room;
		w = pipe_write_flags(out, buf, MIN((size_t)n, (size_t)room), true);
	} else {
		w = vfs_write(out, buf, (size_t)n, off_out ? *off_out : -1);
	}
	if (w > 0) {
		pipe_consume(in, (size_t)w);
		if (off_out)
			*off_out += w;
	}
	return w;
}

/*
 * Splice into sentry pipe out: waits for room, reads no more than fits
 * and writes it. What the pipe did not take goes back to a seekable input.
 */
static ssize_t splice_to_pipe(struct file *in, int64_t *off_in, struct file *out, size_t len,
                              unsigned flags)
{
	char *buf = splice_buf();
	if (!buf)
		return -ENOMEM;
	ssize_t room = pipe_wait_room(out, pipe_nonblock(out, flags));
	if (room < 0)
		return room;
	size_t want = MIN(MIN(len, (size_t)room), SPLICE_BUF_SIZE);
	ssize_t n = vfs_read(in, buf, want, off_in ? *off_in : -1);
	if (n <= 0)
		return n;
	ssize_t w = pipe_write_flags(out, buf, (size_t)n, true);
	ssize_t taken = w > 0 ? w : 0;
	if (taken < n && !off_in && file_seekable(in))
		vfs_llseek(in, -(n - taken), /*SEEK_CUR=*/1);
	if (off_in)
		*off_in += taken;
	return w;
}

/*
 * Linux's do_splice() with the offsets copied in: at least one side a
 * pipe, no offset on a pipe (ESPIPE), an offset on the other side only
 * where the file has positions. One buffer per call: a pipe returns what
 * it holds.
 */
static long do_splice(struct file *in, int64_t *off_in, struct file *out, int64_t *off_out,
                      uint64_t len, unsigned flags)
{
	if (!file_readable(in) || !file_writable(out))
		return -EBADF;
	bool ipipe = file_is_pipe(in), opipe = file_is_pipe(out);
	if (ipipe && opipe) {
		if (off_in || off_out)
			return -ESPIPE;
		if (same_pipe(in, out))
			return -EINVAL;
	} else if (ipipe) {
		if (off_in)
			return -ESPIPE;
		if (off_out && !file_seekable(out))
			return -EINVAL;
		if (atomic_load(&out->flags) & LINUX_O_APPEND)
			return -EINVAL;
		if (off_out && verify_area(*off_out, len) < 0)
			return -EINVAL;
	} else if (opipe) {
		if (off_out)
			return -ESPIPE;
		if (off_in && !file_seekable(in))
			return -EINVAL;
		if (off_in && verify_area(*off_in, len) < 0)
			return -EINVAL;
		if (file_type(in) == LINUX_S_IFDIR)
			return -EINVAL;
	} else {
		return -EINVAL;
	}
	len = MIN(len, VFS_MAX_RW_COUNT);
	if (pipe_file_is(in))
		return splice_from_pipe(in, out, off_out, (size_t)len, flags);
	if (pipe_file_is(out))
		return splice_to_pipe(in, off_in, out, (size_t)len, flags);
	return copy_through(in, off_in, out, off_out, len, true);
}

/* sys_splice implements splice(2) through a bounce buffer. */
long sys_splice(struct task *t, const struct sys_args *a)
{
	uaddr_t uoff_in = a->a[1], uoff_out = a->a[3];
	uint64_t len = a->a[4];
	if (len == 0)
		return 0;
	if ((uint32_t)a->a[5] & ~(uint32_t)SPLICE_F_ALL)
		return -EINVAL;
	struct file *in = task_fd_get(t, a->a[0], /*raw=*/false);
	if (!in)
		return -EBADF;
	struct file *out = task_fd_get(t, a->a[2], /*raw=*/false);
	long ret = -EBADF;
	if (!out)
		goto out_put;
	/* __do_splice(): ESPIPE for an offset on a pipe before any copy-in. */
	ret = -ESPIPE;
	if ((uoff_in && file_is_pipe(in)) || (uoff_out && file_is_pipe(out)))
		goto out_put;
	int64_t off_in, off_out;
	ret = -EFAULT;
	if (uoff_out && mm_copy_in(t->mm, &off_out, uoff_out, sizeof(off_out)) < 0)
		goto out_put;
	if (uoff_in && mm_copy_in(t->mm, &off_in, uoff_in, sizeof(off_in)) < 0)
		goto out_put;
	ret = do_splice(in, uoff_in ? &off_in : NULL, out, uoff_out ? &off_out : NULL, len,
	                (uint32_t)a->a[5]);
	/* No reader for the output pipe: SIGPIPE too, as Linux's wait_for_space. */
	if (ret == -EPIPE && file_is_pipe(out))
		task_send_thread_signal(t, LINUX_SIGPIPE, NULL);
	if (ret < 0)
		goto out_put;
	if (uoff_out && mm_copy_out(t->mm, uoff_out, &off_out, sizeof(off_out)) < 0)
		ret = -EFAULT;
	else if (uoff_in && mm_copy_out(t->mm, uoff_in, &off_in, sizeof(off_in)) < 0)
		ret = -EFAULT;
out_put:
	if (out)
		file_put(out);
	file_put(in);
	return ret;
}

/*
 * sys_tee implements tee(2) (Linux's do_tee()): both files pipes, and
 * not the same one, else EINVAL. Two host pipes get the host's tee,
 * which honours SPLICE_F_NONBLOCK; a sentry pipe is copied from without
 * being consumed; a host pipe into a sentry pipe is ENOSYS (logged as
 * unsupported).
 */
long sys_tee(struct task *t, const struct sys_args *a)
{
	unsigned flags = (uint32_t)a->a[3];
	uint64_t len = a->a[2];
	if (flags & ~(uint32_t)SPLICE_F_ALL)
		return -EINVAL;
	if (len == 0)
		return 0;
	struct file *in = task_fd_get(t, a->a[0], /*raw=*/false);
	if (!in)
		return -EBADF;
	struct file *out = task_fd_get(t, a->a[1], /*raw=*/false);
	long ret = -EBADF;
	if (!out)
		goto out_put;
	if (!file_readable(in) || !file_writable(out))
		goto out_put;
	ret = -EINVAL;
	if (!file_is_pipe(in) || !file_is_pipe(out) || same_pipe(in, out))
		goto out_put;
	if (host_file_is(in) && host_file_is(out)) {
		ret = host_file_tee(in, out, (size_t)len, flags);
	} else if (pipe_file_is(in)) {
		/* Linux's do_tee: either end's O_NONBLOCK makes the call non-blocking. */
		if ((atomic_load(&in->flags) | atomic_load(&out->flags)) & LINUX_O_NONBLOCK)
			flags |= LINUX_SPLICE_F_NONBLOCK;
		char *buf = splice_buf();
		ret = buf ? pipe_peek(in, buf, MIN(len, SPLICE_BUF_SIZE), pipe_nonblock(in, flags))
		          : -ENOMEM;
		if (ret > 0 && pipe_file_is(out)) {
			ssize_t room = pipe_wait_room(out, pipe_nonblock(out, flags));
			ret = room < 0 ? room
			               : pipe_write_flags(out, buf, MIN((size_t)ret, (size_t)room),
			                                  true);
		} else if (ret > 0) {
			ret = vfs_write(out, buf, (size_t)ret, -1);
		}
		if (ret == -EPIPE)
			task_send_thread_signal(t, LINUX_SIGPIPE, NULL);
	} else {
		kernel_log_unsupported(t->k, LINUX_SYS_tee);
		ret = -ENOSYS;
	}
out_put:
	if (out)
		file_put(out);
	file_put(in);
	return ret;
}
