/*
 * The systrap stub: the only sentry code that runs in a stub process.
 *
 * Freestanding: no libc, no data of its own, nothing but position-
 * independent code in the section systrap_stub, which the sentry copies to
 * a page of every stub (systrap.c). It is built with flags that keep the
 * compiler from calling anything outside it (see meson.build).
 *
 * Three entry points:
 *   - systrap_stub_factory: the first stub process, made by the sentry
 *     before it confines itself. It drops the sentry's memory, installs
 *     the stub filter (which every stub inherits), and then makes a new
 *     stub for each byte the sentry writes to its socket.
 *   - systrap_stub_handler: the handler of every trap (SIGSYS from the
 *     filter, faults, the sentry's interrupt signal), on the thread's
 *     alternate stack in its slot of the shared region. It posts the
 *     event and runs the sentry's host calls until the sentry resumes it;
 *     returning from it is the rt_sigreturn that runs the application on.
 *   - systrap_stub_restorer: the handlers' sa_restorer.
 * New stub threads and processes start in stub_clone's child path.
 */
#include <stddef.h>
#include <stdint.h>

#include "platform/systrap/stub.h"

#define STUB  __attribute__((section("systrap_stub"), used))
#define NAKED __attribute__((section("systrap_stub"), naked, used))

_Static_assert(offsetof(struct systrap_msg, region_base) == SYSTRAP_MSG_REGION_BASE_OFF,
               "stub.c's assembly");
_Static_assert(SYSTRAP_REGION_SIZE == 0x2000000, "SYSTRAP_REGION_SIZE_HEX");
_Static_assert(sizeof(struct systrap_msg) <= SYSTRAP_MSG_SIZE, "the message's page");

/* Host syscall numbers and constants (x86-64), without libc's headers. */
#define NR_read         0
#define NR_close        3
#define NR_mmap         9
#define NR_munmap       11
#define NR_rt_sigreturn 15
#define NR_dup          32
#define NR_clone        56
#define NR_exit_group   231
#define NR_sched_yield  24
#define NR_futex        202
#define NR_sigaltstack  131
#define NR_prctl        157
#define NR_arch_prctl   158
#define NR_seccomp      317

#define STR(x)  #x
#define XSTR(x) STR(x)

#define FUTEX_WAIT 0
#define FUTEX_WAKE 1

static inline STUB long sc6(long nr, long a, long b, long c, long d, long e, long f)
{
	long ret;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	__asm__ volatile("syscall"
	                 : "=a"(ret)
	                 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
	                 : "rcx", "r11", "memory");
	return ret;
}

static inline STUB long sc3(long nr, long a, long b, long c)
{
	return sc6(nr, a, b, c, 0, 0, 0);
}

