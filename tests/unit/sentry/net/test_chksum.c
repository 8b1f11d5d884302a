/*
 * sentry/net/chksum.c against liblwip's own lwip_standard_chksum (the
 * library opened with dlopen, its symbol looked up in it alone): the same
 * result for random data, lengths 0 to 3000 (and some up to a loopback
 * segment's 65,535) and every start alignment.
 */
#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

uint16_t lwip_standard_chksum(const void *dataptr, int len);

static uint64_t g_rng = 0x243f6a8885a308d3ULL;

static uint64_t rng(void)
{
	g_rng ^= g_rng >> 12;
	g_rng ^= g_rng << 25;
	g_rng ^= g_rng >> 27;
	return g_rng * 2685821657736338717ULL;
}

static void same_as_lwip(void **state)
{
	(void)state;
	void *lib = dlopen("liblwip.so.0", RTLD_NOW | RTLD_LOCAL);
	assert_non_null(lib);
	uint16_t (*lwip)(const void *, int) =
	        (uint16_t(*)(const void *, int))dlsym(lib, "lwip_standard_chksum");
	assert_non_null(lwip);
	assert_ptr_not_equal(lwip, lwip_standard_chksum);
	static uint8_t buf[65536 + 16];
	for (int round = 0; round < 20000; round++) {
		size_t off = rng() % 16;
		int len = (int)(rng() % 3001);
		if (round % 64 == 0)
			len = (int)(rng() % 65536);
		/* All ones and all zeros test the carries; the rest is random. */
		int fill = (int)(rng() % 8);
		for (int i = 0; i < len; i++)
			buf[off + (size_t)i] = fill == 0 ? 0xff : fill == 1 ? 0 : (uint8_t)rng();
		assert_int_equal(lwip_standard_chksum(buf + off, len), lwip(buf + off, len));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(same_as_lwip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
