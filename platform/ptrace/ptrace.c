/*
 * The ptrace platform: each address space is a stub process traced with
 * PTRACE_SYSEMU; each context is a thread of it, bound to the sentry
 * thread that traces it.
 *
 * Costs on this kind of machine (../shared/reference/interception-costs.md):
 * every ptrace request costs 1.2-1.7 us, and a tracee on another CPU than
 * its tracer costs 7-8x more per stop. So a switch:
 *   - keeps tracer and stub pinned to one CPU (bind_cpu);
 *   - writes registers back only when the sentry changed them, with one
 *     POKEUSER when only rax (a syscall's result) changed;
 *   - reads them with one GETREGS per stop.
 * Guest memory is copied with process_vm_readv/writev, one call per copy.
 *
 * Memory operations are injected: the context's registers point rip at
 * the stub's `syscall; int3` gadget, PTRACE_CONT runs it, the int3 stops
 * it, and the saved application registers are put back at the next switch.
 */
#include "platform/ptrace/ptrace_internal.h"

#include <elf.h>
#include <fcntl.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/thread_buf.h"
#include "platform/stub_util.h"

/* The host signal that interrupts a running stub, as in gVisor. */
#define INTERRUPT_SIGNAL SIGCHLD

enum regs_state {
	REGS_CLEAN,     /* the tracee has what ctx->regs says */
	REGS_RAX_DIRTY, /* only rax changed */
	REGS_DIRTY,     /* anything may have changed */
};

struct ptrace_ctx;

/*
 * The stub filter's user-notification listener. A fork of a stub keeps
 * its parent's filter, so every stub forked from one first stub shares
 * one listener; mu serialises the lending of fds through it, so that the
 * one notification pending is always the lender's.
 */
struct stub_listener {
	int fd;
	atomic_int refs;
	pthread_mutex_t mu;
};

/*
 * An address space: one host mm, shared by the stub processes of its
 * contexts (each context is its own host process, made with CLONE_VM, so
 * that a signal or a stop of one never touches the others).
 */
struct ptrace_as {
	struct platform_as base;
	_Atomic pid_t pid; /* a live process of the as, for process_vm_*; 0 when none */
	struct stub_listener *listener;
	pthread_mutex_t mu; /* ctxs, refs */
	struct ptrace_ctx *ctxs;
	int refs; /* the contexts', and the mm's until as_destroy */
};

struct ptrace_ctx {
	struct platform_ctx base;
	struct ptrace_as *as;
	struct ptrace_ctx *next; /* in as->ctxs */
	pid_t tid;               /* the stub process (its own thread group) */
	pid_t tracer;
	struct stub_pin pin; /* where tracer and stub are pinned */
	enum regs_state regs_state;
	struct linux_regs regs;
	atomic_bool interrupted;
	struct stub_lent_fds lent; /* host fds lent to this stub process (stub_util.h) */
};

/* What clone_prepare leaves for clone_attach: a stub stopped in group-stop. */
struct platform_clone {
	pid_t pid;
	struct ptrace_as *as;           /* the parent's, with a reference (share_as), or NULL */
	struct stub_listener *listener; /* a fork's, with a reference */
	struct linux_regs regs;         /* the parent's application registers */
	struct stub_lent_fds lent;      /* the parent's lent fds, copied into the child */
};

static struct stub_layout g_stub;
static cpu_set_t g_allowed_cpus; /* the sentry's affinity at start-up */

static long inject(struct ptrace_ctx *c, long nr, const uint64_t args[6]);
static void ptrace_ctx_destroy(struct platform_ctx *pctx);
static void ptrace_as_destroy(struct platform_as *pas);

static struct ptrace_as *to_as(struct platform_as *as)
{
	return container_of(as, struct ptrace_as, base);
}

static struct ptrace_ctx *to_ctx(struct platform_ctx *ctx)
{
	return container_of(ctx, struct ptrace_ctx, base);
}

/* The calling thread's id, cached: the switch checks it on every syscall. */
static pid_t current_tid(void)
{
	static _Thread_local pid_t tid;
	if (!tid)
		tid = (pid_t)syscall(SYS_gettid);
	return tid;
}

