/*
 * Small helpers shared by every component: container_of, array sizes,
 * alignment, branch hints and the guest address type.
 */
#ifndef COMMON_UTIL_H
#define COMMON_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

/*
 * A guest (application) virtual address. It is a plain integer so that it
 * can never be dereferenced by accident: guest memory is reached only
 * through mm_copy_in()/mm_copy_out() and friends.
 */
typedef uint64_t uaddr_t;

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define container_of(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

#define PAGE_SHIFT 12
#define PAGE_SIZE  4096ULL
#define PAGE_MASK  (~(PAGE_SIZE - 1))

static inline bool is_page_aligned(uint64_t x)
{
	return (x & (PAGE_SIZE - 1)) == 0;
}

static inline uint64_t page_round_down(uint64_t x)
{
	return x & PAGE_MASK;
}

/* Rounds x up to a page boundary; *ok is false when that overflows. */
static inline uint64_t page_round_up(uint64_t x, bool *ok)
{
	uint64_t r = (x + PAGE_SIZE - 1) & PAGE_MASK;
	if (ok)
		*ok = r >= x;
	return r;
}

#define UNUSED            __attribute__((unused))
#define NORETURN          __attribute__((noreturn))
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))

#endif /* COMMON_UTIL_H */
