/* The hand-off between a stub and its sentry thread, and fd lending: see systrap_impl.h. */
#include "common/log.h"
#include "platform/systrap/systrap_impl.h"

/* ---- The hand-off, sentry side ---- */

void systrap_post(struct systrap_msg *m, uint32_t state)
{
	__atomic_store_n(&m->state, state, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&m->stub_sleeping, __ATOMIC_SEQ_CST))
		syscall(SYS_futex, &m->state, FUTEX_WAKE, 1, NULL, NULL, 0);
}

/* Whether the stub process tid has died (reaping it). */
static bool stub_dead(struct systrap_ctx *c)
{
	if (c->reaped)
		return true;
	int status;
	pid_t r = waitpid(c->tid, &status, WNOHANG | __WALL);
	if (r == c->tid || (r < 0 && errno == ECHILD)) {
		c->reaped = true;
		return true;
	}
	return false;
}

/*
 * Waits until the stub of c posts EVENT: spinning or yielding first as
 * c's mode says, then asleep on the futex, waking every LIVENESS_NS to
 * check that the stub lives. Returns 0, or -ESRCH when the stub died.
 */
int systrap_wait_event(struct systrap_ctx *c)
{
	struct systrap_msg *m = msg_of(c->as, c->slot);
	if (c->mode != HANDOFF_SLEEP) {
		uint64_t start = systrap_rdtsc(), budget = SPIN_US * g_systrap.tsc_per_us;
		do {
			if (__atomic_load_n(&m->state, __ATOMIC_SEQ_CST) == SYSTRAP_EVENT)
				return 0;
			if (c->mode == HANDOFF_SPIN)
				__builtin_ia32_pause();
			else
				sched_yield();
		} while (systrap_rdtsc() - start < budget);
	}
	for (;;) {
		if (__atomic_load_n(&m->state, __ATOMIC_SEQ_CST) == SYSTRAP_EVENT)
			return 0;
		__atomic_store_n(&m->sentry_sleeping, 1, __ATOMIC_SEQ_CST);
		uint32_t st = __atomic_load_n(&m->state, __ATOMIC_SEQ_CST);
		if (st != SYSTRAP_EVENT) {
			struct timespec ts = { 0, LIVENESS_NS };
			long r = syscall(SYS_futex, &m->state, FUTEX_WAIT, st, &ts, NULL, 0);
			if (r < 0 && errno == ETIMEDOUT && stub_dead(c)) {
				__atomic_store_n(&m->sentry_sleeping, 0, __ATOMIC_SEQ_CST);
				return -ESRCH;
			}
		}
		__atomic_store_n(&m->sentry_sleeping, 0, __ATOMIC_SEQ_CST);
	}
}

/*
 * The hand-off's mode, chosen per context from what it measures
 * (docs/performance.md, systrap). On this kind of machine a trap and its
 * rt_sigreturn cost about 2.8 us, a futex wake-up and wait on one CPU
 * some 5 more, one across CPUs far more, a sched_yield to the other side
 * on the same CPU about 2.5, and a store seen by a spinning CPU well under
 * one. So:
 *   - an application that runs long between traps (over FAST_US on
 *     average) gets SLEEP: its sentry thread sleeps at once, and nothing
 *     spins while it computes or waits;
 *   - one that traps fast gets SPIN, its stub and sentry thread on two
 *     CPUs, each spinning up to SPIN_US for the other, if the CPUs have
 *     room for it: with as many other applications of the sandbox
 *     running (not blocked in a call) as would leave fewer than two CPUs
 *     free, it gets YIELD for BUSY_SWITCHES switches instead (make -j2:
 *     two compilers and their sentry threads on two CPUs); unless the
 *     hand-off then costs more than CONTENDED_NS on average, judged after
 *     SETTLE_SWITCHES (the first ones after a move are slow: cold caches),
 *     which means the other CPU is busy (spinning would only steal from
 *     whoever runs there), when it gets
 *     YIELD on one CPU for RETRY_SWITCHES switches before SPIN is tried
 *     again (twice as many each time it is still contended: backoff());
 *   - YIELD whose hand-off costs more than YIELD_CONTENDED_NS on average
 *     shares its CPU with another runnable task (a yield gives that task
 *     a whole time slice: milliseconds): SLEEP for RETRY_SWITCHES, since
 *     a futex wake-up preempts such a task at once;
 *   - the stub spins (or yields) for the sentry only while the sentry
 *     answers fast (under FAST_US on average): a sentry that blocks (a
 *     read of an empty pipe) leaves its stub asleep.
 * Every spin and yield ends in the futex within SPIN_US: an idle sandbox
 * uses no CPU.
 */