static int ptrace_init(void)
{
	if (sched_getaffinity(0, sizeof(g_allowed_cpus), &g_allowed_cpus) != 0)
		return -errno;
	return ptrace_stub_init(&g_stub);
}

static void ptrace_layout(struct platform_layout *out)
{
	out->min_addr = 0x10000; /* Linux's default vm.mmap_min_addr */
	out->max_addr = g_stub.max_addr;
	out->vdso_base = g_stub.vdso_base;
}

/* Waits for tid to stop; returns the wait status or -errno. */
static int wait_stop(pid_t tid)
{
	int status;
	for (;;) {
		pid_t r = waitpid(tid, &status, __WALL);
		if (r == tid)
			return status;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

static int get_regs(struct ptrace_ctx *c)
{
	if (ptrace(PTRACE_GETREGS, c->tid, 0, &c->regs) != 0)
		return -errno;
	c->regs_state = REGS_CLEAN;
	return 0;
}

/* Writes back what the sentry changed since the last stop. */
static int flush_regs(struct ptrace_ctx *c)
{
	switch (c->regs_state) {
	case REGS_CLEAN:
		return 0;
	case REGS_RAX_DIRTY:
		if (ptrace(PTRACE_POKEUSER, c->tid, offsetof(struct user_regs_struct, rax),
		           c->regs.rax) != 0)
			return -errno;
		break;
	case REGS_DIRTY:
		if (ptrace(PTRACE_SETREGS, c->tid, 0, &c->regs) != 0)
			return -errno;
		break;
	}
	c->regs_state = REGS_CLEAN;
	return 0;
}

static void bind_cpu(struct ptrace_ctx *c)
{
	stub_util_bind_cpu(&c->pin, c->tid, &g_allowed_cpus);
}

static void kill_stub(pid_t pid)
{
	int status;
	kill(pid, SIGKILL);
	while (waitpid(pid, &status, __WALL) < 0 && errno == EINTR)
		;
}

/* The largest XSAVE image reset_fpstate reads. */
#define PTRACE_XSTATE_MAX 16384

/* Resets the FP/vector state so that no sentry value leaks into the application. */
static int reset_fpstate(pid_t tid)
{
	static _Thread_local void *slot;
	uint8_t *buf = thread_buf(&slot, PTRACE_XSTATE_MAX);
	if (!buf)
		return -ENOMEM;
	memset(buf, 0, PTRACE_XSTATE_MAX);
	struct iovec iov = { buf, PTRACE_XSTATE_MAX };
	if (ptrace(PTRACE_GETREGSET, tid, NT_X86_XSTATE, &iov) != 0)
		return -errno;
	size_t size = iov.iov_len;
	memset(buf, 0, size);
	/* fxsave area: FCW (offset 0) and MXCSR (offset 24) at their reset values. */
	uint16_t fcw = 0x37f;
	uint32_t mxcsr = 0x1f80;
	memcpy(buf, &fcw, sizeof(fcw));
	memcpy(buf + 24, &mxcsr, sizeof(mxcsr));
	/* XSTATE_BV (offset 512) = 0: every other component in its init state. */
	iov.iov_len = size;
	if (ptrace(PTRACE_SETREGSET, tid, NT_X86_XSTATE, &iov) != 0)
		return -errno;
	return 0;
}

static void listener_put(struct stub_listener *l)
{
	if (l && atomic_fetch_sub(&l->refs, 1) == 1) {
		close(l->fd);
		pthread_mutex_destroy(&l->mu);
		free(l);
	}
}

static struct ptrace_as *as_alloc(struct stub_listener *listener, pid_t pid)
{
	struct ptrace_as *as = calloc(1, sizeof(*as));
	if (!as)
		return NULL;
	as->base.ops = &g_platform_ptrace;
	as->pid = pid;
	as->listener = listener;
	pthread_mutex_init(&as->mu, NULL);
	as->refs = 1; /* the mm's */
	return as;
}

/* Drops a reference; the last frees the as. Preconditions: as->mu held; released here. */
static void as_unref_unlock(struct ptrace_as *as)
{
	bool last = --as->refs == 0;
	pthread_mutex_unlock(&as->mu);
	if (last) {
		listener_put(as->listener);
		pthread_mutex_destroy(&as->mu);
		free(as);
	}
}

/* The calling thread's context: the last one bound to it. */
static _Thread_local struct ptrace_ctx *tls_ctx;

/* Makes a context for stub process tid, bound to the calling thread, in as. */
static struct ptrace_ctx *ctx_new(struct ptrace_as *as, pid_t tid)
{
	struct ptrace_ctx *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->base.ops = &g_platform_ptrace;
	c->as = as;
	c->tid = tid;
	c->tracer = current_tid();
	stub_util_pin_init(&c->pin);
	stub_lent_init(&c->lent);
	pthread_mutex_lock(&as->mu);
	c->next = as->ctxs;
	as->ctxs = c;
	as->refs++;
	if (!as->pid)
		as->pid = tid;
	pthread_mutex_unlock(&as->mu);
	tls_ctx = c;
	return c;
}

/* Unlinks c from its as and drops its reference. Preconditions: as->mu held; released. */
static void ctx_unlink_unlock(struct ptrace_ctx *c)
{
	stub_util_unpin(&c->pin); /* its pair no longer counts on its CPU */
	struct ptrace_as *as = c->as;
	for (struct ptrace_ctx **pp = &as->ctxs; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	if (as->pid == c->tid)
		as->pid = as->ctxs ? as->ctxs->tid : 0;
	if (tls_ctx == c)
		tls_ctx = NULL;
	as_unref_unlock(as);
}

static int ptrace_as_new(struct platform_as **out_as, struct platform_ctx **out_ctx)
{
	struct stub_listener *l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	pid_t pid = ptrace_stub_create(&l->fd);
	if (pid < 0) {
		free(l);
		return pid;
	}
	l->refs = 1;
	pthread_mutex_init(&l->mu, NULL);
	struct ptrace_as *as = as_alloc(l, 0);
	if (!as) {
		kill_stub(pid);
		listener_put(l);
		return -ENOMEM;
	}
	struct ptrace_ctx *c = ctx_new(as, pid);
	if (!c) {
		kill_stub(pid);
		pthread_mutex_lock(&as->mu);
		as_unref_unlock(as);
		return -ENOMEM;
	}
	int err = get_regs(c);
	if (err == 0)
		err = reset_fpstate(pid);
	if (err == 0) {
		/* The stub's own copy of the listener (its fd 0) goes: the stub holds no fd. */
		const uint64_t args[6] = { 0 };
		long r = inject(c, SYS_close, args);
		err = r < 0 ? (int)r : 0;
	}
	if (err < 0) {
		ptrace_ctx_destroy(&c->base);
		ptrace_as_destroy(&as->base);
		return err;
	}
	/* The application starts from clean registers; the loader sets rip and rsp. */
	struct linux_regs clean = { 0 };
	clean.cs = c->regs.cs;
	clean.ss = c->regs.ss;
	clean.ds = c->regs.ds;
	clean.es = c->regs.es;
	clean.eflags = 0x202; /* IF, and the reserved bit 1 */
	clean.orig_rax = (uint64_t)-1;
	c->regs = clean;
	c->regs_state = REGS_DIRTY;
	*out_as = &as->base;
	*out_ctx = &c->base;
	return 0;
}

static void ptrace_ctx_destroy(struct platform_ctx *pctx)
{
	struct ptrace_ctx *c = to_ctx(pctx);
	BUG_ON(c->tracer != current_tid());
	kill_stub(c->tid);
	pthread_mutex_lock(&c->as->mu);
	ctx_unlink_unlock(c);
	free(c);
}

static void ptrace_as_destroy(struct platform_as *pas)
{
	struct ptrace_as *as = to_as(pas);
	pthread_mutex_lock(&as->mu);
	for (;;) {
		struct ptrace_ctx *mine = as->ctxs;
		while (mine && mine->tracer != current_tid())
			mine = mine->next;
		if (!mine)
			break;
		kill_stub(mine->tid);
		ctx_unlink_unlock(mine);
		free(mine);
		pthread_mutex_lock(&as->mu);
	}
	/* Other threads' contexts die now; those threads reap and free them. */
	for (struct ptrace_ctx *c = as->ctxs; c; c = c->next)
		syscall(SYS_tgkill, c->tid, c->tid, SIGKILL);
	as_unref_unlock(as);
}

/* Sets the registers to run host syscall nr with args at the stub's gadget. */
static int prepare_gadget(struct ptrace_ctx *c, long nr, const uint64_t args[6])
{
	struct linux_regs r = c->regs;
	r.rip = g_stub.gadget;
	r.rax = (uint64_t)nr;
	r.orig_rax = (uint64_t)-1;
	r.rdi = args[0];
	r.rsi = args[1];
	r.rdx = args[2];
	r.r10 = args[3];
	r.r8 = args[4];
	r.r9 = args[5];
	if (ptrace(PTRACE_SETREGS, c->tid, 0, &r) != 0)
		return -errno;
	c->regs_state = REGS_DIRTY; /* the application's registers go back at the next switch */
	return 0;
}

/*
 * Handles a stop of the stub while it runs the gadget: anything but the
 * gadget's int3 is dropped (our interrupt signal is remembered), and the
 * stub resumed. Returns 1 at the int3, 0 when resumed, or -errno.
 */
static int gadget_stop(struct ptrace_ctx *c, int status)
{
	if (!WIFSTOPPED(status)) {
		log_warn("ptrace: stub %d died during a host call", c->tid);
		return -ESRCH;
	}
	if (WSTOPSIG(status) == SIGTRAP)
		return 1;
	if (WSTOPSIG(status) == INTERRUPT_SIGNAL)
		atomic_store(&c->interrupted, true);
	/* Resuming with no signal drops whatever stopped the stub. */
	return ptrace(PTRACE_CONT, c->tid, 0, 0) == 0 ? 0 : -errno;
}

/* The result of the gadget's syscall, once the stub stopped at its int3. */
static long gadget_result(struct ptrace_ctx *c)
{
	struct linux_regs r;
	if (ptrace(PTRACE_GETREGS, c->tid, 0, &r) != 0)
		return -errno;
	return (long)r.rax;
}

/*
 * Runs host syscall nr in the stub, from its gadget, and returns its
 * result. Preconditions: the calling thread is the context's tracer, and
 * the stub is stopped.
 */
static long inject(struct ptrace_ctx *c, long nr, const uint64_t args[6])
{
	BUG_ON(c->tracer != current_tid());
	int err = prepare_gadget(c, nr, args);
	if (err < 0)
		return err;
	if (ptrace(PTRACE_CONT, c->tid, 0, 0) != 0)
		return -errno;
	for (;;) {
		int status = wait_stop(c->tid);
		if (status < 0)
			return status;
		int r = gadget_stop(c, status);
		if (r < 0)
			return r;
		if (r == 1)
			return gadget_result(c);
	}
}

/* The calling thread's context in as (memory operations run there). */
static struct ptrace_ctx *ctx_of(struct ptrace_as *as)
{
	struct ptrace_ctx *c = tls_ctx;
	if (c && c->as == as)
		return c;
	pthread_mutex_lock(&as->mu);
	for (c = as->ctxs; c && c->tracer != current_tid(); c = c->next)
		;
	pthread_mutex_unlock(&as->mu);
	BUG_ON(!c);
	return c;
}

static long ptrace_as_memop(struct platform_as *pas, enum platform_memop op, const uint64_t args[6])
{
	BUG_ON(op < 0 || op >= PLATFORM_MEMOP_COUNT);
	return inject(ctx_of(to_as(pas)), g_stub_memop_nr[op], args);
}

/*
 * Answers c's trapped `dup` (see host_stub.c's filter) by installing
 * host_fd in it. Returns 0 once the notification is answered (the fd, or
 * the error, reaches the stub as dup's result), or -errno when there was
 * none to answer (the stub was interrupted before it trapped).
 * Preconditions: the listener's mu held.
 */
static int answer_dup(struct ptrace_ctx *c, int host_fd)
{
	int listener = c->as->listener->fd;
	struct seccomp_notif req;
	memset(&req, 0, sizeof(req));
	if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0)
		return -errno;
	struct seccomp_notif_resp resp = { .id = req.id, .error = -EPERM };
	if ((pid_t)req.pid != c->tid || req.data.nr != SYS_dup ||
	    req.data.instruction_pointer != g_stub.gadget + 2) {
		log_warn("ptrace: unexpected notification from stub %d (syscall %d)", (int)req.pid,
		         req.data.nr);
		ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
		return 0;
	}
	struct seccomp_notif_addfd addfd = {
		.id = req.id,
		.flags = SECCOMP_ADDFD_FLAG_SEND, /* the installed fd is dup's result */
		.srcfd = (uint32_t)host_fd,
		.newfd_flags = O_CLOEXEC,
	};
	if (ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &addfd) < 0) {
		resp.error = -errno;
		ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
	}
	return 0;
}

/*
 * Lends host_fd to c's stub process: runs a `dup` at the gadget, which
 * the filter turns into a notification that answer_dup() completes.
 * Returns the fd number in the stub or -errno.
 */
static long lend_fd(struct ptrace_ctx *c, int host_fd)
{
	BUG_ON(c->tracer != current_tid());
	static const uint64_t none[6];
	int err = prepare_gadget(c, SYS_dup, none);
	if (err < 0)
		return err;
	struct stub_listener *l = c->as->listener;
	pthread_mutex_lock(&l->mu);
	long ret;
	if (ptrace(PTRACE_CONT, c->tid, 0, 0) != 0) {
		ret = -errno;
		goto out;
	}
	bool answered = false;
	for (;;) {
		/*
		 * The stub either traps into the listener or stops (a signal, its
		 * death): wait for both, without blocking on either alone.
		 */
		struct pollfd p = { .fd = l->fd, .events = POLLIN };
		if (!answered && poll(&p, 1, /*timeout_ms=*/10) > 0 && (p.revents & POLLIN)) {
			answered = answer_dup(c, host_fd) == 0;
			continue;
		}
		int status;
		pid_t r = waitpid(c->tid, &status, __WALL | (answered ? 0 : WNOHANG));
		if (r == 0)
			continue;
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = -errno;
			goto out;
		}
		int stop = gadget_stop(c, status);
		if (stop < 0) {
			ret = stop;
			goto out;
		}
		if (stop == 1) {
			ret = gadget_result(c);
			goto out;
		}
		/* Resumed after a signal: an interrupted dup is restarted and traps again. */
		answered = false;
	}
out:
	pthread_mutex_unlock(&l->mu);
	return ret;
}

