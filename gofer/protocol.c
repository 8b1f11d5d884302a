/*
 * The gofer wire format: one table describes every message's fields, and
 * one encoder and one decoder walk it, so the two cannot disagree. The
 * transport is in transport.c.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "common/util.h"
#include "gofer/protocol.h"

enum field_kind {
	F_END = 0,
	F_U32,
	F_U64,
	F_I64,
	F_STATX,
	F_STATFS,
	F_NAME,    /* a file name: const char * at off */
	F_XNAME,   /* an xattr name */
	F_TARGET,  /* a symlink target */
	F_BLOB,    /* u32 size at off2, const void * at off */
	F_IDS,     /* u32 count at off, uint64_t[] at off2 */
	F_NAMES,   /* u32 count at off, const char *[] at off2 */
	F_NODES,   /* u32 count at off, const uint8_t * at off2 */
	F_DIRENTS, /* u32 count at off, u32 size at off2, const uint8_t * at off3 */
};

struct field {
	uint8_t kind;
	uint16_t off, off2, off3;
};

struct msg_info {
	const char *name;
	uint16_t reply; /* for a request: its reply id */
	uint8_t fds_min, fds_max;
	struct field fields[11];
};

/* clang-format off */
#define OFF(m) offsetof(struct gofer_msg, m)
/* A fixed field, its kind chosen by the member's type. */
#define FLD(m) { _Generic(((struct gofer_msg *)0)->m, uint32_t: F_U32, uint64_t: F_U64, \
		int64_t: F_I64, struct linux_statx: F_STATX, struct linux_statfs: F_STATFS), \
		OFF(m), 0, 0 }
#define STR(kind, m)            { kind, OFF(m), 0, 0 }
#define BLOB(ptr, size)         { F_BLOB, OFF(ptr), OFF(size), 0 }
#define ARR(kind, count, arr)   { kind, OFF(count), OFF(arr), 0 }
#define DIRENTS(count, size, p) { F_DIRENTS, OFF(count), OFF(size), OFF(p) }
#define NONE                    { F_END, 0, 0, 0 }
/* A request (it carries no fd) with its reply id; a reply with the fds it carries. */
#define REQ(name, reply, ...)        { name, reply, 0, 0, { __VA_ARGS__ } }
#define REP(name, fds_min, fds_max, ...) { name, 0, fds_min, fds_max, { __VA_ARGS__ } }
/* clang-format on */

