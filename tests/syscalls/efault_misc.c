/*
 * efault_misc: every implemented call that takes a pointer returns EFAULT for a bad one.
 * Always the raw system call: glibc may answer from the vDSO or touch the pointer itself.
 */
#include <fcntl.h>
#include <signal.h>
#include <time.h>
#include <asm/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "test.h"

/* Which bad pointers apply beyond the always-bad ones (unmapped, PROT_NONE, kernel, ...). */
#define BAD_NULL     1 /* NULL, where it does not mean "none" */
#define BAD_RO       2 /* a read-only page, for pointers the call writes through */
#define BAD_STRADDLE 4 /* the last byte of a page followed by an unmapped page */

struct bad_pointer {
	void *addr;
	int kind;
};

static struct bad_pointer g_bad[8];
static int g_nbad;
static unsigned char *g_edge;

static void setup_bad_pointers(void)
{
	unsigned char *edge = test_page_before_hole();

	g_edge = edge;
	g_bad[g_nbad++] = (struct bad_pointer){ test_unmapped_page(), 0 };
	g_bad[g_nbad++] = (struct bad_pointer){ test_map(PAGE_SIZE, PROT_NONE), 0 };
	g_bad[g_nbad++] = (struct bad_pointer){ (void *)0xffff800000000000UL, 0 };
	g_bad[g_nbad++] = (struct bad_pointer){ (void *)0x8000000000000000UL, 0 };
	g_bad[g_nbad++] = (struct bad_pointer){ (void *)-1L, 0 };
	g_bad[g_nbad++] = (struct bad_pointer){ NULL, BAD_NULL };
	g_bad[g_nbad++] = (struct bad_pointer){ test_map(PAGE_SIZE, PROT_READ), BAD_RO };
	g_bad[g_nbad++] = (struct bad_pointer){ edge + PAGE_SIZE - 1, BAD_STRADDLE };
}

/*
 * CHECK_EFAULT(kinds, call) runs call once for each bad pointer that applies, with `p` bound
 * to it, and expects -1 with EFAULT every time.
 */
#define CHECK_EFAULT(kinds, call)                                                                 \
	do {                                                                                      \
		for (int i_ = 0; i_ < g_nbad; i_++) {                                             \
			if (g_bad[i_].kind && !(g_bad[i_].kind & (kinds)))                        \
				continue;                                                         \
			void *p = g_bad[i_].addr;                                                 \
			errno = 0;                                                                \
			long r_ = (call);                                                         \
			if (r_ != -1 || errno != EFAULT)                                          \
				test_fail(__FILE__, __LINE__,                                     \
				          "%s with p = %p: %ld (errno %s), not EFAULT", #call, p, \
				          r_, test_errname(errno));                               \
		}                                                                                 \
	} while (0)

#define OUT     (BAD_NULL | BAD_RO | BAD_STRADDLE)
#define OUT_OPT (BAD_RO | BAD_STRADDLE) /* NULL means "not wanted" */
#define IN      (BAD_NULL | BAD_STRADDLE)
#define IN_OPT  (BAD_STRADDLE)

static const clockid_t g_clocks[] = {
	CLOCK_REALTIME,          CLOCK_MONOTONIC,     CLOCK_PROCESS_CPUTIME_ID,
	CLOCK_THREAD_CPUTIME_ID, CLOCK_MONOTONIC_RAW, CLOCK_REALTIME_COARSE,
	CLOCK_MONOTONIC_COARSE,  CLOCK_BOOTTIME,
};

