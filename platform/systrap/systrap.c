/*
 * The systrap platform: application system calls trap into a handler in
 * the stub (seccomp SECCOMP_RET_TRAP, so SIGSYS), which hands them to the
 * sentry through shared memory. No ptrace anywhere.
 *
 * Processes (see stub.h for the shared region and the hand-off, stub.c
 * for the code that runs in stubs):
 *   - the factory: a fork of the sentry made in prepare_confined, once
 *     the sentry has dropped its root and capabilities and before it
 *     installs its own filter (a stub forked later would inherit that
 *     filter, whose default action kills). It drops the sentry's memory,
 *     installs the stub filter, and makes a new stub whenever asked. Every
 *     stub descends from it, so all share its filter and one
 *     user-notification listener, which the sentry holds.
 *   - stubs: one host process per context (a thread of the application is
 *     a CLONE_VM process, as on the ptrace platform, so that each can be
 *     killed alone). All are children of the sentry (CLONE_PARENT), which
 *     reaps them, and die with it (PR_SET_PDEATHSIG). A pool of ready
 *     stubs (factory.c's pool_take) serves exec; a clone is made by the parent's stub.
 *
 * The code: this file has the platform operations (contexts, registers,
 * clones, the switch), memory.c the application's memory (memory
 * operations, lent fds, copies), handoff.c the hand-off and fd lending,
 * factory.c the stub image, its filter, the factory and the pool, patch.c
 * the patched system calls (systrap_impl.h).
 *
 * The stub filter (factory.c's build_filter): a system call from the stub code's
 * pages may be one of the host calls the stubs make (memory operations,
 * mmap only with MAP_FIXED, futex, rt_sigreturn, sigaltstack, arch_prctl
 * to set fs or gs, prctl(PR_SET_PDEATHSIG), close, read, sched_yield,
 * clone with the stubs' flags, exit_group, seccomp for the factory,
 * recvmsg of a lent fd) or `dup`, which traps to the listener: that is
 * how a new stub gets its region and its end of the lend socket
 * (SECCOMP_IOCTL_NOTIF_ADDFD); other host fds come over that socket
 * (handoff.c's systrap_lend_fd).
 * Anything else from the stub code kills the stub; any call from
 * elsewhere (the application) is SECCOMP_RET_TRAP.
 *
 * The application can jump to the stub's own `syscall` instructions; it
 * then gets those host calls on its own process, with its own arguments:
 * its own memory and the fds lent to it. That hurts only itself. The
 * sentry reads the shared region as untrusted input: slot_ptr checks
 * every pointer a stub posts, and a clone's reported pid is proven before
 * the sentry keeps it (new_thread_stub, systrap_answer_dup).
 */
#include "platform/systrap/systrap_impl.h"

/*
 * Killed stubs are reaped by a thread of their own: the host tears a
 * stub's address space down (50-100 us for a compiler's) while the exit
 * or exec that killed it goes on, and the parent's wait4 returns that much
 * sooner. The pid stays a zombie, so never another process's, until then.
 * A killed stub may still run for a moment (SIGKILL takes effect when it
 * next enters the kernel; a spinning stub needs the IPI, and its vCPU may
 * be descheduled): it must not find its slot another thread's, whose
 * stub_sleeping it could clear or whose futex wake-up it could take. So
 * the slot stays taken, and the as referenced, until the stub is reaped.
 */
struct reap {
	pid_t pid;
	struct systrap_as *as;
	int slot;
};

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct reap *q;
	size_t n, cap;
	bool started;
} g_reaper = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

static void *reaper_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&g_reaper.mu);
	for (;;) {
		while (g_reaper.n == 0)
			pthread_cond_wait(&g_reaper.cv, &g_reaper.mu);
		struct reap r = g_reaper.q[--g_reaper.n];
		pthread_mutex_unlock(&g_reaper.mu);
		while (waitpid(r.pid, NULL, __WALL) < 0 && errno == EINTR)
			;
		pthread_mutex_lock(&r.as->mu);
		r.as->used[r.slot] = 0;
		systrap_as_unref_unlock(r.as);
		pthread_mutex_lock(&g_reaper.mu);
	}
	return NULL;
}

bool systrap_start_thread(void *(*fn)(void *))
{
	pthread_t t;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	bool ok = pthread_create(&t, &attr, fn, NULL) == 0;
	pthread_attr_destroy(&attr);
	return ok;
}

/*
 * Hands c's killed stub to the reaper, with its slot and a reference on
 * its as; false when the reaper cannot take it (the caller waits).
 */
