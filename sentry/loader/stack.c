/*
 * The initial stack image: see stack.h. Mirrors Linux's
 * do_execveat_common() and bprm_stack_limits() (fs/exec.c) for the limits
 * and create_elf_tables() (fs/binfmt_elf.c) for the layout.
 */
#include "sentry/loader/stack.h"

#include <elf.h>
#include <stdlib.h>
#include <string.h>

#include "common/abi/linux/arch_x86.h"
#include "common/abi/linux/errno.h"
#include "common/log.h"

/* CLOCKS_PER_SEC of the kernel's ABI (USER_HZ): AT_CLKTCK. */
#define STACK_CLKTCK 100
/* The most auxv entries the builder writes, AT_NULL included. */
#define STACK_AUXV_MAX 24

/* Linux gives a program started with an empty argv a lone "" (since 5.18). */
static char g_empty_arg[] = "";
static char *const g_empty_argv[] = { g_empty_arg, NULL };

/* A vector of strings, measured. */
struct stack_strings {
	char *const *v;
	uint64_t count;
	uint64_t bytes; /* NULs included */
};

static int stack_measure_vec(char *const *v, const char *name, const char *what,
                             struct stack_strings *out)
{
	out->v = v;
	out->count = 0;
	out->bytes = 0;
	for (; v && v[out->count]; out->count++) {
		if (out->count >= LOADER_MAX_ARG_STRINGS) {
			log_warn("%s: more than %u %s strings", what, LOADER_MAX_ARG_STRINGS, name);
			return -E2BIG;
		}
		size_t len = strnlen(v[out->count], LOADER_MAX_ARG_STRLEN) + 1;
		if (len > LOADER_MAX_ARG_STRLEN) {
			log_warn("%s: %s[%llu] is longer than MAX_ARG_STRLEN (%llu bytes)", what,
			         name, (unsigned long long)out->count, LOADER_MAX_ARG_STRLEN);
			return -E2BIG;
		}
		out->bytes += len;
	}
	return 0;
}

/*
 * Measures the strings and applies Linux's limits. An empty argv is
 * measured as Linux's lone "".
 */
static int stack_measure(char *const *argv, char *const *envp, const char *execfn,
                         uint64_t stack_limit, const char *what, struct stack_strings *out_argv,
                         struct stack_strings *out_envp, size_t *out_execfn_len)
{
	int err = stack_measure_vec(argv, "argv", what, out_argv);
	if (err)
		return err;
	err = stack_measure_vec(envp, "envp", what, out_envp);
	if (err)
		return err;
	size_t execfn_len = strnlen(execfn, LOADER_MAX_ARG_STRLEN) + 1;
	if (execfn_len > LOADER_MAX_ARG_STRLEN) {
		log_warn("%s: the file name is longer than MAX_ARG_STRLEN", what);
		return -E2BIG;
	}
	if (out_argv->count == 0) {
		log_info("%s: launched with an empty argv: empty string added", what);
		*out_argv = (struct stack_strings){ .v = g_empty_argv, .count = 1, .bytes = 1 };
	}

	/* bprm_stack_limits() */
	uint64_t limit = MAX(MIN(LOADER_STK_LIM / 4 * 3, stack_limit / 4), LOADER_ARG_MAX);
	uint64_t ptr_size = (out_argv->count + out_envp->count) * sizeof(uint64_t);
	uint64_t total = execfn_len + out_envp->bytes + out_argv->bytes;
	if (limit <= ptr_size || total > limit - ptr_size) {
		log_warn("%s: arguments and environment too large (%llu bytes of strings and %llu "
		         "pointers; the limit is %llu bytes)",
		         what, (unsigned long long)total,
		         (unsigned long long)(out_argv->count + out_envp->count),
		         (unsigned long long)limit);
		return -E2BIG;
	}
	*out_execfn_len = execfn_len;
	return 0;
}

int loader_stack_check_args(char *const *argv, char *const *envp, const char *execfn,
                            uint64_t stack_limit, const char *what)
{
	struct stack_strings a, e;
	size_t execfn_len;
	return stack_measure(argv, envp, execfn, stack_limit, what, &a, &e, &execfn_len);
}

static void stack_aux(uint64_t *v, size_t *n, uint64_t tag, uint64_t val)
{
	BUG_ON(*n + 2 > 2 * STACK_AUXV_MAX);
	v[(*n)++] = tag;
	v[(*n)++] = val;
}

