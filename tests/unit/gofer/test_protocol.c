/*
 * Unit tests for gofer/protocol: a round trip of every message, and the
 * decoder's refusals: truncated messages, oversized lengths and counts,
 * bad names, unknown ids, nonzero padding. Then the transport over a
 * socketpair: fd passing, truncation, end of file.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/abi/linux/misc.h"
#include "common/util.h"
#include "gofer/protocol.h"

static uint8_t g_buf[GOFER_MSG_MAX];
static uint8_t g_buf2[GOFER_MSG_MAX];
static uint8_t g_nodes[2 * GOFER_NODE_SIZE];
static uint8_t g_dirents[256];
static char g_long_name[GOFER_NAME_MAX + 2];

static struct linux_statx sample_stat(uint32_t seed)
{
	struct linux_statx st = {
		.mask = LINUX_STATX_BASIC_STATS,
		.blksize = 4096,
		.attributes = 0x1122334455667788ULL,
		.nlink = 3 + seed,
		.uid = 1000,
		.gid = 1001,
		.mode = LINUX_S_IFREG | 0644,
		.ino = 0xdeadbeefcafeULL + seed,
		.size = 12345,
		.blocks = 24,
		.attributes_mask = 0xff,
		.atime = { -5, 999999999, 0 },
		.btime = { 1, 2, 0 },
		.ctime = { INT64_MAX, 7, 0 },
		.mtime = { 1700000000, 123, 0 },
		.rdev_major = 1,
		.rdev_minor = 2,
		.dev_major = 8,
		.dev_minor = 1,
	};
	return st;
}

/* Fills m with a valid message of id, with distinct values in every field. */
static void sample(uint16_t id, struct gofer_msg *m)
{
	static const char *names[] = { "a", "bin", "...", ".hidden", "x y" };
	memset(m, 0, sizeof(*m));
	m->id = id;
	m->tag = 0xa5a5a5a5U ^ id;
	switch (id) {
	case GOFER_R_ERROR:
		m->r_error.err = 2;
		break;
	case GOFER_R_FD:
		m->nfds = 1;
		break;
	case GOFER_R_MOUNT:
		m->r_mount.root = 7;
		m->r_mount.flags = GOFER_MOUNT_RDONLY;
		m->r_mount.stat = sample_stat(0);
		break;
	case GOFER_R_WALK:
		for (uint32_t i = 0; i < 2; i++) {
			struct gofer_node n = { .id = 100 + i, .stat = sample_stat(i) };
			gofer_node_put(g_nodes + i * GOFER_NODE_SIZE, &n);
		}
		m->r_walk.status = GOFER_WALK_SYMLINK;
		m->r_walk.count = 2;
		m->r_walk.nodes = g_nodes;
		break;
	case GOFER_R_STAT:
		m->r_stat = sample_stat(9);
		break;
	case GOFER_R_NODE:
		m->nfds = 1;
		m->r_node.id = 42;
		m->r_node.stat = sample_stat(4);
		break;
	case GOFER_R_READLINK:
		m->r_readlink.target = "../../etc/shadow";
		break;
	case GOFER_R_GETDENTS: {
		struct gofer_dirent d1 = { 11, 1, LINUX_DT_REG, "file" };
		struct gofer_dirent d2 = { 12, 2, LINUX_DT_DIR, "dir" };
		int a = gofer_dirent_put(g_dirents, sizeof(g_dirents), &d1);
		int b = gofer_dirent_put(g_dirents + a, sizeof(g_dirents) - (size_t)a, &d2);
		m->r_getdents.count = 2;
		m->r_getdents.size = (uint32_t)(a + b);
		m->r_getdents.data = g_dirents;
		break;
	}
	case GOFER_R_STATFS:
		m->r_statfs = (struct linux_statfs){ .type = 0xef53,
			                             .bsize = 4096,
			                             .blocks = 1,
			                             .bfree = 2,
			                             .bavail = 3,
			                             .files = 4,
			                             .ffree = 5,
			                             .fsid = { -1, 6 },
			                             .namelen = 255,
			                             .frsize = 4096,
			                             .flags = 32 };
		break;
	case GOFER_R_XATTR:
		m->r_xattr.size = 5;
		m->r_xattr.data_size = 5;
		m->r_xattr.data = "value";
		break;
	case GOFER_T_MOUNT:
		m->t_mount.index = 3;
		break;
	case GOFER_T_CLOSE:
		m->t_close.count = 3;
		m->t_close.ids[0] = 1;
		m->t_close.ids[1] = UINT64_MAX;
		m->t_close.ids[2] = 77;
		break;
	case GOFER_T_WALK:
		m->t_walk.dir = 5;
		m->t_walk.count = ARRAY_SIZE(names);
		for (size_t i = 0; i < ARRAY_SIZE(names); i++)
			m->t_walk.names[i] = names[i];
		break;
	case GOFER_T_STAT:
	case GOFER_T_READLINK:
	case GOFER_T_STATFS:
		m->t_node.id = 0x123456789ULL;
		break;
	case GOFER_T_OPEN:
		m->t_open.id = 9;
		m->t_open.flags = LINUX_O_RDWR | LINUX_O_TRUNC;
		break;
	case GOFER_T_CREATE:
		m->t_create = (typeof(m->t_create)){ 1, LINUX_O_WRONLY, 0640, 10, 20, "new" };
		break;
	case GOFER_T_MKDIR:
		m->t_mkdir = (typeof(m->t_mkdir)){ 1, 0750, 10, GOFER_ID_KEEP, "d" };
		break;
	case GOFER_T_MKNOD:
		m->t_mknod = (typeof(m->t_mknod)){ 1, LINUX_S_IFIFO | 0600, 1, 2, 3, 4, "fifo" };
		break;
	case GOFER_T_SYMLINK:
		m->t_symlink = (typeof(m->t_symlink)){ 1, 5, 6, "l", "/abs/path/../x" };
		break;
	case GOFER_T_LINK:
		m->t_link = (typeof(m->t_link)){ 1, 2, "hard" };
		break;
	case GOFER_T_UNLINK:
		m->t_unlink = (typeof(m->t_unlink)){ 1, LINUX_AT_REMOVEDIR, "gone" };
		break;
	case GOFER_T_RENAME:
		m->t_rename = (typeof(m->t_rename)){ 1, 2, LINUX_RENAME_NOREPLACE, "from", "to" };
		break;
	case GOFER_T_GETDENTS:
		m->t_getdents = (typeof(m->t_getdents)){ 1, 0x7fffffffffffffffULL, 4096 };
		break;
	case GOFER_T_SETSTAT:
		m->t_setstat =
		        (typeof(m->t_setstat)){ 1, GOFER_SETSTAT_ALL, 0755, 3, 4, 1 << 20, -1, 5, 6,
			                        7 };
		break;
	case GOFER_T_GETXATTR:
		m->t_getxattr = (typeof(m->t_getxattr)){ 1, 100, "user.k" };
		break;
	case GOFER_T_SETXATTR:
		m->t_setxattr =
		        (typeof(m->t_setxattr)){ 1, LINUX_XATTR_CREATE, "user.k", 3, "a\0b" };
		break;
	case GOFER_T_LISTXATTR:
		m->t_listxattr = (typeof(m->t_listxattr)){ 1, 0 };
		break;
	case GOFER_T_REMOVEXATTR:
		m->t_removexattr = (typeof(m->t_removexattr)){ 1, "user.k" };
		break;
	case GOFER_T_BIND:
		m->t_bind = (typeof(m->t_bind)){ 1, SOCK_STREAM, "sock" };
		break;
	case GOFER_T_CONNECT:
		m->t_connect = (typeof(m->t_connect)){ 1, SOCK_SEQPACKET };
		break;
	default:
		break;
	}
}

