/*
 * A plain driver for fuzz_gofer_decode.c, run as a normal test: it builds
 * a valid message of every id with pseudo-random field values, then feeds
 * LLVMFuzzerTestOneInput the message and many mutations of it (bit flips,
 * byte and field overwrites with edge values, truncations, extensions,
 * splices), each in a buffer of exactly its size, so an over-read shows
 * under valgrind or ASan. Deterministic: a failure replays.
 *
 * Usage: fuzz_gofer_decode_driver [--write-corpus DIR]
 * (writes the valid messages to DIR as a seed corpus for libFuzzer.)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/abi/linux/misc.h"
#include "common/util.h"
#include "gofer/protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MUTATIONS_PER_SEED 400
#define ROUNDS             4

static uint64_t g_rng = 0x2545f4914f6cdd1dULL;

static uint64_t rng(void)
{
	g_rng ^= g_rng >> 12;
	g_rng ^= g_rng << 25;
	g_rng ^= g_rng >> 27;
	return g_rng * 2685821657736338717ULL;
}

static uint32_t below(uint32_t n)
{
	return (uint32_t)(rng() % n);
}

static const char *rand_name(void)
{
	static const char *names[] = { "a",
		                       "etc",
		                       "...",
		                       ".x",
		                       "with space",
		                       "\xff\xfe",
		                       "a-very-long-name-a-very-long-name-a-very-long-name" };
	return names[below(sizeof(names) / sizeof(names[0]))];
}

static struct linux_statx rand_stat(void)
{
	struct linux_statx st = { 0 };
	st.mask = (uint32_t)rng();
	st.mode = (uint16_t)rng();
	st.ino = rng();
	st.size = rng();
	st.nlink = (uint32_t)rng();
	st.mtime.tv_sec = (int64_t)rng();
	st.mtime.tv_nsec = (uint32_t)rng();
	st.dev_major = (uint32_t)rng();
	return st;
}

static uint8_t g_nodes[3 * GOFER_NODE_SIZE], g_dirents[512];

/* A valid message of id with random values. */
static void seed(uint16_t id, struct gofer_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->id = id;
	m->tag = (uint32_t)rng();
	switch (id) {
	case GOFER_R_ERROR:
		m->r_error.err = 1 + below(4095);
		break;
	case GOFER_R_FD:
		m->nfds = 1;
		break;
	case GOFER_R_MOUNT:
		m->r_mount.root = rng();
		m->r_mount.stat = rand_stat();
		break;
	case GOFER_R_WALK:
		m->r_walk.count = 1 + below(3);
		m->r_walk.status = below(3);
		for (uint32_t i = 0; i < m->r_walk.count; i++) {
			struct gofer_node n = { .id = rng(), .stat = rand_stat() };
			gofer_node_put(g_nodes + i * GOFER_NODE_SIZE, &n);
		}
		m->r_walk.nodes = g_nodes;
		break;
	case GOFER_R_STAT:
		m->r_stat = rand_stat();
		break;
	case GOFER_R_NODE:
		m->nfds = (uint16_t)below(2);
		m->r_node.id = rng();
		m->r_node.stat = rand_stat();
		break;
	case GOFER_R_READLINK:
		m->r_readlink.target = below(2) ? "../../etc/passwd" : "/";
		break;
	case GOFER_R_GETDENTS: {
		uint32_t used = 0;
		m->r_getdents.count = below(4);
		for (uint32_t i = 0; i < m->r_getdents.count; i++) {
			struct gofer_dirent d = { rng(), rng(), (uint8_t)below(16), rand_name() };
			used += (uint32_t)gofer_dirent_put(g_dirents + used,
			                                   sizeof(g_dirents) - used, &d);
		}
		m->r_getdents.size = used;
		m->r_getdents.data = g_dirents;
		break;
	}
	case GOFER_R_STATFS:
		m->r_statfs.type = (int64_t)rng();
		m->r_statfs.blocks = rng();
		m->r_statfs.fsid[1] = (int32_t)rng();
		break;
	case GOFER_R_XATTR:
		m->r_xattr.size = 3;
		m->r_xattr.data_size = below(2) ? 3 : 0;
		m->r_xattr.data = "abc";
		break;
	case GOFER_T_CLOSE:
		m->t_close.count = 1 + below(GOFER_CLOSE_MAX);
		for (uint32_t i = 0; i < m->t_close.count; i++)
			m->t_close.ids[i] = rng();
		break;
	case GOFER_T_WALK:
		m->t_walk.dir = rng();
		m->t_walk.count = 1 + below(8);
		for (uint32_t i = 0; i < m->t_walk.count; i++)
			m->t_walk.names[i] = rand_name();
		break;
	case GOFER_T_CREATE:
		m->t_create =
		        (typeof(m->t_create)){ rng(), (uint32_t)rng(), 0644, 1, 2, rand_name() };
		break;
	case GOFER_T_MKDIR:
		m->t_mkdir = (typeof(m->t_mkdir)){ rng(), 0755, 1, 2, rand_name() };
		break;
	case GOFER_T_MKNOD:
		m->t_mknod = (typeof(m->t_mknod)){ rng(), 010644, 1, 2, 3, 4, rand_name() };
		break;
	case GOFER_T_SYMLINK:
		m->t_symlink = (typeof(m->t_symlink)){ rng(), 1, 2, rand_name(), "../x/./y" };
		break;
	case GOFER_T_LINK:
		m->t_link = (typeof(m->t_link)){ rng(), rng(), rand_name() };
		break;
	case GOFER_T_UNLINK:
		m->t_unlink = (typeof(m->t_unlink)){ rng(), below(2) ? LINUX_AT_REMOVEDIR : 0,
			                             rand_name() };
		break;
	case GOFER_T_RENAME:
		m->t_rename =
		        (typeof(m->t_rename)){ rng(), rng(), below(3), rand_name(), rand_name() };
		break;
	case GOFER_T_GETDENTS:
		m->t_getdents = (typeof(m->t_getdents)){ rng(), rng(), (uint32_t)rng() };
		break;
	case GOFER_T_SETSTAT:
		m->t_setstat = (typeof(m->t_setstat)){
			rng(), (uint32_t)rng(), 0644, 1, 2, rng(), (int64_t)rng(),
			5,     (int64_t)rng(),  6
		};
		break;
	case GOFER_T_GETXATTR:
		m->t_getxattr = (typeof(m->t_getxattr)){ rng(), (uint32_t)rng(), "user.k" };
		break;
	case GOFER_T_SETXATTR:
		m->t_setxattr = (typeof(m->t_setxattr)){ rng(), 1, "user.k", 4, "v\0lu" };
		break;
	case GOFER_T_REMOVEXATTR:
		m->t_removexattr = (typeof(m->t_removexattr)){ rng(), "trusted.overlay" };
		break;
	case GOFER_T_BIND:
		m->t_bind = (typeof(m->t_bind)){ rng(), SOCK_STREAM, rand_name() };
		break;
	default:
		/* The rest are a u64 id and maybe a u32: random bytes fit any of them. */
		m->t_open.id = rng();
		m->t_open.flags = (uint32_t)rng();
		break;
	}
}

