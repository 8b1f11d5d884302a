/*
 * Pipes and FIFOs: see pipe.h. The design follows Linux's fs/pipe.c:
 *
 *  - struct pipe is Linux's pipe_inode_info: a ring of slots (a power of
 *    two) indexed by free-running head and tail counters, each slot a
 *    page with an offset and a length. A write first merges its sub-page
 *    remainder into the last page when that page may take it (not a
 *    packet), then fills new pages while slots are free. A write of at
 *    most PIPE_BUF bytes needs one slot, so it goes in whole or not at all.
 *  - readers/writers count the open ends; r_counter/w_counter count the
 *    opens of each kind ever made, which a blocking FIFO open waits to see
 *    change (Linux's wait_for_partner) and which keeps a FIFO reader opened
 *    with O_NONBLOCK before any writer from seeing POLLHUP (f_version).
 *  - pipe->mu protects all of it. Waiters are linked into pipe->wq before
 *    the lock is taken and notified after it is dropped, so an epoll
 *    callback (which may ask for readiness, taking pipe->mu) never runs
 *    under pipe->mu.
 *  - Every change notifies the wait queue with what may have become true:
 *    POLLIN after a write, POLLOUT after a read, POLLHUP / POLLERR when the
 *    last writer / reader goes, everything when an end opens.
 *
 * FIFOs: one pipe per node, found in g_fifos by (device, inode number)
 * while it has opened files (Linux's inode->i_pipe). The number, not the
 * inode object, is the key: a gofer volume may give one node several
 * inode objects. A FIFO's data stay in the sandbox: a host process
 * writing to a FIFO in a volume is not seen.
 */
#include "sentry/fsimpl/pipe/pipe.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/abi/linux/errno.h"
#include "common/list.h"
#include "common/log.h"
#include "common/util.h"
#include "sentry/fsimpl/kernfs/proc.h"
#include "sentry/kernel/creds.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/waitqueue.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/vfs.h"

#define PIPEFS_MAGIC 0x50495045

struct pipe_buf {
	char *page; /* PIPE_PAGE_SIZE bytes, NULL when the slot is free */
	uint32_t off, len;
	bool packet; /* written by an O_DIRECT writer: never merged, read whole */
};

struct pipe {
	pthread_mutex_t mu;
	struct waitqueue wq;
	/* Protected by mu. */
	struct pipe_buf *bufs;
	unsigned nr_slots; /* a power of two: the capacity in pages */
	unsigned head, tail;
	unsigned readers, writers;
	unsigned r_counter, w_counter;
	unsigned files; /* opened files (ends) of the pipe */
	struct linux_statx_timestamp mtime, ctime;
	/* Set once. */
	uint64_t ino; /* anonymous pipes: the pipefs inode number */
	struct linux_statx_timestamp btime;
	uint32_t uid, gid;
	/* FIFOs: the node's key in g_fifos (protected by g_fifos_mu). */
	bool fifo;
	uint32_t key_dev;
	uint64_t key_ino;
	struct list_head fifo_link;
};

struct pipe_file {
	struct file base;
	struct pipe *pipe;
	unsigned seen_w_counter; /* Linux's f_version: no POLLHUP before a writer came */
};

static const struct file_ops g_pipe_ops;

static pthread_mutex_t g_fifos_mu = PTHREAD_MUTEX_INITIALIZER;
static struct list_head g_fifos = LIST_HEAD_INIT(g_fifos); /* protected by g_fifos_mu */

/* The device anonymous pipes show in fstat: an unmounted pipefs superblock's. */
static pthread_once_t g_pipefs_once = PTHREAD_ONCE_INIT;
static struct superblock g_pipefs;

static void pipefs_release(struct superblock *sb)
{
	(void)sb; /* never released */
}

static const struct super_ops g_pipefs_ops = { .release = pipefs_release };

static void pipefs_init(void)
{
	superblock_init(&g_pipefs, &g_pipefs_ops, "pipefs", PIPEFS_MAGIC, 0);
}

static struct pipe_file *to_pf(struct file *f)
{
	return container_of(f, struct pipe_file, base);
}