static bool id_known(uint16_t id)
{
	return strcmp(gofer_msg_name(id), "?") != 0;
}

/* Encodes the sample of id into g_buf. Returns its size. */
static size_t encode_sample(uint16_t id, struct gofer_msg *m)
{
	sample(id, m);
	ssize_t len = gofer_encode(g_buf, sizeof(g_buf), m);
	assert_true(len >= GOFER_HDR_SIZE);
	return (size_t)len;
}

static void test_round_trip_all(void **state)
{
	unsigned n = 0;
	for (uint16_t id = 0; id < GOFER_MSG_ID_END; id++) {
		if (!id_known(id))
			continue;
		struct gofer_msg m, d;
		size_t len = encode_sample(id, &m);
		assert_int_equal(gofer_decode(g_buf, len, &d), 0);
		assert_int_equal(d.id, id);
		assert_int_equal(d.tag, m.tag);
		assert_int_equal(d.nfds, m.nfds);
		/* The encoding is canonical: decoded and encoded again, the same bytes. */
		assert_int_equal(gofer_encode(g_buf2, sizeof(g_buf2), &d), (ssize_t)len);
		assert_memory_equal(g_buf, g_buf2, len);
		n++;
	}
	assert_int_equal(n, 11 + 23); /* every reply and every request */
}

