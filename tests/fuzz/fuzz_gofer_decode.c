/*
 * Fuzz target for the gofer's message decoder (gofer/protocol.c), with
 * libFuzzer's entry point. Built with clang -fsanitize=fuzzer when the
 * compiler has it (fuzz_gofer_decode), and always linked into
 * fuzz_driver.c, which feeds it deterministic mutations of valid messages
 * as a normal test.
 *
 * Checks, beyond "no crash and no out-of-bounds read": the decoder only
 * ever answers 0, -EINVAL or -ENOSYS; what it accepts re-encodes to the
 * very same bytes (the encoding is canonical); every string it hands out
 * is a C string inside the input, and the walk nodes and directory
 * entries it validated can all be read back.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gofer/protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t g_out[GOFER_MSG_MAX];

static void check_str(const uint8_t *data, size_t size, const char *s)
{
	const uint8_t *p = (const uint8_t *)s;
	if (!s || p < data || p >= data + size || !memchr(p, '\0', (size_t)(data + size - p)))
		abort();
}

static void check_fields(const uint8_t *data, size_t size, const struct gofer_msg *m)
{
	switch (m->id) {
	case GOFER_T_WALK:
		for (uint32_t i = 0; i < m->t_walk.count; i++)
			check_str(data, size, m->t_walk.names[i]);
		break;
	case GOFER_R_WALK:
		for (uint32_t i = 0; i < m->r_walk.count; i++) {
			struct gofer_node n;
			gofer_node_get(m, i, &n);
		}
		break;
	case GOFER_R_GETDENTS: {
		struct gofer_dirent e;
		size_t pos = 0;
		uint32_t n = 0;
		while (gofer_dirent_next(m->r_getdents.data, m->r_getdents.size, &pos, &e)) {
			check_str(data, size, e.name);
			if (gofer_name_check(e.name, strlen(e.name)) < 0)
				abort();
			n++;
		}
		if (n != m->r_getdents.count || pos != m->r_getdents.size)
			abort();
		break;
	}
	case GOFER_T_CREATE:
		check_str(data, size, m->t_create.name);
		break;
	case GOFER_T_RENAME:
		check_str(data, size, m->t_rename.oldname);
		check_str(data, size, m->t_rename.newname);
		break;
	case GOFER_T_SYMLINK:
		check_str(data, size, m->t_symlink.name);
		check_str(data, size, m->t_symlink.target);
		break;
	case GOFER_R_READLINK:
		check_str(data, size, m->r_readlink.target);
		break;
	default:
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gofer_msg m;
	struct gofer_hdr h;

	gofer_decode_hdr(data, size, &h);
	int err = gofer_decode(data, size, &m);
	if (err == -EINVAL || err == -ENOSYS)
		return 0;
	if (err != 0)
		abort();
	check_fields(data, size, &m);
	ssize_t n = gofer_encode(g_out, sizeof(g_out), &m);
	if (n != (ssize_t)size || memcmp(g_out, data, size) != 0)
		abort();
	return 0;
}
