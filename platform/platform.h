/*
 * The platform: how the sentry runs application code.
 *
 * Modelled on gVisor's pkg/sentry/platform. A platform provides
 *   - address spaces (struct platform_as): one host process, the "stub",
 *     whose memory is the application's. The sentry decides every mapping
 *     and asks the platform to carry it out (platform_as_memop).
 *   - contexts (struct platform_ctx): one application thread, with its
 *     registers, that the sentry runs with platform_ctx_switch() until it
 *     makes a system call, faults, or is interrupted.
 *
 * Threading: a context is bound to the sentry thread that created it (the
 * ptrace platform requires it: only the tracer may control a tracee). Only
 * that thread may switch it or read or write its registers; an address
 * space with several contexts (the threads of a process) runs a memory
 * operation in the calling thread's own context. platform_ctx_interrupt() and the
 * guest memory copies (platform_as_read/write) may be called from any
 * thread.
 *
 * Errors are -errno, as in the rest of the sentry.
 */
#ifndef PLATFORM_PLATFORM_H
#define PLATFORM_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/abi/linux/arch_x86.h"
#include "common/abi/linux/signal.h"
#include "common/util.h"

/*
 * Each platform embeds these bases in its own structures and recovers them
 * with container_of.
 */
struct platform_as {
	const struct platform_ops *ops;
};

struct platform_ctx {
	const struct platform_ops *ops;
};

/* A context made by clone_prepare, waiting for clone_attach. */
struct platform_clone;

/* Why platform_ctx_switch() returned. */
enum platform_event {
	PLATFORM_EV_SYSCALL,   /* regs hold a syscall: orig_rax is its number */
	PLATFORM_EV_SYSCALL32, /* a 32-bit syscall (int $0x80): the i386 ABI, not emulated */
	PLATFORM_EV_FAULT,     /* a synchronous signal; see struct platform_fault */
	PLATFORM_EV_INTERRUPT, /* platform_ctx_interrupt() or a host signal */
	PLATFORM_EV_DEAD,      /* the stub died under us (killed from outside) */
};

/* A synchronous fault raised by application code. */
struct platform_fault {
	int signo;    /* LINUX_SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP */
	int code;     /* si_code as the host reported it */
	uaddr_t addr; /* si_addr: the faulting address */
	/*
	 * The CPU's trap number, error code and cr2 as the host kernel put them
	 * in its signal frame, when the platform sees that frame (systrap);
	 * otherwise (has_cpu false) the sentry derives them from the above.
	 */
	bool has_cpu;
	uint64_t trapno, err, cr2;
};

/* Memory operations that a platform carries out in an address space. */
enum platform_memop {
	PLATFORM_MEMOP_MMAP,     /* addr, len, prot, flags (anonymous, MAP_FIXED) */
	PLATFORM_MEMOP_MUNMAP,   /* addr, len */
	PLATFORM_MEMOP_MPROTECT, /* addr, len, prot */
	PLATFORM_MEMOP_MREMAP,   /* old, old_len, new_len, flags, new_addr */
	PLATFORM_MEMOP_MADVISE,  /* addr, len, advice */
	PLATFORM_MEMOP_MINCORE,  /* addr, len, guest vec */
	PLATFORM_MEMOP_MSYNC,    /* addr, len, flags */
	PLATFORM_MEMOP_COUNT,
};

/*
 * The guest address-space layout every platform gives: the application
 * may map [min_addr, max_addr); above max_addr live the platform's own
 * pages (stub code) and the vDSO, which the application can use but not
 * change.
 */
struct platform_layout {
	uaddr_t min_addr;
	uaddr_t max_addr;
	uaddr_t vdso_base; /* AT_SYSINFO_EHDR, or 0 */
	/*
	 * Where the platform's table of patched system calls goes (see
	 * ctx_syscall_site), inside the guest range; 0 when it patches none.
	 */
	uaddr_t patch_table, patch_table_len;
};

struct platform_ops {
	const char *name;