/* c's stub fd for host_fd's open file description, lending it when it has none. */
static void lent_close(void *ctx, int stub_fd)
{
	const uint64_t args[6] = { (uint64_t)stub_fd };
	inject((struct ptrace_ctx *)ctx, SYS_close, args);
}

static long lent_lend(void *ctx, int host_fd, int reg, bool queue)
{
	(void)reg, (void)queue; /* nothing is queued here */
	return lend_fd((struct ptrace_ctx *)ctx, host_fd);
}

static const struct stub_lent_ops g_lent_ops = { .lend = lent_lend, .close = lent_close };

static long lent_fd_for(struct ptrace_ctx *c, int host_fd)
{
	int reg;
	return stub_lent_fd(&c->lent, c->tid, host_fd, &g_lent_ops, c, false, &reg);
}

static long ptrace_as_mmap_fd(struct platform_as *pas, uaddr_t addr, uint64_t len, int prot,
                              int flags, int host_fd, uint64_t off)
{
	struct ptrace_ctx *c = ctx_of(to_as(pas));
	struct linux_regs saved = c->regs;
	/*
	 * The fd stays lent (lent_fd_for's cache): ld.so maps each library
	 * four or five times from one fd, and the loader maps a program's
	 * segments the same way, so most mappings need no lending at all.
	 */
	long fd = lent_fd_for(c, host_fd);
	long ret = fd;
	if (fd >= 0) {
		const uint64_t margs[6] = { addr,           len,
			                    (uint64_t)prot, (uint64_t)(flags | MAP_FIXED),
			                    (uint64_t)fd,   off };
		ret = inject(c, SYS_mmap, margs);
	}
	c->regs = saved;
	return ret;
}