static uint8_t g_seed[GOFER_MSG_MAX], g_other[GOFER_MSG_MAX], g_mut[GOFER_MSG_MAX + 64];

static const uint32_t g_edges[] = {
	0,   1,   2,          0xff,       0x100,      0xfff,  0x1000,  64,      65,
	255, 256, 0x7fffffff, 0x80000000, 0xffffffff, 0xffff, 0x10000, 0x20000, GOFER_MSG_MAX
};

/* Mutates g_mut (len bytes) once. Returns the new length. */
static size_t mutate(size_t len, size_t other_len)
{
	size_t at = len ? below((uint32_t)len) : 0;
	uint32_t v = g_edges[below(sizeof(g_edges) / sizeof(g_edges[0]))];
	switch (below(8)) {
	case 0: /* flip a bit */
		if (len)
			g_mut[at] ^= (uint8_t)(1u << below(8));
		return len;
	case 1: /* a random byte */
		if (len)
			g_mut[at] = (uint8_t)rng();
		return len;
	case 2: /* an edge value as u16 */
		if (at + 2 <= len)
			memcpy(g_mut + at, &v, 2);
		return len;
	case 3: /* an edge value as u32 */
		if (at + 4 <= len)
			memcpy(g_mut + at, &v, 4);
		return len;
	case 4: /* truncate */
		return at;
	case 5: /* extend with random bytes */ {
		size_t n = 1 + below(32);
		for (size_t i = 0; i < n; i++)
			g_mut[len + i] = (uint8_t)rng();
		return len + n;
	}
	case 6: /* splice the tail of another message */ {
		size_t from = other_len ? below((uint32_t)other_len) : 0;
		size_t n = MIN(other_len - from, sizeof(g_mut) - at);
		memcpy(g_mut + at, g_other + from, n);
		return at + n;
	}
	default: /* another id */
		v = below(64);
		if (len >= 6)
			memcpy(g_mut + 4, &v, 2);
		return len;
	}
}