/*
 * The switches before spinning is tried again: RETRY_SWITCHES, doubled
 * each time the try finds the CPUs still contended (up to 256 times), so
 * that a machine busy for long pays for few tries.
 */
static unsigned backoff(struct systrap_ctx *c)
{
	if (c->retry_backoff == 0)
		c->retry_backoff = 1;
	unsigned n = RETRY_SWITCHES * c->retry_backoff;
	if (c->retry_backoff < 256)
		c->retry_backoff *= 2;
	return n;
}

void systrap_place(struct systrap_ctx *c)
{
	/* Hysteresis: an application that runs about FAST_US between traps would flip-flop. */
	uint64_t fast = (c->mode == HANDOFF_SLEEP ? FAST_US : 2 * FAST_US) * g_systrap.tsc_per_us;
	enum handoff want = HANDOFF_SPIN;
	if (c->app_cycles >= fast) {
		want = HANDOFF_SLEEP;
	} else if (c->mode == HANDOFF_YIELD &&
	           c->handoff_cycles > YIELD_CONTENDED_NS * g_systrap.tsc_per_us / 1000) {
		/*
		 * Yielding lost the CPU to another runnable task for its whole
		 * slice (a busy loop elsewhere on the machine): the futex's
		 * wake-up preempts it, a yield does not.
		 */
		want = HANDOFF_SLEEP;
		c->retry = backoff(c);
		c->retry_mode = HANDOFF_SLEEP;
		c->handoff_cycles = 0;
	} else if (c->retry > 0) {
		c->retry--;
		want = c->retry_mode;
	} else if (CPU_COUNT(&g_systrap.cpus) < 2) {
		want = HANDOFF_YIELD;
	} else if ((atomic_load(&g_systrap.apps_running) + 1) * 2 > CPU_COUNT(&g_systrap.cpus)) {
		/*
		 * The sandbox's other applications keep the CPUs busy: a pair
		 * spinning on two of them would only take time from those.
		 */
		want = HANDOFF_YIELD;
		c->retry = BUSY_SWITCHES;
		c->retry_mode = HANDOFF_YIELD;
	} else if (c->mode == HANDOFF_SPIN && c->settle > 0 && --c->settle == 0) {
		c->handoff_cycles = 0; /* judged from here on, not from the move's cold caches */
	} else if (c->mode == HANDOFF_SPIN && c->settle == 0 &&
	           c->handoff_cycles > CONTENDED_NS * g_systrap.tsc_per_us / 1000) {
		want = HANDOFF_YIELD;
		c->retry = backoff(c);
		c->retry_mode = HANDOFF_YIELD;
		c->handoff_cycles = 0;
	} else if (c->mode == HANDOFF_SPIN && c->settle == 0 && c->retry_backoff > 1) {
		c->retry_backoff = 1; /* spinning pays again: the next contention retries soon */
	}
	if (want != c->mode && want != HANDOFF_SPIN) {
		c->handoff_cycles = 0; /* each mode is judged on its own */
	} else if (want == HANDOFF_SLEEP && c->mode == HANDOFF_SLEEP &&
	           c->handoff_cycles > YIELD_CONTENDED_NS * g_systrap.tsc_per_us / 1000) {
		/* Sleeping hand-offs this slow: the pair's CPU is busy. Another may not be. */
		stub_util_rebalance(&c->pin, &g_systrap.cpus);
		c->handoff_cycles = 0;
	}
	if (want != HANDOFF_SPIN) {
		/*
		 * Leaving SPIN, both go to the sentry thread's CPU: the stub's was
		 * the busy one (a round-robin placement could pick it again).
		 */
		if (c->mode == HANDOFF_SPIN) {
			stub_util_unpin(&c->pin);
			c->pin.placed = true;
		}
		c->mode = want;
		stub_util_bind_cpu(&c->pin, c->tid, &g_systrap.cpus);
		return;
	}
	int here = sched_getcpu();
	if (c->mode == HANDOFF_SPIN && here == c->pin.cpu && ++c->pin.switches < RETRY_SWITCHES)
		return;
	/* The sentry thread stays where it is; the stub goes to another allowed CPU. */
	int other = -1;
	for (int cpu = 0; cpu < CPU_SETSIZE && other < 0; cpu++) {
		if (CPU_ISSET(cpu, &g_systrap.cpus) && cpu != here)
			other = cpu;
	}
	cpu_set_t theirs, mine;
	CPU_ZERO(&theirs);
	CPU_ZERO(&mine);
	CPU_SET(other, &theirs);
	CPU_SET(here, &mine);
	if (other >= 0 && here >= 0 && sched_setaffinity(c->tid, sizeof(theirs), &theirs) == 0 &&
	    sched_setaffinity(0, sizeof(mine), &mine) == 0) {
		if (c->mode != HANDOFF_SPIN)
			c->settle = SETTLE_SWITCHES;
		c->mode = HANDOFF_SPIN;
		stub_util_unpin(&c->pin); /* two CPUs: not a pinned pair's */
		c->pin.cpu = here;
		c->pin.switches = 0;
	} else {
		c->mode = HANDOFF_YIELD;
	}
}

