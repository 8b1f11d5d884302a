/*
 * The gofer server: mounts, the node table, channels (one thread each) and
 * the dispatch of requests through handlers[] by message id.
 *
 * A channel reads one message, decodes it, runs its handler and sends the
 * reply (or R_ERROR). A malformed message, an unknown id, a reply id sent
 * as a request or a request carrying fds gets an R_ERROR and the channel
 * goes on. A client that goes away (end of file, a failed send) ends only
 * its channel; the server ends when no channel is left.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "gofer/handlers.h"
#include "gofer/server.h"

/* Channels one server serves at most: each is a thread and 384 KiB of buffers. */
#define GOFER_CHANS_MAX 256
#define CHAN_STACK_SIZE (256 * 1024)

static const gofer_handler_fn g_handlers[GOFER_MSG_ID_END] = {
	[GOFER_T_MOUNT] = gofer_handle_mount,
	[GOFER_T_CHANNEL] = gofer_handle_channel,
	[GOFER_T_CLOSE] = gofer_handle_close,
	[GOFER_T_WALK] = gofer_handle_walk,
	[GOFER_T_STAT] = gofer_handle_stat,
	[GOFER_T_OPEN] = gofer_handle_open,
	[GOFER_T_CREATE] = gofer_handle_create,
	[GOFER_T_MKDIR] = gofer_handle_mkdir,
	[GOFER_T_MKNOD] = gofer_handle_mknod,
	[GOFER_T_SYMLINK] = gofer_handle_symlink,
	[GOFER_T_LINK] = gofer_handle_link,
	[GOFER_T_UNLINK] = gofer_handle_unlink,
	[GOFER_T_RENAME] = gofer_handle_rename,
	[GOFER_T_READLINK] = gofer_handle_readlink,
	[GOFER_T_GETDENTS] = gofer_handle_getdents,
	[GOFER_T_SETSTAT] = gofer_handle_setstat,
	[GOFER_T_STATFS] = gofer_handle_statfs,
	[GOFER_T_GETXATTR] = gofer_handle_getxattr,
	[GOFER_T_SETXATTR] = gofer_handle_setxattr,
	[GOFER_T_LISTXATTR] = gofer_handle_listxattr,
	[GOFER_T_REMOVEXATTR] = gofer_handle_removexattr,
	[GOFER_T_BIND] = gofer_handle_bind,
	[GOFER_T_CONNECT] = gofer_handle_connect,
};

struct gofer_chan {
	struct gofer_server *srv;
	int sock;
	pthread_t thread;
	bool done;               /* protected by srv->mu */
	struct gofer_chan *next; /* protected by srv->mu */
	uint8_t *in, *out, *scratch;
	struct gofer_msg t, r;
};

/* ---- Mounts and the server ---- */

int gofer_server_new(struct gofer_server **out)
{
	struct gofer_server *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->proc_fd = open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (s->proc_fd < 0) {
		int err = -errno;
		free(s);
		return err;
	}
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cond, NULL);
	s->cfds = RB_ROOT;
	s->next_id = 1;
	*out = s;
	return 0;
}

