/*
 * plat_patch: system calls from sites that a platform may rewrite (systrap's syscall
 * patching turns a `mov $nr, %eax; syscall` that trapped a few times into a jump to its
 * trampoline; the suite runs this test with and without it) behave as Linux's:
 *  - every register but rax, rcx and r11 survives the call, the vector registers, DF and CF
 *    included, over many calls from one site (trapped first, then patched);
 *  - the same holds on a thread that another thread showers with signals whose handler
 *    clobbers the vector registers, so that signals arrive in every part of the call's path;
 *  - a blocking read at such a site, interrupted by a SA_RESTART signal, restarts and returns
 *    the data written later;
 *  - a jump straight to a site's `syscall` instruction with another number in eax makes that
 *    call, before and after the site's own calls;
 *  - a forked child's calls from the same sites are its own (getpid);
 *  - with a gs base of the program's own, the calls still work, and ARCH_GET_GS reads it back.
 */
#include <asm/prctl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/time.h>
#include <sys/wait.h>

#include "test.h"

#define NGPR 12 /* rbx rbp rdx rsi rdi r8 r9 r10 r12 r13 r14 r15 */

struct regs_out {
	uint64_t gpr[NGPR];
	uint64_t flags;
	uint64_t ret;
	uint8_t xmm[16][16];
};

/*
 * regs_getppid(out, xmm_in): loads known values into the general registers and xmm0-15 (from
 * xmm_in), sets DF and CF, makes getppid with `mov $110, %eax; syscall`, and stores what the
 * registers hold afterwards in *out.
 */
void regs_getppid(struct regs_out *out, const uint8_t *xmm_in);
__asm__(".text\n"
        ".globl regs_getppid\n"
        "regs_getppid:\n\t"
        "push %rbx\n\tpush %rbp\n\tpush %r12\n\tpush %r13\n\tpush %r14\n\tpush %r15\n\t"
        "push %rdi\n\t"
        "movdqu 0(%rsi), %xmm0\n\tmovdqu 16(%rsi), %xmm1\n\tmovdqu 32(%rsi), %xmm2\n\t"
        "movdqu 48(%rsi), %xmm3\n\tmovdqu 64(%rsi), %xmm4\n\tmovdqu 80(%rsi), %xmm5\n\t"
        "movdqu 96(%rsi), %xmm6\n\tmovdqu 112(%rsi), %xmm7\n\tmovdqu 128(%rsi), %xmm8\n\t"
        "movdqu 144(%rsi), %xmm9\n\tmovdqu 160(%rsi), %xmm10\n\tmovdqu 176(%rsi), %xmm11\n\t"
        "movdqu 192(%rsi), %xmm12\n\tmovdqu 208(%rsi), %xmm13\n\tmovdqu 224(%rsi), %xmm14\n\t"
        "movdqu 240(%rsi), %xmm15\n\t"
        "movabs $0x0101010101010101, %rbx\n\t"
        "movabs $0x0202020202020202, %rbp\n\t"
        "movabs $0x0303030303030303, %rdx\n\t"
        "movabs $0x0404040404040404, %rsi\n\t"
        "movabs $0x0505050505050505, %rdi\n\t"
        "movabs $0x0606060606060606, %r8\n\t"
        "movabs $0x0707070707070707, %r9\n\t"
        "movabs $0x0808080808080808, %r10\n\t"
        "movabs $0x0909090909090909, %r12\n\t"
        "movabs $0x0a0a0a0a0a0a0a0a, %r13\n\t"
        "movabs $0x0b0b0b0b0b0b0b0b, %r14\n\t"
        "movabs $0x0c0c0c0c0c0c0c0c, %r15\n\t"
        "std\n\t"
        "stc\n\t"
        "mov $110, %eax\n\t"
        "syscall\n\t"
        "pushfq\n\t"
        "cld\n\t"
        "mov %rax, %rcx\n\t"
        "pop %r11\n\t"
        "mov (%rsp), %rax\n\t"
        "mov %rbx, 0(%rax)\n\tmov %rbp, 8(%rax)\n\tmov %rdx, 16(%rax)\n\t"
        "mov %rsi, 24(%rax)\n\tmov %rdi, 32(%rax)\n\tmov %r8, 40(%rax)\n\t"
        "mov %r9, 48(%rax)\n\tmov %r10, 56(%rax)\n\tmov %r12, 64(%rax)\n\t"
        "mov %r13, 72(%rax)\n\tmov %r14, 80(%rax)\n\tmov %r15, 88(%rax)\n\t"
        "mov %r11, 96(%rax)\n\tmov %rcx, 104(%rax)\n\t"
        "movdqu %xmm0, 112(%rax)\n\tmovdqu %xmm1, 128(%rax)\n\tmovdqu %xmm2, 144(%rax)\n\t"
        "movdqu %xmm3, 160(%rax)\n\tmovdqu %xmm4, 176(%rax)\n\tmovdqu %xmm5, 192(%rax)\n\t"
        "movdqu %xmm6, 208(%rax)\n\tmovdqu %xmm7, 224(%rax)\n\tmovdqu %xmm8, 240(%rax)\n\t"
        "movdqu %xmm9, 256(%rax)\n\tmovdqu %xmm10, 272(%rax)\n\tmovdqu %xmm11, 288(%rax)\n\t"
        "movdqu %xmm12, 304(%rax)\n\tmovdqu %xmm13, 320(%rax)\n\tmovdqu %xmm14, 336(%rax)\n\t"
        "movdqu %xmm15, 352(%rax)\n\t"
        "pop %rdi\n\t"
        "pop %r15\n\tpop %r14\n\tpop %r13\n\tpop %r12\n\tpop %rbp\n\tpop %rbx\n\t"
        "ret\n");

