/*
 * A hostile program that finds the platform's stub code in its own address
 * space and jumps to the stub's own `syscall` instructions, to make host
 * system calls the sentry did not ask for.
 *
 * The stub code sits above the guest's range, readable and executable, but
 * the sentry's view of the address space (/proc/self/maps, mincore) does
 * not show it. So the program probes: it finds the top of what it may map
 * (MAP_FIXED_NOREPLACE fails above it) and reads pages above that,
 * catching SIGSEGV, until it finds pages it can read. It
 * looks there and up to SPAN above for `syscall` (0f 05) bytes, and for
 * each of the first TRIES, a child jumps to it with rax = getpid and a marker in every
 * other register:
 *   - systrap: the stub's filter kills the stub on a call from its code
 *     that is not one of its own, so the child dies of SIGKILL;
 *   - ptrace: PTRACE_SYSEMU stops every syscall instruction alike, so the
 *     sentry emulates getpid and the child gets its own sandbox pid.
 * Either is containment, and so is a child that jumped into the middle of
 * something else and died of SIGSEGV, SIGILL or SIGBUS, or ran on in the
 * stub's code. A getpid answered by the host (another number) fails. A
 * host call that does not come back to the program's code cannot be told
 * from a bad landing here: the counts printed at the end show what
 * happened (under systrap, stubs killed by their filter).
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define TOP     0x7ffffffff000UL
#define PAGE    4096UL
#define TRIES   64
#define MAX_GAP (4UL << 30)   /* how far above the highest mapping to look */
#define SPAN    (128UL << 20) /* how far above the first readable page to scan */

static sigjmp_buf g_jmp;

static void on_segv(int sig)
{
	siglongjmp(g_jmp, sig);
}

/* Whether the page at addr can be read (its first byte is copied to *out). */
static int readable(uintptr_t addr, unsigned char *out)
{
	if (sigsetjmp(g_jmp, 1) != 0)
		return 0;
	*out = *(volatile unsigned char *)addr;
	return 1;
}

/* Jumps to addr with rax = getpid and markers elsewhere; exits with the result's check. */
static void jump_child(uintptr_t addr)
{
	long mine = syscall(SYS_getpid);
	long ret;
	__asm__ volatile("lea 1f(%%rip), %%rcx\n\t"
	                 "push %%rcx\n\t" /* if the code returns, come back here */
	                 "mov $0x4141414141414141, %%rdi\n\t"
	                 "mov %%rdi, %%rsi\n\t"
	                 "mov %%rdi, %%rdx\n\t"
	                 "mov %%rdi, %%r10\n\t"
	                 "mov %%rdi, %%r8\n\t"
	                 "mov %%rdi, %%r9\n\t"
	                 "jmp *%1\n"
	                 "1:\n\t"
	                 : "=a"(ret)
	                 : "r"(addr), "0"((long)SYS_getpid)
	                 : "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "memory");
	/* Only reached if execution came back to us: the call must have been emulated. */
	_exit(ret == mine ? 0 : 3);
}

int main(void)
{
	/* Every mapping the program gets stays below the platform's pages. */
	uintptr_t highest = 0;
	for (int i = 0; i < 64; i++) {
		void *p = mmap(NULL, 1UL << 30, PROT_NONE,
		               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p == MAP_FAILED)
			break;
		if ((uintptr_t)p + (1UL << 30) > highest)
			highest = (uintptr_t)p + (1UL << 30);
	}
	/*
	 * The top of what the application may map: MAP_FIXED_NOREPLACE works
	 * (or finds a mapping of its own, EEXIST) below it, and fails above.
	 */
	uintptr_t lo = highest, hi = TOP;
	while (hi - lo > PAGE) {
		uintptr_t mid = (lo + (hi - lo) / 2) & ~(PAGE - 1);
		void *p = mmap((void *)mid, PAGE, PROT_NONE,
		               MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
		if (p == (void *)mid) {
			munmap(p, PAGE);
			lo = mid;
		} else if (p == MAP_FAILED && errno == EEXIST) {
			lo = mid;
		} else {
			if (p != MAP_FAILED)
				munmap(p, PAGE);
			hi = mid;
		}
	}
	highest = hi;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_segv;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);

	/* Probe upwards in 64 KiB steps, then page by page from the first readable one. */
	uintptr_t found = 0;
	unsigned char c;
	for (uintptr_t a = highest; a < TOP && a < highest + MAX_GAP && !found; a += 16 * PAGE) {
		if (readable(a, &c))
			found = a;
	}
	if (!found) {
		printf("no readable page above %#lx: nothing to jump to\n", (unsigned long)highest);
		return 0;
	}
	/* Scan the readable pages from there for syscall instructions. */
	uintptr_t targets[TRIES];
	int n = 0;
	static unsigned char page[PAGE];
	for (uintptr_t a = found; a < TOP && a < found + SPAN && n < TRIES; a += PAGE) {
		if (!readable(a, &c))
			continue;
		memcpy(page, (const void *)a, PAGE);
		for (size_t i = 0; i + 1 < PAGE && n < TRIES; i++) {
			if (page[i] == 0x0f && page[i + 1] == 0x05)
				targets[n++] = a + i;
		}
	}
	printf("readable pages from %#lx, %d syscall instructions tried\n", (unsigned long)found,
	       n);
	int emulated = 0, killed = 0, faulted = 0, other = 0;
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0) {
			signal(SIGSEGV, SIG_DFL);
			signal(SIGBUS, SIG_DFL);
			jump_child(targets[i]);
		}
		int status;
		if (waitpid(pid, &status, 0) != pid) {
			perror("waitpid");
			return 1;
		}
		/*
		 * Only a getpid that came back with another pid than the
		 * sandbox's (exit 3) ran on the host. Anything else is contained:
		 * 0, the sentry emulated it; SIGKILL, the filter killed the stub;
		 * SIGSEGV, SIGILL or SIGBUS, the jump landed badly; and under
		 * ptrace the stub's own code may run on after the emulated call
		 * and make more emulated calls (its set-up's exit_group(127)).
		 */
		if (WIFEXITED(status) && WEXITSTATUS(status) == 3) {
			printf("FAIL: syscall at %#lx: getpid returned another pid (a host call "
			       "ran)\n",
			       (unsigned long)targets[i]);
			return 1;
		}
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			emulated++;
		else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
			killed++;
		else if (WIFSIGNALED(status))
			faulted++;
		else
			other++;
	}
	printf("contained: %d emulated, %d stubs killed by their filter, %d faults, %d other\n",
	       emulated, killed, faulted, other);
	/*
	 * On systrap (runsc's default platform, which RUNSC_PLATFORM changes:
	 * runsc do passes the caller's environment on), the stub code is found
	 * and its syscall instructions reach the filter: some stubs must have
	 * been killed, or the test jumped nowhere that matters.
	 */
	const char *platform = getenv("RUNSC_PLATFORM");
	if ((!platform || !*platform || strcmp(platform, "systrap") == 0) && killed == 0) {
		printf("FAIL: on systrap, no jump reached the stub filter\n");
		return 1;
	}
	return 0;
}
