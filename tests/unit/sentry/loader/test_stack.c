/* Unit tests for sentry/loader/stack.c: the initial stack image and Linux's E2BIG limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/abi/linux/arch_x86.h"
#include "common/log.h"
#include "sentry/loader/stack.h"

#define TOP 0x7ffffffde000ULL

/* Reads the image's word or string at guest address addr. */
static uint64_t word_at(const struct loader_stack *s, uaddr_t addr)
{
	assert_true(addr >= s->sp && addr + 8 <= s->sp + s->size);
	uint64_t v;
	memcpy(&v, s->image + (addr - s->sp), sizeof(v));
	return v;
}

static const char *str_at(const struct loader_stack *s, uaddr_t addr)
{
	assert_true(addr >= s->sp && addr < s->sp + s->size);
	const char *p = (const char *)s->image + (addr - s->sp);
	assert_non_null(memchr(p, '\0', s->sp + s->size - addr));
	return p;
}

static const uint8_t g_random[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };

static struct loader_stack_args base_args(char *const *argv, char *const *envp)
{
	struct loader_stack_args a = {
		.argv = argv,
		.envp = envp,
		.execfn = "/bin/prog",
		.stack_limit = 8 << 20,
		.auxv = {
			.sysinfo_ehdr = 0x7ffff7fc1000,
			.minsigstksz = 3632,
			.hwcap = 0x178bfbff,
			.hwcap2 = 0x2,
			.phdr = 0x555555554040,
			.phnum = 13,
			.base = 0x7ffff7fc3000,
			.entry = 0x555555555040,
			.uid = 1000,
			.euid = 1001,
			.gid = 100,
			.egid = 101,
		},
	};
	memcpy(a.random, g_random, sizeof(a.random));
	return a;
}

/* Walks argc, argv, envp, auxv from sp; returns the auxv's address. */
static uaddr_t check_vectors(const struct loader_stack *s, char *const *argv, size_t argc,
                             char *const *envp, size_t envc)
{
	uaddr_t p = s->sp;
	assert_int_equal(word_at(s, p), argc);
	p += 8;
	for (size_t i = 0; i < argc; i++, p += 8) {
		uaddr_t str = word_at(s, p);
		assert_true(str >= s->arg_start && str < s->arg_end);
		assert_string_equal(str_at(s, str), argv[i]);
	}
	assert_int_equal(word_at(s, p), 0);
	p += 8;
	for (size_t i = 0; i < envc; i++, p += 8) {
		uaddr_t str = word_at(s, p);
		assert_true(str >= s->env_start && str < s->env_end);
		assert_string_equal(str_at(s, str), envp[i]);
	}
	assert_int_equal(word_at(s, p), 0);
	return p + 8;
}

/* Returns the value of tag in the auxv at p, or fails; *index receives its position. */
static uint64_t aux_get(const struct loader_stack *s, uaddr_t p, uint64_t tag, int *index)
{
	for (int i = 0;; i++, p += 16) {
		uint64_t t = word_at(s, p);
		if (t == tag) {
			if (index)
				*index = i;
			return word_at(s, p + 8);
		}
		if (t == LINUX_AT_NULL)
			fail_msg("auxv tag %llu missing", (unsigned long long)tag);
	}
}

static bool aux_has(const struct loader_stack *s, uaddr_t p, uint64_t tag)
{
	for (;; p += 16) {
		uint64_t t = word_at(s, p);
		if (t == tag)
			return true;
		if (t == LINUX_AT_NULL)
			return false;
	}
}