/*
 * jump_syscall(other): getpid by `mov $39, %eax; syscall`, or with other, getppid by a jump
 * straight to that `syscall` with 110 in eax.
 */
long jump_syscall(long other);
__asm__(".text\n"
        ".globl jump_syscall\n"
        "jump_syscall:\n\t"
        "test %rdi, %rdi\n\t"
        "jnz 1f\n\t"
        "mov $39, %eax\n"
        "2:\n\t"
        "syscall\n\t"
        "ret\n"
        "1:\n\t"
        "mov $110, %eax\n\t"
        "jmp 2b\n");

/* read(fd, buf, n) from a site of its own: `mov $0, %eax; syscall`. */
long site_read(long fd, void *buf, long n);
__asm__(".text\n"
        ".globl site_read\n"
        "site_read:\n\t"
        "mov $0, %eax\n\t"
        "syscall\n\t"
        "ret\n");

static void check_regs(int rounds)
{
	uint8_t xin[16][16];
	for (int i = 0; i < 16; i++)
		memset(xin[i], 0x40 + i, 16);
	long ppid = getppid();
	for (int r = 0; r < rounds; r++) {
		struct regs_out out;
		memset(&out, 0, sizeof(out));
		regs_getppid(&out, &xin[0][0]);
		CHECK_EQ(out.ret, ppid);
		for (int i = 0; i < NGPR; i++) {
			if (out.gpr[i] != 0x0101010101010101ULL * (uint64_t)(i + 1))
				test_fail(__FILE__, __LINE__, "round %d: register %d is %#llx", r,
				          i, (unsigned long long)out.gpr[i]);
		}
		CHECK(out.flags & 0x400); /* DF */
		CHECK(out.flags & 0x1);   /* CF */
		for (int i = 0; i < 16; i++) {
			if (memcmp(out.xmm[i], xin[i], 16) != 0)
				test_fail(__FILE__, __LINE__, "round %d: xmm%d changed", r, i);
		}
	}
}

static atomic_int g_signals;

static void clobber_handler(int sig)
{
	(void)sig;
	/* The handler's own vector registers: the interrupted code must not see them. */
	__asm__ volatile("pcmpeqb %%xmm0, %%xmm0\n\t"
	                 "pcmpeqb %%xmm7, %%xmm7\n\t"
	                 "pcmpeqb %%xmm15, %%xmm15" ::
	                         : "xmm0", "xmm7", "xmm15");
	atomic_fetch_add(&g_signals, 1);
}

static atomic_bool g_stop;

static void *checker(void *arg)
{
	(void)arg;
	check_regs(20000);
	atomic_store(&g_stop, true);
	return NULL;
}

