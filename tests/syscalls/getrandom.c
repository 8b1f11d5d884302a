/* getrandom: fills buffers with bytes that look random, and rejects bad flags. */
#include <sys/random.h>

#include "test.h"

static unsigned char g_buf[4096];

int main(void)
{
	unsigned char a[64], b[64];

	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	CHECK_EQ(syscall(SYS_getrandom, a, sizeof(a), 0), sizeof(a));
	CHECK_EQ(syscall(SYS_getrandom, b, sizeof(b), 0), sizeof(b));
	/* Two 512-bit draws are equal or all-zero with probability 2^-512. */
	CHECK(memcmp(a, b, sizeof(a)) != 0);
	static const unsigned char zero[64];
	CHECK(memcmp(a, zero, sizeof(a)) != 0);

	/* 4096 bytes: each byte value is expected 16 times; none may appear 100 times. */
	CHECK_EQ(syscall(SYS_getrandom, g_buf, sizeof(g_buf), 0), sizeof(g_buf));
	int count[256] = { 0 };
	for (size_t i = 0; i < sizeof(g_buf); i++)
		count[g_buf[i]]++;
	for (int v = 0; v < 256; v++)
		if (count[v] >= 100)
			test_fail(__FILE__, __LINE__, "byte %#x appears %d times in 4096", v,
			          count[v]);

	/* Requests of up to 256 bytes are never short, whatever the flags. */
	CHECK_EQ(syscall(SYS_getrandom, a, 16L, GRND_NONBLOCK), 16);
	CHECK_EQ(syscall(SYS_getrandom, a, 16L, GRND_RANDOM), 16);
	CHECK_EQ(syscall(SYS_getrandom, a, 16L, GRND_RANDOM | GRND_NONBLOCK), 16);
	CHECK_EQ(syscall(SYS_getrandom, a, 16L, GRND_INSECURE), 16);
	CHECK_EQ(syscall(SYS_getrandom, a, 16L, GRND_INSECURE | GRND_NONBLOCK), 16);
	CHECK_EQ(syscall(SYS_getrandom, a, 256L, 0), 256);

	/* A zero-length request returns 0, even with no buffer. */
	CHECK_EQ(syscall(SYS_getrandom, a, 0L, 0), 0);
	CHECK_EQ(syscall(SYS_getrandom, NULL, 0L, 0), 0);

	/* EINVAL: unknown flags, and GRND_INSECURE with GRND_RANDOM; flags come first. */
	CHECK_ERR(syscall(SYS_getrandom, a, 16L, 0x8), EINVAL);
	CHECK_ERR(syscall(SYS_getrandom, a, 16L, 0x10), EINVAL);
	CHECK_ERR(syscall(SYS_getrandom, a, 16L, 0x80000000), EINVAL);
	CHECK_ERR(syscall(SYS_getrandom, a, 16L, GRND_INSECURE | GRND_RANDOM), EINVAL);
	CHECK_ERR(syscall(SYS_getrandom, a, 16L, GRND_INSECURE | GRND_RANDOM | GRND_NONBLOCK),
	          EINVAL);
	CHECK_ERR(syscall(SYS_getrandom, NULL, 0L, 0x10), EINVAL);

	/* A buffer that runs into unmapped memory: the bytes that fit, not EFAULT. */
	unsigned char *edge = test_page_before_hole();
	CHECK_EQ(syscall(SYS_getrandom, edge + PAGE_SIZE - 1, 16L, 0), 1);
	CHECK_EQ(syscall(SYS_getrandom, edge, 2 * PAGE_SIZE, 0), PAGE_SIZE);
	/* Starting in unmapped memory: EFAULT. */
	CHECK_ERR(syscall(SYS_getrandom, edge + PAGE_SIZE, 16L, 0), EFAULT);
	return 0;
}