static void test_round_trip_fields(void **state)
{
	struct gofer_msg m, d;
	size_t len = encode_sample(GOFER_T_WALK, &m);
	assert_int_equal(gofer_decode(g_buf, len, &d), 0);
	assert_int_equal(d.t_walk.dir, 5);
	assert_int_equal(d.t_walk.count, 5);
	for (uint32_t i = 0; i < d.t_walk.count; i++)
		assert_string_equal(d.t_walk.names[i], m.t_walk.names[i]);

	len = encode_sample(GOFER_R_WALK, &m);
	assert_int_equal(gofer_decode(g_buf, len, &d), 0);
	assert_int_equal(d.r_walk.status, GOFER_WALK_SYMLINK);
	for (uint32_t i = 0; i < 2; i++) {
		struct gofer_node n;
		struct linux_statx want = sample_stat(i);
		gofer_node_get(&d, i, &n);
		assert_int_equal(n.id, 100 + i);
		assert_memory_equal(&n.stat, &want, sizeof(want));
	}

	len = encode_sample(GOFER_R_GETDENTS, &m);
	assert_int_equal(gofer_decode(g_buf, len, &d), 0);
	struct gofer_dirent e;
	size_t pos = 0;
	assert_int_equal(gofer_dirent_next(d.r_getdents.data, d.r_getdents.size, &pos, &e), 1);
	assert_string_equal(e.name, "file");
	assert_int_equal(e.ino, 11);
	assert_int_equal(e.type, LINUX_DT_REG);
	assert_int_equal(gofer_dirent_next(d.r_getdents.data, d.r_getdents.size, &pos, &e), 1);
	assert_string_equal(e.name, "dir");
	assert_int_equal(e.off, 2);
	assert_int_equal(gofer_dirent_next(d.r_getdents.data, d.r_getdents.size, &pos, &e), 0);

	len = encode_sample(GOFER_T_SETSTAT, &m);
	assert_int_equal(gofer_decode(g_buf, len, &d), 0);
	assert_memory_equal(&d.t_setstat, &m.t_setstat, sizeof(m.t_setstat));

	len = encode_sample(GOFER_T_SETXATTR, &m);
	assert_int_equal(gofer_decode(g_buf, len, &d), 0);
	assert_int_equal(d.t_setxattr.value_size, 3);
	assert_memory_equal(d.t_setxattr.value, "a\0b", 3);
	assert_string_equal(d.t_setxattr.name, "user.k");

	len = encode_sample(GOFER_R_STATFS, &m);
	assert_int_equal(gofer_decode(g_buf, len, &d), 0);
	assert_memory_equal(&d.r_statfs, &m.r_statfs, sizeof(m.r_statfs));

	len = encode_sample(GOFER_T_SYMLINK, &m);
	assert_int_equal(gofer_decode(g_buf, len, &d), 0);
	assert_string_equal(d.t_symlink.target, "/abs/path/../x");
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void test_truncated(void **state)
{
	for (uint16_t id = 0; id < GOFER_MSG_ID_END; id++) {
		if (!id_known(id))
			continue;
		struct gofer_msg m, d;
		size_t len = encode_sample(id, &m);
		for (size_t cut = 0; cut < len; cut++) {
			/* As sent (the size field says more than arrived)... */
			assert_int_equal(gofer_decode(g_buf, cut, &d), -EINVAL);
			/* ...and with the size field agreeing with the short body. */
			memcpy(g_buf2, g_buf, len);
			put_le32(g_buf2, (uint32_t)cut);
			assert_int_equal(gofer_decode(g_buf2, cut, &d), -EINVAL);
		}
		/* One byte too many is refused as well. */
		memcpy(g_buf2, g_buf, len);
		g_buf2[len] = 0;
		put_le32(g_buf2, (uint32_t)len + 1);
		assert_int_equal(gofer_decode(g_buf2, len + 1, &d), -EINVAL);
	}
}

/* A hand-made message: header, then body bytes appended with the add_* helpers. */
struct raw {
	uint8_t b[GOFER_MSG_MAX + 64];
	size_t len;
};

static void add(struct raw *r, const void *p, size_t n)
{
	memcpy(r->b + r->len, p, n);
	r->len += n;
}

static void add_u16(struct raw *r, uint16_t v)
{
	add(r, &v, 2);
}

static void add_u32(struct raw *r, uint32_t v)
{
	add(r, &v, 4);
}

static void add_u64(struct raw *r, uint64_t v)
{
	add(r, &v, 8);
}

static void raw_start(struct raw *r, uint16_t id)
{
	r->len = 0;
	add_u32(r, 0);
	add_u16(r, id);
	add_u16(r, 0);
	add_u32(r, 1);
	add_u32(r, 0);
}

static int raw_decode(struct raw *r)
{
	struct gofer_msg d;
	put_le32(r->b, (uint32_t)r->len);
	return gofer_decode(r->b, r->len, &d);
}

/* T_UNLINK of the name of len bytes at name, with its NUL (or a given last byte). */
static int decode_unlink(const char *name, uint16_t len, uint8_t last)
{
	static struct raw r;
	raw_start(&r, GOFER_T_UNLINK);
	add_u64(&r, 1);
	add_u32(&r, 0);
	add_u16(&r, len);
	add(&r, name, len);
	add(&r, &last, 1);
	return raw_decode(&r);
}

static void test_bad_names(void **state)
{
	memset(g_long_name, 'n', sizeof(g_long_name) - 1);
	g_long_name[sizeof(g_long_name) - 1] = '\0';
	assert_int_equal(decode_unlink(g_long_name, GOFER_NAME_MAX, 0), 0);
	assert_int_equal(decode_unlink(g_long_name, GOFER_NAME_MAX + 1, 0), -EINVAL);
	assert_int_equal(decode_unlink("ok", 2, 0), 0);
	assert_int_equal(decode_unlink("...", 3, 0), 0);
	assert_int_equal(decode_unlink("", 0, 0), -EINVAL);
	assert_int_equal(decode_unlink(".", 1, 0), -EINVAL);
	assert_int_equal(decode_unlink("..", 2, 0), -EINVAL);
	assert_int_equal(decode_unlink("a/b", 3, 0), -EINVAL);
	assert_int_equal(decode_unlink("/etc", 4, 0), -EINVAL);
	assert_int_equal(decode_unlink("a\0b", 3, 0), -EINVAL);
	assert_int_equal(decode_unlink("ok", 2, 'x'), -EINVAL); /* no terminating NUL */

	/* The encoder refuses the same names, so a client never sends them. */
	const char *bad[] = { "", ".", "..", "a/b", "/etc", g_long_name };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct gofer_msg m;
		sample(GOFER_T_CREATE, &m);
		m.t_create.name = bad[i];
		assert_int_equal(gofer_encode(g_buf, sizeof(g_buf), &m), -EINVAL);
		sample(GOFER_T_WALK, &m);
		m.t_walk.names[2] = bad[i];
		assert_int_equal(gofer_encode(g_buf, sizeof(g_buf), &m), -EINVAL);
	}
	struct gofer_msg m;
	sample(GOFER_T_CREATE, &m);
	m.t_create.name = NULL;
	assert_int_equal(gofer_encode(g_buf, sizeof(g_buf), &m), -EINVAL);
	/* Symlink targets may hold '/' and "..", but not be empty. */
	sample(GOFER_T_SYMLINK, &m);
	m.t_symlink.target = "";
	assert_int_equal(gofer_encode(g_buf, sizeof(g_buf), &m), -EINVAL);
	assert_int_equal(gofer_name_check("a", 1), 0);
	assert_int_equal(gofer_name_check("..", 2), -EINVAL);
}