static bool reap_later(struct systrap_ctx *c)
{
	pthread_mutex_lock(&g_reaper.mu);
	if (!g_reaper.started)
		g_reaper.started = systrap_start_thread(reaper_main);
	bool ok = g_reaper.started;
	if (ok && g_reaper.n == g_reaper.cap) {
		size_t cap = g_reaper.cap ? 2 * g_reaper.cap : 64;
		struct reap *q = realloc(g_reaper.q, cap * sizeof(*q));
		if (q) {
			g_reaper.q = q;
			g_reaper.cap = cap;
		} else {
			ok = false;
		}
	}
	if (ok) {
		pthread_mutex_lock(&c->as->mu);
		c->as->refs++;
		pthread_mutex_unlock(&c->as->mu);
		c->slot_reaped_later = true;
		g_reaper.q[g_reaper.n++] = (struct reap){ c->tid, c->as, c->slot };
		pthread_cond_signal(&g_reaper.cv);
	}
	pthread_mutex_unlock(&g_reaper.mu);
	return ok;
}

void systrap_kill_stub(struct systrap_ctx *c)
{
	/* A reaped stub's pid may be another process's by now. */
	if (c->reaped)
		return;
	kill(c->tid, SIGKILL);
	c->reaped = true; /* the sentry signals it no more */
	if (!reap_later(c)) {
		while (waitpid(c->tid, NULL, __WALL) < 0 && errno == EINTR)
			;
	}
}

/* ---- Registers and the frame ---- */

static void regs_from_frame(struct systrap_ctx *c, const struct k_ucontext *uc, bool syscall)
{
	const struct k_sigcontext *s = &uc->uc_mcontext;
	struct linux_regs *r = &c->regs;
	r->r8 = s->r8, r->r9 = s->r9, r->r10 = s->r10, r->r11 = s->r11;
	r->r12 = s->r12, r->r13 = s->r13, r->r14 = s->r14, r->r15 = s->r15;
	r->rdi = s->rdi, r->rsi = s->rsi, r->rbp = s->rbp, r->rbx = s->rbx;
	r->rdx = s->rdx, r->rax = s->rax, r->rcx = s->rcx, r->rsp = s->rsp;
	r->rip = s->rip, r->eflags = s->eflags;
	r->cs = s->cs, r->ss = s->ss;
	r->orig_rax = syscall ? s->rax : (uint64_t)-1;
	r->fs_base = c->fs_applied;
	r->gs_base = c->gs_applied;
	c->regs_state = REGS_CLEAN;
}

static void regs_to_frame(struct systrap_ctx *c, struct k_ucontext *uc)
{
	struct k_sigcontext *s = &uc->uc_mcontext;
	const struct linux_regs *r = &c->regs;
	if (c->regs_state == REGS_RAX_DIRTY) {
		s->rax = r->rax;
		return;
	}
	s->r8 = r->r8, s->r9 = r->r9, s->r10 = r->r10, s->r11 = r->r11;
	s->r12 = r->r12, s->r13 = r->r13, s->r14 = r->r14, s->r15 = r->r15;
	s->rdi = r->rdi, s->rsi = r->rsi, s->rbp = r->rbp, s->rbx = r->rbx;
	s->rdx = r->rdx, s->rax = r->rax, s->rcx = r->rcx, s->rsp = r->rsp;
	s->rip = r->rip, s->eflags = r->eflags;
}

/* The frame's XSAVE area and its size, or NULL. */
static uint8_t *fpstate_of(struct systrap_ctx *c, size_t *size)
{
	struct k_ucontext *uc = frame_of(c);
	if (!uc)
		return NULL;
	uint8_t *fx = slot_ptr(c->as, c->slot, uc->uc_mcontext.fpstate, 512 + 64);
	if (!fx)
		return NULL;
	struct fpx_sw sw;
	memcpy(&sw, fx + FXSAVE_SW_OFFSET, sizeof(sw));
	if (sw.magic1 != FP_XSTATE_MAGIC1 || sw.xstate_size < 512 + 64 ||
	    !slot_ptr(c->as, c->slot, uc->uc_mcontext.fpstate, sw.xstate_size + 4))
		return NULL;
	*size = sw.xstate_size;
	return fx;
}

/* ---- Contexts ---- */

_Thread_local struct systrap_ctx *systrap_tls_ctx;

static pid_t current_tid(void)
{
	static _Thread_local pid_t tid;
	if (!tid)
		tid = (pid_t)syscall(SYS_gettid);
	return tid;
}