static void feed(const uint8_t *p, size_t len)
{
	/* An exact-size copy, so a read past the end is caught. */
	uint8_t *copy = malloc(len ? len : 1);
	if (!copy)
		abort();
	memcpy(copy, p, len);
	LLVMFuzzerTestOneInput(copy, len);
	free(copy);
}

static int write_corpus(const char *dir)
{
	for (uint16_t id = 0; id < GOFER_MSG_ID_END; id++) {
		struct gofer_msg m;
		if (strcmp(gofer_msg_name(id), "?") == 0)
			continue;
		seed(id, &m);
		ssize_t len = gofer_encode(g_seed, sizeof(g_seed), &m);
		if (len < 0)
			return 1;
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, gofer_msg_name(id));
		FILE *f = fopen(path, "wb");
		if (!f || fwrite(g_seed, 1, (size_t)len, f) != (size_t)len)
			return 1;
		fclose(f);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--write-corpus") == 0)
		return write_corpus(argv[2]);
	unsigned long inputs = 0, accepted = 0;
	for (int round = 0; round < ROUNDS; round++) {
		for (uint16_t id = 0; id < GOFER_MSG_ID_END; id++) {
			struct gofer_msg m;
			if (strcmp(gofer_msg_name(id), "?") == 0)
				continue;
			seed(id, &m);
			ssize_t len = gofer_encode(g_seed, sizeof(g_seed), &m);
			if (len < 0) {
				fprintf(stderr, "cannot encode a seed of %s: %zd\n",
				        gofer_msg_name(id), len);
				return 1;
			}
			seed((uint16_t)(GOFER_T_MOUNT + below(23)), &m);
			ssize_t other = gofer_encode(g_other, sizeof(g_other), &m);
			struct gofer_msg d;
			if (gofer_decode(g_seed, (size_t)len, &d) != 0) {
				fprintf(stderr, "a seed of %s does not decode\n",
				        gofer_msg_name(id));
				return 1;
			}
			feed(g_seed, (size_t)len);
			for (int i = 0; i < MUTATIONS_PER_SEED; i++) {
				size_t mlen = (size_t)len;
				memcpy(g_mut, g_seed, mlen);
				for (uint32_t k = 1 + below(3); k > 0; k--)
					mlen = mutate(mlen, other > 0 ? (size_t)other : 0);
				/* Half the time, make the size field agree with the length. */
				if (below(2) && mlen >= 4) {
					uint32_t s = (uint32_t)mlen;
					memcpy(g_mut, &s, 4);
				}
				feed(g_mut, mlen);
				struct gofer_msg x;
				accepted += gofer_decode(g_mut, mlen, &x) == 0;
				inputs++;
			}
		}
	}
	printf("fed %lu mutated messages, %lu of them still valid\n", inputs, accepted);
	return accepted > 0 ? 0 : 1;
}