	/* Prepares the platform once per sentry. Returns 0 or -errno. */
	int (*init)(void);
	/*
	 * Optional: called by the sentry's confinement once it has dropped
	 * its capabilities and its root, just before it installs its seccomp
	 * filter: the last moment to fork a helper that must not inherit that
	 * filter. Returns 0 or -errno.
	 */
	int (*prepare_confined)(void);
	void (*layout)(struct platform_layout *out);

	/*
	 * Creates a new, empty address space and its first context, bound to
	 * the calling thread. Returns 0 or -errno.
	 */
	int (*as_new)(struct platform_as **out_as, struct platform_ctx **out_ctx);
	/*
	 * Destroys an address space. Contexts still in it are killed; those
	 * bound to the calling thread are freed too, the others by their own
	 * thread's ctx_destroy.
	 */
	void (*as_destroy)(struct platform_as *as);

	/*
	 * A context for a new task made from a running one (clone, fork,
	 * vfork), in two steps, because a context is bound to the thread that
	 * drives it:
	 *   - clone_prepare, on the parent context's thread: copies the
	 *     parent's host thread, either into the same address space
	 *     (share_as: a thread, or CLONE_VM) or into a copy-on-write copy of
	 *     it (a fork: the host kernel copies the memory, so private
	 *     mappings are copied and shared ones stay shared, exactly as
	 *     Linux's fork). The copy is parked until it is attached.
	 *   - clone_attach, on the new task's thread: binds the context to it.
	 *     *out_as is the new address space of a fork, NULL with share_as.
	 *   - clone_abort undoes a prepare that will not be attached (on any
	 *     thread).
	 * The new context starts with the parent's registers (as they were
	 * when clone_prepare ran) and FP state; the caller sets what differs.
	 * Returns 0 or -errno. NULL: the platform cannot clone (ENOSYS).
	 */
	int (*clone_prepare)(struct platform_ctx *parent, bool share_as,
	                     struct platform_clone **out);
	int (*clone_attach)(struct platform_clone *pc, struct platform_as **out_as,
	                    struct platform_ctx **out_ctx);
	void (*clone_abort)(struct platform_clone *pc);
	/*
	 * Destroys a context (its task exited, or exec replaced it), on its
	 * own thread. The address space lives on until as_destroy.
	 */
	void (*ctx_destroy)(struct platform_ctx *ctx);

	/*
	 * Runs a memory operation in the address space, with arguments as the
	 * host call takes them. Returns the host call's result or -errno.
	 * Preconditions: the calling thread is bound to a context of the as
	 * (the call runs in that context's host thread).
	 */
	long (*as_memop)(struct platform_as *as, enum platform_memop op, const uint64_t args[6]);

	/*
	 * Maps [off, off + len) of host_fd at addr (always MAP_FIXED) with prot
	 * and flags (MAP_SHARED or MAP_PRIVATE). The fd is lent to the address
	 * space for this call only. NULL when the platform cannot map files.
	 * Returns addr or -errno. Preconditions: as for as_memop.
	 */
	long (*as_mmap_fd)(struct platform_as *as, uaddr_t addr, uint64_t len, int prot, int flags,
	                   int host_fd, uint64_t off);

	/*
	 * Optional: reads up to len bytes of host_fd (a regular file) at off
	 * straight into the address space at dst, as a pread(2) there would:
	 * the host kernel copies once, from its page cache to the
	 * application's pages. Returns the count (short at the end of the
	 * file or at an unwritable page) or -errno. NULL: the caller copies
	 * through its own memory. Preconditions: as for as_memop; dst..len
	 * checked against the mm.
	 */
	long (*as_pread_fd)(struct platform_as *as, int host_fd, uaddr_t dst, uint64_t len,
	                    uint64_t off);

