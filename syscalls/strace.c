/*
 * strace for the sentry (--strace): adapts the formatter of
 * strace_format.h to a task (guest memory through its mm, its thread id)
 * and writes each finished line to the log with log_raw(), so that it
 * lands with the rest of the debug log.
 */
#include "syscalls/syscalls.h"

#include "common/log.h"
#include "sentry/kernel/kernel.h"
#include "sentry/mm/mm.h"
#include "syscalls/strace_format.h"

/* A line: the prefix, six arguments of at most a few hundred bytes, the result. */
#define STRACE_LINE_MAX 4096

/* strace_read_fn over the task's address space. */
static size_t task_read(void *arg, void *dst, uint64_t addr, size_t len)
{
	struct task *t = arg;

	if (!t->mm)
		return 0;
	return mm_copy_in_partial(t->mm, dst, addr, len);
}

/* The entry to decode nr by; NULL (six raw arguments) when Linux defines no such call. */
static const struct syscall_entry *strace_entry(uint64_t nr)
{
	return syscall_name(nr) ? syscall_entry(nr) : NULL;
}

void strace_enter(struct task *t, const struct sys_args *a, struct strace_state *st)
{
	struct strace_mem m = { .read = task_read, .arg = t };

	strace_format_enter(st, &m, t->tid, syscall_name(a->nr), strace_entry(a->nr), a);
}

void strace_exit(struct task *t, const struct sys_args *a, long ret, struct strace_state *st)
{
	struct strace_mem m = { .read = task_read, .arg = t };
	char line[STRACE_LINE_MAX];

	strace_format_exit(line, sizeof(line), st, &m, strace_entry(a->nr), a, ret);
	log_raw("%s\n", line);
}