static const struct msg_info g_msgs[GOFER_MSG_ID_END] = {
	[GOFER_R_ERROR] = REP("R_ERROR", 0, 0, FLD(r_error.err)),
	[GOFER_R_OK] = REP("R_OK", 0, 0, NONE),
	[GOFER_R_FD] = REP("R_FD", 1, 1, NONE),
	[GOFER_R_MOUNT] =
	        REP("R_MOUNT", 0, 0, FLD(r_mount.root), FLD(r_mount.flags), FLD(r_mount.stat)),
	[GOFER_R_WALK] =
	        REP("R_WALK", 0, 0, FLD(r_walk.status), ARR(F_NODES, r_walk.count, r_walk.nodes)),
	[GOFER_R_STAT] = REP("R_STAT", 0, 0, FLD(r_stat)),
	[GOFER_R_NODE] = REP("R_NODE", 0, 1, FLD(r_node.id), FLD(r_node.stat)),
	[GOFER_R_READLINK] = REP("R_READLINK", 0, 0, STR(F_TARGET, r_readlink.target)),
	[GOFER_R_GETDENTS] = REP("R_GETDENTS", 0, 0,
	                         DIRENTS(r_getdents.count, r_getdents.size, r_getdents.data)),
	[GOFER_R_STATFS] = REP("R_STATFS", 0, 0, FLD(r_statfs)),
	[GOFER_R_XATTR] =
	        REP("R_XATTR", 0, 0, FLD(r_xattr.size), BLOB(r_xattr.data, r_xattr.data_size)),
	[GOFER_T_MOUNT] = REQ("T_MOUNT", GOFER_R_MOUNT, FLD(t_mount.index)),
	[GOFER_T_CHANNEL] = REQ("T_CHANNEL", GOFER_R_FD, NONE),
	[GOFER_T_CLOSE] = REQ("T_CLOSE", GOFER_R_OK, ARR(F_IDS, t_close.count, t_close.ids)),
	[GOFER_T_WALK] = REQ("T_WALK", GOFER_R_WALK, FLD(t_walk.dir),
	                     ARR(F_NAMES, t_walk.count, t_walk.names)),
	[GOFER_T_STAT] = REQ("T_STAT", GOFER_R_STAT, FLD(t_node.id)),
	[GOFER_T_OPEN] = REQ("T_OPEN", GOFER_R_FD, FLD(t_open.id), FLD(t_open.flags)),
	[GOFER_T_CREATE] = REQ("T_CREATE", GOFER_R_NODE, FLD(t_create.dir), FLD(t_create.flags),
	                       FLD(t_create.mode), FLD(t_create.uid), FLD(t_create.gid),
	                       STR(F_NAME, t_create.name)),
	[GOFER_T_MKDIR] = REQ("T_MKDIR", GOFER_R_NODE, FLD(t_mkdir.dir), FLD(t_mkdir.mode),
	                      FLD(t_mkdir.uid), FLD(t_mkdir.gid), STR(F_NAME, t_mkdir.name)),
	[GOFER_T_MKNOD] = REQ("T_MKNOD", GOFER_R_NODE, FLD(t_mknod.dir), FLD(t_mknod.mode),
	                      FLD(t_mknod.uid), FLD(t_mknod.gid), FLD(t_mknod.rdev_major),
	                      FLD(t_mknod.rdev_minor), STR(F_NAME, t_mknod.name)),
	[GOFER_T_SYMLINK] = REQ("T_SYMLINK", GOFER_R_NODE, FLD(t_symlink.dir), FLD(t_symlink.uid),
	                        FLD(t_symlink.gid), STR(F_NAME, t_symlink.name),
	                        STR(F_TARGET, t_symlink.target)),
	[GOFER_T_LINK] = REQ("T_LINK", GOFER_R_NODE, FLD(t_link.dir), FLD(t_link.target),
	                     STR(F_NAME, t_link.name)),
	[GOFER_T_UNLINK] = REQ("T_UNLINK", GOFER_R_OK, FLD(t_unlink.dir), FLD(t_unlink.flags),
	                       STR(F_NAME, t_unlink.name)),
	[GOFER_T_RENAME] = REQ("T_RENAME", GOFER_R_OK, FLD(t_rename.olddir), FLD(t_rename.newdir),
	                       FLD(t_rename.flags), STR(F_NAME, t_rename.oldname),
	                       STR(F_NAME, t_rename.newname)),
	[GOFER_T_READLINK] = REQ("T_READLINK", GOFER_R_READLINK, FLD(t_node.id)),
	[GOFER_T_GETDENTS] = REQ("T_GETDENTS", GOFER_R_GETDENTS, FLD(t_getdents.dir),
	                         FLD(t_getdents.offset), FLD(t_getdents.size)),
	[GOFER_T_SETSTAT] =
	        REQ("T_SETSTAT", GOFER_R_STAT, FLD(t_setstat.id), FLD(t_setstat.mask),
	            FLD(t_setstat.mode), FLD(t_setstat.uid), FLD(t_setstat.gid),
	            FLD(t_setstat.size), FLD(t_setstat.atime_sec), FLD(t_setstat.atime_nsec),
	            FLD(t_setstat.mtime_sec), FLD(t_setstat.mtime_nsec)),
	[GOFER_T_STATFS] = REQ("T_STATFS", GOFER_R_STATFS, FLD(t_node.id)),
	[GOFER_T_GETXATTR] = REQ("T_GETXATTR", GOFER_R_XATTR, FLD(t_getxattr.id),
	                         FLD(t_getxattr.size), STR(F_XNAME, t_getxattr.name)),
	[GOFER_T_SETXATTR] =
	        REQ("T_SETXATTR", GOFER_R_OK, FLD(t_setxattr.id), FLD(t_setxattr.flags),
	            STR(F_XNAME, t_setxattr.name), BLOB(t_setxattr.value, t_setxattr.value_size)),
	[GOFER_T_LISTXATTR] =
	        REQ("T_LISTXATTR", GOFER_R_XATTR, FLD(t_listxattr.id), FLD(t_listxattr.size)),
	[GOFER_T_REMOVEXATTR] = REQ("T_REMOVEXATTR", GOFER_R_OK, FLD(t_removexattr.id),
	                            STR(F_XNAME, t_removexattr.name)),
	[GOFER_T_BIND] = REQ("T_BIND", GOFER_R_NODE, FLD(t_bind.dir), FLD(t_bind.type),
	                     STR(F_NAME, t_bind.name)),
	[GOFER_T_CONNECT] = REQ("T_CONNECT", GOFER_R_FD, FLD(t_connect.id), FLD(t_connect.type)),
};