/* Fills the auxv in create_elf_tables()'s order. Returns the number of words. */
static size_t stack_fill_auxv(uint64_t *v, const struct loader_stack_args *a,
                              const struct loader_stack *s)
{
	const struct loader_auxv *x = &a->auxv;
	size_t n = 0;

	/* x86-64's ARCH_DLINFO */
	if (x->sysinfo_ehdr)
		stack_aux(v, &n, LINUX_AT_SYSINFO_EHDR, x->sysinfo_ehdr);
	if (x->minsigstksz)
		stack_aux(v, &n, LINUX_AT_MINSIGSTKSZ, x->minsigstksz);

	stack_aux(v, &n, LINUX_AT_HWCAP, x->hwcap);
	stack_aux(v, &n, LINUX_AT_PAGESZ, PAGE_SIZE);
	stack_aux(v, &n, LINUX_AT_CLKTCK, STACK_CLKTCK);
	stack_aux(v, &n, LINUX_AT_PHDR, x->phdr);
	stack_aux(v, &n, LINUX_AT_PHENT, sizeof(Elf64_Phdr));
	stack_aux(v, &n, LINUX_AT_PHNUM, x->phnum);
	stack_aux(v, &n, LINUX_AT_BASE, x->base);
	stack_aux(v, &n, LINUX_AT_FLAGS, 0);
	stack_aux(v, &n, LINUX_AT_ENTRY, x->entry);
	stack_aux(v, &n, LINUX_AT_UID, x->uid);
	stack_aux(v, &n, LINUX_AT_EUID, x->euid);
	stack_aux(v, &n, LINUX_AT_GID, x->gid);
	stack_aux(v, &n, LINUX_AT_EGID, x->egid);
	stack_aux(v, &n, LINUX_AT_SECURE, x->secure);
	stack_aux(v, &n, LINUX_AT_RANDOM, s->random);
	stack_aux(v, &n, LINUX_AT_HWCAP2, x->hwcap2);
	stack_aux(v, &n, LINUX_AT_EXECFN, s->execfn);
	stack_aux(v, &n, LINUX_AT_PLATFORM, s->platform);
	stack_aux(v, &n, LINUX_AT_NULL, 0);
	return n;
}

/* The image covers guest addresses [sp, sp + size): these write into it. */
static void stack_put_bytes(struct loader_stack *s, uaddr_t addr, const void *src, size_t len)
{
	BUG_ON(addr < s->sp || addr - s->sp > s->size || len > s->size - (addr - s->sp));
	memcpy(s->image + (addr - s->sp), src, len);
}

static void stack_put_word(struct loader_stack *s, uaddr_t *addr, uint64_t val)
{
	stack_put_bytes(s, *addr, &val, sizeof(val));
	*addr += sizeof(val);
}

/* Writes the strings of v at addr, and their addresses at *ptrs, then NULL. */
static void stack_put_vec(struct loader_stack *s, const struct stack_strings *v, uaddr_t addr,
                          uaddr_t *ptrs)
{
	for (uint64_t i = 0; i < v->count; i++) {
		size_t len = strlen(v->v[i]) + 1;
		stack_put_bytes(s, addr, v->v[i], len);
		stack_put_word(s, ptrs, addr);
		addr += len;
	}
	stack_put_word(s, ptrs, 0);
}

int loader_stack_build(const struct loader_stack_args *args, uaddr_t top, const char *what,
                       struct loader_stack *out)
{
	struct stack_strings argv, envp;
	size_t execfn_len;

	memset(out, 0, sizeof(*out));
	int err = stack_measure(args->argv, args->envp, args->execfn, args->stack_limit, what,
	                        &argv, &envp, &execfn_len);
	if (err)
		return err;

	/* An upper bound of the image, so that no address below wraps. */
	uint64_t bound = sizeof(uint64_t) + execfn_len + envp.bytes + argv.bytes +
	                 LOADER_STACK_PAD_MAX + 16 + sizeof(LOADER_PLATFORM) +
	                 sizeof(args->random) + 16 +
	                 (2 * STACK_AUXV_MAX + argv.count + envp.count + 3) * sizeof(uint64_t);
	if (top < bound) {
		log_warn("%s: stack top %#llx too low for a %llu-byte stack image", what,
		         (unsigned long long)top, (unsigned long long)bound);
		return -ENOMEM;
	}

	uaddr_t p = top - sizeof(uint64_t);
	p -= execfn_len;
	out->execfn = p;
	out->env_end = p;
	p -= envp.bytes;
	out->env_start = p;
	out->arg_end = p;
	p -= argv.bytes;
	out->arg_start = p;

	/* arch_align_stack() */
	p -= args->align_pad % LOADER_STACK_PAD_MAX;
	p &= ~(uaddr_t)15;

	p -= sizeof(LOADER_PLATFORM);
	out->platform = p;
	p -= sizeof(args->random);
	out->random = p;

	uint64_t auxv[2 * STACK_AUXV_MAX];
	size_t auxv_words = stack_fill_auxv(auxv, args, out);

	/* STACK_ADD(p, ei_index), then STACK_ROUND(sp, items) */
	uint64_t items = (argv.count + 1) + (envp.count + 1) + 1;
	uaddr_t sp = p - auxv_words * sizeof(uint64_t);
	sp = (sp - items * sizeof(uint64_t)) & ~(uaddr_t)15;

	out->sp = sp;
	out->size = top - sp;
	out->argc = argv.count;
	out->image = calloc(1, out->size);
	if (!out->image) {
		log_warn("%s: out of memory for a %zu-byte stack image", what, out->size);
		memset(out, 0, sizeof(*out));
		return -ENOMEM;
	}

	stack_put_bytes(out, out->execfn, args->execfn, execfn_len);
	stack_put_bytes(out, out->platform, LOADER_PLATFORM, sizeof(LOADER_PLATFORM));
	stack_put_bytes(out, out->random, args->random, sizeof(args->random));

	uaddr_t w = sp;
	stack_put_word(out, &w, argv.count);
	stack_put_vec(out, &argv, out->arg_start, &w);
	stack_put_vec(out, &envp, out->env_start, &w);
	stack_put_bytes(out, w, auxv, auxv_words * sizeof(uint64_t));
	return 0;
}

void loader_stack_release(struct loader_stack *stack)
{
	free(stack->image);
	memset(stack, 0, sizeof(*stack));
}