/* A thread making calls while the main thread sends it signals. */
static void check_regs_under_signals(void)
{
	struct sigaction sa = { .sa_handler = clobber_handler, .sa_flags = SA_RESTART };
	CHECK_SYS(sigaction(SIGUSR1, &sa, NULL));
	pthread_t t;
	CHECK_EQ(pthread_create(&t, NULL, checker, NULL), 0);
	int sent = 0;
	while (!atomic_load(&g_stop)) {
		if (pthread_kill(t, SIGUSR1) == 0)
			sent++;
		for (volatile int i = 0; i < 2000; i++)
			;
	}
	CHECK_EQ(pthread_join(t, NULL), 0);
	CHECK(sent > 0);
}

static void alarm_handler(int sig)
{
	(void)sig;
	atomic_fetch_add(&g_signals, 1);
}

static int g_pipe[2];

static void *late_writer(void *arg)
{
	(void)arg;
	struct timespec d = { 0, 300 * 1000 * 1000 };
	nanosleep(&d, NULL);
	CHECK_EQ(write(g_pipe[1], "late", 4), 4);
	return NULL;
}

/* A read at a site that has made several calls, interrupted by a SA_RESTART SIGALRM. */
static void check_restart(void)
{
	CHECK_SYS(pipe(g_pipe));
	char buf[8];
	for (int i = 0; i < 8; i++) {
		CHECK_EQ(write(g_pipe[1], "x", 1), 1);
		CHECK_EQ(site_read(g_pipe[0], buf, sizeof(buf)), 1);
	}
	struct sigaction sa = { .sa_handler = alarm_handler, .sa_flags = SA_RESTART };
	CHECK_SYS(sigaction(SIGALRM, &sa, NULL));
	struct itimerval it = { { 0, 50 * 1000 }, { 0, 50 * 1000 } };
	atomic_store(&g_signals, 0);
	CHECK_SYS(setitimer(ITIMER_REAL, &it, NULL));
	pthread_t t;
	CHECK_EQ(pthread_create(&t, NULL, late_writer, NULL), 0);
	long n = site_read(g_pipe[0], buf, sizeof(buf));
	struct itimerval off = { { 0, 0 }, { 0, 0 } };
	CHECK_SYS(setitimer(ITIMER_REAL, &off, NULL));
	CHECK_EQ(n, 4);
	CHECK(memcmp(buf, "late", 4) == 0);
	CHECK(atomic_load(&g_signals) > 0);
	CHECK_EQ(pthread_join(t, NULL), 0);
	close(g_pipe[0]);
	close(g_pipe[1]);
}

static void check_jump(void)
{
	long pid = getpid(), ppid = getppid();
	CHECK_EQ(jump_syscall(1), ppid);
	for (int i = 0; i < 10; i++)
		CHECK_EQ(jump_syscall(0), pid);
	for (int i = 0; i < 10; i++) {
		CHECK_EQ(jump_syscall(1), ppid);
		CHECK_EQ(jump_syscall(0), pid);
	}
}

static void check_fork(void)
{
	for (int i = 0; i < 10; i++)
		CHECK_EQ(jump_syscall(0), getpid());
	pid_t child = fork();
	CHECK(child >= 0);
	if (child == 0) {
		long me = syscall(SYS_getpid);
		for (int i = 0; i < 10; i++) {
			if (jump_syscall(0) != me)
				_exit(2);
		}
		check_regs(100);
		_exit(0);
	}
	int status;
	CHECK_EQ(waitpid(child, &status, 0), child);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
}

static void check_own_gs(void)
{
	static uint64_t area[64];
	CHECK_EQ(syscall(SYS_arch_prctl, ARCH_SET_GS, (unsigned long)area), 0);
	long pid = getpid();
	for (int i = 0; i < 10; i++)
		CHECK_EQ(jump_syscall(0), pid);
	check_regs(10);
	unsigned long gs = 0;
	CHECK_EQ(syscall(SYS_arch_prctl, ARCH_GET_GS, &gs), 0);
	CHECK_EQ(gs, (unsigned long)area);
	CHECK_EQ(syscall(SYS_arch_prctl, ARCH_SET_GS, 0UL), 0);
	for (int i = 0; i < 10; i++)
		CHECK_EQ(jump_syscall(0), pid);
}

int main(void)
{
	check_regs(50);
	check_jump();
	check_restart();
	check_fork();
	check_own_gs();
	check_regs_under_signals();
	return 0;
}