void systrap_average(uint64_t *avg, uint64_t sample)
{
	*avg = *avg - (*avg >> AVG_SHIFT) + (sample >> AVG_SHIFT);
}

/* Runs a host call in c's stub, which must be stopped (EVENT), after the queued ops. */
long systrap_stub_call(struct systrap_ctx *c, long nr, const uint64_t args[6])
{
	struct systrap_msg *m = msg_of(c->as, c->slot);
	systrap_copyin_drop(c);
	m->nr = (uint64_t)nr;
	memcpy(m->args, args, sizeof(m->args));
	systrap_post(m, SYSTRAP_CALL);
	if (systrap_wait_event(c) < 0)
		return -ESRCH;
	systrap_ops_ran(c);
	return (long)m->ret;
}

/* ---- Queued memory operations (stub.h) ---- */

/*
 * Queues a memory operation in c's slot: the stub runs it before it
 * resumes the application or runs its next call, so that an mmap costs
 * the application's trap and nothing more. Only in an address space of
 * one context: there no other thread can see the sentry's tree ahead of
 * the host (a fork by another thread would copy a host address space the
 * tree does not describe), and the sentry's own accesses to the memory
 * run the queue first (systrap_as_read and _write). Returns false when
 * the op must run now (systrap_stub_call, which runs the queue first).
 */
bool systrap_queue_op(struct systrap_ctx *c, long nr, const uint64_t args[6])
{
	struct systrap_as *as = c->as;
	if (c->nops >= SYSTRAP_MAX_OPS || c->doomed)
		return false;
	pthread_mutex_lock(&as->mu);
	bool alone = as->ctxs == c && !c->next;
	pthread_mutex_unlock(&as->mu);
	if (!alone)
		return false;
	systrap_copyin_drop(c);
	struct systrap_msg *m = msg_of(as, c->slot);
	m->ops[c->nops].nr = (uint64_t)nr;
	memcpy(m->ops[c->nops].args, args, sizeof(m->ops[0].args));
	if (c->nops++ == 0)
		atomic_fetch_add(&as->queued, 1);
	m->nops = c->nops;
	m->op_failed = 0;
	return true;
}

void systrap_queue_or_call(struct systrap_ctx *c, long nr, const uint64_t args[6])
{
	if (!systrap_queue_op(c, nr, args))
		systrap_stub_call(c, nr, args);
}

/*
 * After the stub ran its queue (any hand-off back from it): a failed op
 * means the sentry's tree and the host disagree, and the application
 * already saw its call succeed; the process dies at the next switch.
 */
void systrap_ops_ran(struct systrap_ctx *c)
{
	if (c->nops == 0)
		return;
	struct systrap_msg *m = msg_of(c->as, c->slot);
	c->nops = 0;
	c->out_used = 0;
	atomic_fetch_sub(&c->as->queued, 1);
	/* The fds the queued lendings got (-1 for one that did not run: the sentry's). */
	for (int i = 0; i < STUB_LENT_FDS; i++) {
		if (c->lent.e[i].stub_fd == STUB_LENT_QUEUED)
			stub_lent_resolve(&c->lent, i,
			                  __atomic_load_n(&m->lent[i], __ATOMIC_RELAXED));
	}
	uint32_t failed = __atomic_load_n(&m->op_failed, __ATOMIC_RELAXED);
	if (failed && !c->doomed) {
		log_warn("systrap: the host refused a queued memory operation of stub %d "
		         "(op %u: %ld); the process is killed",
		         c->tid, failed, (long)m->op_err);
		c->doomed = true;
	}
}

/* ---- Lending fds through the listener ---- */

/*
 * Answers the pending `dup` of stub pid with host_fd. Other
 * notifications (an application that jumped to the stub's `dup`) get
 * EPERM. Returns 0, or -errno when pid died first.
 * Preconditions: g_systrap.listener_mu held.
 */
