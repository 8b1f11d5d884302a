/*
 * The application's memory, sentry side: memory operations (queued in
 * the slot when they may be, else a CALL), the fds lent to the stub for
 * file mappings and big reads, and copies in and out (read ahead and
 * written behind by the stub where they can be). See systrap_impl.h and
 * docs/architecture.md 3b.
 */
#include <sys/statvfs.h>
#include <sys/vfs.h>

#include "common/log.h"
#include "platform/systrap/systrap_impl.h"

/* ---- The queue, before the sentry touches the memory ---- */

/*
 * When c's queue holds only copies (SYSTRAP_OP_COPY), makes them here
 * with the host's copies, in order, and empties it: cheaper than asking
 * the stub. Returns false, touching nothing, when it holds anything else.
 * The queue is in the slot, which c's application (alone in its address
 * space, and stopped) could only have written before its call: each
 * copy's source is checked to lie in the copy-out area all the same. A
 * copy the host refuses dooms the process, as a failed queued op does.
 */
static bool apply_copies(struct systrap_ctx *c)
{
	struct systrap_msg *m = msg_of(c->as, c->slot);
	for (unsigned i = 0; i < c->nops; i++) {
		if (m->ops[i].nr != SYSTRAP_OP_COPY)
			return false;
	}
	bool failed = false;
	for (unsigned i = 0; i < c->nops; i++) {
		uint64_t dst = m->ops[i].args[0], off = m->ops[i].args[1], len = m->ops[i].args[2];
		if (off > SYSTRAP_COPYOUT_SIZE || len > SYSTRAP_COPYOUT_SIZE - off ||
		    stub_util_vm_copy(&c->as->pid, true, (char *)m + SYSTRAP_COPYOUT_OFF + off, dst,
		                      len) != (ssize_t)len)
			failed = true;
	}
	m->nops = 0;
	c->nops = 0;
	c->out_used = 0;
	atomic_fetch_sub(&c->as->queued, 1);
	if (failed && !c->doomed) {
		log_warn("systrap: the host refused a queued copy into stub %d's memory; the "
		         "process is killed",
		         c->tid);
		c->doomed = true;
	}
	return true;
}

/*
 * Before the sentry touches the memory of as: the calling thread's own
 * queued operations run first (its mmap, then its write to the new
 * pages). Another thread's queue belongs to a call still in progress
 * (queued ops exist only with one context: see systrap_queue_op).
 * Returns 0 or -ENOMEM when an op failed.
 */
static int flush_own_ops(struct systrap_as *as)
{
	if (atomic_load(&as->queued) == 0)
		return 0;
	struct systrap_ctx *c = systrap_ctx_mine(as);
	if (!c || c->nops == 0)
		return 0;
	if (apply_copies(c))
		return c->doomed ? -ENOMEM : 0;
	static const uint64_t none[6];
	systrap_stub_call(c, SYSTRAP_CALL_FLUSH, none);
	return c->doomed ? -ENOMEM : 0;
}

/* ---- Memory operations and lent fds ---- */

static const int g_memop_nr[PLATFORM_MEMOP_COUNT] = {
	[PLATFORM_MEMOP_MMAP] = SYS_mmap,         [PLATFORM_MEMOP_MUNMAP] = SYS_munmap,
	[PLATFORM_MEMOP_MPROTECT] = SYS_mprotect, [PLATFORM_MEMOP_MREMAP] = SYS_mremap,
	[PLATFORM_MEMOP_MADVISE] = SYS_madvise,   [PLATFORM_MEMOP_MINCORE] = SYS_mincore,
	[PLATFORM_MEMOP_MSYNC] = SYS_msync,
};

/*
 * Above this, a private writable mapping may be refused by the host's
 * overcommit check: its ENOMEM must be the application's mmap's, so it
 * is not queued.
 */
#define QUEUE_MAX_COMMIT (64ULL << 20)

/*
 * Whether a memory operation may be queued (systrap_queue_op): those whose
 * only host failure is running out of memory or of mappings, where Linux
 * itself would fail the process. A file mapping that asks for PROT_EXEC
 * but for a file whose host filesystem is not known to allow it (a noexec
 * mount refuses it: MEMOP_FILE, not MEMOP_FILE_EXEC_OK), an mprotect that asks for PROT_EXEC (the
 * sentry does not know of which file) or one that adds PROT_WRITE (the host refuses it on a
 * read-only shared file mapping) runs at once, so that its error is the call's.
 */