static struct pipe *pipe_alloc(void)
{
	struct pipe *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->bufs = calloc(PIPE_DEF_BUFFERS, sizeof(*p->bufs));
	if (!p->bufs) {
		free(p);
		return NULL;
	}
	p->nr_slots = PIPE_DEF_BUFFERS;
	pthread_mutex_init(&p->mu, NULL);
	waitqueue_init(&p->wq);
	list_init(&p->fifo_link);
	p->btime = vfs_now();
	p->mtime = p->ctime = p->btime;
	return p;
}

static void pipe_free(struct pipe *p)
{
	for (unsigned i = p->tail; i != p->head; i++)
		free(p->bufs[i & (p->nr_slots - 1)].page);
	free(p->bufs);
	waitqueue_destroy(&p->wq);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

/* ---- The ring (p->mu held) ---- */

static unsigned occupancy(const struct pipe *p)
{
	return p->head - p->tail;
}

static bool ring_empty(const struct pipe *p)
{
	return p->head == p->tail;
}

static bool ring_full(const struct pipe *p)
{
	return occupancy(p) >= p->nr_slots;
}

static struct pipe_buf *slot(struct pipe *p, unsigned i)
{
	return &p->bufs[i & (p->nr_slots - 1)];
}

static size_t bytes_held(struct pipe *p)
{
	size_t n = 0;
	for (unsigned i = p->tail; i != p->head; i++)
		n += slot(p, i)->len;
	return n;
}

/*
 * Copies up to len bytes from the front of the pipe into buf; consumes
 * them unless peek. A packet is read whole or its rest dropped (one packet
 * per read), as Linux's pipe_read. Returns the count.
 */
static size_t ring_read(struct pipe *p, char *buf, size_t len, bool peek)
{
	size_t done = 0;
	unsigned tail = p->tail;
	while (done < len && tail != p->head) {
		struct pipe_buf *b = slot(p, tail);
		size_t n = MIN(b->len, len - done);
		memcpy(buf + done, b->page + b->off, n);
		done += n;
		bool packet = b->packet;
		if (!peek) {
			b->off += (uint32_t)n;
			b->len -= (uint32_t)n;
			if (packet)
				b->len = 0;
			if (b->len == 0) {
				free(b->page);
				*b = (struct pipe_buf){ 0 };
				p->tail++;
			}
			tail = p->tail;
		} else {
			tail++;
		}
		if (packet)
			break;
	}
	return done;
}

/* Drops n bytes from the front (after a peek). */
static void ring_consume(struct pipe *p, size_t n)
{
	while (n > 0 && !ring_empty(p)) {
		struct pipe_buf *b = slot(p, p->tail);
		size_t k = MIN(b->len, n);
		b->off += (uint32_t)k;
		b->len -= (uint32_t)k;
		n -= k;
		if (b->len == 0 || b->packet) {
			free(b->page);
			*b = (struct pipe_buf){ 0 };
			p->tail++;
		}
	}
}

/* Bytes a write could take now without waiting (ignoring PIPE_BUF atomicity). */
static size_t ring_room(struct pipe *p)
{
	size_t room = (size_t)(p->nr_slots - occupancy(p)) * PIPE_PAGE_SIZE;
	if (!ring_empty(p)) {
		struct pipe_buf *last = slot(p, p->head - 1);
		if (!last->packet)
			room += PIPE_PAGE_SIZE - last->off - last->len;
	}
	return room;
}

/* ---- Waiting ---- */

/* The calling task, for a wait; NULL when the caller is no task (boot code). */
static struct task *waiting_task(void)
{
	return task_current();
}

/*
 * Blocks the calling task until a notification; drops and retakes p->mu.
 * Returns 0, or -LINUX_ERESTARTSYS when a signal interrupts the wait.
 */
static int pipe_block(struct pipe *p, struct task *t)
{
	pthread_mutex_unlock(&p->mu);
	int err = t ? task_block(t, NULL, NULL, 0) : -EINTR;
	pthread_mutex_lock(&p->mu);
	if (err == -EINTR)
		return -LINUX_ERESTARTSYS;
	return err;
}

/* ---- Read and write ---- */

static ssize_t pipe_do_read(struct pipe_file *pf, void *buf, size_t len, bool nonblock, bool peek)
{
	struct pipe *p = pf->pipe;
	if (len == 0)
		return 0;
	struct task *t = waiting_task();
	struct waiter w;
	bool linked = !nonblock && t;
	if (linked) {
		waiter_init_task(&w, t, LINUX_POLLIN | LINUX_POLLHUP);
		waitqueue_add(&p->wq, &w);
	}
	ssize_t ret = 0;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		if (!ring_empty(p)) {
			ret = (ssize_t)ring_read(p, buf, len, peek);
			break;
		}
		if (!p->writers)
			break; /* end of file */
		if (nonblock) {
			ret = -EAGAIN;
			break;
		}
		int err = pipe_block(p, t);
		if (err < 0) {
			ret = err;
			break;
		}
	}
	pthread_mutex_unlock(&p->mu);
	if (linked)
		waitqueue_remove(&p->wq, &w);
	if (ret > 0 && !peek)
		waitqueue_notify(&p->wq, LINUX_POLLOUT | LINUX_POLLWRNORM);
	return ret;
}