static void test_layout(void **state)
{
	(void)state;
	char *argv[] = { "prog", "-x", "hello world", NULL };
	char *envp[] = { "A=1", "PATH=/bin:/usr/bin", NULL };
	struct loader_stack_args a = base_args(argv, envp);
	struct loader_stack s;
	assert_int_equal(loader_stack_build(&a, TOP, "exec /bin/prog", &s), 0);

	assert_int_equal(s.sp % 16, 0);
	assert_int_equal(s.sp + s.size, TOP);
	assert_int_equal(s.argc, 3);
	uaddr_t auxv = check_vectors(&s, argv, 3, envp, 2);

	/* Strings: argv then envp then execfn, then 8 zero bytes at the top. */
	assert_int_equal(s.arg_end, s.env_start);
	assert_int_equal(s.env_end, s.execfn);
	assert_int_equal(s.arg_end - s.arg_start,
	                 sizeof("prog") + sizeof("-x") + sizeof("hello world"));
	assert_memory_equal(str_at(&s, s.arg_start), "prog\0-x\0hello world\0", 20);
	assert_memory_equal(str_at(&s, s.env_start), "A=1\0PATH=/bin:/usr/bin\0", 23);
	assert_string_equal(str_at(&s, s.execfn), "/bin/prog");
	assert_int_equal(s.execfn + sizeof("/bin/prog"), TOP - 8);
	assert_int_equal(word_at(&s, TOP - 8), 0);

	/* The auxv, in create_elf_tables()'s order. */
	static const uint64_t order[] = {
		LINUX_AT_SYSINFO_EHDR, LINUX_AT_MINSIGSTKSZ, LINUX_AT_HWCAP,  LINUX_AT_PAGESZ,
		LINUX_AT_CLKTCK,       LINUX_AT_PHDR,        LINUX_AT_PHENT,  LINUX_AT_PHNUM,
		LINUX_AT_BASE,         LINUX_AT_FLAGS,       LINUX_AT_ENTRY,  LINUX_AT_UID,
		LINUX_AT_EUID,         LINUX_AT_GID,         LINUX_AT_EGID,   LINUX_AT_SECURE,
		LINUX_AT_RANDOM,       LINUX_AT_HWCAP2,      LINUX_AT_EXECFN, LINUX_AT_PLATFORM,
		LINUX_AT_NULL,
	};
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		assert_int_equal(word_at(&s, auxv + 16 * i), order[i]);
	/* The auxv ends the image's words: what follows is random, platform and padding. */
	uaddr_t auxv_end = auxv + 16 * (sizeof(order) / sizeof(order[0]));
	assert_true(auxv_end <= s.random);

	assert_int_equal(aux_get(&s, auxv, LINUX_AT_SYSINFO_EHDR, NULL), 0x7ffff7fc1000);
	assert_int_equal(aux_get(&s, auxv, LINUX_AT_MINSIGSTKSZ, NULL), 3632);
	assert_int_equal(aux_get(&s, auxv, LINUX_AT_HWCAP, NULL), 0x178bfbff);
	assert_int_equal(aux_get(&s, auxv, LINUX_AT_HWCAP2, NULL), 0x2);
	assert_int_equal(aux_get(&s, auxv, LINUX_AT_PAGESZ, NULL), 4096);
	assert_int_equal(aux_get(&s, auxv, LINUX_AT_CLKTCK, NULL), 100);
	assert_int_equal(aux_get(&s, auxv, LINUX_AT_PHDR, NULL), 0x555555554040);
	assert_int_equal(aux_get(&s, auxv, LINUX_AT_PHENT, NULL), 56);
	assert_int_equal(aux_get(&s, auxv, LINUX_AT_PHNUM, NULL), 13);
	assert_int_equal(aux_get(&s, auxv, LINUX_AT_BASE, NULL), 0x7ffff7fc3000);
	assert_int_equal(aux_get(&s, auxv, LINUX_AT_FLAGS, NULL), 0);
	assert_int_equal(aux_get(&s, auxv, LINUX_AT_ENTRY, NULL), 0x555555555040);
	assert_int_equal(aux_get(&s, auxv, LINUX_AT_UID, NULL), 1000);
	assert_int_equal(aux_get(&s, auxv, LINUX_AT_EUID, NULL), 1001);
	assert_int_equal(aux_get(&s, auxv, LINUX_AT_GID, NULL), 100);
	assert_int_equal(aux_get(&s, auxv, LINUX_AT_EGID, NULL), 101);
	assert_int_equal(aux_get(&s, auxv, LINUX_AT_SECURE, NULL), 0);

	/* The pointers point inside the image, at what they promise. */
	uaddr_t rnd = aux_get(&s, auxv, LINUX_AT_RANDOM, NULL);
	assert_int_equal(rnd, s.random);
	assert_true(rnd >= s.sp && rnd + 16 <= TOP);
	assert_memory_equal(s.image + (rnd - s.sp), g_random, 16);
	uaddr_t execfn = aux_get(&s, auxv, LINUX_AT_EXECFN, NULL);
	assert_int_equal(execfn, s.execfn);
	assert_string_equal(str_at(&s, execfn), "/bin/prog");
	uaddr_t platform = aux_get(&s, auxv, LINUX_AT_PLATFORM, NULL);
	assert_int_equal(platform, s.platform);
	assert_string_equal(str_at(&s, platform), "x86_64");
	/* Linux's order: random below platform below the (16-aligned) strings. */
	assert_int_equal(rnd + 16, platform);
	assert_int_equal((platform + sizeof("x86_64")) % 16, 0); /* arch_align_stack() */
	assert_true(platform + sizeof("x86_64") <= s.arg_start);
	assert_true(s.arg_start - (platform + sizeof("x86_64")) < 16);

	loader_stack_release(&s);
	assert_null(s.image);
}