enum memop_kind { MEMOP_MEMORY, MEMOP_FILE, MEMOP_FILE_EXEC_OK };

static bool may_queue(long nr, const uint64_t a[6], enum memop_kind file)
{
	uint64_t prot = a[2], flags = a[3];
	switch (nr) {
	case SYS_munmap:
		return true;
	case SYS_mprotect:
		return !(prot & (PROT_WRITE | PROT_EXEC));
	case SYS_mmap:
		if (flags & (MAP_POPULATE | MAP_LOCKED | MAP_HUGETLB))
			return false;
		if (file == MEMOP_FILE && (prot & PROT_EXEC))
			return false;
		return !((prot & PROT_WRITE) && (flags & MAP_TYPE) == MAP_PRIVATE &&
		         !(flags & MAP_NORESERVE) && a[1] > QUEUE_MAX_COMMIT);
	default:
		return false;
	}
}

/* Queues the operation when it may be, or runs it now (after the queue). */
static long memop_call(struct systrap_ctx *c, long nr, const uint64_t a[6], enum memop_kind file)
{
	if (may_queue(nr, a, file) && systrap_queue_op(c, nr, a))
		return nr == SYS_mmap ? (long)a[0] : 0;
	return systrap_stub_call(c, nr, a);
}

long systrap_as_memop(struct platform_as *pas, enum platform_memop op, const uint64_t args[6])
{
	BUG_ON(op < 0 || op >= PLATFORM_MEMOP_COUNT);
	uint64_t a[6];
	memcpy(a, args, sizeof(a));
	if (op == PLATFORM_MEMOP_MMAP)
		a[3] |= MAP_FIXED;
	return memop_call(systrap_ctx_of(to_as(pas)), g_memop_nr[op], a, MEMOP_MEMORY);
}

/* c's stub fd for host_fd's open file description, lending it when it has none. */
static void lent_close(void *ctx, int stub_fd)
{
	struct systrap_ctx *c = ctx;
	const uint64_t args[6] = { (uint64_t)stub_fd };
	/* Queued: the lending that follows runs it first, one CALL for both. */
	systrap_queue_or_call(c, SYS_close, args);
}

static long lent_lend(void *ctx, int host_fd, int reg, bool queue)
{
	return systrap_lend_fd((struct systrap_ctx *)ctx, host_fd, reg, queue);
}

static const struct stub_lent_ops g_lent_ops = { .lend = lent_lend, .close = lent_close };

_Static_assert(SYSTRAP_LENT_REGS == STUB_LENT_FDS, "a register for each lent fd");

/*
 * c's stub fd for host_fd; with queue, possibly STUB_LENT_QUEUED (the
 * fd will be in register *reg). Without, a lending still queued runs
 * first: the caller needs the fd's number now.
 */
static long lent_fd_for(struct systrap_ctx *c, int host_fd, bool queue, int *reg)
{
	if (!queue) {
		for (int i = 0; i < STUB_LENT_FDS; i++) {
			if (c->lent.e[i].stub_fd != STUB_LENT_QUEUED)
				continue;
			int err = flush_own_ops(c->as);
			if (err < 0)
				return err;
			break;
		}
	}
	return stub_lent_fd(&c->lent, c->tid, host_fd, &g_lent_ops, c, queue, reg);
}

