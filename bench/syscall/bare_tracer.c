/*
 * bare_tracer: the physical floor of the ptrace platform. Runs PROG under
 * the least work a PTRACE_SYSEMU tracer can do per emulated syscall, so
 * that bench/syscall can say how far `runsc do --platform=ptrace` is from
 * what ptrace itself costs on this machine.
 *
 * Usage: bare_tracer PROG [ARG...]   exits with PROG's status (128+N if
 * signal N killed it).
 *
 * Per getpid (the emulated call), the tracer makes exactly:
 *   PTRACE_PEEKUSER(orig_rax), PTRACE_POKEUSER(rax), PTRACE_SYSEMU, waitpid
 * plus sched_getcpu(), which does not enter the kernel. runsc's ptrace
 * platform makes the same host calls with GETREGS in place of PEEKUSER
 * (platform/ptrace/ptrace.c), so any difference is the sentry's own work.
 *
 * Every other syscall (static glibc start-up, write, exit_group) really
 * runs: rip goes back over the 2-byte `syscall`, rax is set to the number
 * again, and PTRACE_SYSCALL lets it execute (entry stop, then exit stop);
 * then the tracer goes back to PTRACE_SYSEMU.
 *
 * As runsc does, the tracee is pinned to the tracer's current CPU, and the
 * pin is re-checked at every stop: on the 2-vCPU machines this project is
 * built on, a wake-up on the other CPU costs 25-60 us, several times the
 * whole round trip on one CPU (8-17 us; docs/performance.md).
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

/* What the emulated getpid returns. */
#define FAKE_PID 1

#define SYSCALL_STOP      (SIGTRAP | 0x80) /* with PTRACE_O_TRACESYSGOOD */
#define SYSCALL_INSN_SIZE 2                /* `syscall` is 0f 05 */

#define USER_OFF(reg) offsetof(struct user_regs_struct, reg)

struct tracee {
	pid_t pid;
	int cpu; /* the CPU the tracee is pinned to, or -1 */
	int status;
};

static void die(const char *what)
{
	fprintf(stderr, "bare_tracer: %s: %s\n", what, strerror(errno));
	exit(125);
}

/* Pins the tracee to the tracer's current CPU, when that changed. */
static void bind_cpu(struct tracee *t)
{
	int cpu = sched_getcpu();
	if (cpu < 0 || cpu == t->cpu)
		return;
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(t->pid, sizeof(set), &set) == 0)
		t->cpu = cpu;
}

/*
 * Resumes the tracee with request and waits for its next stop.
 * Returns the stop signal, or 0 when the tracee has ended (t->status).
 */
static int resume(struct tracee *t, enum __ptrace_request request, int sig)
{
	bind_cpu(t);
	if (ptrace(request, t->pid, 0, sig) != 0)
		die("ptrace resume");
	for (;;) {
		if (waitpid(t->pid, &t->status, __WALL) == t->pid)
			break;
		if (errno != EINTR)
			die("waitpid");
	}
	if (WIFEXITED(t->status) || WIFSIGNALED(t->status))
		return 0;
	return WSTOPSIG(t->status);
}

static long peek_user(struct tracee *t, size_t off)
{
	errno = 0;
	long v = ptrace(PTRACE_PEEKUSER, t->pid, off, 0);
	if (v == -1 && errno != 0)
		die("PTRACE_PEEKUSER");
	return v;
}

static void poke_user(struct tracee *t, size_t off, long v)
{
	if (ptrace(PTRACE_POKEUSER, t->pid, off, v) != 0)
		die("PTRACE_POKEUSER");
}

/*
 * Runs the syscall the tracee is stopped at (a SYSEMU stop, which skipped
 * it) for real. Returns the next stop signal, or 0 when the tracee ended.
 */
static int passthrough(struct tracee *t, long nr)
{
	poke_user(t, USER_OFF(rip), peek_user(t, USER_OFF(rip)) - SYSCALL_INSN_SIZE);
	poke_user(t, USER_OFF(rax), nr);
	int sig = resume(t, PTRACE_SYSCALL, 0); /* syscall-entry stop */
	if (sig != SYSCALL_STOP)
		return sig;
	return resume(t, PTRACE_SYSCALL, 0); /* syscall-exit stop, or the end */
}

static int trace(struct tracee *t)
{
	int sig = 0; /* a signal to deliver at the next resume */
	for (;;) {
		int stop = resume(t, PTRACE_SYSEMU, sig);
		sig = 0;
		if (stop == SYSCALL_STOP) {
			long nr = peek_user(t, USER_OFF(orig_rax));
			if (nr == SYS_getpid) {
				poke_user(t, USER_OFF(rax), FAKE_PID);
				continue;
			}
			stop = passthrough(t, nr);
			if (stop == SYSCALL_STOP)
				continue;
		}
		if (stop == 0)
			break;
		/* A signal-delivery stop: hand the signal to the tracee. */
		sig = stop;
	}
	if (WIFEXITED(t->status))
		return WEXITSTATUS(t->status);
	return 128 + WTERMSIG(t->status);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s PROG [ARG...]\n", argv[0]);
		return 2;
	}
	struct tracee t = { .cpu = -1 };
	t.pid = fork();
	if (t.pid < 0)
		die("fork");
	if (t.pid == 0) {
		if (ptrace(PTRACE_TRACEME, 0, 0, 0) != 0)
			die("PTRACE_TRACEME");
		execv(argv[1], argv + 1);
		fprintf(stderr, "bare_tracer: %s: %s\n", argv[1], strerror(errno));
		_exit(127);
	}
	/* The tracee stops with SIGTRAP after a successful execve. */
	if (waitpid(t.pid, &t.status, __WALL) != t.pid)
		die("waitpid");
	if (!WIFSTOPPED(t.status))
		return WIFEXITED(t.status) ? WEXITSTATUS(t.status) : 128 + WTERMSIG(t.status);
	if (ptrace(PTRACE_SETOPTIONS, t.pid, 0, PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL) != 0)
		die("PTRACE_SETOPTIONS");
	return trace(&t);
}