/* sp is 16-byte aligned whatever the string lengths and the random drop. */
static void test_alignment(void **state)
{
	(void)state;
	char arg[40];
	char *argv[] = { "p", arg, NULL };
	char *envp[] = { "E=1", NULL, NULL };
	for (int len = 0; len < 24; len++) {
		memset(arg, 'a', (size_t)len);
		arg[len] = '\0';
		for (uint32_t pad = 0; pad < 48; pad += 5) {
			for (int envc = 0; envc < 2; envc++) {
				envp[1] = envc ? "F=2" : NULL;
				struct loader_stack_args a = base_args(argv, envp);
				a.align_pad = pad;
				struct loader_stack s;
				assert_int_equal(loader_stack_build(&a, TOP, "t", &s), 0);
				assert_int_equal(s.sp % 16, 0);
				assert_int_equal(s.arg_start, TOP - 8 - sizeof("/bin/prog") -
				                                      sizeof("E=1") - 4 * envc - 2 -
				                                      (size_t)len - 1);
				check_vectors(&s, argv, 2, envp, 1 + (size_t)envc);
				loader_stack_release(&s);
			}
		}
	}
}

static void test_random_pad(void **state)
{
	(void)state;
	char *argv[] = { "p", NULL };
	struct loader_stack_args a = base_args(argv, NULL);
	struct loader_stack s0, s1;
	assert_int_equal(loader_stack_build(&a, TOP, "t", &s0), 0);
	a.align_pad = LOADER_STACK_PAD_MAX - 1;
	assert_int_equal(loader_stack_build(&a, TOP, "t", &s1), 0);
	assert_int_equal(s0.arg_start, s1.arg_start);
	assert_true(s0.sp - s1.sp >= LOADER_STACK_PAD_MAX - 16);
	assert_true(s0.sp - s1.sp <= LOADER_STACK_PAD_MAX + 16);
	assert_int_equal(s1.sp % 16, 0);
	loader_stack_release(&s0);
	loader_stack_release(&s1);
}

/* No vDSO, no host AT_MINSIGSTKSZ: those entries are left out. */
static void test_optional_auxv(void **state)
{
	(void)state;
	char *argv[] = { "p", NULL };
	struct loader_stack_args a = base_args(argv, NULL);
	a.auxv.sysinfo_ehdr = 0;
	a.auxv.minsigstksz = 0;
	struct loader_stack s;
	assert_int_equal(loader_stack_build(&a, TOP, "t", &s), 0);
	uaddr_t auxv = check_vectors(&s, argv, 1, NULL, 0);
	assert_false(aux_has(&s, auxv, LINUX_AT_SYSINFO_EHDR));
	assert_false(aux_has(&s, auxv, LINUX_AT_MINSIGSTKSZ));
	int index;
	aux_get(&s, auxv, LINUX_AT_HWCAP, &index);
	assert_int_equal(index, 0);
	loader_stack_release(&s);
}

/* Linux (5.18+) gives a program started with an empty argv a lone "". */
static void test_empty_argv(void **state)
{
	(void)state;
	char *empty[] = { NULL };
	char *envp[] = { "A=1", NULL };
	char *expect[] = { "" };
	for (int i = 0; i < 2; i++) {
		struct loader_stack_args a = base_args(i ? empty : NULL, envp);
		struct loader_stack s;
		assert_int_equal(loader_stack_build(&a, TOP, "t", &s), 0);
		assert_int_equal(s.argc, 1);
		check_vectors(&s, expect, 1, envp, 1);
		assert_int_equal(s.arg_end - s.arg_start, 1);
		loader_stack_release(&s);
	}
}

static char *make_string(size_t len, char c)
{
	char *p = malloc(len + 1);
	assert_non_null(p);
	memset(p, c, len);
	p[len] = '\0';
	return p;
}

