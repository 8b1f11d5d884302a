/*
 * Stub processes for the ptrace platform: set-up and creation.
 *
 * At init the sentry maps two pages: a copy of the stub code (stub.S) and
 * a data page holding what a new stub needs without a stack: the list of
 * ranges to unmap and its seccomp filter. Both sit above the guest's
 * address range, so the application can never map over them.
 *
 * A stub is a raw fork of the calling sentry thread. Before it jumps to
 * the stub code it arranges to die with its tracer (PR_SET_PDEATHSIG and,
 * once traced, PTRACE_O_EXITKILL), leaves the sentry's process group (so
 * terminal signals reach only the sentry), closes every
 * fd, asks to be traced, and unblocks all signals. The stub code then
 * drops the sentry's memory and installs the filter.
 *
 * The filter is the second wall: if a stub ever ran untraced, the only
 * system calls it could make are the memory operations the sentry
 * injects, and only from the gadget's address; anything else kills it.
 */
#include "platform/ptrace/ptrace_internal.h"

#include <errno.h>
#include <sched.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "platform/stub_util.h"

extern const char runsc_stub_start[], runsc_stub_gadget[], runsc_stub_end[];

#define STUB_MAX_RANGES 16
#define STUB_MAX_FILTER 64
#define STUB_SIZE       (2 * PAGE_SIZE)
#define GUEST_ALIGN     (1ULL << 30)

/* The data page; the offsets of the first three fields are fixed in stub.S. */
struct stub_data {
	uint64_t nranges;        /* at 0 */
	struct sock_fprog fprog; /* at 8 */
	struct {
		uint64_t start, len;
	} ranges[STUB_MAX_RANGES]; /* at 24 */
	struct sock_filter filter[STUB_MAX_FILTER];
};
_Static_assert(offsetof(struct stub_data, fprog) == 8, "stub.S layout");
_Static_assert(offsetof(struct stub_data, ranges) == 24, "stub.S layout");
_Static_assert(sizeof(struct stub_data) <= PAGE_SIZE, "stub data fits a page");

const int g_stub_memop_nr[PLATFORM_MEMOP_COUNT] = {
	[PLATFORM_MEMOP_MMAP] = SYS_mmap,         [PLATFORM_MEMOP_MUNMAP] = SYS_munmap,
	[PLATFORM_MEMOP_MPROTECT] = SYS_mprotect, [PLATFORM_MEMOP_MREMAP] = SYS_mremap,
	[PLATFORM_MEMOP_MADVISE] = SYS_madvise,   [PLATFORM_MEMOP_MINCORE] = SYS_mincore,
	[PLATFORM_MEMOP_MSYNC] = SYS_msync,
};

static struct stub_layout g_layout;

/*
 * The stub's seccomp filter. From the gadget only (rip is the address
 * after its `syscall`):
 *   - the memory operations, mmap only with MAP_FIXED (the sentry always
 *     chooses the address), close (of a lent fd), and pread64 (a big read
 *     of a regular file, straight into the application's memory);
 *   - clone, only as the sentry makes new stubs (ptrace.c);
 *   - dup, which is never executed: it traps to the sentry through the
 *     filter's user-notification listener, and the sentry answers it by
 *     installing a host fd in the stub (SECCOMP_IOCTL_NOTIF_ADDFD). That
 *     is how a file is lent to the stub for one mmap.
 * Anything else kills the process.
 */