static long ptrace_as_pread_fd(struct platform_as *pas, int host_fd, uaddr_t dst, uint64_t len,
                               uint64_t off)
{
	struct ptrace_ctx *c = ctx_of(to_as(pas));
	struct linux_regs saved = c->regs;
	long fd = lent_fd_for(c, host_fd);
	long ret = fd;
	if (fd >= 0) {
		const uint64_t args[6] = { (uint64_t)fd, dst, len, off };
		ret = inject(c, SYS_pread64, args);
	}
	c->regs = saved;
	return ret;
}

/*
 * Stub processes for new tasks are clones of the parent task's stub, made
 * from its gadget: CLONE_PARENT makes them children of the sentry (so that
 * the sentry, not a stub, reaps them), CLONE_PTRACE has the parent's
 * tracer trace them from their first instruction, and the exit signal is
 * none. A thread is the same with CLONE_VM: its own host process in the
 * same mm, so that a signal or stop of one stub thread never touches
 * another. The filter (host_stub.c) allows exactly these two clones.
 */
#define STUB_CLONE_FLAGS (CLONE_PARENT | CLONE_PTRACE)

static int ptrace_clone_prepare(struct platform_ctx *pparent, bool share_as,
                                struct platform_clone **out)
{
	struct ptrace_ctx *c = to_ctx(pparent);
	BUG_ON(c->tracer != current_tid());
	struct platform_clone *pc = calloc(1, sizeof(*pc));
	if (!pc)
		return -ENOMEM;
	pc->regs = c->regs;
	const uint64_t args[6] = { STUB_CLONE_FLAGS | (share_as ? CLONE_VM : 0) };
	long pid = inject(c, SYS_clone, args);
	c->regs = pc->regs; /* written back at the next switch */
	if (pid <= 0) {
		free(pc);
		return pid < 0 ? (int)pid : -EIO;
	}
	/*
	 * CLONE_PTRACE gives the child a pending SIGSTOP (or, from a seized
	 * stub, a PTRACE_EVENT_STOP, turned into one below), so its first stop
	 * is a signal-delivery-stop for it, reported to this thread. Detached with
	 * that SIGSTOP, it enters a group-stop, untraced, where the new task's
	 * thread finds it with PTRACE_SEIZE; this thread, in the stub's parent
	 * process, sees the stop first, so the hand-over has no race.
	 */
	int err = -ECHILD;
	int status;
	bool sent_stop = false;
	for (;;) {
		status = wait_stop((pid_t)pid);
		if (status < 0 || !WIFSTOPPED(status))
			goto fail;
		if (WSTOPSIG(status) == SIGSTOP && (status >> 16) == 0)
			break; /* the signal-delivery-stop for SIGSTOP */
		/*
		 * A stub attached with PTRACE_SEIZE (every stub but a sandbox's
		 * first) gives its clones a PTRACE_EVENT_STOP instead of the
		 * SIGSTOP: send one, so that the detach below can deliver it.
		 */
		if ((status >> 16) != PTRACE_EVENT_STOP || sent_stop)
			goto fail;
		sent_stop = true;
		if (syscall(SYS_tgkill, (pid_t)pid, (pid_t)pid, SIGSTOP) != 0 ||
		    ptrace(PTRACE_CONT, (pid_t)pid, 0, 0) != 0)
			goto fail;
	}
	if (ptrace(PTRACE_DETACH, (pid_t)pid, 0, SIGSTOP) != 0) {
		err = -errno;
		goto fail;
	}
	for (;;) {
		pid_t r = waitpid((pid_t)pid, &status, WUNTRACED | __WALL);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR) {
			err = -errno;
			goto fail;
		}
	}
	if (!WIFSTOPPED(status))
		goto fail;
	pc->pid = (pid_t)pid;
	pc->lent = c->lent; /* its fd table is a copy of the parent's */
	if (share_as) {
		pthread_mutex_lock(&c->as->mu);
		c->as->refs++;
		pthread_mutex_unlock(&c->as->mu);
		pc->as = c->as;
	} else {
		atomic_fetch_add(&c->as->listener->refs, 1);
		pc->listener = c->as->listener;
	}
	*out = pc;
	return 0;

