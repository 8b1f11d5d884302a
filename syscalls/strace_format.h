/*
 * The strace formatter: turns a syscall's arguments and result into the
 * text of one strace line, from the table entry's description of them.
 *
 * It knows nothing of tasks: guest memory is read through a callback, so
 * that the unit tests can feed it a fake address space and strace.c can
 * feed it the task's mm. It depends only on common/ and on the types in
 * syscalls.h (never on g_syscall_table, which drags in every handler).
 *
 * Output follows strace(1): strings quoted and escaped (\n, \t, \", \\,
 * \xNN), cut at STRACE_STRING_MAX bytes with "..." after the quote; NULL
 * for a null pointer; an address that cannot be read as its value in hex;
 * flags as NAME|NAME|0xleftover; signals as SIGTERM; errors as
 * -ENOENT (No such file or directory).
 */
#ifndef SYSCALLS_STRACE_FORMAT_H
#define SYSCALLS_STRACE_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "syscalls/syscalls.h"

/*
 * Reads up to len bytes of guest memory at addr into dst. Returns the
 * number of bytes read: len, or fewer when the range runs into memory the
 * guest could not read itself.
 */
typedef size_t (*strace_read_fn)(void *arg, void *dst, uint64_t addr, size_t len);

struct strace_mem {
	strace_read_fn read;
	void *arg;
};

/* Strings and buffers print at most this many bytes, then "...". */
#define STRACE_STRING_MAX 32
/* Arrays (iovecs, argv, pollfds) print at most this many elements. */
#define STRACE_ARRAY_MAX 8

/* Whether kind is printed after the call (the *_OUT and *_RET kinds). */
bool strace_arg_is_output(enum sarg kind);

/*
 * Formats argument i of the call described by e (NULL: a number with no
 * entry, every argument printed in hex) into buf, NUL-terminated and
 * truncated to size. ret is the call's result, used by the output kinds
 * (pass 0 for an input kind). Returns the length written; 0 means the
 * argument is omitted, as strace omits fcntl(fd, F_GETFL)'s third argument
 * and open's mode without O_CREAT or O_TMPFILE.
 */
size_t strace_format_arg(char *buf, size_t size, const struct strace_mem *m,
                         const struct syscall_entry *e, const struct sys_args *a, unsigned int i,
                         long ret);

/*
 * Formats a result: "?" for SR_NONE, "-ENOENT (No such file or directory)"
 * for -errno and restart codes, else decimal (SR_INT) or hex (SR_HEX).
 * Returns the length written.
 */
size_t strace_format_ret(char *buf, size_t size, enum sret kind, long ret);

/*
 * Starts a line: "[ tid] name(" and the input arguments, formatted now
 * into st (output arguments are left for strace_format_exit). name NULL
 * prints as syscall_<nr>.
 */
void strace_format_enter(struct strace_state *st, const struct strace_mem *m, int tid,
                         const char *name, const struct syscall_entry *e, const struct sys_args *a);

/*
 * Finishes the line that strace_format_enter started in st with the same
 * e and a: the output arguments and " = result", into buf (no newline).
 * Returns the length written.
 */
size_t strace_format_exit(char *buf, size_t size, const struct strace_state *st,
                          const struct strace_mem *m, const struct syscall_entry *e,
                          const struct sys_args *a, long ret);

#endif /* SYSCALLS_STRACE_FORMAT_H */