static const struct msg_info *msg_info(uint16_t id)
{
	if (id >= GOFER_MSG_ID_END || !g_msgs[id].name)
		return NULL;
	return &g_msgs[id];
}

bool gofer_is_request(uint16_t id)
{
	const struct msg_info *mi = msg_info(id);
	return mi && mi->reply != 0;
}

uint16_t gofer_reply_id(uint16_t id)
{
	const struct msg_info *mi = msg_info(id);
	return mi ? mi->reply : 0;
}

const char *gofer_msg_name(uint16_t id)
{
	const struct msg_info *mi = msg_info(id);
	return mi ? mi->name : "?";
}

int gofer_name_check(const char *name, size_t len)
{
	if (len == 0 || len > GOFER_NAME_MAX)
		return -EINVAL;
	if (memchr(name, '/', len) || memchr(name, '\0', len))
		return -EINVAL;
	if (name[0] == '.' && (len == 1 || (len == 2 && name[1] == '.')))
		return -EINVAL;
	return 0;
}

/* Checks a string of a kind: its length and the bytes it may not hold. */
static int str_check(uint8_t kind, const char *s, size_t len)
{
	switch (kind) {
	case F_NAME:
		return gofer_name_check(s, len);
	case F_XNAME:
		return len >= 1 && len <= GOFER_XATTR_NAME_MAX && !memchr(s, '\0', len) ? 0
		                                                                        : -EINVAL;
	default: /* F_TARGET */
		return len >= 1 && len <= GOFER_PATH_MAX && !memchr(s, '\0', len) ? 0 : -EINVAL;
	}
}

/* ---- Encoding ---- */

struct wbuf {
	uint8_t *p;
	size_t size, pos;
	bool full;
};

static void put_bytes(struct wbuf *w, const void *src, size_t n)
{
	if (w->full || n > w->size - w->pos) {
		w->full = true;
		return;
	}
	if (n)
		memcpy(w->p + w->pos, src, n);
	w->pos += n;
}

static void put_u16(struct wbuf *w, uint16_t v)
{
	v = htole16(v);
	put_bytes(w, &v, sizeof(v));
}

static void put_u32(struct wbuf *w, uint32_t v)
{
	v = htole32(v);
	put_bytes(w, &v, sizeof(v));
}

static void put_u64(struct wbuf *w, uint64_t v)
{
	v = htole64(v);
	put_bytes(w, &v, sizeof(v));
}

static void put_ts(struct wbuf *w, const struct linux_statx_timestamp *ts)
{
	put_u64(w, (uint64_t)ts->tv_sec);
	put_u32(w, ts->tv_nsec);
	put_u32(w, 0);
}

static void put_statx(struct wbuf *w, const struct linux_statx *st)
{
	put_u32(w, st->mask);
	put_u32(w, st->blksize);
	put_u64(w, st->attributes);
	put_u32(w, st->nlink);
	put_u32(w, st->uid);
	put_u32(w, st->gid);
	put_u16(w, st->mode);
	put_u16(w, 0);
	put_u64(w, st->ino);
	put_u64(w, st->size);
	put_u64(w, st->blocks);
	put_u64(w, st->attributes_mask);
	put_ts(w, &st->atime);
	put_ts(w, &st->btime);
	put_ts(w, &st->ctime);
	put_ts(w, &st->mtime);
	put_u32(w, st->rdev_major);
	put_u32(w, st->rdev_minor);
	put_u32(w, st->dev_major);
	put_u32(w, st->dev_minor);
}