int gofer_server_add_mount(struct gofer_server *s, const char *host_dir, bool readonly)
{
	struct gofer_mount *mounts = realloc(s->mounts, (s->nmounts + 1) * sizeof(*mounts));
	if (!mounts)
		return -ENOMEM;
	s->mounts = mounts;
	/* The administrator's path may follow symlinks; nothing below it will. */
	int fd = open(host_dir, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	char *path = strdup(host_dir);
	if (!path) {
		close(fd);
		return -ENOMEM;
	}
	mounts[s->nmounts++] = (struct gofer_mount){ .fd = fd, .readonly = readonly, .path = path };
	return 0;
}

void gofer_server_free(struct gofer_server *s)
{
	struct rb_node *n = rb_first_postorder(&s->cfds);
	while (n) {
		struct gofer_cfd *c = rb_entry(n, struct gofer_cfd, rb);
		n = rb_next_postorder(n);
		close(c->fd);
		free(c);
	}
	for (uint32_t i = 0; i < s->nmounts; i++) {
		close(s->mounts[i].fd);
		free(s->mounts[i].path);
	}
	free(s->mounts);
	close(s->proc_fd);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

/* ---- The node table ---- */

/* Preconditions: s->mu held. */
static struct gofer_cfd *cfd_find(struct gofer_server *s, uint64_t id)
{
	struct rb_node *n = s->cfds.node;
	while (n) {
		struct gofer_cfd *c = rb_entry(n, struct gofer_cfd, rb);
		if (id == c->id)
			return c;
		n = id < c->id ? n->left : n->right;
	}
	return NULL;
}

int gofer_cfd_get(struct gofer_server *s, uint64_t id, struct gofer_cfd **out)
{
	pthread_mutex_lock(&s->mu);
	struct gofer_cfd *c = cfd_find(s, id);
	if (c)
		c->refs++;
	pthread_mutex_unlock(&s->mu);
	*out = c;
	return c ? 0 : -EBADF;
}

void gofer_cfd_put(struct gofer_server *s, struct gofer_cfd *c)
{
	pthread_mutex_lock(&s->mu);
	BUG_ON(c->refs == 0);
	bool last = --c->refs == 0;
	pthread_mutex_unlock(&s->mu);
	if (last) {
		close(c->fd);
		free(c);
	}
}

int gofer_cfd_add(struct gofer_server *s, int fd, uint32_t mount, struct gofer_node *out,
                  struct gofer_cfd **out_cfd)
{
	struct gofer_cfd *c = calloc(1, sizeof(*c));
	int err = -ENOMEM;
	if (!c)
		goto out_close;
	err = gofer_statx(fd, &out->stat);
	if (err < 0)
		goto out_free;
	c->fd = fd;
	c->mount = mount;
	c->type = out->stat.mode & S_IFMT;
	c->refs = out_cfd ? 2 : 1;

	pthread_mutex_lock(&s->mu);
	c->id = s->next_id++;
	struct rb_node **link = &s->cfds.node, *parent = NULL;
	while (*link) {
		parent = *link;
		/* Ids only grow: the new node is the rightmost. */
		link = &parent->right;
	}
	rb_link_node(&c->rb, parent, link);
	rb_insert_fixup(&s->cfds, &c->rb);
	pthread_mutex_unlock(&s->mu);

	out->id = c->id;
	if (out_cfd)
		*out_cfd = c;
	return 0;

out_free:
	free(c);
out_close:
	close(fd);
	return err;
}

int gofer_cfd_remove(struct gofer_server *s, uint64_t id)
{
	pthread_mutex_lock(&s->mu);
	struct gofer_cfd *c = cfd_find(s, id);
	if (!c) {
		pthread_mutex_unlock(&s->mu);
		return -EBADF;
	}
	rb_erase(&s->cfds, &c->rb);
	pthread_mutex_unlock(&s->mu);
	gofer_cfd_put(s, c); /* the table's reference */
	return 0;
}

/* ---- Helpers for the handlers ---- */

int gofer_statx(int fd, struct linux_statx *out)
{
	struct statx stx;
	if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS | STATX_BTIME,
	          &stx) < 0)
		return -errno;
	memset(out, 0, sizeof(*out));
	out->mask = stx.stx_mask;
	out->blksize = stx.stx_blksize;
	out->attributes = stx.stx_attributes;
	out->nlink = stx.stx_nlink;
	out->uid = stx.stx_uid;
	out->gid = stx.stx_gid;
	out->mode = stx.stx_mode;
	out->ino = stx.stx_ino;
	out->size = stx.stx_size;
	out->blocks = stx.stx_blocks;
	out->attributes_mask = stx.stx_attributes_mask;
	out->atime = (struct linux_statx_timestamp){ stx.stx_atime.tv_sec, stx.stx_atime.tv_nsec };
	out->btime = (struct linux_statx_timestamp){ stx.stx_btime.tv_sec, stx.stx_btime.tv_nsec };
	out->ctime = (struct linux_statx_timestamp){ stx.stx_ctime.tv_sec, stx.stx_ctime.tv_nsec };
	out->mtime = (struct linux_statx_timestamp){ stx.stx_mtime.tv_sec, stx.stx_mtime.tv_nsec };
	out->rdev_major = stx.stx_rdev_major;
	out->rdev_minor = stx.stx_rdev_minor;
	out->dev_major = stx.stx_dev_major;
	out->dev_minor = stx.stx_dev_minor;
	return 0;
}