fail:
	log_warn("ptrace: clone of stub %d failed (status %#x)", c->tid, status);
	kill_stub((pid_t)pid);
	free(pc);
	return err;
}

static void clone_free(struct platform_clone *pc)
{
	if (pc->as) {
		pthread_mutex_lock(&pc->as->mu);
		as_unref_unlock(pc->as);
	}
	listener_put(pc->listener);
	free(pc);
}

static void ptrace_clone_abort(struct platform_clone *pc)
{
	kill_stub(pc->pid);
	clone_free(pc);
}

static int ptrace_clone_attach(struct platform_clone *pc, struct platform_as **out_as,
                               struct platform_ctx **out_ctx)
{
	int err = 0;
	if (ptrace(PTRACE_SEIZE, pc->pid, 0, PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL) != 0)
		err = -errno;
	/* The seize of a stopped process is reported as a stop (PTRACE_EVENT_STOP). */
	int status = err < 0 ? 0 : wait_stop(pc->pid);
	if (err == 0 && (status < 0 || !WIFSTOPPED(status)))
		err = -ECHILD;
	struct ptrace_as *as = pc->as;
	if (err == 0 && !as) {
		as = as_alloc(pc->listener, 0);
		if (as)
			pc->listener = NULL; /* the new as's now */
		else
			err = -ENOMEM;
	}
	struct ptrace_ctx *c = err < 0 ? NULL : ctx_new(as, pc->pid);
	if (!c) {
		if (as && !pc->as) {
			pthread_mutex_lock(&as->mu);
			as_unref_unlock(as);
		}
		ptrace_clone_abort(pc);
		return err < 0 ? err : -ENOMEM;
	}
	c->regs = pc->regs;
	c->regs_state = REGS_DIRTY;
	c->lent = pc->lent;
	*out_as = pc->as ? NULL : &as->base;
	*out_ctx = &c->base;
	clone_free(pc);
	return 0;
}