int systrap_answer_dup(pid_t pid, int host_fd, bool *reaped)
{
	/*
	 * pid may come from the stub (a clone's result): a process that is not
	 * the sentry's child, or that never asks, must not hold the listener
	 * (every lending of the sandbox waits on it) for ever.
	 */
	for (int waited = 0;; waited += 100) {
		struct pollfd p = { .fd = g_systrap.listener, .events = POLLIN };
		int n = poll(&p, 1, 100);
		if (n == 0) {
			/* Dead (reaped here, and *reaped says so), or not the sentry's child. */
			int status;
			pid_t r = waitpid(pid, &status, WNOHANG | __WALL);
			if (r == pid && reaped)
				*reaped = true;
			if (r != 0)
				return -ESRCH;
			if (waited >= ANSWER_TIMEOUT_MS)
				return -ETIMEDOUT;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		struct seccomp_notif req;
		memset(&req, 0, sizeof(req));
		if (ioctl(g_systrap.listener, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0) {
			if (errno == EINTR || errno == ENOENT)
				continue;
			return -errno;
		}
		struct seccomp_notif_resp resp = { .id = req.id, .error = -EPERM };
		if ((pid_t)req.pid != pid || req.data.nr != SYS_dup) {
			log_warn("systrap: unexpected notification from stub %d (syscall %d)",
			         (int)req.pid, req.data.nr);
			ioctl(g_systrap.listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
			continue;
		}
		struct seccomp_notif_addfd addfd = {
			.id = req.id,
			.flags = SECCOMP_ADDFD_FLAG_SEND,
			.srcfd = (uint32_t)host_fd,
			.newfd_flags = O_CLOEXEC,
		};
		if (ioctl(g_systrap.listener, SECCOMP_IOCTL_NOTIF_ADDFD, &addfd) < 0) {
			resp.error = -errno;
			ioctl(g_systrap.listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
		}
		return 0;
	}
}

/*
 * Lends host_fd to c's stub through the listener: the stub's `dup`,
 * answered with SECCOMP_IOCTL_NOTIF_ADDFD. Four thread switches and the
 * listener's lock, shared by the whole sandbox: only for the stub's end of
 * its lend socket, once per stub. Returns the fd there, or -errno.
 */
static long lend_by_listener(struct systrap_ctx *c, int host_fd)
{
	struct systrap_msg *m = msg_of(c->as, c->slot);
	pthread_mutex_lock(&g_systrap.listener_mu);
	m->nr = SYS_dup;
	memset(m->args, 0, sizeof(m->args));
	systrap_post(m, SYSTRAP_CALL);
	long ret = systrap_answer_dup(c->tid, host_fd, &c->reaped);
	if (systrap_wait_event(c) < 0)
		ret = -ESRCH;
	else if (ret == 0)
		ret = (long)m->ret;
	pthread_mutex_unlock(&g_systrap.listener_mu);
	return ret;
}

/*
 * The stub's end of its address space's lend socket, made on the first
 * lend and lent through the listener once per stub process (threads
 * inherit it; a fork's child drops its parent's). Pool stubs get it before
 * an exec takes them (factory.c). Returns 0 or -errno.
 * Preconditions: as->lend_mu held.
 */
static int lend_socket_locked(struct systrap_ctx *c)
{
	struct systrap_as *as = c->as;
	if (c->stub_sock >= 0)
		return 0;
	if (as->lend_sock[0] < 0 &&
	    socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, as->lend_sock) != 0) {
		as->lend_sock[0] = as->lend_sock[1] = -1;
		return -errno;
	}
	long fd = lend_by_listener(c, as->lend_sock[1]);
	if (fd < 0)
		return (int)fd;
	c->stub_sock = (int)fd;
	return 0;
}

int systrap_lend_socket(struct systrap_ctx *c)
{
	pthread_mutex_lock(&c->as->lend_mu);
	int err = lend_socket_locked(c);
	pthread_mutex_unlock(&c->as->lend_mu);
	return err;
}

/* stub.h's layout of a lending's recvmsg is libc's. */
_Static_assert(offsetof(struct systrap_lend_layout, iov) == offsetof(struct msghdr, msg_iov) &&
                       offsetof(struct systrap_lend_layout, iovlen) ==
                               offsetof(struct msghdr, msg_iovlen) &&
                       offsetof(struct systrap_lend_layout, control) ==
                               offsetof(struct msghdr, msg_control) &&
                       offsetof(struct systrap_lend_layout, controllen) ==
                               offsetof(struct msghdr, msg_controllen) &&
                       offsetof(struct systrap_lend_layout, flags) ==
                               offsetof(struct msghdr, msg_flags) &&
                       offsetof(struct systrap_lend_layout, iov_base) == sizeof(struct msghdr) &&
                       offsetof(struct systrap_lend_layout, fd) -
                                       offsetof(struct systrap_lend_layout, cmsg_len) ==
                               CMSG_LEN(0) &&
                       sizeof(struct systrap_lend_layout) -
                                       offsetof(struct systrap_lend_layout, cmsg_len) ==
                               CMSG_SPACE(sizeof(int)) &&
                       sizeof(struct systrap_lend_layout) <=
                               sizeof(((struct systrap_msg *)0)->lend_buf),
               "struct systrap_lend_layout");

/* Lays out the stub's recvmsg of one lent fd in c's lend_buf (stub addresses). */
static struct systrap_lend_layout *lend_layout(struct systrap_ctx *c)
{
	struct systrap_lend_layout *l =
	        (struct systrap_lend_layout *)msg_of(c->as, c->slot)->lend_buf;
	uaddr_t base = slot_stub_addr(c->slot) + offsetof(struct systrap_msg, lend_buf);
	memset(l, 0, sizeof(*l));
	l->iov_base = base + offsetof(struct systrap_lend_layout, seq);
	l->iov_len = sizeof(l->seq);
	l->iov = base + offsetof(struct systrap_lend_layout, iov_base);
	l->iovlen = 1;
	l->control = base + offsetof(struct systrap_lend_layout, cmsg_len);
	l->controllen = CMSG_SPACE(sizeof(int));
	return l;
}

/*
 * Lends host_fd to c's stub: the sentry sends it on the lend socket with
 * a sequence number, and the stub receives it. With queue, and room in
 * the queue, the stub does so as it resumes (SYSTRAP_OP_LEND, into its
 * register reg, for a queued mapping: STUB_LENT_QUEUED); else now, in one
 * CALL (two thread switches). A datagram that is not the one sent (left
 * by a receive that failed: the application can call the stub's recvmsg
 * itself) is closed and the next one read. Returns the fd in the stub,
 * STUB_LENT_QUEUED, or -errno.
 */
long systrap_lend_fd(struct systrap_ctx *c, int host_fd, int reg, bool queue)
{
	struct systrap_as *as = c->as;
	pthread_mutex_lock(&as->lend_mu);
	long ret = lend_socket_locked(c);
	if (ret < 0)
		goto out;
	uint64_t seq = ++as->lend_seq;
	union {
		struct cmsghdr align;
		uint8_t buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	memset(&ctl, 0, sizeof(ctl));
	struct iovec iov = { &seq, sizeof(seq) };
	struct msghdr mh = { .msg_iov = &iov,
		             .msg_iovlen = 1,
		             .msg_control = ctl.buf,
		             .msg_controllen = sizeof(ctl.buf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &host_fd, sizeof(int));
	if (sendmsg(as->lend_sock[0], &mh, MSG_DONTWAIT | MSG_NOSIGNAL) != sizeof(seq)) {
		ret = -errno;
		goto out;
	}
	uaddr_t hdr = slot_stub_addr(c->slot) + offsetof(struct systrap_msg, lend_buf);
	if (queue) {
		lend_layout(c);
		msg_of(as, c->slot)->lent[reg % SYSTRAP_LENT_REGS] =
		        -1; /* until the stub's is there */
		const uint64_t args[6] = { (uint64_t)c->stub_sock, seq, (uint64_t)reg };
		if (systrap_queue_op(c, SYSTRAP_OP_LEND, args)) {
			ret = STUB_LENT_QUEUED;
			goto out;
		}
	}
	ret = -EAGAIN;
	for (int tries = 0; tries < 4; tries++) {
		struct systrap_lend_layout *l = lend_layout(c);
		const uint64_t args[6] = { (uint64_t)c->stub_sock, hdr,
			                   MSG_DONTWAIT | MSG_CMSG_CLOEXEC };
		long n = systrap_stub_call(c, SYS_recvmsg, args);
		if (n < 0) {
			ret = n;
			break;
		}
		/* Written by the stub's kernel, but readable and writable by the application. */
		struct systrap_lend_layout got;
		memcpy(&got, l, sizeof(got));
		int fd = -1;
		if (got.cmsg_level == SOL_SOCKET && got.cmsg_type == SCM_RIGHTS &&
		    got.cmsg_len == CMSG_LEN(sizeof(int)))
			fd = got.fd;
		if (n == sizeof(seq) && got.seq == seq && fd >= 0) {
			ret = fd;
			break;
		}
		if (fd >= 0) {
			const uint64_t cargs[6] = { (uint64_t)fd };
			systrap_stub_call(c, SYS_close, cargs);
		}
	}
out:
	pthread_mutex_unlock(&as->lend_mu);
	return ret;
}