static ssize_t pipe_do_write(struct pipe_file *pf, const char *buf, size_t len, bool nonblock)
{
	struct pipe *p = pf->pipe;
	/* Linux's pipe_write: an empty write succeeds before the reader check. */
	if (len == 0)
		return 0;
	bool packet = atomic_load(&pf->base.flags) & LINUX_O_DIRECT;
	struct task *t = waiting_task();
	struct waiter w;
	bool linked = !nonblock && t;
	if (linked) {
		waiter_init_task(&w, t, LINUX_POLLOUT | LINUX_POLLERR);
		waitqueue_add(&p->wq, &w);
	}
	size_t done = 0;
	ssize_t err = 0;
	pthread_mutex_lock(&p->mu);
	if (!p->readers) {
		err = -EPIPE;
		goto out;
	}
	/* The sub-page remainder merges into the last page when it fits there. */
	size_t chars = len & (PIPE_PAGE_SIZE - 1);
	if (chars && !ring_empty(p)) {
		struct pipe_buf *last = slot(p, p->head - 1);
		if (!last->packet && !packet && last->off + last->len + chars <= PIPE_PAGE_SIZE) {
			memcpy(last->page + last->off + last->len, buf, chars);
			last->len += (uint32_t)chars;
			done = chars;
		}
	}
	while (done < len) {
		if (!p->readers) {
			err = -EPIPE;
			break;
		}
		if (!ring_full(p)) {
			char *page = malloc(PIPE_PAGE_SIZE);
			if (!page) {
				err = -ENOMEM;
				break;
			}
			size_t n = MIN((size_t)PIPE_PAGE_SIZE, len - done);
			memcpy(page, buf + done, n);
			*slot(p, p->head) = (struct pipe_buf){ .page = page,
				                               .len = (uint32_t)n,
				                               .packet = packet };
			p->head++;
			done += n;
			continue;
		}
		if (nonblock) {
			err = -EAGAIN;
			break;
		}
		if (done) {
			/* Let readers take what is there before sleeping (Linux wakes them too). */
			pthread_mutex_unlock(&p->mu);
			waitqueue_notify(&p->wq, LINUX_POLLIN | LINUX_POLLRDNORM);
			pthread_mutex_lock(&p->mu);
			if (!ring_full(p) || !p->readers)
				continue;
		}
		int e = pipe_block(p, t);
		if (e < 0) {
			err = e;
			break;
		}
	}
	if (done) {
		p->mtime = vfs_now();
		p->ctime = p->mtime;
	}
out:
	pthread_mutex_unlock(&p->mu);
	if (linked)
		waitqueue_remove(&p->wq, &w);
	if (done) {
		waitqueue_notify(&p->wq, LINUX_POLLIN | LINUX_POLLRDNORM);
		if (pf->base.inode)
			inode_touch(pf->base.inode, VFS_ATTR_MTIME_NOW | VFS_ATTR_CTIME);
		return (ssize_t)done;
	}
	return err;
}

static ssize_t pipe_read(struct file *f, void *buf, size_t len, int64_t off)
{
	(void)off;
	bool nonblock = atomic_load(&f->flags) & LINUX_O_NONBLOCK;
	return pipe_do_read(to_pf(f), buf, len, nonblock, false);
}

static ssize_t pipe_write(struct file *f, const void *buf, size_t len, int64_t off)
{
	(void)off;
	bool nonblock = atomic_load(&f->flags) & LINUX_O_NONBLOCK;
	return pipe_do_write(to_pf(f), buf, len, nonblock);
}

