/*
 * sentry/loader/stack.h: the initial stack image of a new program, private
 * to the loader.
 *
 * Pure: the builder lays out argc, argv, envp, auxv and the strings they
 * point at in a sentry buffer for a given stack top, as Linux's
 * create_elf_tables() does; load.c maps the stack and copies the image
 * out with one mm_copy_out().
 *
 * Layout, from the top down:
 *   top - 8       8 zero bytes (Linux: bprm->p = vm_end - sizeof(void *))
 *   execfn        the path execve was given (AT_EXECFN)
 *   env_start     envp strings, in order, each NUL-terminated
 *   arg_start     argv strings, in order
 *                 align_pad bytes, then down to a 16-byte boundary (arch_align_stack())
 *   platform      "x86_64\0" (AT_PLATFORM)
 *   random        16 random bytes (AT_RANDOM)
 *                 padding, so that sp is 16-byte aligned
 *   auxv          (tag, value) pairs ending with AT_NULL
 *   envp          pointers, NULL
 *   argv          pointers, NULL
 *   sp            argc
 */
#ifndef SENTRY_LOADER_STACK_H
#define SENTRY_LOADER_STACK_H

#include <stddef.h>
#include <stdint.h>

#include "common/util.h"

/* Linux's MAX_ARG_STRLEN: one argument or environment string, NUL included. */
#define LOADER_MAX_ARG_STRLEN (32 * PAGE_SIZE)
/* Linux's MAX_ARG_STRINGS. */
#define LOADER_MAX_ARG_STRINGS 0x7fffffffu
/* Linux's ARG_MAX: the space for arguments is never less than this. */
#define LOADER_ARG_MAX (32 * PAGE_SIZE)
/* Linux's _STK_LIM: the space for arguments is at most 3/4 of it. */
#define LOADER_STK_LIM (8ULL << 20)
/* Linux's setup_arg_pages(): the stack is mapped this much below the image. */
#define LOADER_STACK_EXPAND (128 * 1024ULL)
/* arch_align_stack() drops up to this many bytes when randomising. */
#define LOADER_STACK_PAD_MAX 8192u
/* AT_PLATFORM: ELF_PLATFORM, utsname()->machine. */
#define LOADER_PLATFORM "x86_64"

/* The auxv values that the builder does not compute itself. */
struct loader_auxv {
	uaddr_t sysinfo_ehdr; /* the vDSO's base; 0: no AT_SYSINFO_EHDR */
	uint64_t minsigstksz; /* 0: no AT_MINSIGSTKSZ (glibc asserts it is not 0) */
	uint64_t hwcap, hwcap2;
	uaddr_t phdr; /* AT_PHDR, biased */
	uint64_t phnum;
	uaddr_t base;  /* AT_BASE: the interpreter's bias, or 0 */
	uaddr_t entry; /* AT_ENTRY: the main program's entry, biased */
	uint32_t uid, euid, gid, egid;
	bool secure; /* AT_SECURE */
};

struct loader_stack_args {
	char *const *argv;    /* NULL-terminated; NULL or empty: Linux's lone "" */
	char *const *envp;    /* NULL-terminated; may be NULL */
	const char *execfn;   /* AT_EXECFN */
	uint64_t stack_limit; /* RLIMIT_STACK soft limit: bounds the strings (E2BIG) */
	uint32_t align_pad;   /* < LOADER_STACK_PAD_MAX: arch_align_stack()'s random drop, 0 without
	                         ASLR */
	uint8_t random[16];   /* AT_RANDOM's bytes */
	struct loader_auxv auxv;
};

/* The built image: the bytes of [sp, top). */
struct loader_stack {
	unsigned char *image; /* owned; release with loader_stack_release() */
	size_t size;          /* top - sp */
	uaddr_t sp;           /* 16-byte aligned, points at argc */
	uint64_t argc;        /* after Linux's "" for an empty argv */
	uaddr_t arg_start, arg_end, env_start, env_end; /* for /proc/PID/cmdline and environ */
	uaddr_t execfn, platform, random;               /* what the auxv points at */
};

/*
 * Checks the strings against Linux's limits (do_execveat_common(),
 * bprm_stack_limits(), copy_strings()): -E2BIG when one string with its
 * NUL is longer than MAX_ARG_STRLEN, or when execfn, the envp and argv
 * strings and the argv and envp pointers together exceed
 * max(ARG_MAX, min(_STK_LIM * 3/4, stack_limit / 4)). Returns 0 or -E2BIG,
 * logging why under the name what.
 */
int loader_stack_check_args(char *const *argv, char *const *envp, const char *execfn,
                            uint64_t stack_limit, const char *what);

/*
 * Builds the stack image for a stack whose top (exclusive) is top.
 * Returns 0 and fills *out, -E2BIG (see loader_stack_check_args()), or
 * -ENOMEM.
 */
int loader_stack_build(const struct loader_stack_args *args, uaddr_t top, const char *what,
                       struct loader_stack *out);

/* Frees the image. Safe on a zeroed struct. */
void loader_stack_release(struct loader_stack *stack);

#endif /* SENTRY_LOADER_STACK_H */