static void test_oversized(void **state)
{
	static struct raw r;
	struct gofer_msg d;

	/* A name length past the end of the message. */
	raw_start(&r, GOFER_T_UNLINK);
	add_u64(&r, 1);
	add_u32(&r, 0);
	add_u16(&r, 0xffff);
	add(&r, "abc", 4);
	assert_int_equal(raw_decode(&r), -EINVAL);

	/* Walk counts: 0 and GOFER_WALK_MAX + 1 are refused, a huge one too. */
	uint32_t counts[] = { 0, GOFER_WALK_MAX + 1, UINT32_MAX };
	for (size_t i = 0; i < ARRAY_SIZE(counts); i++) {
		raw_start(&r, GOFER_T_WALK);
		add_u64(&r, 1);
		add_u32(&r, counts[i]);
		add_u16(&r, 1);
		add(&r, "a", 2);
		assert_int_equal(raw_decode(&r), -EINVAL);
		raw_start(&r, GOFER_T_CLOSE);
		add_u32(&r, counts[i]);
		add_u64(&r, 1);
		assert_int_equal(raw_decode(&r), -EINVAL);
	}
	/* A walk count larger than the names present. */
	raw_start(&r, GOFER_T_WALK);
	add_u64(&r, 1);
	add_u32(&r, 2);
	add_u16(&r, 1);
	add(&r, "a", 2);
	assert_int_equal(raw_decode(&r), -EINVAL);

	/* A blob larger than XATTR_SIZE_MAX, and one longer than the message. */
	raw_start(&r, GOFER_T_SETXATTR);
	add_u64(&r, 1);
	add_u32(&r, 0);
	add_u16(&r, 6);
	add(&r, "user.k", 7);
	size_t at = r.len;
	add_u32(&r, GOFER_XATTR_SIZE_MAX + 1);
	memset(r.b + r.len, 0, GOFER_XATTR_SIZE_MAX + 1);
	r.len += GOFER_XATTR_SIZE_MAX + 1;
	assert_int_equal(raw_decode(&r), -EINVAL);
	r.len = at;
	add_u32(&r, 10);
	add(&r, "short", 5);
	assert_int_equal(raw_decode(&r), -EINVAL);

	/* Walk replies with more nodes than allowed or present. */
	raw_start(&r, GOFER_R_WALK);
	add_u32(&r, GOFER_WALK_OK);
	add_u32(&r, GOFER_WALK_MAX + 1);
	assert_int_equal(raw_decode(&r), -EINVAL);
	raw_start(&r, GOFER_R_WALK);
	add_u32(&r, GOFER_WALK_OK);
	add_u32(&r, 1);
	add_u64(&r, 1);
	assert_int_equal(raw_decode(&r), -EINVAL);

	/* Getdents: a size past GOFER_GETDENTS_MAX, and a count that disagrees. */
	raw_start(&r, GOFER_R_GETDENTS);
	add_u32(&r, 0);
	add_u32(&r, GOFER_GETDENTS_MAX + 1);
	assert_int_equal(raw_decode(&r), -EINVAL);
	struct gofer_dirent de = { 1, 2, LINUX_DT_REG, "f" };
	uint8_t ent[64];
	int elen = gofer_dirent_put(ent, sizeof(ent), &de);
	raw_start(&r, GOFER_R_GETDENTS);
	add_u32(&r, 2);
	add_u32(&r, (uint32_t)elen);
	add(&r, ent, (size_t)elen);
	assert_int_equal(raw_decode(&r), -EINVAL);
	assert_int_equal(gofer_dirent_put(ent, 10, &de), -ENOSPC);

	/* A whole message larger than GOFER_MSG_MAX. */
	raw_start(&r, GOFER_R_OK);
	r.len = GOFER_MSG_MAX + 1;
	assert_int_equal(raw_decode(&r), -EINVAL);
	/* The size field disagreeing with the datagram. */
	raw_start(&r, GOFER_R_OK);
	put_le32(r.b, 17);
	assert_int_equal(gofer_decode(r.b, r.len, &d), -EINVAL);
	/* Encoding into a buffer too small. */
	sample(GOFER_T_WALK, &d);
	assert_int_equal(gofer_encode(g_buf, 20, &d), -EMSGSIZE);
}

