/*
 * sig_death MODE: signal frames that cannot be built or returned through end the process
 * with SIGSEGV, as on Linux (force_sigsegv, and rt_sigreturn's bad frame):
 *   norestorer   a handler installed without SA_RESTORER (x86-64 requires one);
 *   altoverflow  handlers nesting on the alternate stack until a frame would overflow it;
 *   badfpstate   a handler pointing its frame's fpstate at an unmapped page.
 */
#include <signal.h>
#include <ucontext.h>

#include "test.h"

struct ksigaction {
	void (*handler)(int);
	unsigned long flags;
	void (*restorer)(void);
	uint64_t mask;
};

volatile int g_depth;

static void on_nest(int sig)
{
	g_depth++;
	raise(sig); /* SA_NODEFER: nests, on the alternate stack, until it is full */
}

static void on_bad_fp(int sig, siginfo_t *info, void *ucv)
{
	(void)sig;
	(void)info;
	ucontext_t *uc = ucv;
	uc->uc_mcontext.fpregs = test_unmapped_page();
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	if (strcmp(argv[1], "norestorer") == 0) {
		struct ksigaction ka = { .handler = on_nest };
		CHECK_SYS(syscall(SYS_rt_sigaction, SIGUSR1, &ka, NULL, 8));
		raise(SIGUSR1);
		test_unreachable("a handler without SA_RESTORER");
	}
	if (strcmp(argv[1], "altoverflow") == 0) {
		size_t size = 64 * 1024;
		stack_t ss = { .ss_sp = test_map(size, PROT_READ | PROT_WRITE), .ss_size = size };
		CHECK_SYS(sigaltstack(&ss, NULL));
		struct sigaction sa = { 0 };
		sa.sa_handler = on_nest;
		sa.sa_flags = SA_ONSTACK | SA_NODEFER;
		CHECK_SYS(sigaction(SIGUSR1, &sa, NULL));
		raise(SIGUSR1);
		test_unreachable("overflowing the alternate stack");
	}
	if (strcmp(argv[1], "badfpstate") == 0) {
		struct sigaction sa = { 0 };
		sa.sa_sigaction = on_bad_fp;
		sa.sa_flags = SA_SIGINFO;
		CHECK_SYS(sigaction(SIGUSR1, &sa, NULL));
		raise(SIGUSR1);
		test_unreachable("rt_sigreturn with an unmapped fpstate");
	}
	return 2;
}