	/*
	 * Copies between sentry memory and the address space. Return the
	 * number of bytes copied, which is short only when a guest page is
	 * missing or inaccessible; -errno on other failures.
	 */
	ssize_t (*as_read)(struct platform_as *as, void *dst, uaddr_t src, size_t len);
	ssize_t (*as_write)(struct platform_as *as, uaddr_t dst, const void *src, size_t len);
	/*
	 * Optional: as_write, into memory that the mm checked is private
	 * anonymous memory (no other process maps it, no file backs it: the
	 * host cannot refuse the write) and writable. The platform may apply
	 * it later: the application sees it when its call returns, and the
	 * calling thread's own as_read and as_write, a fork and the address
	 * space's memory operations see it first. (Another thread of the
	 * sentry may see the memory as it was before the call wrote it, as on
	 * Linux while the call runs.)
	 */
	ssize_t (*as_write_private)(struct platform_as *as, uaddr_t dst, const void *src,
	                            size_t len);

	/*
	 * Runs the context until it traps and says why. Registers changed
	 * since the last switch are written back first (see ctx_regs).
	 */
	enum platform_event (*ctx_switch)(struct platform_ctx *ctx,
	                                  struct platform_fault *out_fault);
	/* Makes a running or future ctx_switch return PLATFORM_EV_INTERRUPT. */
	void (*ctx_interrupt)(struct platform_ctx *ctx);

	/*
	 * The context's general registers, valid after ctx_switch returned.
	 * After changing them, call ctx_regs_changed (all) or set only rax
	 * through ctx_set_retval, which is cheaper on ptrace.
	 */
	struct linux_regs *(*ctx_regs)(struct platform_ctx *ctx);
	void (*ctx_regs_changed)(struct platform_ctx *ctx);
	void (*ctx_set_retval)(struct platform_ctx *ctx, uint64_t rax);

	/*
	 * The context's FP/vector state in XSAVE layout. get copies up to
	 * size bytes and returns the size of the state, or -errno; set
	 * replaces it. Fetched only on demand: the syscall path never pays.
	 */
	long (*ctx_get_fpstate)(struct platform_ctx *ctx, void *buf, size_t size);
	long (*ctx_set_fpstate)(struct platform_ctx *ctx, const void *buf, size_t size);

	/*
	 * Optional: system-call patching. After a PLATFORM_EV_SYSCALL that
	 * trapped, ctx_syscall_site says whether the platform would rather
	 * have its site, a 7-byte `mov $nr, %eax; syscall` ending at rip,
	 * jump to a trampoline that hands the call over without a trap: the
	 * site's address, once it has trapped there a few times, or 0. The
	 * sentry then checks that the site is the application's code (a
	 * private, read-and-execute file mapping) and that the patch table
	 * (layout's patch_table, mapped read-and-execute by the mm) is there,
	 * and calls as_patch_syscall, with the mm locked, which rewrites it.
	 * Returns 0 or -errno (no more patches in this address space).
	 */
	uaddr_t (*ctx_syscall_site)(struct platform_ctx *ctx);
	int (*as_patch_syscall)(struct platform_as *as, uaddr_t site, uint64_t nr);
	/*
	 * Gives every patched site its original bytes back and forgets the
	 * table (the mm unmaps it): the application wants those addresses.
	 * Returns 0, or -EBUSY when another thread of the address space
	 * could be running the patched code (the patches then stay).
	 */
	int (*as_unpatch_syscalls)(struct platform_as *as);

	/* CPU time the context's host thread has used, in nanoseconds. */
	uint64_t (*ctx_cpu_time_ns)(struct platform_ctx *ctx);

	/*
	 * A hint from the calling thread, which drives ctx: it was just woken
	 * from a wait by a thread on CPU cpu, and mostly waits, so running
	 * next to its waker beats a wake-up across CPUs (a ping-pong); -1: no
	 * such preference (any more). Optional.
	 */
	void (*ctx_hint_cpu)(struct platform_ctx *ctx, int cpu);
};

/* Returns the platform named name ("ptrace"), or NULL. */
const struct platform_ops *platform_lookup(const char *name);

extern const struct platform_ops g_platform_ptrace;
extern const struct platform_ops g_platform_systrap;

#endif /* PLATFORM_PLATFORM_H */