static void test_ids_and_header(void **state)
{
	static struct raw r;
	uint16_t unknown[] = { 0, 12, 31, GOFER_MSG_ID_END, 0x7fff, 0xffff };
	for (size_t i = 0; i < ARRAY_SIZE(unknown); i++) {
		raw_start(&r, unknown[i]);
		assert_int_equal(raw_decode(&r), -ENOSYS);
		struct gofer_msg m = { .id = unknown[i] };
		assert_int_equal(gofer_encode(g_buf, sizeof(g_buf), &m), -EINVAL);
	}
	assert_true(gofer_is_request(GOFER_T_WALK));
	assert_false(gofer_is_request(GOFER_R_WALK));
	assert_false(gofer_is_request(999));
	assert_int_equal(gofer_reply_id(GOFER_T_OPEN), GOFER_R_FD);
	assert_int_equal(gofer_reply_id(GOFER_T_CREATE), GOFER_R_NODE);
	assert_int_equal(gofer_reply_id(GOFER_R_OK), 0);

	/* Nonzero reserved header field. */
	raw_start(&r, GOFER_R_OK);
	put_le32(r.b + 12, 1);
	assert_int_equal(raw_decode(&r), -EINVAL);
	/* Fds announced where none may travel, or missing where one must. */
	raw_start(&r, GOFER_R_OK);
	r.b[6] = 1;
	assert_int_equal(raw_decode(&r), -EINVAL);
	raw_start(&r, GOFER_R_FD);
	assert_int_equal(raw_decode(&r), -EINVAL);
	r.b[6] = 2;
	assert_int_equal(raw_decode(&r), -EINVAL);
	/* Errno out of range. */
	uint32_t errs[] = { 0, 4096, UINT32_MAX };
	for (size_t i = 0; i < ARRAY_SIZE(errs); i++) {
		raw_start(&r, GOFER_R_ERROR);
		add_u32(&r, errs[i]);
		assert_int_equal(raw_decode(&r), -EINVAL);
	}
	/* Walk status out of range, and a symlink stop with no node. */
	raw_start(&r, GOFER_R_WALK);
	add_u32(&r, 3);
	add_u32(&r, 0);
	assert_int_equal(raw_decode(&r), -EINVAL);
	raw_start(&r, GOFER_R_WALK);
	add_u32(&r, GOFER_WALK_SYMLINK);
	add_u32(&r, 0);
	assert_int_equal(raw_decode(&r), -EINVAL);
	raw_start(&r, GOFER_R_WALK);
	add_u32(&r, GOFER_WALK_NOENT);
	add_u32(&r, 0);
	assert_int_equal(raw_decode(&r), 0);
	/* An xattr reply whose data is neither empty nor the whole value. */
	raw_start(&r, GOFER_R_XATTR);
	add_u32(&r, 5);
	add_u32(&r, 2);
	add(&r, "va", 2);
	assert_int_equal(raw_decode(&r), -EINVAL);

	/* Nonzero padding in a stat record. */
	struct gofer_msg m;
	size_t len = encode_sample(GOFER_R_STAT, &m);
	g_buf[GOFER_HDR_SIZE + 30] = 1; /* the u16 after mode */
	assert_int_equal(gofer_decode(g_buf, len, &m), -EINVAL);
}

