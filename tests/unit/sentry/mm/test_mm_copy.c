/* Unit tests of sentry/mm/mm_copy.c: guest memory copies over the skeleton platform. */
#include "tests/unit/sentry/mm/mm_fixture.h"

static void test_copy_edges(void **state)
{
	struct fixture *f = *state;
	struct mm *mm = f->mm;
	unsigned char buf[3 * PAGE_SIZE], out[3 * PAGE_SIZE];

	map_fixed(mm, P(0), 2, RW);
	map_fixed(mm, P(2), 1, R);
	map_fixed(mm, P(3), 1, NONE);
	/* P(4) is a hole. */
	map_fixed(mm, P(5), 1, W);

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)(i * 7);
	assert_int_equal(mm_copy_out(mm, P(0) + 10, buf, PAGES(2) - 10), 0);
	assert_int_equal(mm_copy_in(mm, out, P(0) + 10, PAGES(2) - 10), 0);
	assert_memory_equal(buf, out, PAGES(2) - 10);
	/* Reading across the read-only page works; writing into it does not. */
	assert_int_equal(mm_copy_in(mm, out, P(1) + 4000, 200), 0);
	assert_int_equal(mm_copy_out(mm, P(1) + 4000, buf, 200), -EFAULT);
	/* PROT_NONE, a hole, a write-only page (the host cannot read it either). */
	assert_int_equal(mm_copy_in(mm, out, P(2) + 4000, 200), -EFAULT);
	assert_int_equal(mm_copy_in(mm, out, P(4), 1), -EFAULT);
	assert_int_equal(mm_copy_in(mm, out, P(5), 1), -EFAULT);
	assert_int_equal(mm_copy_out(mm, P(5), buf, PAGE_SIZE), 0);
	/* Nothing to copy: no check. */
	assert_int_equal(mm_copy_in(mm, out, P(4), 0), 0);
	assert_int_equal(mm_copy_out(mm, P(4), buf, 0), 0);
	/* Wrapping, or above the guest's range (the vDSO is the platform's). */
	assert_int_equal(mm_copy_in(mm, out, UINT64_MAX - 10, 20), -EFAULT);
	assert_int_equal(mm_copy_in(mm, out, SKELETON_VDSO_BASE, 8), -EFAULT);
	assert_int_equal(mm_check_access(mm, P(0), PAGES(3), R), 0);
	assert_int_equal(mm_check_access(mm, P(0), PAGES(3), W), -EFAULT);
	assert_int_equal(mm_check_access(mm, P(4), 0, W), 0);
	/* A partial copy stops at the first bad page. */
	assert_int_equal(mm_copy_in_partial(mm, out, P(2) + 4000, 500), 96);
	assert_int_equal(mm_copy_in_partial(mm, out, P(4), 500), 0);
	check_agree(mm);
}

static void test_copy_string(void **state)
{
	struct fixture *f = *state;
	struct mm *mm = f->mm;
	char s[64];

	map_fixed(mm, P(0), 2, RW);
	/* A string that ends right before an unmapped page. */
	assert_int_equal(mm_copy_out(mm, P(2) - 6, "hello", 6), 0);
	assert_int_equal(mm_copy_string_in(mm, s, P(2) - 6, sizeof(s)), 5);
	assert_string_equal(s, "hello");
	/* Across a page boundary. */
	assert_int_equal(mm_copy_out(mm, P(1) - 3, "abcdef", 7), 0);
	assert_int_equal(mm_copy_string_in(mm, s, P(1) - 3, sizeof(s)), 6);
	assert_string_equal(s, "abcdef");
	/* No NUL within max bytes. */
	assert_int_equal(mm_copy_string_in(mm, s, P(2) - 6, 5), -ENAMETOOLONG);
	assert_int_equal(mm_copy_string_in(mm, s, P(2) - 6, 6), 5);
	assert_int_equal(mm_copy_string_in(mm, s, P(2) - 6, 0), -ENAMETOOLONG);
	/* Running into the unmapped page before a NUL. */
	assert_int_equal(mm_copy_out(mm, P(2) - 4, "wxyz", 4), 0);
	assert_int_equal(mm_copy_string_in(mm, s, P(2) - 4, sizeof(s)), -EFAULT);
	assert_int_equal(mm_copy_string_in(mm, s, P(5), sizeof(s)), -EFAULT);
	check_agree(mm);
}

static void test_access_prefix(void **state)
{
	struct fixture *f = *state;
	struct mm *mm = f->mm;

	map_fixed(mm, P(0), 2, RW);
	map_fixed(mm, P(2), 1, R);
	assert_int_equal(mm_access_prefix(mm, P(0), PAGES(3), R), PAGES(3));
	assert_int_equal(mm_access_prefix(mm, P(0), PAGES(3), W), PAGES(2));
	assert_int_equal(mm_access_prefix(mm, P(0) + 100, PAGES(10), R), PAGES(3) - 100);
	assert_int_equal(mm_access_prefix(mm, P(0) + 100, 50, R), 50);
	assert_int_equal(mm_access_prefix(mm, P(3), PAGE_SIZE, R), 0);
	assert_int_equal(mm_access_prefix(mm, P(0), 0, R), 0);
	assert_int_equal(mm_access_prefix(mm, P(1), UINT64_MAX, R), PAGES(2));
	/* Clamped at the top of the guest's range. */
	map_fixed(mm, mm->max_addr - PAGE_SIZE, 1, RW);
	assert_int_equal(mm_access_prefix(mm, mm->max_addr - PAGE_SIZE, PAGES(2), R), PAGE_SIZE);
	assert_int_equal(mm_access_prefix(mm, SKELETON_VDSO_BASE, PAGE_SIZE, R), 0);
	check_agree(mm);
}

/* madvise, mincore, msync: checked by the mm, answered by the host */

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_copy_edges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_copy_string, setup, teardown),
		cmocka_unit_test_setup_teardown(test_access_prefix, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