static int64_t pipe_llseek(struct file *f, int64_t off, int whence)
{
	(void)f, (void)off, (void)whence;
	return -ESPIPE;
}

static bool pipe_seekable(struct file *f)
{
	(void)f;
	return false;
}

/* Linux's makedev as glibc encodes it (the host-style dev_t of struct stat). */
static uint64_t encode_dev(uint32_t major, uint32_t minor)
{
	return ((uint64_t)(major & 0xfffff000u) << 32) | ((uint64_t)(major & 0xfffu) << 8) |
	       ((uint64_t)(minor & 0xffffff00u) << 12) | (minor & 0xffu);
}

/* fstat of an anonymous pipe (a FIFO's is its node's, through the VFS). */
static int pipe_stat(struct file *f, struct linux_stat *st)
{
	struct pipe *p = to_pf(f)->pipe;
	pthread_once(&g_pipefs_once, pipefs_init);
	pthread_mutex_lock(&p->mu);
	*st = (struct linux_stat){
		.dev = encode_dev(0, g_pipefs.dev),
		.ino = p->ino,
		.nlink = 1,
		.mode = LINUX_S_IFIFO | 0600,
		.uid = p->uid,
		.gid = p->gid,
		.blksize = PIPE_PAGE_SIZE,
		.atime_sec = p->btime.tv_sec,
		.atime_nsec = p->btime.tv_nsec,
		.mtime_sec = p->mtime.tv_sec,
		.mtime_nsec = p->mtime.tv_nsec,
		.ctime_sec = p->ctime.tv_sec,
		.ctime_nsec = p->ctime.tv_nsec,
	};
	pthread_mutex_unlock(&p->mu);
	return 0;
}

static long pipe_ioctl(struct task *t, struct file *f, unsigned cmd, uint64_t arg)
{
	if (cmd != LINUX_FIONREAD)
		return -ENOTTY;
	struct pipe *p = to_pf(f)->pipe;
	pthread_mutex_lock(&p->mu);
	int32_t n = (int32_t)MIN(bytes_held(p), (size_t)INT32_MAX);
	pthread_mutex_unlock(&p->mu);
	return mm_copy_out(t->mm, arg, &n, sizeof(n));
}

/* Linux's pipe_poll. */
static uint32_t pipe_readiness(struct file *f, uint32_t mask)
{
	struct pipe_file *pf = to_pf(f);
	struct pipe *p = pf->pipe;
	uint32_t ev = 0;
	pthread_mutex_lock(&p->mu);
	if (file_readable(f)) {
		if (!ring_empty(p))
			ev |= LINUX_POLLIN | LINUX_POLLRDNORM;
		if (!p->writers && pf->seen_w_counter != p->w_counter)
			ev |= LINUX_POLLHUP;
	}
	if (file_writable(f)) {
		if (!ring_full(p))
			ev |= LINUX_POLLOUT | LINUX_POLLWRNORM;
		if (!p->readers)
			ev |= LINUX_POLLERR;
	}
	pthread_mutex_unlock(&p->mu);
	return ev & mask;
}

static struct waitqueue *pipe_wait_queue(struct file *f)
{
	return &to_pf(f)->pipe->wq;
}

/* Takes one opened file off the pipe; frees it with the last. */
static void pipe_put_end(struct pipe *p, bool reader, bool writer)
{
	if (p->fifo)
		pthread_mutex_lock(&g_fifos_mu);
	pthread_mutex_lock(&p->mu);
	if (reader)
		p->readers--;
	if (writer)
		p->writers--;
	/* The last of one side gone, the other still there: wake it (EOF, EPIPE). */
	uint32_t ev = 0;
	if (reader && !p->readers)
		ev |= LINUX_POLLERR | LINUX_POLLOUT;
	if (writer && !p->writers)
		ev |= LINUX_POLLHUP | LINUX_POLLIN;
	bool last = --p->files == 0;
	if (last && p->fifo)
		list_del(&p->fifo_link);
	pthread_mutex_unlock(&p->mu);
	if (p->fifo)
		pthread_mutex_unlock(&g_fifos_mu);
	if (last)
		pipe_free(p);
	else if (ev)
		waitqueue_notify(&p->wq, ev);
}