static void test_transport(void **state)
{
	int sv[2], fds[2];
	unsigned nfds;
	struct gofer_msg m, d;

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	size_t len = encode_sample(GOFER_R_FD, &m);
	int donated = dup(STDERR_FILENO);
	assert_int_equal(gofer_send(sv[0], g_buf, len, &donated, 1), 0);
	close(donated);
	ssize_t n = gofer_recv(sv[1], g_buf2, sizeof(g_buf2), fds, 2, &nfds, 100);
	assert_int_equal(n, (ssize_t)len);
	assert_int_equal(nfds, 1);
	assert_int_equal(gofer_decode(g_buf2, (size_t)n, &d), 0);
	struct stat a, b;
	assert_int_equal(fstat(fds[0], &a), 0);
	assert_int_equal(fstat(STDERR_FILENO, &b), 0);
	assert_true(a.st_ino == b.st_ino && a.st_dev == b.st_dev);
	close(fds[0]);

	/* A message longer than the buffer: -EMSGSIZE, and its fd closed. */
	donated = dup(STDERR_FILENO);
	assert_int_equal(gofer_send(sv[0], g_buf, len, &donated, 1), 0);
	close(donated);
	assert_int_equal(gofer_recv(sv[1], g_buf2, 8, fds, 2, &nfds, 0), -EMSGSIZE);
	assert_int_equal(nfds, 0);

	/* End of file, and a send to a closed peer. */
	close(sv[0]);
	assert_int_equal(gofer_recv(sv[1], g_buf2, sizeof(g_buf2), fds, 2, &nfds, 100), 0);
	assert_int_equal(gofer_send(sv[1], g_buf, len, NULL, 0), -EPIPE);
	close(sv[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_all), cmocka_unit_test(test_round_trip_fields),
		cmocka_unit_test(test_truncated),      cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_oversized),      cmocka_unit_test(test_ids_and_header),
		cmocka_unit_test(test_transport),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