static void put_statfs(struct wbuf *w, const struct linux_statfs *st)
{
	put_u64(w, (uint64_t)st->type);
	put_u64(w, (uint64_t)st->bsize);
	put_u64(w, st->blocks);
	put_u64(w, st->bfree);
	put_u64(w, st->bavail);
	put_u64(w, st->files);
	put_u64(w, st->ffree);
	put_u32(w, (uint32_t)st->fsid[0]);
	put_u32(w, (uint32_t)st->fsid[1]);
	put_u64(w, (uint64_t)st->namelen);
	put_u64(w, (uint64_t)st->frsize);
	put_u64(w, (uint64_t)st->flags);
}

static int put_str(struct wbuf *w, uint8_t kind, const char *s)
{
	if (!s)
		return -EINVAL;
	size_t len = strnlen(s, GOFER_PATH_MAX + 1);
	int err = str_check(kind, s, len);
	if (err < 0)
		return err;
	put_u16(w, (uint16_t)len);
	put_bytes(w, s, len);
	put_bytes(w, "", 1);
	return 0;
}

#define AT(base, off, type) (*(type *)(void *)((char *)(base) + (off)))

static int dirents_check(const uint8_t *data, size_t size, uint32_t count);

static int put_field(struct wbuf *w, const struct field *f, const struct gofer_msg *m)
{
	uint32_t count;
	int err;

	switch (f->kind) {
	case F_U32:
		put_u32(w, AT(m, f->off, const uint32_t));
		return 0;
	case F_U64:
	case F_I64:
		put_u64(w, AT(m, f->off, const uint64_t));
		return 0;
	case F_STATX:
		put_statx(w, &AT(m, f->off, const struct linux_statx));
		return 0;
	case F_STATFS:
		put_statfs(w, &AT(m, f->off, const struct linux_statfs));
		return 0;
	case F_NAME:
	case F_XNAME:
	case F_TARGET:
		return put_str(w, f->kind, AT(m, f->off, const char *const));
	case F_BLOB: {
		uint32_t size = AT(m, f->off2, const uint32_t);
		const void *p = AT(m, f->off, const void *const);
		if (size > GOFER_XATTR_SIZE_MAX || (size && !p))
			return -EINVAL;
		put_u32(w, size);
		put_bytes(w, p, size);
		return 0;
	}
	case F_IDS:
		count = AT(m, f->off, const uint32_t);
		if (count == 0 || count > GOFER_CLOSE_MAX)
			return -EINVAL;
		put_u32(w, count);
		for (uint32_t i = 0; i < count; i++)
			put_u64(w, (&AT(m, f->off2, const uint64_t))[i]);
		return 0;
	case F_NAMES:
		count = AT(m, f->off, const uint32_t);
		if (count == 0 || count > GOFER_WALK_MAX)
			return -EINVAL;
		put_u32(w, count);
		for (uint32_t i = 0; i < count; i++) {
			err = put_str(w, F_NAME, (&AT(m, f->off2, const char *const))[i]);
			if (err < 0)
				return err;
		}
		return 0;
	case F_NODES: {
		const uint8_t *nodes = AT(m, f->off2, const uint8_t *const);
		count = AT(m, f->off, const uint32_t);
		if (count > GOFER_WALK_MAX || (count && !nodes))
			return -EINVAL;
		put_u32(w, count);
		/* Re-encode through gofer_node_get() so padding is always zero. */
		for (uint32_t i = 0; i < count; i++) {
			struct gofer_node n;
			gofer_node_get(m, i, &n);
			put_u64(w, n.id);
			put_statx(w, &n.stat);
		}
		return 0;
	}
	case F_DIRENTS: {
		const uint8_t *data = AT(m, f->off3, const uint8_t *const);
		uint32_t size = AT(m, f->off2, const uint32_t);
		count = AT(m, f->off, const uint32_t);
		if (size > GOFER_GETDENTS_MAX || (size && !data) ||
		    dirents_check(data, size, count))
			return -EINVAL;
		put_u32(w, count);
		put_u32(w, size);
		put_bytes(w, data, size);
		return 0;
	}
	}
	return -EINVAL;
}