static void pipe_release(struct file *f)
{
	struct pipe_file *pf = to_pf(f);
	bool reader = file_readable(f), writer = file_writable(f);
	if (f->inode)
		vfs_file_release(f);
	else
		pthread_mutex_destroy(&f->pos_mu);
	pipe_put_end(pf->pipe, reader, writer);
	free(pf);
}

static int pipe_reopen(struct file *f, unsigned oflags, struct file **out);

static const struct file_ops g_pipe_ops = {
	.reopen = pipe_reopen,
	.read = pipe_read,
	.write = pipe_write,
	.llseek = pipe_llseek,
	.stat = pipe_stat,
	.ioctl = pipe_ioctl,
	.release = pipe_release,
	.seekable = pipe_seekable,
	.readiness = pipe_readiness,
	.wait_queue = pipe_wait_queue,
};

bool pipe_file_is(const struct file *f)
{
	return f->ops == &g_pipe_ops;
}

bool pipe_same(const struct file *a, const struct file *b)
{
	return pipe_file_is(a) && pipe_file_is(b) &&
	       to_pf((struct file *)a)->pipe == to_pf((struct file *)b)->pipe;
}

/* ---- pipe(2) ---- */

int pipe_new(const struct creds *c, unsigned flags, struct file **rd, struct file **wr)
{
	pthread_once(&g_pipefs_once, pipefs_init);
	struct pipe *p = pipe_alloc();
	struct pipe_file *r = calloc(1, sizeof(*r)), *w = calloc(1, sizeof(*w));
	if (!p || !r || !w) {
		if (p)
			pipe_free(p);
		free(r);
		free(w);
		return -ENOMEM;
	}
	p->ino = superblock_next_ino(&g_pipefs);
	p->uid = c->fsuid;
	p->gid = c->fsgid;
	p->readers = p->writers = 1;
	p->r_counter = p->w_counter = 1;
	p->files = 2;
	r->pipe = w->pipe = p;
	r->seen_w_counter = w->seen_w_counter = 0;
	file_init(&r->base, &g_pipe_ops, LINUX_O_RDONLY | (flags & LINUX_O_NONBLOCK));
	file_init(&w->base, &g_pipe_ops,
	          LINUX_O_WRONLY | (flags & (LINUX_O_NONBLOCK | LINUX_O_DIRECT)));
	*rd = &r->base;
	*wr = &w->base;
	return 0;
}

/* ---- FIFOs (Linux's fifo_open) ---- */

/* The pipe of a FIFO node with one more opened file, made if it has none. */
static struct pipe *fifo_get(struct inode *inode)
{
	uint32_t dev = inode->sb->dev;
	uint64_t ino = inode->ino;
	pthread_mutex_lock(&g_fifos_mu);
	struct pipe *p;
	list_for_each_entry (p, &g_fifos, fifo_link) {
		if (p->key_dev == dev && p->key_ino == ino) {
			pthread_mutex_lock(&p->mu);
			p->files++;
			pthread_mutex_unlock(&p->mu);
			pthread_mutex_unlock(&g_fifos_mu);
			return p;
		}
	}
	p = pipe_alloc();
	if (p) {
		p->fifo = true;
		p->key_dev = dev;
		p->key_ino = ino;
		p->files = 1;
		list_add_tail(&p->fifo_link, &g_fifos);
	}
	pthread_mutex_unlock(&g_fifos_mu);
	return p;
}

/*
 * Waits until *counter moves from cur (an end of the other kind opened).
 * Preconditions: p->mu held, a waiter of t linked. Returns 0 or
 * -LINUX_ERESTARTSYS.
 */
static int wait_for_partner(struct pipe *p, struct task *t, const unsigned *counter)
{
	unsigned cur = *counter;
	while (cur == *counter) {
		int err = pipe_block(p, t);
		if (err < 0)
			return err;
	}
	return 0;
}

/*
 * Opens one end of p, which the caller has counted in p->files, with
 * flags' access mode, as Linux's fifo_open: a reader or a writer of a FIFO
 * waits for a partner unless non-blocking (an anonymous pipe, anon, never
 * waits); a non-blocking writer without a reader fails with ENXIO; O_RDWR
 * never waits. On failure p loses the caller's count. Returns 0 (pf is the
 * new end's) or -errno.
 */
