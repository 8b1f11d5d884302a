/*
 * sigaltstack: none at first (SS_DISABLE), ENOMEM below MINSIGSTKSZ (2048),
 * EINVAL for unknown flags, SS_ONSTACK accepted as 0, SS_AUTODISARM kept,
 * SS_DISABLE clearing the stack, and EFAULT for either pointer.
 */
#include <signal.h>
#include <stdlib.h>

#include "test.h"

#define K_SS_AUTODISARM (1U << 31)

struct kstack {
	void *sp;
	int flags;
	int pad;
	size_t size;
};

int main(void)
{
	struct kstack o, n = { 0 };
	CHECK_EQ(syscall(SYS_sigaltstack, NULL, &o), 0);
	CHECK_EQ(o.flags, SS_DISABLE);
	CHECK(o.sp == NULL && o.size == 0);

	n.sp = malloc(65536);
	n.size = 2047;
	CHECK_ERR(syscall(SYS_sigaltstack, &n, NULL), ENOMEM);
	n.size = 2048;
	CHECK_EQ(syscall(SYS_sigaltstack, &n, NULL), 0);
	n.flags = 4;
	n.size = 65536;
	CHECK_ERR(syscall(SYS_sigaltstack, &n, NULL), EINVAL);
	n.flags = SS_ONSTACK;
	CHECK_EQ(syscall(SYS_sigaltstack, &n, &o), 0);
	CHECK(o.sp == n.sp && o.size == 2048 && o.flags == 0);
	n.flags = (int)K_SS_AUTODISARM;
	CHECK_EQ(syscall(SYS_sigaltstack, &n, NULL), 0);
	CHECK_EQ(syscall(SYS_sigaltstack, NULL, &o), 0);
	CHECK_EQ((unsigned)o.flags, K_SS_AUTODISARM);
	CHECK_EQ(o.size, 65536);

	n.flags = SS_DISABLE;
	n.size = 5; /* ignored when disabling */
	CHECK_EQ(syscall(SYS_sigaltstack, &n, NULL), 0);
	CHECK_EQ(syscall(SYS_sigaltstack, NULL, &o), 0);
	CHECK(o.sp == NULL && o.size == 0 && o.flags == SS_DISABLE);

	CHECK_ERR(syscall(SYS_sigaltstack, (void *)8, NULL), EFAULT);
	CHECK_ERR(syscall(SYS_sigaltstack, NULL, (void *)8), EFAULT);
	return 0;
}