/* The checks a table cannot express; shared by the encoder and the decoder. */
static int msg_check(const struct gofer_msg *m)
{
	switch (m->id) {
	case GOFER_R_ERROR:
		return m->r_error.err >= 1 && m->r_error.err <= 4095 ? 0 : -EINVAL;
	case GOFER_R_WALK:
		if (m->r_walk.status > GOFER_WALK_NOENT)
			return -EINVAL;
		/* Only a walk that found no first name returns no node. */
		if (m->r_walk.status != GOFER_WALK_NOENT && m->r_walk.count == 0)
			return -EINVAL;
		return 0;
	case GOFER_R_XATTR:
		return m->r_xattr.data_size == 0 || m->r_xattr.data_size == m->r_xattr.size
		               ? 0
		               : -EINVAL;
	default:
		return 0;
	}
}

ssize_t gofer_encode(void *buf, size_t size, const struct gofer_msg *m)
{
	const struct msg_info *mi = msg_info(m->id);
	if (!mi || m->nfds < mi->fds_min || m->nfds > mi->fds_max || msg_check(m) < 0)
		return -EINVAL;
	struct wbuf w = { .p = buf, .size = MIN(size, (size_t)GOFER_MSG_MAX) };
	put_u32(&w, 0); /* size, patched below */
	put_u16(&w, m->id);
	put_u16(&w, m->nfds);
	put_u32(&w, m->tag);
	put_u32(&w, 0);
	for (const struct field *f = mi->fields; f->kind != F_END; f++) {
		int err = put_field(&w, f, m);
		if (err < 0)
			return err;
	}
	if (w.full)
		return -EMSGSIZE;
	uint32_t total = htole32((uint32_t)w.pos);
	memcpy(buf, &total, sizeof(total));
	return (ssize_t)w.pos;
}

/* ---- Decoding ---- */

struct rbuf {
	const uint8_t *p;
	size_t size, pos;
	bool bad;
};

static const uint8_t *get_bytes(struct rbuf *r, size_t n)
{
	if (r->bad || n > r->size - r->pos) {
		r->bad = true;
		return NULL;
	}
	const uint8_t *p = r->p + r->pos;
	r->pos += n;
	return p;
}

static uint16_t get_u16(struct rbuf *r)
{
	uint16_t v = 0;
	const uint8_t *p = get_bytes(r, sizeof(v));
	if (p)
		memcpy(&v, p, sizeof(v));
	return le16toh(v);
}

static uint32_t get_u32(struct rbuf *r)
{
	uint32_t v = 0;
	const uint8_t *p = get_bytes(r, sizeof(v));
	if (p)
		memcpy(&v, p, sizeof(v));
	return le32toh(v);
}

static uint64_t get_u64(struct rbuf *r)
{
	uint64_t v = 0;
	const uint8_t *p = get_bytes(r, sizeof(v));
	if (p)
		memcpy(&v, p, sizeof(v));
	return le64toh(v);
}

/* Reads a field that must be zero (padding, reserved). */
static void get_zero(struct rbuf *r, size_t n)
{
	uint64_t v = n == 2 ? get_u16(r) : n == 4 ? get_u32(r) : get_u64(r);
	if (v != 0)
		r->bad = true;
}

static void get_ts(struct rbuf *r, struct linux_statx_timestamp *ts)
{
	ts->tv_sec = (int64_t)get_u64(r);
	ts->tv_nsec = get_u32(r);
	ts->reserved = 0;
	get_zero(r, 4);
}

static void get_statx(struct rbuf *r, struct linux_statx *st)
{
	st->mask = get_u32(r);
	st->blksize = get_u32(r);
	st->attributes = get_u64(r);
	st->nlink = get_u32(r);
	st->uid = get_u32(r);
	st->gid = get_u32(r);
	st->mode = get_u16(r);
	st->pad0 = 0;
	get_zero(r, 2);
	st->ino = get_u64(r);
	st->size = get_u64(r);
	st->blocks = get_u64(r);
	st->attributes_mask = get_u64(r);
	get_ts(r, &st->atime);
	get_ts(r, &st->btime);
	get_ts(r, &st->ctime);
	get_ts(r, &st->mtime);
	st->rdev_major = get_u32(r);
	st->rdev_minor = get_u32(r);
	st->dev_major = get_u32(r);
	st->dev_minor = get_u32(r);
}