long systrap_as_mmap_fd(struct platform_as *pas, uaddr_t addr, uint64_t len, int prot, int flags,
                        int host_fd, uint64_t off)
{
	struct systrap_ctx *c = systrap_ctx_of(to_as(pas));
	uint64_t margs[6] = { addr, len, (uint64_t)prot, (uint64_t)(flags | MAP_FIXED), 0, off };
	/* ld.so maps each library's code PROT_EXEC: a CALL only on a noexec host filesystem. */
	struct statfs sf;
	enum memop_kind file = MEMOP_FILE;
	if ((prot & PROT_EXEC) && fstatfs(host_fd, &sf) == 0 && !(sf.f_flags & ST_NOEXEC))
		file = MEMOP_FILE_EXEC_OK;
	/* A mapping that is queued queues its lending too, into a register of the stub's. */
	bool queue = may_queue(SYS_mmap, margs, file);
	int reg;
	long fd = lent_fd_for(c, host_fd, queue, &reg);
	if (fd == STUB_LENT_QUEUED) {
		margs[4] = (uint64_t)reg;
		if (systrap_queue_op(c, SYSTRAP_OP_MMAP_LENT, margs))
			return (long)addr;
		fd = lent_fd_for(c, host_fd, false, &reg); /* the queue is full: run it */
	}
	if (fd < 0)
		return fd;
	margs[4] = (uint64_t)fd;
	return memop_call(c, SYS_mmap, margs, file);
}

/*
 * A big read of a regular file, straight into the application's memory:
 * the stub preads the lent fd, so the host copies once, from its page
 * cache to the application's pages (mm.c's as_pread_fd).
 */
long systrap_as_pread_fd(struct platform_as *pas, int host_fd, uaddr_t dst, uint64_t len,
                         uint64_t off)
{
	struct systrap_ctx *c = systrap_ctx_of(to_as(pas));
	int reg;
	long fd = lent_fd_for(c, host_fd, false, &reg);
	if (fd < 0)
		return fd;
	const uint64_t args[6] = { (uint64_t)fd, dst, len, off };
	return systrap_stub_call(c, SYS_pread64, args);
}

/* ---- Copies ---- */

/*
 * A read of the application's memory: from what the calling thread's
 * stub read ahead as its call trapped (stub.c's copy_in), when that holds
 * all of it and the sentry wrote nothing into the as since (a tracer's
 * PTRACE_POKEDATA, the call's own output), else with a host copy. What
 * the stub read is the application's own bytes, in a slot the
 * application can write too: like any memory of its own, it only
 * changes what its own call sees.
 */
ssize_t systrap_as_read(struct platform_as *pas, void *dst, uaddr_t src, size_t len)
{
	struct systrap_as *as = to_as(pas);
	struct systrap_ctx *c = systrap_tls_ctx;
	if (c && c->as == as && len <= c->in_len && src >= c->in_addr &&
	    src - c->in_addr <= c->in_len - len && atomic_load(&as->writes) == c->in_writes) {
		memcpy(dst, (char *)msg_of(as, c->slot) + SYSTRAP_COPYIN_OFF + (src - c->in_addr),
		       len);
		return (ssize_t)len;
	}
	int err = flush_own_ops(as);
	if (err < 0)
		return err;
	return stub_util_vm_copy(&as->pid, false, dst, src, len);
}

ssize_t systrap_as_write(struct platform_as *pas, uaddr_t dst, const void *src, size_t len)
{
	atomic_fetch_add(&to_as(pas)->writes, 1);
	int err = flush_own_ops(to_as(pas));
	if (err < 0)
		return err;
	return stub_util_vm_copy(&to_as(pas)->pid, true, (void *)src, dst, len);
}

/*
 * A write into private memory, by the calling thread's own call: queued
 * as a copy the stub makes as it returns to the application (one `rep
 * movsb` instead of a process_vm_writev), when the copy-out area and the
 * queue have room (platform.h's as_write_private).
 */
ssize_t systrap_as_write_private(struct platform_as *pas, uaddr_t dst, const void *src, size_t len)
{
	struct systrap_as *as = to_as(pas);
	struct systrap_ctx *c = systrap_tls_ctx;
	if (c && c->as == as && len <= SYSTRAP_COPYOUT_SIZE - c->out_used) {
		uint64_t args[6] = { dst, c->out_used, len };
		/* Past out_used: unused bytes, whether the op is queued or not. */
		memcpy((char *)msg_of(as, c->slot) + SYSTRAP_COPYOUT_OFF + c->out_used, src, len);
		if (systrap_queue_op(c, SYSTRAP_OP_COPY, args)) {
			c->out_used += (uint32_t)len;
			atomic_fetch_add(&as->writes, 1);
			return (ssize_t)len;
		}
	}
	return systrap_as_write(pas, dst, src, len);
}