/* Binds c to the calling sentry thread. */
static void own(struct systrap_ctx *c)
{
	c->owner = current_tid();
	systrap_tls_ctx = c;
}

struct systrap_as *systrap_as_alloc(void)
{
	struct systrap_as *as = calloc(1, sizeof(*as));
	if (!as)
		return NULL;
	as->base.ops = &g_platform_systrap;
	as->memfd = (int)syscall(SYS_memfd_create, "runsc-systrap", MFD_CLOEXEC);
	if (as->memfd < 0 || ftruncate(as->memfd, (off_t)SYSTRAP_REGION_SIZE) != 0)
		goto fail;
	as->region =
	        mmap(NULL, SYSTRAP_REGION_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, as->memfd, 0);
	if (as->region == MAP_FAILED)
		goto fail;
	pthread_mutex_init(&as->mu, NULL);
	pthread_mutex_init(&as->lend_mu, NULL);
	as->lend_sock[0] = as->lend_sock[1] = -1;
	as->refs = 1;
	if (g_systrap.patching && !(as->patch = systrap_patch_new())) {
		munmap(as->region, SYSTRAP_REGION_SIZE);
		goto fail;
	}
	return as;
fail:
	if (as->memfd >= 0)
		close(as->memfd);
	free(as);
	return NULL;
}

void systrap_as_unref_unlock(struct systrap_as *as)
{
	bool last = --as->refs == 0;
	pthread_mutex_unlock(&as->mu);
	if (last) {
		munmap(as->region, SYSTRAP_REGION_SIZE);
		close(as->memfd);
		for (int i = 0; i < 2; i++) {
			if (as->lend_sock[i] >= 0)
				close(as->lend_sock[i]);
		}
		pthread_mutex_destroy(&as->lend_mu);
		pthread_mutex_destroy(&as->mu);
		free(as->patch);
		free(as);
	}
}

/* Takes a free slot of as and prepares its message; -1 when none is left. */
int systrap_slot_take(struct systrap_as *as, int want)
{
	pthread_mutex_lock(&as->mu);
	int slot = -1;
	if (want >= 0) {
		if (!as->used[want])
			slot = want;
	} else {
		for (int i = 0; i < SYSTRAP_MAX_SLOTS && slot < 0; i++)
			if (!as->used[i])
				slot = i;
	}
	if (slot >= 0)
		as->used[slot] = 1;
	pthread_mutex_unlock(&as->mu);
	return slot;
}

void systrap_slot_reset(struct systrap_as *as, int slot)
{
	struct systrap_msg *m = msg_of(as, slot);
	memset(m, 0, sizeof(*m));
	m->region_base = g_systrap.region_base;
	m->tramp_entry = g_systrap.code +
	                 (uaddr_t)((const char *)systrap_stub_syscall - __start_systrap_stub);
	m->tframe = slot_stub_addr(slot) + SYSTRAP_TFRAME_OFF + 8;
	memcpy(m->fp_sw, g_systrap.fp_sw, sizeof(m->fp_sw));
}

static void slot_release(struct systrap_as *as, int slot)
{
	pthread_mutex_lock(&as->mu);
	as->used[slot] = 0;
	pthread_mutex_unlock(&as->mu);
}

struct systrap_ctx *systrap_ctx_new(struct systrap_as *as, pid_t tid, int slot)
{
	struct systrap_ctx *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->base.ops = &g_platform_systrap;
	c->as = as;
	c->tid = tid;
	c->slot = slot;
	stub_util_pin_init(&c->pin);
	c->stub_sock = -1;
	stub_lent_init(&c->lent);
	pthread_mutex_lock(&as->mu);
	c->next = as->ctxs;
	as->ctxs = c;
	as->refs++;
	if (!as->pid)
		as->pid = tid;
	pthread_mutex_unlock(&as->mu);
	return c;
}