/*
 * process_vm_readv/writev on a live process of the as. The one asked may
 * exit meanwhile (a thread of the application): then ask the next.
 */

static ssize_t ptrace_as_read(struct platform_as *pas, void *dst, uaddr_t src, size_t len)
{
	return stub_util_vm_copy(&to_as(pas)->pid, false, dst, src, len);
}

static ssize_t ptrace_as_write(struct platform_as *pas, uaddr_t dst, const void *src, size_t len)
{
	return stub_util_vm_copy(&to_as(pas)->pid, true, (void *)src, dst, len);
}

static enum platform_event ptrace_ctx_switch(struct platform_ctx *pctx, struct platform_fault *out)
{
	struct ptrace_ctx *c = to_ctx(pctx);
	BUG_ON(c->tracer != current_tid());
	if (atomic_exchange(&c->interrupted, false))
		return PLATFORM_EV_INTERRUPT;
	bind_cpu(c);
	if (flush_regs(c) < 0)
		return PLATFORM_EV_DEAD;
	if (ptrace(PTRACE_SYSEMU, c->tid, 0, 0) != 0)
		return PLATFORM_EV_DEAD;
	int status = wait_stop(c->tid);
	if (status < 0 || !WIFSTOPPED(status))
		return PLATFORM_EV_DEAD;
	if (get_regs(c) < 0)
		return PLATFORM_EV_DEAD;
	int sig = WSTOPSIG(status);
	if (sig == (SIGTRAP | 0x80)) {
		/*
		 * The `syscall` instruction leaves the return address in rcx; int
		 * $0x80 (the i386 ABI, with other numbers and arguments) does not.
		 * Telling them apart this way costs no ptrace request.
		 */
		return c->regs.rcx == c->regs.rip ? PLATFORM_EV_SYSCALL : PLATFORM_EV_SYSCALL32;
	}
	if (stub_util_is_fault_signal(sig)) {
		siginfo_t si;
		/* A fault has a positive si_code; one sent with kill() is an interrupt. */
		if (ptrace(PTRACE_GETSIGINFO, c->tid, 0, &si) == 0 && si.si_code > 0) {
			out->signo = sig;
			out->code = si.si_code;
			out->addr = (uaddr_t)si.si_addr;
			return PLATFORM_EV_FAULT;
		}
	}
	/* The signal is dropped: the next PTRACE_SYSEMU resumes with none. */
	return PLATFORM_EV_INTERRUPT;
}