int gofer_reopen(struct gofer_server *s, const struct gofer_cfd *c, int flags)
{
	char name[16];
	snprintf(name, sizeof(name), "%d", c->fd);
	int fd = openat(s->proc_fd, name, flags | O_CLOEXEC | O_NOCTTY);
	return fd < 0 ? -errno : fd;
}

void gofer_fd_path(int fd, char *buf, size_t size)
{
	snprintf(buf, size, "/proc/self/fd/%d", fd);
}

int gofer_check_writable(const struct gofer_server *s, const struct gofer_cfd *c)
{
	return s->mounts[c->mount].readonly ? -EROFS : 0;
}

int gofer_get_dir(struct gofer_server *s, uint64_t id, bool write, struct gofer_cfd **out)
{
	struct gofer_cfd *c;
	int err = gofer_cfd_get(s, id, &c);
	if (err < 0)
		return err;
	if (c->type != S_IFDIR)
		err = -ENOTDIR;
	else if (write)
		err = gofer_check_writable(s, c);
	if (err < 0) {
		gofer_cfd_put(s, c);
		return err;
	}
	*out = c;
	return 0;
}

int gofer_finish_new(struct gofer_server *s, const struct gofer_cfd *dir, const char *name,
                     uint32_t uid, uint32_t gid, bool is_dir, struct gofer_node *out)
{
	int err;
	int fd = openat(dir->fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		goto out_remove;
	}
	if ((uid != GOFER_ID_KEEP || gid != GOFER_ID_KEEP) &&
	    fchownat(fd, "", uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0) {
		err = -errno;
		close(fd);
		goto out_remove;
	}
	return gofer_cfd_add(s, fd, dir->mount, out, NULL);

out_remove:
	unlinkat(dir->fd, name, is_dir ? AT_REMOVEDIR : 0);
	return err;
}

/* ---- Channels ---- */

/* Serves one received message (n bytes, or -EMSGSIZE). Returns 0, or -errno to end. */
static int chan_serve_one(struct gofer_chan *ch, ssize_t n, unsigned nfds, const int *fds)
{
	struct gofer_server *s = ch->srv;
	struct gofer_req rq = {
		.srv = s, .t = &ch->t, .r = &ch->r, .fd = -1, .scratch = ch->scratch
	};
	struct gofer_hdr hdr = { 0 };
	int err;

	/* A message too short for a header is answered with tag 0. */
	gofer_decode_hdr(ch->in, n == -EMSGSIZE ? GOFER_HDR_SIZE : n < 0 ? 0 : (size_t)n, &hdr);
	for (unsigned i = 0; i < nfds; i++)
		close(fds[i]);
	if (n < 0 || nfds > 0)
		err = -EINVAL;
	else
		err = gofer_decode(ch->in, (size_t)n, &ch->t);
	if (err == 0 && (!gofer_is_request(ch->t.id) || !g_handlers[ch->t.id]))
		err = gofer_is_request(ch->t.id) ? -ENOSYS : -EINVAL;
	if (err == 0) {
		memset(&ch->r, 0, sizeof(ch->r));
		ch->r.id = gofer_reply_id(ch->t.id);
		err = g_handlers[ch->t.id](&rq);
		log_debug("gofer: %s -> %d", gofer_msg_name(ch->t.id), err);
	} else {
		log_debug("gofer: bad message (id %u, %zd bytes): %d", hdr.id, n, err);
	}

	ssize_t len = -EINVAL;
	if (err == 0) {
		ch->r.tag = hdr.tag;
		ch->r.nfds = rq.fd >= 0 ? 1 : 0;
		len = gofer_encode(ch->out, GOFER_MSG_MAX, &ch->r);
		if (len < 0) {
			/* A handler built a reply the protocol cannot carry: a bug. */
			log_error("gofer: cannot encode %s: %zd", gofer_msg_name(ch->r.id), len);
			err = -EIO;
		}
	}
	if (err < 0) {
		if (rq.fd >= 0)
			close(rq.fd);
		rq.fd = -1;
		memset(&ch->r, 0, sizeof(ch->r));
		ch->r.id = GOFER_R_ERROR;
		ch->r.tag = hdr.tag;
		ch->r.r_error.err = (uint32_t)-err;
		len = gofer_encode(ch->out, GOFER_MSG_MAX, &ch->r);
		BUG_ON(len < 0);
	}
	err = gofer_send(ch->sock, ch->out, (size_t)len, &rq.fd, rq.fd >= 0 ? 1 : 0);
	if (rq.fd >= 0)
		close(rq.fd);
	return err;
}

/*
 * After a read of 0 bytes: true at end of file, false when that was an
 * empty datagram from a live peer (end of file reads as 0 again at once).
 */
static bool chan_eof(int sock)
{
	char c;
	ssize_t n = recv(sock, &c, sizeof(c), MSG_PEEK | MSG_DONTWAIT);
	return !(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) && n <= 0;
}

static void *chan_main(void *arg)
{
	struct gofer_chan *ch = arg;
	struct gofer_server *s = ch->srv;

	for (;;) {
		int fds[1];
		unsigned nfds;
		ssize_t n = gofer_recv(ch->sock, ch->in, GOFER_MSG_MAX, fds, 1, &nfds, 0);
		if (n == 0 && !chan_eof(ch->sock))
			n = -EINVAL; /* an empty message: malformed, not the end */
		if (n == 0 || (n < 0 && n != -EMSGSIZE && n != -EINVAL))
			break; /* the client closed the channel, or it broke */
		if (chan_serve_one(ch, n, nfds, fds) < 0)
			break;
	}

	close(ch->sock);
	free(ch->in);
	free(ch->out);
	free(ch->scratch);
	ch->in = ch->out = ch->scratch = NULL;
	pthread_mutex_lock(&s->mu);
	ch->done = true;
	s->live--;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

int gofer_chan_start(struct gofer_server *s, int sock)
{
	struct gofer_chan *ch = calloc(1, sizeof(*ch));
	pthread_attr_t attr;
	int err = -ENOMEM;

	if (!ch)
		goto out_close;
	ch->srv = s;
	ch->sock = sock;
	ch->in = malloc(GOFER_MSG_MAX);
	ch->out = malloc(GOFER_MSG_MAX);
	ch->scratch = malloc(GOFER_MSG_MAX);
	if (!ch->in || !ch->out || !ch->scratch)
		goto out_free;

	pthread_mutex_lock(&s->mu);
	if (s->live >= GOFER_CHANS_MAX) {
		pthread_mutex_unlock(&s->mu);
		err = -EMFILE;
		goto out_free;
	}
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, CHAN_STACK_SIZE);
	err = -pthread_create(&ch->thread, &attr, chan_main, ch);
	pthread_attr_destroy(&attr);
	if (err == 0) {
		s->live++;
		ch->next = s->chans;
		s->chans = ch;
	}
	pthread_mutex_unlock(&s->mu);
	if (err == 0)
		return 0;

out_free:
	if (ch) {
		free(ch->in);
		free(ch->out);
		free(ch->scratch);
		free(ch);
	}
out_close:
	close(sock);
	return err;
}

/* Joins and frees the channels that ended. Preconditions: s->mu held. */
static void chans_reap(struct gofer_server *s)
{
	struct gofer_chan **link = &s->chans;
	while (*link) {
		struct gofer_chan *ch = *link;
		if (!ch->done) {
			link = &ch->next;
			continue;
		}
		*link = ch->next;
		/* It set done as its last step under mu: the join is short. */
		pthread_mutex_unlock(&s->mu);
		pthread_join(ch->thread, NULL);
		free(ch);
		pthread_mutex_lock(&s->mu);
		link = &s->chans;
	}
}

int gofer_server_serve(struct gofer_server *s, int sock)
{
	int err = gofer_chan_start(s, sock);
	if (err < 0)
		return err;
	pthread_mutex_lock(&s->mu);
	for (;;) {
		chans_reap(s);
		if (s->live == 0)
			break;
		pthread_cond_wait(&s->cond, &s->mu);
	}
	pthread_mutex_unlock(&s->mu);
	return 0;
}