void systrap_ctx_unlink_unlock(struct systrap_ctx *c)
{
	stub_util_unpin(&c->pin); /* its pair no longer counts on its CPU */
	struct systrap_as *as = c->as;
	for (struct systrap_ctx **pp = &as->ctxs; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	if (as->pid == c->tid)
		as->pid = as->ctxs ? as->ctxs->tid : 0;
	if (!c->slot_reaped_later)
		as->used[c->slot] = 0; /* else the reaper frees it once the stub is gone */
	if (systrap_tls_ctx == c)
		systrap_tls_ctx = NULL;
	systrap_as_unref_unlock(as);
}

/* ---- Platform operations ---- */

static void clean_fpstate(struct systrap_ctx *c)
{
	size_t size;
	uint8_t *fx = fpstate_of(c, &size);
	if (!fx)
		return;
	uint8_t sw[48];
	memcpy(sw, fx + FXSAVE_SW_OFFSET, sizeof(sw));
	memset(fx, 0, size);
	memcpy(fx + FXSAVE_SW_OFFSET, sw, sizeof(sw));
	uint16_t fcw = 0x37f;
	uint32_t mxcsr = 0x1f80;
	memcpy(fx, &fcw, sizeof(fcw));
	memcpy(fx + 24, &mxcsr, sizeof(mxcsr));
	/* XSTATE_BV (offset 512) 0: every other component in its init state. */
}

static int systrap_as_new(struct platform_as **out_as, struct platform_ctx **out_ctx)
{
	/* A sentry that never confines itself starts the factory here. */
	int err = systrap_prepare_confined();
	if (err < 0)
		return err;
	struct systrap_ctx *c = systrap_ready_stub();
	if (!c)
		return -EIO;
	struct k_ucontext *uc = frame_of(c);
	clean_fpstate(c);
	struct linux_regs clean = { 0 };
	clean.cs = uc->uc_mcontext.cs;
	clean.ss = uc->uc_mcontext.ss;
	clean.eflags = 0x202;
	clean.orig_rax = (uint64_t)-1;
	c->regs = clean;
	c->regs_state = REGS_DIRTY;
	own(c);
	/*
	 * The exec's lends and its flush before the stack is written are
	 * hand-offs before any switch places the pair: on one CPU, each is a
	 * switch; across CPUs, a wake-up there (tens of us).
	 */
	c->pin.placed = true;
	stub_util_bind_cpu(&c->pin, c->tid, &g_systrap.cpus);
	*out_as = &c->as->base;
	*out_ctx = &c->base;
	return 0;
}

static void systrap_ctx_destroy(struct platform_ctx *pctx)
{
	struct systrap_ctx *c = to_ctx(pctx);
	if (c->nops)
		atomic_fetch_sub(&c->as->queued, 1); /* the process dies: so does its queue */
	systrap_kill_stub(c);
	pthread_mutex_lock(&c->as->mu);
	systrap_ctx_unlink_unlock(c);
	free(c);
}

static void systrap_as_destroy(struct platform_as *pas)
{
	struct systrap_as *as = to_as(pas);
	pthread_mutex_lock(&as->mu);
	/* Every stub of the as dies; each context is freed by its own ctx_destroy. */
	for (struct systrap_ctx *c = as->ctxs; c; c = c->next) {
		if (!c->reaped)
			kill(c->tid, SIGKILL);
	}
	systrap_as_unref_unlock(as);
}

struct systrap_ctx *systrap_ctx_mine(struct systrap_as *as)
{
	struct systrap_ctx *c = systrap_tls_ctx;
	if (c && c->as == as)
		return c;
	pthread_mutex_lock(&as->mu);
	for (c = as->ctxs; c && c->owner != current_tid(); c = c->next)
		;
	pthread_mutex_unlock(&as->mu);
	return c;
}

struct systrap_ctx *systrap_ctx_of(struct systrap_as *as)
{
	struct systrap_ctx *c = systrap_ctx_mine(as);
	BUG_ON(!c);
	return c;
}

/*
 * Whether pid, which parent's stub reported as its new thread, is one: a
 * process in parent's address space (kcmp KCMP_VM) that no context has
 * yet. The report comes from memory the application can write; the sentry
 * must never take another process (the gofer, another container's stub)
 * for it, and later kill it.
 */
static bool new_thread_stub(struct systrap_ctx *parent, pid_t pid)
{
	if (pid == parent->tid || syscall(SYS_kcmp, parent->tid, pid, KCMP_VM, 0, 0) != 0)
		return false;
	bool known = false;
	pthread_mutex_lock(&parent->as->mu);
	for (struct systrap_ctx *c = parent->as->ctxs; c && !known; c = c->next)
		known = c->tid == pid;
	pthread_mutex_unlock(&parent->as->mu);
	return !known;
}

/*
 * A clone of a stopped context. The child's slot gets a copy of the
 * parent's frame (a fork's region a copy of the parent's whole slot), so
 * that the child returns to the application through it like its parent.
 */
static int systrap_clone_prepare(struct platform_ctx *pparent, bool share_as,
                                 struct platform_clone **out)
{
	struct systrap_ctx *c = to_ctx(pparent);
	struct systrap_as *as = c->as;
	/* Read once and checked: the application may change its slot meanwhile. */
	uint64_t uc_addr = __atomic_load_n(&msg_of(as, c->slot)->uc, __ATOMIC_RELAXED);
	if (!slot_ptr(as, c->slot, uc_addr, sizeof(struct k_ucontext)))
		return -EIO;
	struct platform_clone *pc = calloc(1, sizeof(*pc));
	if (!pc)
		return -ENOMEM;
	int slot = -1;
	long pid;
	if (share_as) {
		slot = systrap_slot_take(as, -1);
		if (slot < 0) {
			free(pc);
			return -EAGAIN;
		}
		systrap_slot_reset(as, slot);
		/* The frame, at the same offset in the new slot, and everything above it. */
		size_t off = (size_t)(uc_addr - slot_stub_addr(c->slot)) & ~(size_t)63;
		memcpy((uint8_t *)msg_of(as, slot) + off, (uint8_t *)msg_of(as, c->slot) + off,
		       SYSTRAP_SLOT_SIZE - off);
		uint64_t delta = (uint64_t)(slot - c->slot) * SYSTRAP_SLOT_SIZE;
		struct systrap_msg *cm = msg_of(as, slot);
		uint64_t child_uc = uc_addr + delta;
		cm->uc = child_uc;
		struct k_ucontext *cuc = slot_ptr(as, slot, child_uc, sizeof(*cuc));
		BUG_ON(!cuc); /* uc_addr was checked, and the offset is the same */
		cuc->uc_mcontext.fpstate += delta;
		cm->altstack_sp = slot_stub_addr(slot) + SYSTRAP_MSG_SIZE;
		cm->altstack_size = SYSTRAP_SLOT_SIZE - SYSTRAP_MSG_SIZE;
		cuc->uc_stack.ss_sp = cm->altstack_sp;
		cuc->uc_stack.ss_size = cm->altstack_size;
		cuc->uc_stack.ss_flags = 0;
		uint64_t stack = (child_uc - 512) & ~(uint64_t)15;
		const uint64_t args[6] = { CLONE_PARENT | CLONE_VM, stack, slot_stub_addr(slot) };
		pid = systrap_stub_call(c, SYSTRAP_CALL_CLONE_THREAD, args);
		if (pid <= 0 || !new_thread_stub(c, (pid_t)pid)) {
			if (pid > 0)
				log_warn("systrap: stub %d reported %ld, not a new thread of its "
				         "own",
				         c->tid, pid);
			slot_release(as, slot);
			free(pc);
			return pid < 0 ? (int)pid : -EIO;
		}
		pthread_mutex_lock(&as->mu);
		as->refs++; /* the child's ctx_new takes its own: this one is pc's */
		pthread_mutex_unlock(&as->mu);
	} else {
		struct systrap_as *nas = systrap_as_alloc();
		if (!nas) {
			free(pc);
			return -ENOMEM;
		}
		slot = c->slot;
		systrap_slot_take(nas, slot);
		/*
		 * The message, and the frame with everything above it: what the
		 * child reads. Its stack below the frame is fresh (each page the
		 * sentry copies is one more page fault, some 15 us here).
		 */
		size_t off = (size_t)(uc_addr - slot_stub_addr(slot)) & ~(size_t)63;
		memcpy(msg_of(nas, slot), msg_of(as, slot), sizeof(struct systrap_msg));
		memcpy((uint8_t *)msg_of(nas, slot) + off, (uint8_t *)msg_of(as, slot) + off,
		       SYSTRAP_SLOT_SIZE - off);
		struct systrap_msg *cm = msg_of(nas, slot);
		__atomic_store_n(&cm->state, SYSTRAP_APP, __ATOMIC_RELAXED);
		cm->stub_sleeping = cm->sentry_sleeping = 0;
		cm->altstack_size = 0; /* a fork keeps its parent's */
		cm->set_fs = cm->set_gs = 0;
		cm->nops = 0; /* the parent's stub runs its queue before the clone */
		pthread_mutex_lock(&g_systrap.listener_mu);
		const uint64_t args[6] = { CLONE_PARENT };
		pid = systrap_stub_call(c, SYSTRAP_CALL_CLONE_FORK, args);
		/* The child's `dup` proves its pid: only a stub can ask the listener. */
		int err = pid > 0 ? systrap_answer_dup((pid_t)pid, nas->memfd, NULL)
		                  : (pid < 0 ? (int)pid : -EIO);
		pthread_mutex_unlock(&g_systrap.listener_mu);
		if (err < 0) {
			/* Not proven: never kill a pid the stub merely reported. */
			log_warn("systrap: the fork of stub %d (pid %ld) failed: %s", c->tid, pid,
			         strerror(-err));
			pthread_mutex_lock(&nas->mu);
			systrap_as_unref_unlock(nas);
			free(pc);
			return err;
		}
		if (as->patch && nas->patch) {
			pthread_mutex_lock(&as->mu); /* the parent's other threads count traps */
			systrap_patch_copy(nas->patch, as->patch);
			pthread_mutex_unlock(&as->mu);
		}
		as = nas;
		pc->new_as = nas;
	}
	struct systrap_ctx *child = systrap_ctx_new(as, (pid_t)pid, slot);
	int err = child ? systrap_wait_event(child) : -ENOMEM;
	if (err == 0 && msg_of(as, slot)->signo != SYSTRAP_SIGNO_READY)
		err = -EIO;
	if (err < 0) {
		log_warn("systrap: a clone of stub %d failed: %s", c->tid, strerror(-err));
		if (child) {
			systrap_kill_stub(child);
			pthread_mutex_lock(&as->mu);
			systrap_ctx_unlink_unlock(child);
			free(child);
		} else {
			kill((pid_t)pid, SIGKILL);
			waitpid((pid_t)pid, NULL, __WALL);
		}
		pthread_mutex_lock(&as->mu);
		systrap_as_unref_unlock(as); /* pc's reference, or the new as's own */
		free(pc);
		return err;
	}
	child->regs = c->regs;
	child->regs_state = REGS_DIRTY;
	/* Its fd table is a copy of the parent's (no CLONE_FILES): so are its lent fds. */
	child->lent = c->lent;
	if (share_as) {
		child->stub_sock = c->stub_sock;
	} else if (c->stub_sock >= 0) {
		/*
		 * A fork's copy of the parent's lend socket goes before the child
		 * ever runs: it would receive what is lent to the parent.
		 */
		const uint64_t args[6] = { (uint64_t)c->stub_sock };
		systrap_queue_or_call(child, SYS_close, args);
	}
	child->fs_applied = c->fs_applied;
	child->gs_applied = c->gs_applied;
	/* A thread starts with its parent's gs_base: its own slot's is set at its first resume. */
	child->gs_host = share_as ? UINT64_MAX : c->gs_host;
	pc->child = child;
	*out = pc;
	return 0;
}

static void systrap_clone_abort(struct platform_clone *pc)
{
	struct systrap_ctx *child = pc->child;
	struct systrap_as *as = child->as;
	systrap_kill_stub(child);
	pthread_mutex_lock(&as->mu);
	systrap_ctx_unlink_unlock(child);
	free(child);
	pthread_mutex_lock(&as->mu);
	systrap_as_unref_unlock(as);
	free(pc);
}

static int systrap_clone_attach(struct platform_clone *pc, struct platform_as **out_as,
                                struct platform_ctx **out_ctx)
{
	struct systrap_ctx *child = pc->child;
	if (!pc->new_as) {
		/* pc's reference on the shared as goes: the child's own stays. */
		pthread_mutex_lock(&child->as->mu);
		systrap_as_unref_unlock(child->as);
	}
	*out_as = pc->new_as ? &pc->new_as->base : NULL;
	*out_ctx = &child->base;
	own(child);
	free(pc);
	return 0;
}

static enum platform_event systrap_ctx_switch(struct platform_ctx *pctx, struct platform_fault *out)
{
	struct systrap_ctx *c = to_ctx(pctx);
	systrap_tls_ctx = c;
	c->owner = current_tid();
	if (c->doomed) {
		systrap_kill_stub(c);
		return PLATFORM_EV_DEAD;
	}
	if (atomic_exchange(&c->interrupted, false))
		return PLATFORM_EV_INTERRUPT;
	uint64_t now = systrap_rdtsc();
	if (c->event_tsc)
		systrap_average(&c->sentry_cycles, now - c->event_tsc);
	systrap_place(c);
	struct systrap_msg *m = msg_of(c->as, c->slot);
	bool fast_sentry = c->sentry_cycles < FAST_US * g_systrap.tsc_per_us;
	m->stub_spin_cycles =
	        c->mode != HANDOFF_SLEEP && fast_sentry ? SPIN_US * g_systrap.tsc_per_us : 0;
	m->stub_spin_yield = c->mode != HANDOFF_SPIN;
	struct k_ucontext *uc = frame_of(c);
	if (!uc)
		return PLATFORM_EV_DEAD;
	/* A patched call returns by rt_sigreturn when the sentry changed more than rax. */
	m->resume_full = c->regs_state == REGS_DIRTY || c->fp_dirty;
	c->fp_dirty = false;
	if (c->regs_state != REGS_CLEAN) {
		regs_to_frame(c, uc);
		c->regs_state = REGS_CLEAN;
	}
	if (c->regs.fs_base != c->fs_applied) {
		m->fs_base = c->regs.fs_base;
		m->set_fs = 1;
		c->fs_applied = c->regs.fs_base;
	}
	/*
	 * With patching, the stub's gs_base is its slot while the
	 * application's is 0 (the trap table's code checks which it is).
	 */
	uint64_t gs_host =
	        c->regs.gs_base || !c->as->patch ? c->regs.gs_base : slot_stub_addr(c->slot);
	if (gs_host != c->gs_host) {
		m->gs_base = gs_host;
		m->set_gs = 1;
		c->gs_host = gs_host;
	}
	c->gs_applied = c->regs.gs_base;
	systrap_copyin_drop(c);
	/* Queued operations run before the application resumes: not a hand-off's cost. */
	bool ran_ops = c->nops > 0;
	uint64_t resumed = systrap_rdtsc();
	atomic_fetch_add(&g_systrap.apps_running, 1);
	systrap_post(m, SYSTRAP_RESUME);
	int err = systrap_wait_event(c);
	atomic_fetch_sub(&g_systrap.apps_running, 1);
	if (err < 0)
		return PLATFORM_EV_DEAD;
	c->event_tsc = systrap_rdtsc();
	systrap_ops_ran(c);
	if (c->doomed) {
		systrap_kill_stub(c);
		return PLATFORM_EV_DEAD;
	}
	/*
	 * The application's own run, from the stub's clock readings (whatever
	 * the hand-off cost): untrusted, but only a hint for systrap_place().
	 */
	uint64_t full = c->event_tsc - resumed, app = m->trap_tsc - m->resume_tsc;
	if (app > full)
		app = full;
	systrap_average(&c->app_cycles, app);
	/*
	 * Over about 64 traps: a timer tick on either CPU is no contention.
	 * Nor is one slow spinning hand-off (a page fault on a first touch of
	 * the trampoline's frame, a tick): each counts for at most 8 times
	 * the contention threshold, so that it takes many to tip the average.
	 */
	uint64_t handoff = full - app;
	if (c->mode == HANDOFF_SPIN && handoff > 8 * CONTENDED_NS * g_systrap.tsc_per_us / 1000)
		handoff = 8 * CONTENDED_NS * g_systrap.tsc_per_us / 1000;
	if (!ran_ops)
		c->handoff_cycles = c->handoff_cycles - (c->handoff_cycles >> 6) + (handoff >> 6);
	int sig = m->signo;
	uc = frame_of(c);
	const struct k_siginfo *si = slot_ptr(c->as, c->slot, m->info, sizeof(*si));
	if (!uc || !si) {
		log_warn("systrap: stub %d posted a bad frame", c->tid);
		systrap_kill_stub(c);
		return PLATFORM_EV_DEAD;
	}
	c->trapped = false;
	if (sig == SYSTRAP_SIGNO_PATCHED || sig == SIGSYS) {
		/* Checked once, here: the application may rewrite its slot meanwhile. */
		c->in_writes = atomic_load(&c->as->writes);
		c->in_addr = m->in_addr;
		c->in_len = MIN(m->in_len, SYSTRAP_COPYIN_SIZE);
		if (c->in_addr + c->in_len < c->in_addr)
			c->in_len = 0;
	}
	if (sig == SYSTRAP_SIGNO_PATCHED) {
		/* The trampoline's frame: the number in rax, as `syscall` has it. */
		regs_from_frame(c, uc, true);
		c->regs.rax = (uint64_t)-ENOSYS;
		return PLATFORM_EV_SYSCALL;
	}
	if (sig == SIGSYS && si->code == 1 /* SYS_SECCOMP */) {
		bool i386 = si->sys.arch != AUDIT_ARCH_X86_64;
		regs_from_frame(c, uc, true);
		if (i386)
			return PLATFORM_EV_SYSCALL32;
		c->regs.orig_rax = (uint64_t)(int64_t)si->sys.syscall;
		c->trapped = true;
		return PLATFORM_EV_SYSCALL;
	}
	regs_from_frame(c, uc, false);
	if (sig == SIGILL) {
		/* A patched site's 0x06: the call its thread meant, or the jump again. */
		int fix = systrap_patch_fixup(c);
		if (fix)
			return fix == 1 ? PLATFORM_EV_SYSCALL : PLATFORM_EV_INTERRUPT;
	}
	if (stub_util_is_fault_signal(sig) && si->code > 0) {
		out->signo = sig;
		out->code = si->code;
		out->addr = si->addr;
		out->has_cpu = true;
		out->trapno = uc->uc_mcontext.trapno;
		out->err = uc->uc_mcontext.err;
		out->cr2 = uc->uc_mcontext.cr2;
		return PLATFORM_EV_FAULT;
	}
	return PLATFORM_EV_INTERRUPT;
}

static void systrap_ctx_interrupt(struct platform_ctx *pctx)
{
	struct systrap_ctx *c = to_ctx(pctx);
	atomic_store(&c->interrupted, true);
	if (!__atomic_load_n(&c->reaped, __ATOMIC_RELAXED))
		syscall(SYS_tgkill, c->tid, c->tid, INTERRUPT_SIGNAL);
}

static struct linux_regs *systrap_ctx_regs(struct platform_ctx *pctx)
{
	return &to_ctx(pctx)->regs;
}

static void systrap_ctx_regs_changed(struct platform_ctx *pctx)
{
	to_ctx(pctx)->regs_state = REGS_DIRTY;
}

static void systrap_ctx_set_retval(struct platform_ctx *pctx, uint64_t rax)
{
	struct systrap_ctx *c = to_ctx(pctx);
	c->regs.rax = rax;
	if (c->regs_state == REGS_CLEAN)
		c->regs_state = REGS_RAX_DIRTY;
}

static long systrap_ctx_get_fpstate(struct platform_ctx *pctx, void *buf, size_t size)
{
	size_t have;
	uint8_t *fx = fpstate_of(to_ctx(pctx), &have);
	if (!fx)
		return -EIO;
	memcpy(buf, fx, have < size ? have : size);
	return (long)have;
}

static long systrap_ctx_set_fpstate(struct platform_ctx *pctx, const void *buf, size_t size)
{
	size_t have;
	uint8_t *fx = fpstate_of(to_ctx(pctx), &have);
	if (!fx)
		return -EIO;
	if (size > have)
		size = have;
	/* The software bytes stay the kernel's: rt_sigreturn checks them. */
	memcpy(fx, buf, size < FXSAVE_SW_OFFSET ? size : FXSAVE_SW_OFFSET);
	if (size > 512)
		memcpy(fx + 512, (const uint8_t *)buf + 512, size - 512);
	to_ctx(pctx)->fp_dirty = true;
	return 0;
}

static void systrap_ctx_hint_cpu(struct platform_ctx *pctx, int cpu)
{
	stub_util_hint_cpu(&to_ctx(pctx)->pin, cpu);
}

static uint64_t systrap_ctx_cpu_time_ns(struct platform_ctx *pctx)
{
	return stub_util_cpu_time_ns(to_ctx(pctx)->tid);
}

const struct platform_ops g_platform_systrap = {
	.name = "systrap",
	.init = systrap_init,
	.prepare_confined = systrap_prepare_confined,
	.layout = systrap_layout,
	.as_new = systrap_as_new,
	.as_destroy = systrap_as_destroy,
	.clone_prepare = systrap_clone_prepare,
	.clone_attach = systrap_clone_attach,
	.clone_abort = systrap_clone_abort,
	.ctx_destroy = systrap_ctx_destroy,
	.as_memop = systrap_as_memop,
	.as_mmap_fd = systrap_as_mmap_fd,
	.as_pread_fd = systrap_as_pread_fd,
	.as_read = systrap_as_read,
	.as_write = systrap_as_write,
	.as_write_private = systrap_as_write_private,
	.ctx_switch = systrap_ctx_switch,
	.ctx_interrupt = systrap_ctx_interrupt,
	.ctx_regs = systrap_ctx_regs,
	.ctx_regs_changed = systrap_ctx_regs_changed,
	.ctx_set_retval = systrap_ctx_set_retval,
	.ctx_get_fpstate = systrap_ctx_get_fpstate,
	.ctx_set_fpstate = systrap_ctx_set_fpstate,
	.ctx_cpu_time_ns = systrap_ctx_cpu_time_ns,
	.ctx_hint_cpu = systrap_ctx_hint_cpu,
	.ctx_syscall_site = systrap_ctx_syscall_site,
	.as_patch_syscall = systrap_as_patch_syscall,
	.as_unpatch_syscalls = systrap_as_unpatch_syscalls,
};