int main(void)
{
	setup_bad_pointers();

	CHECK_EFAULT(OUT, syscall(SYS_uname, p));
	CHECK_EFAULT(OUT, syscall(SYS_sysinfo, p));
	CHECK_EFAULT(OUT, syscall(SYS_getcwd, p, 4096L));

	for (size_t i = 0; i < sizeof(g_clocks) / sizeof(g_clocks[0]); i++) {
		clockid_t clk = g_clocks[i];
		CHECK_EFAULT(OUT, syscall(SYS_clock_gettime, clk, p));
		CHECK_EFAULT(OUT_OPT, syscall(SYS_clock_getres, clk, p));
	}
	CHECK_EFAULT(OUT_OPT, syscall(SYS_gettimeofday, p, NULL));
	CHECK_EFAULT(OUT_OPT, syscall(SYS_gettimeofday, NULL, p));
	CHECK_EFAULT(OUT_OPT, syscall(SYS_time, p));
	CHECK_EFAULT(IN, syscall(SYS_nanosleep, p, NULL));
	CHECK_EFAULT(IN, syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, p, NULL));
	CHECK_EFAULT(IN, syscall(SYS_clock_nanosleep, CLOCK_REALTIME, TIMER_ABSTIME, p, NULL));

	/* getrandom returns the bytes it could copy; only an immediate fault is EFAULT. */
	CHECK_EFAULT(BAD_NULL | BAD_RO, syscall(SYS_getrandom, p, 16L, 0));

	CHECK_EFAULT(IN_OPT, syscall(SYS_rt_sigaction, SIGUSR1, p, NULL, 8L));
	CHECK_EFAULT(OUT_OPT, syscall(SYS_rt_sigaction, SIGUSR1, NULL, p, 8L));
	CHECK_EFAULT(IN_OPT, syscall(SYS_rt_sigprocmask, SIG_BLOCK, p, NULL, 8L));
	CHECK_EFAULT(OUT_OPT, syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, p, 8L));
	CHECK_EFAULT(OUT, syscall(SYS_rt_sigpending, p, 8L));

	CHECK_EFAULT(OUT, syscall(SYS_getrlimit, RLIMIT_NOFILE, p));
	CHECK_EFAULT(IN, syscall(SYS_setrlimit, RLIMIT_NOFILE, p));
	CHECK_EFAULT(IN_OPT, syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, p, NULL));
	CHECK_EFAULT(OUT_OPT, syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, p));

	CHECK_EFAULT(OUT, syscall(SYS_sched_getaffinity, 0, 1024L, p));
	long ngroups = CHECK_SYS(syscall(SYS_getgroups, 0, NULL));
	if (ngroups > 0)
		CHECK_EFAULT(OUT, syscall(SYS_getgroups, ngroups, p));
	else
		CHECK_EQ(syscall(SYS_getgroups, 16, g_bad[0].addr), 0);

	CHECK_EFAULT(OUT, syscall(SYS_arch_prctl, ARCH_GET_FS, p));
	CHECK_EFAULT(OUT, syscall(SYS_arch_prctl, ARCH_GET_GS, p));

	CHECK_EFAULT(OUT, syscall(SYS_fstat, 0, p));
	CHECK_EFAULT(OUT, syscall(SYS_newfstatat, 0, "", p, AT_EMPTY_PATH));
	/* A path that runs into the hole: non-zero bytes, or it would be read as "". */
	struct stat st;
	memset(g_edge, 'a', PAGE_SIZE);
	CHECK_EFAULT(BAD_STRADDLE, syscall(SYS_newfstatat, 0, p, &st, AT_EMPTY_PATH));

	/* The NULL "not wanted" pointers above really are accepted. */
	CHECK_EQ(syscall(SYS_clock_getres, CLOCK_MONOTONIC, NULL), 0);
	CHECK_EQ(syscall(SYS_gettimeofday, NULL, NULL), 0);
	CHECK(syscall(SYS_time, NULL) > 0);
	CHECK_EQ(syscall(SYS_rt_sigaction, SIGUSR1, NULL, NULL, 8L), 0);
	CHECK_EQ(syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, NULL, 8L), 0);
	CHECK_EQ(syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, NULL), 0);
	/* Nothing above changed the signal mask or the file limit. */
	uint64_t mask = 1;
	CHECK_EQ(syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &mask, 8L), 0);
	CHECK_EQ(mask, 0);
	return 0;
}