static int build_filter(struct stub_data *d, uaddr_t gadget_ret)
{
	struct sock_filter *f = d->filter;
	int n = 0;
#define EMIT(stmt)  f[n++] = (struct sock_filter)stmt
#define LOAD(field) EMIT(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, field))
#define RET(action) EMIT(BPF_STMT(BPF_RET | BPF_K, action))
#define JEQ(k, jt)  EMIT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)(k), (uint8_t)(jt), 0))
	LOAD(offsetof(struct seccomp_data, arch));
	JEQ(AUDIT_ARCH_X86_64, 1);
	RET(SECCOMP_RET_KILL_PROCESS);
	LOAD(offsetof(struct seccomp_data, instruction_pointer));
	JEQ(gadget_ret, 1);
	RET(SECCOMP_RET_KILL_PROCESS);
	LOAD(offsetof(struct seccomp_data, instruction_pointer) + 4);
	JEQ(gadget_ret >> 32, 1);
	RET(SECCOMP_RET_KILL_PROCESS);
	/*
	 * clone, with exactly the flags of a new stub for a fork or a thread
	 * (ptrace.c's STUB_CLONE_FLAGS, with or without CLONE_VM; exit signal
	 * none) and nothing else: ALLOW; another clone: KILL; not clone: on.
	 */
	LOAD(offsetof(struct seccomp_data, nr));
	EMIT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone, 0, 7)); /* to "other calls" */
	LOAD(offsetof(struct seccomp_data, args[0]) + 4);
	EMIT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 4)); /* to KILL */
	LOAD(offsetof(struct seccomp_data, args[0]));
	EMIT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, CLONE_PARENT | CLONE_PTRACE, 1, 0));
	EMIT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, CLONE_PARENT | CLONE_PTRACE | CLONE_VM, 0, 1));
	RET(SECCOMP_RET_ALLOW);
	RET(SECCOMP_RET_KILL_PROCESS);
	/* The other calls: */
	LOAD(offsetof(struct seccomp_data, nr));
	/*
	 * The tests jump forward over the tests still to come (`left`) to the
	 * verdicts laid out after them: KILL, the mmap flags check (LOAD,
	 * JSET, KILL), ALLOW, USER_NOTIF.
	 */
	int left = PLATFORM_MEMOP_COUNT + 2; /* after mmap: the other memops, close, pread64, dup */
	JEQ(SYS_mmap, left + 1);             /* to the flags check */
	for (int i = 0; i < PLATFORM_MEMOP_COUNT; i++) {
		if (g_stub_memop_nr[i] == SYS_mmap)
			continue;
		left--;
		JEQ(g_stub_memop_nr[i], left + 4); /* to ALLOW */
	}
	left--;
	JEQ(SYS_close, left + 4);
	left--;
	JEQ(SYS_pread64, left + 4);
	left--;
	JEQ(SYS_dup, left + 5); /* to USER_NOTIF */
	BUG_ON(left != 0);
	RET(SECCOMP_RET_KILL_PROCESS);
	LOAD(offsetof(struct seccomp_data, args[3])); /* mmap's flags, low half */
	EMIT(BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, MAP_FIXED, 1, 0));
	RET(SECCOMP_RET_KILL_PROCESS);
	RET(SECCOMP_RET_ALLOW);
	RET(SECCOMP_RET_USER_NOTIF);
#undef JEQ
#undef RET
#undef LOAD
#undef EMIT
	BUG_ON(n > STUB_MAX_FILTER);
	d->fprog.len = (unsigned short)n;
	return 0;
}