static void ptrace_ctx_interrupt(struct platform_ctx *pctx)
{
	struct ptrace_ctx *c = to_ctx(pctx);
	atomic_store(&c->interrupted, true);
	syscall(SYS_tgkill, c->tid, c->tid, INTERRUPT_SIGNAL);
}

static struct linux_regs *ptrace_ctx_regs(struct platform_ctx *pctx)
{
	return &to_ctx(pctx)->regs;
}

static void ptrace_ctx_regs_changed(struct platform_ctx *pctx)
{
	to_ctx(pctx)->regs_state = REGS_DIRTY;
}

static void ptrace_ctx_set_retval(struct platform_ctx *pctx, uint64_t rax)
{
	struct ptrace_ctx *c = to_ctx(pctx);
	c->regs.rax = rax;
	if (c->regs_state == REGS_CLEAN)
		c->regs_state = REGS_RAX_DIRTY;
}

static long ptrace_ctx_get_fpstate(struct platform_ctx *pctx, void *buf, size_t size)
{
	struct iovec iov = { buf, size };
	if (ptrace(PTRACE_GETREGSET, to_ctx(pctx)->tid, NT_X86_XSTATE, &iov) != 0)
		return -errno;
	return (long)iov.iov_len;
}

static long ptrace_ctx_set_fpstate(struct platform_ctx *pctx, const void *buf, size_t size)
{
	struct iovec iov = { (void *)buf, size };
	if (ptrace(PTRACE_SETREGSET, to_ctx(pctx)->tid, NT_X86_XSTATE, &iov) != 0)
		return -errno;
	return 0;
}

