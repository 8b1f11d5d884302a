/*
 * Private to the ptrace platform: stub set-up (host_stub.c) and the
 * tracer (ptrace.c).
 */
#ifndef PLATFORM_PTRACE_PTRACE_INTERNAL_H
#define PLATFORM_PTRACE_PTRACE_INTERNAL_H

#include <sys/types.h>

#include "platform/platform.h"

/* Where the stub lives, the same in every stub process. */
struct stub_layout {
	uaddr_t base;      /* code page, then data page */
	uaddr_t gadget;    /* `syscall; int3` */
	uaddr_t vdso_base; /* the host's vDSO, kept in every stub */
	uaddr_t max_addr;  /* the guest may map below this */
};

/*
 * Maps the stub pages in the sentry (once), finds what every stub keeps
 * mapped, and builds the unmap list and the seccomp filter.
 * Returns 0 or -errno.
 */
int ptrace_stub_init(struct stub_layout *out);

/*
 * Forks a new stub process from the calling thread, which becomes its
 * tracer, and waits until it stops, ready. Returns its pid, and in
 * *out_listener a copy of its seccomp filter's user-notification
 * listener (the stub's own copy, its fd 0, is still open); or -errno.
 */
pid_t ptrace_stub_create(int *out_listener);

/* The host syscall numbers a stub may run from its gadget. */
extern const int g_stub_memop_nr[PLATFORM_MEMOP_COUNT];

#endif /* PLATFORM_PTRACE_PTRACE_INTERNAL_H */