int ptrace_stub_init(struct stub_layout *out)
{
	if (g_layout.base) {
		*out = g_layout;
		return 0;
	}
	size_t code_size = (size_t)(runsc_stub_end - runsc_stub_start);
	BUG_ON(code_size > PAGE_SIZE);

	void *p = mmap(NULL, STUB_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	uaddr_t base = (uaddr_t)p;
	memcpy(p, runsc_stub_start, code_size);
	struct stub_data *d = (struct stub_data *)((char *)p + PAGE_SIZE);
	d->fprog.filter =
	        (struct sock_filter *)(base + PAGE_SIZE + offsetof(struct stub_data, filter));
	uaddr_t gadget = base + (uaddr_t)(runsc_stub_gadget - runsc_stub_start);
	build_filter(d, gadget + 2);

	/* Keep the stub pages and the vDSO; unmap everything else. */
	struct stub_util_range keep[STUB_MAX_RANGES];
	int nkeep = 0;
	int err = stub_util_special_ranges(keep, STUB_MAX_RANGES - 1, &nkeep);
	if (err < 0)
		goto out_unmap;
	keep[nkeep++] = (struct stub_util_range){ base, base + STUB_SIZE };
	uint64_t lowest;
	int n = stub_util_unmap_list(keep, nkeep, (void *)d->ranges, STUB_MAX_RANGES, &lowest);
	if (n < 0) {
		err = n;
		goto out_unmap;
	}
	d->nranges = (uint64_t)n;
	if (mprotect(p, PAGE_SIZE, PROT_READ | PROT_EXEC) < 0 ||
	    mprotect((char *)p + PAGE_SIZE, PAGE_SIZE, PROT_READ) < 0) {
		err = -errno;
		goto out_unmap;
	}

	g_layout.base = base;
	g_layout.gadget = gadget;
	g_layout.vdso_base = getauxval(AT_SYSINFO_EHDR);
	g_layout.max_addr = lowest & ~(GUEST_ALIGN - 1);
	*out = g_layout;
	log_debug("ptrace: stub at %#lx, guest below %#lx, vdso %#lx", (unsigned long)base,
	          (unsigned long)g_layout.max_addr, (unsigned long)g_layout.vdso_base);
	return 0;

out_unmap:
	munmap(p, STUB_SIZE);
	return err;
}

/* Runs in the child between fork and the stub code: raw system calls only. */
NORETURN static void stub_child(pid_t parent)
{
	sigset_t none;
	sigemptyset(&none);
	stub_util_unregister_rseq();
	if (syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0 ||
	    syscall(SYS_getppid) != parent)
		syscall(SYS_exit_group, 127);
	/*
	 * Its own process group keeps terminal signals (^C, ^Z) away from the
	 * stub. Not its own session: that would also give it its own autogroup,
	 * and the scheduler then splits tracer and stub across CPUs far more
	 * often (bench/syscall measured a 1.6x slower round trip).
	 */
	syscall(SYS_setpgid, 0, 0);
	syscall(SYS_close_range, 0, ~0U, 0);
	if (syscall(SYS_ptrace, PTRACE_TRACEME, 0, 0, 0) != 0 ||
	    syscall(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, sizeof(uint64_t)) != 0)
		syscall(SYS_exit_group, 127);
	((void (*)(void))g_layout.base)();
	__builtin_unreachable();
}

pid_t ptrace_stub_create(int *out_listener)
{
	BUG_ON(!g_layout.base);
	pid_t parent = getpid();
	/* A raw fork: no atfork handlers, nothing of libc's runs in the child. */
	long pid = syscall(SYS_clone, SIGCHLD, 0, NULL, NULL, 0);
	if (pid < 0)
		return -errno;
	if (pid == 0)
		stub_child(parent);

	int status;
	for (;;) {
		pid_t r = waitpid((pid_t)pid, &status, __WALL);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		break;
	}
	if (!WIFSTOPPED(status) || WSTOPSIG(status) != SIGTRAP) {
		log_warn("ptrace: stub %ld failed to start (status %#x)", pid, status);
		if (WIFSTOPPED(status)) {
			kill((pid_t)pid, SIGKILL);
			waitpid((pid_t)pid, &status, __WALL);
		}
		return -ECHILD;
	}
	int err = 0;
	if (ptrace(PTRACE_SETOPTIONS, (pid_t)pid, 0, PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL) !=
	    0)
		err = -errno;
	/* The filter's listener is the stub's fd 0; the sentry takes a copy. */
	int listener = err < 0 ? err : stub_util_take_fd((pid_t)pid, 0);
	if (listener < 0) {
		kill((pid_t)pid, SIGKILL);
		waitpid((pid_t)pid, &status, __WALL);
		return listener;
	}
	*out_listener = listener;
	return (pid_t)pid;
}
