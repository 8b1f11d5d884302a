/*
 * Private to the strace formatter (strace_format.c, strace_values.c):
 * the bounded string builder both write into, and the value decoders
 * that need no guest memory.
 */
#ifndef SYSCALLS_STRACE_INTERNAL_H
#define SYSCALLS_STRACE_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/abi/linux/signal.h"
#include "common/util.h"
#include "syscalls/syscalls.h"

/* A bounded string builder: always NUL-terminated, silently truncating. */
struct sbuf {
	char *p;
	size_t size; /* > 0 */
	size_t len;  /* < size, and p[len] == '\0' */
};

static inline void sb_init(struct sbuf *sb, char *p, size_t size)
{
	sb->p = p;
	sb->size = size;
	sb->len = 0;
	p[0] = '\0';
}

static inline void sb_putn(struct sbuf *sb, const char *s, size_t n)
{
	size_t room = sb->size - 1 - sb->len;

	if (n > room)
		n = room;
	memcpy(sb->p + sb->len, s, n);
	sb->len += n;
	sb->p[sb->len] = '\0';
}

static inline void sb_puts(struct sbuf *sb, const char *s)
{
	sb_putn(sb, s, strlen(s));
}

static inline void sb_putc(struct sbuf *sb, char c)
{
	sb_putn(sb, &c, 1);
}

static inline PRINTF_LIKE(2, 3) void sb_printf(struct sbuf *sb, const char *fmt, ...)
{
	size_t room = sb->size - sb->len;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(sb->p + sb->len, room, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	sb->len += (size_t)n < room ? (size_t)n : room - 1;
}

/* Address families (x86-64 values), for struct sockaddr. */
#define LINUX_AF_UNIX  1
#define LINUX_AF_INET  2
#define LINUX_AF_INET6 10

/*
 * Formats v as kind when kind needs no guest memory (numbers, flags,
 * enumerations; SA_FCNTL_ARG looks at a's command). Returns false, having
 * printed nothing, for a kind that reads guest memory.
 */
bool strace_put_value(struct sbuf *sb, enum sarg kind, uint64_t v, const struct sys_args *a);

/* Whether open flags take a mode (O_CREAT, O_TMPFILE): else strace omits it. */
bool strace_open_has_mode(uint64_t flags);
/* NULL or 0x... */
void strace_put_ptr(struct sbuf *sb, uint64_t v);
/* 0 or 0x... */
void strace_put_hex(struct sbuf *sb, uint64_t v);
/* [INT TERM], or ~[KILL STOP] when more than half the signals are in it. */
void strace_put_sigset(struct sbuf *sb, linux_sigset_t set);
/* SA_RESTORER|SA_RESTART */
void strace_put_sa_flags(struct sbuf *sb, uint64_t flags);
/* RLIM64_INFINITY, 8192*1024 or 1000. */
void strace_put_rlim(struct sbuf *sb, uint64_t v);
/* POLLIN|POLLOUT */
void strace_put_poll_events(struct sbuf *sb, uint64_t events);

#endif /* SYSCALLS_STRACE_INTERNAL_H */