static void ptrace_ctx_hint_cpu(struct platform_ctx *pctx, int cpu)
{
	stub_util_hint_cpu(&to_ctx(pctx)->pin, cpu);
}

static uint64_t ptrace_ctx_cpu_time_ns(struct platform_ctx *pctx)
{
	return stub_util_cpu_time_ns(to_ctx(pctx)->tid);
}

const struct platform_ops g_platform_ptrace = {
	.name = "ptrace",
	.init = ptrace_init,
	.layout = ptrace_layout,
	.as_new = ptrace_as_new,
	.as_destroy = ptrace_as_destroy,
	.clone_prepare = ptrace_clone_prepare,
	.clone_attach = ptrace_clone_attach,
	.clone_abort = ptrace_clone_abort,
	.ctx_destroy = ptrace_ctx_destroy,
	.as_memop = ptrace_as_memop,
	.as_mmap_fd = ptrace_as_mmap_fd,
	.as_pread_fd = ptrace_as_pread_fd,
	.as_read = ptrace_as_read,
	.as_write = ptrace_as_write,
	.ctx_switch = ptrace_ctx_switch,
	.ctx_interrupt = ptrace_ctx_interrupt,
	.ctx_regs = ptrace_ctx_regs,
	.ctx_regs_changed = ptrace_ctx_regs_changed,
	.ctx_set_retval = ptrace_ctx_set_retval,
	.ctx_get_fpstate = ptrace_ctx_get_fpstate,
	.ctx_set_fpstate = ptrace_ctx_set_fpstate,
	.ctx_cpu_time_ns = ptrace_ctx_cpu_time_ns,
	.ctx_hint_cpu = ptrace_ctx_hint_cpu,
};