static int pipe_open_end(struct pipe *p, unsigned flags, bool anon, struct pipe_file *pf)
{
	unsigned acc = flags & LINUX_O_ACCMODE;
	bool nonblock = flags & LINUX_O_NONBLOCK;
	struct task *t = waiting_task();
	struct waiter w;
	bool linked = !nonblock && !anon && acc != LINUX_O_RDWR && t;
	if (linked) {
		waiter_init_task(&w, t, WAIT_EVENTS_ALL);
		waitqueue_add(&p->wq, &w);
	}
	bool reader = false, writer = false, partner = false;
	int err = 0;
	pthread_mutex_lock(&p->mu);
	switch (acc) {
	case LINUX_O_RDONLY:
		p->r_counter++;
		reader = true;
		partner = p->readers++ == 0;
		if (!p->writers && !anon) {
			if (nonblock) {
				/* No POLLHUP until a writer has come (and gone). */
				pf->seen_w_counter = p->w_counter;
			} else {
				if (partner) {
					partner = false;
					pthread_mutex_unlock(&p->mu);
					waitqueue_notify(&p->wq, WAIT_EVENTS_ALL);
					pthread_mutex_lock(&p->mu);
				}
				err = wait_for_partner(p, t, &p->w_counter);
			}
		}
		break;
	case LINUX_O_WRONLY:
		if (nonblock && !p->readers) {
			err = -ENXIO;
			break;
		}
		p->w_counter++;
		writer = true;
		partner = p->writers++ == 0;
		if (!p->readers && !anon) {
			if (partner) {
				partner = false;
				pthread_mutex_unlock(&p->mu);
				waitqueue_notify(&p->wq, WAIT_EVENTS_ALL);
				pthread_mutex_lock(&p->mu);
			}
			err = wait_for_partner(p, t, &p->r_counter);
		}
		break;
	default: /* O_RDWR: both ends at once, never waits */
		reader = writer = true;
		p->readers++;
		p->writers++;
		p->r_counter++;
		p->w_counter++;
		partner = p->readers == 1 || p->writers == 1;
		break;
	}
	pthread_mutex_unlock(&p->mu);
	if (linked)
		waitqueue_remove(&p->wq, &w);
	if (partner)
		waitqueue_notify(&p->wq, WAIT_EVENTS_ALL);
	if (err < 0) {
		/* Undo this open: the ends it counted, and its hold on the pipe. */
		pipe_put_end(p, reader, writer);
		return err;
	}
	pf->pipe = p;
	return 0;
}

static int pipe_fifo_open(struct inode *inode, struct mount *mnt, struct dentry *d, unsigned flags,
                          struct file **out)
{
	if ((flags & LINUX_O_ACCMODE) == 3)
		return -EINVAL;
	struct pipe_file *pf = calloc(1, sizeof(*pf));
	if (!pf)
		return -ENOMEM;
	struct pipe *p = fifo_get(inode);
	if (!p) {
		free(pf);
		return -ENOMEM;
	}
	int err = pipe_open_end(p, flags, /*anon=*/false, pf);
	if (err < 0) {
		free(pf);
		return err;
	}
	vfs_file_init(&pf->base, &g_pipe_ops, flags, mnt, d, inode);
	*out = &pf->base;
	return 0;
}

/*
 * Opening /proc/PID/fd/N of an anonymous pipe (bash's <(...) reads
 * /dev/fd/63): a new end of the same pipe, as Linux opens the pipe's
 * pipefs inode with fifo_open.
 */
static int pipe_reopen(struct file *f, unsigned oflags, struct file **out)
{
	unsigned flags = oflags & (LINUX_O_ACCMODE | LINUX_O_NONBLOCK | LINUX_O_DIRECT);
	if ((flags & LINUX_O_ACCMODE) == 3)
		return -EINVAL;
	struct pipe_file *pf = calloc(1, sizeof(*pf));
	if (!pf)
		return -ENOMEM;
	struct pipe *p = to_pf(f)->pipe;
	pthread_mutex_lock(&p->mu);
	p->files++;
	pthread_mutex_unlock(&p->mu);
	int err = pipe_open_end(p, flags, /*anon=*/true, pf);
	if (err < 0) {
		free(pf);
		return err;
	}
	file_init(&pf->base, &g_pipe_ops, flags);
	*out = &pf->base;
	return 0;
}

void pipe_register_fifo(void)
{
	vfs_register_fifo(pipe_fifo_open);
}