static inline STUB uint32_t load(uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

static inline STUB void store(uint32_t *p, uint32_t v)
{
	__atomic_store_n(p, v, __ATOMIC_SEQ_CST);
}

/* Posts state to the sentry and wakes it if it sleeps. */
static STUB void post(struct systrap_msg *m, uint32_t state)
{
	store(&m->state, state);
	if (load(&m->sentry_sleeping))
		sc6(NR_futex, (long)&m->state, FUTEX_WAKE, 1, 0, 0, 0);
}

/* Waits until the sentry changes state from EVENT; returns the new state. */
static STUB uint32_t wait_sentry(struct systrap_msg *m)
{
	uint64_t budget = m->stub_spin_cycles, start = __builtin_ia32_rdtsc();
	uint32_t st;
	do {
		st = load(&m->state);
		if (st != SYSTRAP_EVENT)
			return st;
		if (m->stub_spin_yield)
			sc3(NR_sched_yield, 0, 0, 0);
		else
			__builtin_ia32_pause();
	} while (__builtin_ia32_rdtsc() - start < budget);
	store(&m->stub_sleeping, 1);
	while ((st = load(&m->state)) == SYSTRAP_EVENT)
		sc6(NR_futex, (long)&m->state, FUTEX_WAIT, SYSTRAP_EVENT, 0, 0, 0);
	store(&m->stub_sleeping, 0);
	return st;
}

/*
 * Runs the queued memory operations in order. Returns 1, or 0 at the
 * first that fails, with op_failed and op_err set. The count is read once
 * and bounded: the application can write its slot.
 */
static STUB int run_ops(struct systrap_msg *m)
{
	uint32_t n = m->nops;
	if (n > SYSTRAP_MAX_OPS)
		n = SYSTRAP_MAX_OPS;
	for (uint32_t i = 0; i < n; i++) {
		struct systrap_op *op = &m->ops[i];
		long ret =
		        sc6((long)op->nr, (long)op->args[0], (long)op->args[1], (long)op->args[2],
		            (long)op->args[3], (long)op->args[4], (long)op->args[5]);
		if (op->nr == NR_mmap ? ret != (long)op->args[0] : ret != 0) {
			m->op_err = ret;
			m->op_failed = i + 1;
			m->nops = 0;
			return 0;
		}
	}
	m->nops = 0;
	return 1;
}

long systrap_stub_clone(long flags, long stack, struct systrap_msg *child, long mode);
uint64_t systrap_stub_child(struct systrap_msg *m);
void systrap_stub_first(uint64_t base);

/*
 * Posts an event and serves the sentry until it says RESUME: the host
 * calls it asks for, and the base registers it sets.
 */
static STUB void serve(struct systrap_msg *m)
{
	post(m, SYSTRAP_EVENT);
	for (;;) {
		uint32_t st = wait_sentry(m);
		if (st == SYSTRAP_CALL) {
			long nr = (long)m->nr, ret;
			/* A lent fd (dup) needs no memory: the queue waits for the mmap that uses
			 * it. */
			if (nr != NR_dup && !run_ops(m))
				ret = m->op_err;
			else if (nr == SYSTRAP_CALL_FLUSH)
				ret = 0;
			else if (nr == SYSTRAP_CALL_CLONE_FORK)
				ret = systrap_stub_clone((long)m->args[0], 0, m,
				                         SYSTRAP_CLONE_FORK);
			else if (nr == SYSTRAP_CALL_CLONE_THREAD)
				ret = systrap_stub_clone((long)m->args[0], (long)m->args[1],
				                         (struct systrap_msg *)m->args[2],
				                         SYSTRAP_CLONE_THREAD);
			else
				ret = sc6(nr, (long)m->args[0], (long)m->args[1], (long)m->args[2],
				          (long)m->args[3], (long)m->args[4], (long)m->args[5]);
			m->ret = ret;
			post(m, SYSTRAP_EVENT);
			continue;
		}
		if (st != SYSTRAP_RESUME)
			continue; /* APP or garbage: the application wrote its own slot */
		if (!run_ops(m)) {
			m->signo = SYSTRAP_SIGNO_OPFAILED;
			post(m, SYSTRAP_EVENT);
			continue;
		}
		if (m->set_fs) {
			sc3(NR_arch_prctl, 0x1002 /* ARCH_SET_FS */, (long)m->fs_base, 0);
			m->set_fs = 0;
		}
		if (m->set_gs) {
			sc3(NR_arch_prctl, 0x1001 /* ARCH_SET_GS */, (long)m->gs_base, 0);
			m->set_gs = 0;
		}
		store(&m->state, SYSTRAP_APP);
		m->resume_tsc = __builtin_ia32_rdtsc();
		return;
	}
}

static inline STUB struct systrap_msg *msg_of_sp(void)
{
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
	return (struct systrap_msg *)(sp & ~((uintptr_t)SYSTRAP_SLOT_SIZE - 1));
}

STUB void systrap_stub_handler(int sig, void *info, void *uc)
{
	struct systrap_msg *m = msg_of_sp();
	m->trap_tsc = __builtin_ia32_rdtsc();
	m->signo = sig;
	m->info = (uint64_t)info;
	m->uc = (uint64_t)uc;
	serve(m);
}

NAKED void systrap_stub_restorer(void)
{
	__asm__ volatile("mov $15, %eax\n\t" /* rt_sigreturn */
	                 "syscall\n\t"
	                 "ud2\n\t");
}

/*
 * A clone's child, on its own stack in its own slot: takes its alternate
 * stack, says it is ready, and once the sentry resumes it, returns
 * through the frame msg.uc (a copy of its parent's, with the registers
 * the sentry set) by rt_sigreturn. Returns the frame's address.
 */
STUB uint64_t systrap_stub_child(struct systrap_msg *m)
{
	if (m->altstack_size) {
		uint64_t ss[3] = { m->altstack_sp, 0, m->altstack_size };
		sc3(NR_sigaltstack, (long)ss, 0, 0);
	}
	sc6(NR_prctl, 1 /* PR_SET_PDEATHSIG */, 9 /* SIGKILL */, 0, 0, 0, 0);
	m->signo = SYSTRAP_SIGNO_READY;
	serve(m);
	return m->uc;
}

/*
 * A new stub, made by the factory, with its region mapped: takes slot 0's
 * alternate stack, drops the factory's fds (its socket 0, the listener 1),
 * and traps (int3): the handler posts a SIGTRAP from a real frame, which
 * the sentry then fills with the application's registers.
 */
STUB void systrap_stub_first(uint64_t base)
{
	uint64_t ss[3] = { base + SYSTRAP_MSG_SIZE, 0, SYSTRAP_SLOT_SIZE - SYSTRAP_MSG_SIZE };
	if (sc3(NR_sigaltstack, (long)ss, 0, 0) != 0)
		sc3(NR_exit_group, 127, 0, 0);
	sc3(NR_close, 0, 0, 0);
	sc3(NR_close, 1, 0, 0);
	sc6(NR_prctl, 1 /* PR_SET_PDEATHSIG */, 9 /* SIGKILL */, 0, 0, 0, 0);
	__asm__ volatile("int3");
	sc3(NR_exit_group, 127, 0, 0); /* the first resume returns to the application */
}

/*
 * The factory, on its own stack in the stub pages: drops the sentry's
 * memory, installs the filter (with its listener, fd 1), then makes a
 * stub for each byte on its socket (fd 0) until the sentry closes it.
 */
STUB void systrap_stub_factory(struct systrap_factory_data *d)
{
	for (uint64_t i = 0; i < d->nranges && i < SYSTRAP_MAX_RANGES; i++) {
		if (sc3(NR_munmap, (long)d->ranges[i].start, (long)d->ranges[i].len, 0) != 0)
			sc3(NR_exit_group, 127, 0, 0);
	}
	/* seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &fprog) */
	if (sc3(NR_seccomp, 1, 8, (long)&d->fprog) != 1)
		sc3(NR_exit_group, 127, 0, 0);
	/* Ready: the listener is fd 1. */
	uint32_t *ready = (uint32_t *)d->ready_page;
	store(ready, 1);
	sc6(NR_futex, (long)ready, FUTEX_WAKE, 1, 0, 0, 0);
	sc3(NR_munmap, (long)ready, 4096, 0);
	for (;;) {
		char c;
		if (sc3(NR_read, 0, (long)&c, 1) != 1)
			sc3(NR_exit_group, 0, 0, 0);
		systrap_stub_clone(0x8000 /* CLONE_PARENT */, 0, &d->msg, SYSTRAP_CLONE_NEW);
	}
}

/*
 * systrap_stub_clone(flags, stack, msg, mode): clone(2); the parent gets
 * the child's pid. The child, using no stack until it has its own:
 *   FORK, NEW: asks for its own region (`dup`, which the filter turns into
 *     a notification that the sentry answers with the region's memfd) and
 *     maps it at msg->region_base, over the parent's (for a fork the
 *     sentry filled it with a copy of the parent's slot, so the stack and
 *     frame are where they were), then closes the fd;
 *   THREAD: starts on the stack the sentry chose in its new slot.
 * NEW goes on in systrap_stub_first; the others run systrap_stub_child
 * and rt_sigreturn through the frame it returns.
 */
NAKED long systrap_stub_clone(long flags, long stack, struct systrap_msg *msg, long mode)
{
	__asm__ volatile(
	        "push %r12\n\t"
	        "push %r13\n\t"
	        "push %r14\n\t"
	        "mov %rdx, %r12\n\t" /* msg */
	        "mov %rcx, %r13\n\t" /* mode */
	        "mov $56, %eax\n\t"  /* clone(flags, stack, 0, 0, 0) */
	        "xor %edx, %edx\n\t"
	        "xor %r10d, %r10d\n\t"
	        "xor %r8d, %r8d\n\t"
	        "syscall\n\t"
	        "test %rax, %rax\n\t"
	        "jz 1f\n\t"
	        "pop %r14\n\t"
	        "pop %r13\n\t"
	        "pop %r12\n\t"
	        "ret\n"
	        "1:\n\t"
	        "test %r13, %r13\n\t"
	        "jz 3f\n\t"
	        "mov $32, %eax\n\t" /* dup(0): answered with the region's memfd */
	        "xor %edi, %edi\n\t"
	        "syscall\n\t"
	        "test %rax, %rax\n\t"
	        "js 9f\n\t"
	        "mov %rax, %r14\n\t"
	        "mov $9, %eax\n\t" /* mmap(base, size, RW, MAP_SHARED|MAP_FIXED, fd, 0) */
	        "mov " XSTR(
	                SYSTRAP_MSG_REGION_BASE_OFF) "(%r12), %rdi\n\t"
	                                             "mov $" SYSTRAP_REGION_SIZE_HEX ", %esi\n\t"
	                                             "mov $3, %edx\n\t"
	                                             "mov $0x11, %r10d\n\t"
	                                             "mov %r14, %r8\n\t"
	                                             "xor %r9d, %r9d\n\t"
	                                             "syscall\n\t"
	                                             "cmp %rdi, %rax\n\t"
	                                             "jne 9f\n\t"
	                                             "mov $3, %eax\n\t" /* close(fd) */
	                                             "mov %r14, %rdi\n\t"
	                                             "syscall\n\t"
	                                             "cmp $2, %r13\n\t"
	                                             "jne 3f\n\t"
	                                             "and $-16, %rsp\n\t"
	                                             "mov " XSTR(
	                                                     SYSTRAP_MSG_REGION_BASE_OFF) "(%r12), "
	                                                                                  "%rdi\n\t"
	                                                                                  "call "
	                                                                                  "systrap_"
	                                                                                  "stub_"
	                                                                                  "first\n"
	                                                                                  "\t"
	                                                                                  "jmp 9f\n"
	                                                                                  "3:\n\t"
	                                                                                  "and "
	                                                                                  "$-16, "
	                                                                                  "%rsp\n\t"
	                                                                                  "mov "
	                                                                                  "%r12, "
	                                                                                  "%rdi\n\t"
	                                                                                  "call "
	                                                                                  "systrap_"
	                                                                                  "stub_"
	                                                                                  "child\n"
	                                                                                  "\t"
	                                                                                  "mov "
	                                                                                  "%rax, "
	                                                                                  "%rsp\n\t"
	                                                                                  "mov "
	                                                                                  "$15, "
	                                                                                  "%eax\n\t" /* rt_sigreturn through the frame at rsp */
	                                                                                  "syscall"
	                                                                                  "\n"
	                                                                                  "9:\n\t"
	                                                                                  "mov "
	                                                                                  "$231, "
	                                                                                  "%eax\n\t" /* exit_group(127) */
	                                                                                  "mov "
	                                                                                  "$127, "
	                                                                                  "%edi\n\t"
	                                                                                  "syscall"
	                                                                                  "\n\t"
	                                                                                  "ud2\n"
	                                                                                  "\t");
}