static void get_statfs(struct rbuf *r, struct linux_statfs *st)
{
	memset(st, 0, sizeof(*st));
	st->type = (int64_t)get_u64(r);
	st->bsize = (int64_t)get_u64(r);
	st->blocks = get_u64(r);
	st->bfree = get_u64(r);
	st->bavail = get_u64(r);
	st->files = get_u64(r);
	st->ffree = get_u64(r);
	st->fsid[0] = (int32_t)get_u32(r);
	st->fsid[1] = (int32_t)get_u32(r);
	st->namelen = (int64_t)get_u64(r);
	st->frsize = (int64_t)get_u64(r);
	st->flags = (int64_t)get_u64(r);
}

/* Reads a string of a kind: u16 length, bytes, NUL. Returns it, or NULL. */
static const char *get_str(struct rbuf *r, uint8_t kind)
{
	uint16_t len = get_u16(r);
	const uint8_t *p = get_bytes(r, (size_t)len + 1);
	if (!p || p[len] != '\0' || str_check(kind, (const char *)p, len) < 0) {
		r->bad = true;
		return NULL;
	}
	return (const char *)p;
}

/* Validates count entries filling exactly size bytes. Returns 0 or -EINVAL. */
static int dirents_check(const uint8_t *data, size_t size, uint32_t count)
{
	struct rbuf r = { .p = data, .size = size };
	uint32_t n = 0;
	while (!r.bad && r.pos < r.size) {
		get_bytes(&r, 17); /* ino, off, type */
		get_str(&r, F_NAME);
		n++;
	}
	return !r.bad && n == count ? 0 : -EINVAL;
}

static void get_field(struct rbuf *r, const struct field *f, struct gofer_msg *m)
{
	uint32_t count;

	switch (f->kind) {
	case F_U32:
		AT(m, f->off, uint32_t) = get_u32(r);
		break;
	case F_U64:
	case F_I64:
		AT(m, f->off, uint64_t) = get_u64(r);
		break;
	case F_STATX:
		get_statx(r, &AT(m, f->off, struct linux_statx));
		break;
	case F_STATFS:
		get_statfs(r, &AT(m, f->off, struct linux_statfs));
		break;
	case F_NAME:
	case F_XNAME:
	case F_TARGET:
		AT(m, f->off, const char *) = get_str(r, f->kind);
		break;
	case F_BLOB:
		count = get_u32(r);
		if (count > GOFER_XATTR_SIZE_MAX) {
			r->bad = true;
			break;
		}
		AT(m, f->off2, uint32_t) = count;
		AT(m, f->off, const void *) = get_bytes(r, count);
		break;
	case F_IDS:
		count = get_u32(r);
		if (count == 0 || count > GOFER_CLOSE_MAX) {
			r->bad = true;
			break;
		}
		AT(m, f->off, uint32_t) = count;
		for (uint32_t i = 0; i < count; i++)
			(&AT(m, f->off2, uint64_t))[i] = get_u64(r);
		break;
	case F_NAMES:
		count = get_u32(r);
		if (count == 0 || count > GOFER_WALK_MAX) {
			r->bad = true;
			break;
		}
		AT(m, f->off, uint32_t) = count;
		for (uint32_t i = 0; i < count; i++)
			(&AT(m, f->off2, const char *))[i] = get_str(r, F_NAME);
		break;
	case F_NODES: {
		count = get_u32(r);
		if (count > GOFER_WALK_MAX) {
			r->bad = true;
			break;
		}
		AT(m, f->off, uint32_t) = count;
		const uint8_t *nodes = get_bytes(r, (size_t)count * GOFER_NODE_SIZE);
		AT(m, f->off2, const uint8_t *) = nodes;
		/* Check the padding of each stat record. */
		for (uint32_t i = 0; nodes && i < count; i++) {
			struct rbuf nr = { .p = nodes + (size_t)i * GOFER_NODE_SIZE,
				           .size = GOFER_NODE_SIZE };
			struct linux_statx st;
			get_u64(&nr);
			get_statx(&nr, &st);
			if (nr.bad)
				r->bad = true;
		}
		break;
	}
	case F_DIRENTS: {
		count = get_u32(r);
		uint32_t size = get_u32(r);
		if (size > GOFER_GETDENTS_MAX) {
			r->bad = true;
			break;
		}
		const uint8_t *data = get_bytes(r, size);
		if (!data || dirents_check(data, size, count) < 0) {
			r->bad = true;
			break;
		}
		AT(m, f->off, uint32_t) = count;
		AT(m, f->off2, uint32_t) = size;
		AT(m, f->off3, const uint8_t *) = data;
		break;
	}
	default:
		r->bad = true;
	}
}