/* ---- fcntl ---- */

/* Linux's round_pipe_size: a power-of-two number of pages; 0 when too big. */
static unsigned round_pipe_size(unsigned size)
{
	if (size > (1u << 31))
		return 0;
	if (size < PIPE_PAGE_SIZE)
		return PIPE_PAGE_SIZE;
	unsigned r = PIPE_PAGE_SIZE;
	while (r < size)
		r <<= 1;
	return r;
}

/* Linux's pipe_resize_ring. Preconditions: p->mu held. */
static int resize_ring(struct pipe *p, unsigned nr_slots)
{
	if (nr_slots < occupancy(p))
		return -EBUSY;
	struct pipe_buf *bufs = calloc(nr_slots, sizeof(*bufs));
	if (!bufs)
		return -ENOMEM;
	unsigned n = 0;
	for (unsigned i = p->tail; i != p->head; i++)
		bufs[n++] = *slot(p, i);
	free(p->bufs);
	p->bufs = bufs;
	p->nr_slots = nr_slots;
	p->tail = 0;
	p->head = n;
	return 0;
}

long pipe_fcntl(struct task *t, struct file *f, unsigned cmd, uint64_t arg)
{
	if (!pipe_file_is(f))
		return -EBADF;
	struct pipe *p = to_pf(f)->pipe;
	long ret;
	pthread_mutex_lock(&p->mu);
	if (cmd == LINUX_F_GETPIPE_SZ) {
		ret = (long)p->nr_slots * PIPE_PAGE_SIZE;
	} else {
		/* Linux's pipe_set_size; the argument is an unsigned int. */
		unsigned size = round_pipe_size((unsigned)arg);
		unsigned nr_slots = size / PIPE_PAGE_SIZE;
		/*
		 * Growing past pipe-max-size needs CAP_SYS_RESOURCE. Linux's
		 * per-user pipe-user-pages limits are not kept.
		 */
		if (nr_slots == 0)
			ret = -EINVAL;
		else if (nr_slots > p->nr_slots && size > PIPE_MAX_SIZE_DEF &&
		         !creds_capable(&t->creds, LINUX_CAP_SYS_RESOURCE))
			ret = -EPERM;
		else
			ret = resize_ring(p, nr_slots);
		if (ret == 0)
			ret = (long)p->nr_slots * PIPE_PAGE_SIZE;
	}
	pthread_mutex_unlock(&p->mu);
	if (cmd == LINUX_F_SETPIPE_SZ && ret > 0)
		waitqueue_notify(&p->wq, LINUX_POLLOUT | LINUX_POLLWRNORM);
	return ret;
}

/* ---- splice and tee ---- */

ssize_t pipe_peek(struct file *f, void *buf, size_t len, bool nonblock)
{
	return pipe_do_read(to_pf(f), buf, len, nonblock, true);
}

void pipe_consume(struct file *f, size_t n)
{
	struct pipe *p = to_pf(f)->pipe;
	if (n == 0)
		return;
	pthread_mutex_lock(&p->mu);
	ring_consume(p, n);
	pthread_mutex_unlock(&p->mu);
	waitqueue_notify(&p->wq, LINUX_POLLOUT | LINUX_POLLWRNORM);
}

ssize_t pipe_wait_room(struct file *f, bool nonblock)
{
	struct pipe *p = to_pf(f)->pipe;
	struct task *t = waiting_task();
	struct waiter w;
	bool linked = !nonblock && t;
	if (linked) {
		waiter_init_task(&w, t, LINUX_POLLOUT | LINUX_POLLERR);
		waitqueue_add(&p->wq, &w);
	}
	ssize_t ret;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		if (!p->readers) {
			ret = -EPIPE;
			break;
		}
		if (!ring_full(p)) {
			ret = (ssize_t)ring_room(p);
			break;
		}
		if (nonblock) {
			ret = -EAGAIN;
			break;
		}
		int err = pipe_block(p, t);
		if (err < 0) {
			ret = err;
			break;
		}
	}
	pthread_mutex_unlock(&p->mu);
	if (linked)
		waitqueue_remove(&p->wq, &w);
	return ret;
}

ssize_t pipe_write_flags(struct file *f, const void *buf, size_t len, bool nonblock)
{
	return pipe_do_write(to_pf(f), buf, len, nonblock);
}