/* MAX_ARG_STRLEN: 32 pages, the NUL included. */
static void test_e2big_one_string(void **state)
{
	(void)state;
	char *ok = make_string(LOADER_MAX_ARG_STRLEN - 1, 'a');
	char *big = make_string(LOADER_MAX_ARG_STRLEN, 'b');
	char *argv[] = { "p", ok, NULL };
	char *envp[] = { big, NULL };

	assert_int_equal(loader_stack_check_args(argv, NULL, "/p", 8 << 20, "t"), 0);
	assert_int_equal(loader_stack_check_args(argv, envp, "/p", 8 << 20, "t"), -E2BIG);
	argv[1] = big;
	assert_int_equal(loader_stack_check_args(argv, NULL, "/p", 8 << 20, "t"), -E2BIG);
	assert_int_equal(loader_stack_check_args(NULL, NULL, big, 8 << 20, "t"), -E2BIG);

	struct loader_stack_args a = base_args(argv, NULL);
	struct loader_stack s;
	assert_int_equal(loader_stack_build(&a, TOP, "t", &s), -E2BIG);
	assert_null(s.image);
	free(ok);
	free(big);
}

/*
 * The total: max(ARG_MAX, min(_STK_LIM * 3/4, rlimit / 4)), strings and
 * pointers together.
 */
static void test_e2big_total(void **state)
{
	(void)state;
	enum { N = 64 };
	char *envp[N + 1];
	char *s = make_string(32767, 'e'); /* 32 KiB with its NUL */
	for (int i = 0; i < N; i++)
		envp[i] = s;
	envp[N] = NULL;
	char *argv[] = { "p", NULL };

	/* 2 MiB of strings: too much for 8 MiB's quarter with the pointers and names. */
	assert_int_equal(loader_stack_check_args(argv, envp, "/p", 8 << 20, "t"), -E2BIG);
	/* 64 MiB rlimit: 16 MiB, capped at 6 MiB. */
	assert_int_equal(loader_stack_check_args(argv, envp, "/p", 64ULL << 20, "t"), 0);
	assert_int_equal(loader_stack_check_args(argv, envp, "/p", UINT64_MAX, "t"), 0);

	/* A tiny rlimit still allows ARG_MAX (128 KiB): 3 strings fit, 4 do not. */
	envp[3] = NULL;
	assert_int_equal(loader_stack_check_args(argv, envp, "/p", 4096, "t"), 0);
	envp[3] = s;
	envp[4] = NULL;
	assert_int_equal(loader_stack_check_args(argv, envp, "/p", 4096, "t"), -E2BIG);
	assert_int_equal(loader_stack_check_args(argv, envp, "/p", 0, "t"), -E2BIG);

	free(s);
}

/* Exactly at the limit, then one byte or one pointer over. */
static void test_e2big_exact(void **state)
{
	(void)state;
	/* rlimit 1 MiB: the limit is 256 KiB for strings and pointers together. */
	const uint64_t limit = 256 * 1024, rlimit = 1 << 20;
	char *e0 = make_string(100000 - 1, 'e');
	char *e1 = make_string(100000 - 1, 'f');
	char *envp[] = { e0, e1, NULL };
	/* 4 pointers (argv[0], argv[1], envp[0], envp[1]), "/p", "p", e0, e1. */
	uint64_t a1_size = limit - 4 * 8 - sizeof("/p") - sizeof("p") - 200000;
	char *a1 = make_string(a1_size - 1, 'a');
	char *a1_over = make_string(a1_size, 'a');
	char *argv[] = { "p", a1, NULL, NULL };

	assert_int_equal(loader_stack_check_args(argv, envp, "/p", rlimit, "t"), 0);
	argv[1] = a1_over;
	assert_int_equal(loader_stack_check_args(argv, envp, "/p", rlimit, "t"), -E2BIG);
	argv[1] = a1;
	argv[2] = "";
	assert_int_equal(loader_stack_check_args(argv, envp, "/p", rlimit, "t"), -E2BIG);
	/* The file name counts too. */
	argv[2] = NULL;
	assert_int_equal(loader_stack_check_args(argv, envp, "/pp", rlimit, "t"), -E2BIG);
	free(a1);
	free(a1_over);
	free(e0);
	free(e1);
}

static void test_top_too_low(void **state)
{
	(void)state;
	char *argv[] = { "p", NULL };
	struct loader_stack_args a = base_args(argv, NULL);
	struct loader_stack s;
	assert_int_equal(loader_stack_build(&a, 0x1000, "t", &s), -ENOMEM);
	assert_null(s.image);
}

int main(void)
{
	log_set_level(LOG_ERROR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),      cmocka_unit_test(test_alignment),
		cmocka_unit_test(test_random_pad),  cmocka_unit_test(test_optional_auxv),
		cmocka_unit_test(test_empty_argv),  cmocka_unit_test(test_e2big_one_string),
		cmocka_unit_test(test_e2big_total), cmocka_unit_test(test_e2big_exact),
		cmocka_unit_test(test_top_too_low),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
