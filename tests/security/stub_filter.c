/*
 * The stub's seccomp filter is the second wall: if a stub ever ran
 * untraced, it could make no system call but the memory operations the
 * sentry injects, and only from its gadget. This test creates stubs with
 * the ptrace platform and lets them run system calls with PTRACE_CONT
 * (no SYSEMU: as if tracing had been escaped).
 */
#include <errno.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "platform/ptrace/ptrace_internal.h"

extern const char runsc_stub_start[], runsc_stub_gadget[], runsc_stub_end[];

static struct stub_layout g_layout;
static int g_failed;

/*
 * The stub's `dup` from the gadget is the sentry's fd-lending hook: it
 * traps into the filter's listener instead of running. Answer it as the
 * sentry would refuse it.
 */
static void answer_with_eperm(int listener, pid_t pid)
{
	struct pollfd p = { .fd = listener, .events = POLLIN };
	if (poll(&p, 1, 5000) != 1) {
		printf("FAIL: dup from the gadget did not reach the listener\n");
		g_failed = 1;
		return;
	}
	struct seccomp_notif req;
	memset(&req, 0, sizeof(req));
	if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0 || (pid_t)req.pid != pid ||
	    req.data.nr != SYS_dup) {
		printf("FAIL: bad notification\n");
		g_failed = 1;
		return;
	}
	struct seccomp_notif_resp resp = { .id = req.id, .error = -EPERM };
	ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
}

/*
 * Runs syscall nr with args from address rip in a new stub, untraced
 * until it stops or dies. Returns the wait status; *rax gets the result
 * if it stopped.
 */
static int run_untraced(uint64_t rip, uint64_t nr, const uint64_t args[4], uint64_t *rax)
{
	int listener;
	pid_t pid = ptrace_stub_create(&listener);
	if (pid < 0) {
		printf("stub: %s\n", strerror(-pid));
		return -1;
	}
	struct linux_regs r;
	ptrace(PTRACE_GETREGS, pid, 0, &r);
	r.rip = rip;
	r.rax = nr;
	r.orig_rax = (uint64_t)-1;
	r.rdi = args[0];
	r.rsi = args[1];
	r.rdx = args[2];
	r.r10 = args[3];
	r.r8 = (uint64_t)-1;
	r.r9 = 0;
	ptrace(PTRACE_SETREGS, pid, 0, &r);
	ptrace(PTRACE_CONT, pid, 0, 0);
	if (nr == SYS_dup && rip == g_layout.gadget)
		answer_with_eperm(listener, pid);
	int status;
	while (waitpid(pid, &status, __WALL) < 0 && errno == EINTR)
		;
	close(listener);
	if (WIFSTOPPED(status)) {
		ptrace(PTRACE_GETREGS, pid, 0, &r);
		*rax = r.rax;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, __WALL);
	}
	return status;
}

static void expect_killed(const char *what, uint64_t rip, uint64_t nr)
{
	const uint64_t args[4] = { 0, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS };
	uint64_t rax = 0;
	int status = run_untraced(rip, nr, args, &rax);
	if (status < 0 || !WIFSIGNALED(status) || WTERMSIG(status) != SIGSYS) {
		printf("FAIL: %s: status %#x, expected death by SIGSYS\n", what, status);
		g_failed = 1;
	} else {
		printf("ok: %s: killed by SIGSYS\n", what);
	}
}

int main(void)
{
	int err = ptrace_stub_init(&g_layout);
	if (err < 0) {
		printf("stub init: %s\n", strerror(-err));
		return 1;
	}
	/* A `syscall` instruction of the stub that is not the gadget's (in its set-up code). */
	uint64_t other = 0;
	for (const char *p = runsc_stub_start; p + 1 < runsc_stub_gadget; p++) {
		if ((unsigned char)p[0] == 0x0f && (unsigned char)p[1] == 0x05) {
			other = g_layout.base + (uint64_t)(p - runsc_stub_start);
			break;
		}
	}
	if (!other) {
		printf("no second syscall instruction in the stub\n");
		return 1;
	}

	expect_killed("getpid from the gadget", g_layout.gadget, SYS_getpid);
	expect_killed("execve from the gadget", g_layout.gadget, SYS_execve);
	expect_killed("openat from the gadget", g_layout.gadget, SYS_openat);
	expect_killed("mmap from another address", other, SYS_mmap);
	expect_killed("mmap with the x32 bit", g_layout.gadget, SYS_mmap | 0x40000000);
	expect_killed("mmap without MAP_FIXED", g_layout.gadget, SYS_mmap);

	expect_killed("dup from another address", other, SYS_dup);
	expect_killed("close from another address", other, SYS_close);
	expect_killed("pread64 from another address", other, SYS_pread64);
	expect_killed("pwrite64 from the gadget", g_layout.gadget, SYS_pwrite64);

	/* dup from the gadget traps to the sentry's listener, which answers it. */
	const uint64_t none[4] = { 0, 0, 0, 0 };
	uint64_t dup_ret = 0;
	int dup_status = run_untraced(g_layout.gadget, SYS_dup, none, &dup_ret);
	if (!WIFSTOPPED(dup_status) || WSTOPSIG(dup_status) != SIGTRAP ||
	    (int64_t)dup_ret != -EPERM) {
		printf("FAIL: dup from the gadget: status %#x rax %ld\n", dup_status,
		       (long)dup_ret);
		g_failed = 1;
	} else {
		printf("ok: dup from the gadget went to the listener, which refused it\n");
	}

	/* What the sentry injects is allowed: a MAP_FIXED anonymous mmap from the gadget. */
	const uint64_t args[4] = { 0x10000000, 4096, PROT_READ | PROT_WRITE,
		                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED };
	uint64_t rax = 0;
	int status = run_untraced(g_layout.gadget, SYS_mmap, args, &rax);
	if (!WIFSTOPPED(status) || WSTOPSIG(status) != SIGTRAP || (int64_t)rax < 0) {
		printf("FAIL: mmap from the gadget: status %#x rax %#lx\n", status,
		       (unsigned long)rax);
		g_failed = 1;
	} else {
		printf("ok: mmap from the gadget ran and returned %#lx\n", (unsigned long)rax);
	}
	return g_failed;
}
