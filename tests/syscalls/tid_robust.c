/* tid_robust: set_tid_address returns the tid; set_robust_list wants the exact head size. */
#include <linux/futex.h>

#include "test.h"

static int g_tid_word = -1;
static struct robust_list_head g_head;

int main(void)
{
	long tid = syscall(SYS_gettid);

	/* set_tid_address returns the caller's tid and never fails. */
	CHECK_EQ(syscall(SYS_set_tid_address, &g_tid_word), tid);
	CHECK_EQ(g_tid_word, -1); /* it only stores at thread exit */
	CHECK_EQ(syscall(SYS_set_tid_address, NULL), tid);
	CHECK_EQ(syscall(SYS_set_tid_address, test_unmapped_page()), tid);
	CHECK_EQ(syscall(SYS_set_tid_address, &g_tid_word), tid);

	/* set_robust_list: an empty list whose head points at itself, of exactly 24 bytes. */
	g_head.list.next = &g_head.list;
	g_head.futex_offset = 0;
	g_head.list_op_pending = NULL;
	CHECK_EQ(sizeof(g_head), 24);
	CHECK_EQ(syscall(SYS_set_robust_list, &g_head, sizeof(g_head)), 0);
	/* EINVAL: any other length. */
	CHECK_ERR(syscall(SYS_set_robust_list, &g_head, 23L), EINVAL);
	CHECK_ERR(syscall(SYS_set_robust_list, &g_head, 25L), EINVAL);
	CHECK_ERR(syscall(SYS_set_robust_list, &g_head, 0L), EINVAL);
	CHECK_ERR(syscall(SYS_set_robust_list, &g_head, 48L), EINVAL);
	/* The pointer is not checked when it is set, only used at exit. */
	CHECK_EQ(syscall(SYS_set_robust_list, NULL, 24L), 0);
	CHECK_EQ(syscall(SYS_set_robust_list, &g_head, 24L), 0);
	return 0;
}