int gofer_decode_hdr(const void *buf, size_t len, struct gofer_hdr *out)
{
	struct rbuf r = { .p = buf, .size = len };
	out->size = get_u32(&r);
	out->id = get_u16(&r);
	out->nfds = get_u16(&r);
	out->tag = get_u32(&r);
	out->reserved = get_u32(&r);
	return r.bad ? -EINVAL : 0;
}

int gofer_decode(const void *buf, size_t len, struct gofer_msg *out)
{
	struct gofer_hdr hdr;
	memset(out, 0, sizeof(*out));
	if (len > GOFER_MSG_MAX || gofer_decode_hdr(buf, len, &hdr) < 0)
		return -EINVAL;
	if (hdr.size != len || hdr.reserved != 0)
		return -EINVAL;
	const struct msg_info *mi = msg_info(hdr.id);
	if (!mi)
		return -ENOSYS;
	if (hdr.nfds < mi->fds_min || hdr.nfds > mi->fds_max)
		return -EINVAL;
	out->id = hdr.id;
	out->nfds = hdr.nfds;
	out->tag = hdr.tag;

	struct rbuf r = { .p = buf, .size = len, .pos = GOFER_HDR_SIZE };
	for (const struct field *f = mi->fields; f->kind != F_END && !r.bad; f++)
		get_field(&r, f, out);
	if (r.bad || r.pos != len || msg_check(out) < 0) {
		uint16_t id = out->id;
		memset(out, 0, sizeof(*out));
		out->id = id;
		return -EINVAL;
	}
	return 0;
}

/* ---- Walk nodes and directory entries ---- */

void gofer_node_put(uint8_t *dst, const struct gofer_node *n)
{
	struct wbuf w = { .p = dst, .size = GOFER_NODE_SIZE };
	put_u64(&w, n->id);
	put_statx(&w, &n->stat);
}

void gofer_node_get(const struct gofer_msg *m, uint32_t i, struct gofer_node *out)
{
	struct rbuf r = { .p = m->r_walk.nodes + (size_t)i * GOFER_NODE_SIZE,
		          .size = GOFER_NODE_SIZE };
	out->id = get_u64(&r);
	get_statx(&r, &out->stat);
}

int gofer_dirent_put(uint8_t *dst, size_t avail, const struct gofer_dirent *d)
{
	struct wbuf w = { .p = dst, .size = avail };
	put_u64(&w, d->ino);
	put_u64(&w, d->off);
	put_bytes(&w, &d->type, 1);
	int err = put_str(&w, F_NAME, d->name);
	if (err < 0)
		return err;
	return w.full ? -ENOSPC : (int)w.pos;
}

int gofer_dirent_next(const uint8_t *data, size_t size, size_t *pos, struct gofer_dirent *out)
{
	if (*pos >= size)
		return 0;
	struct rbuf r = { .p = data, .size = size, .pos = *pos };
	out->ino = get_u64(&r);
	out->off = get_u64(&r);
	const uint8_t *type = get_bytes(&r, 1);
	out->type = type ? *type : 0;
	out->name = get_str(&r, F_NAME);
	if (r.bad)
		return 0;
	*pos = r.pos;
	return 1;
}
