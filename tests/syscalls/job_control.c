/*
 * job_control: group stop and SIGCONT. A stopped child is reported by
 * waitpid(WUNTRACED) and stops running (every thread of it); SIGCONT
 * resumes it and is reported with WCONTINUED; the parent gets SIGCHLD with
 * CLD_STOPPED and CLD_CONTINUED unless SA_NOCLDSTOP; SIGTSTP stops a
 * process in a non-orphaned group; a blocked read survives a stop and a
 * continue; SIGKILL ends a stopped process.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <time.h>

#include "test.h"

static atomic_long *counters; /* shared with the children: one per thread */

static void *spin(void *arg)
{
	atomic_long *c = arg;
	for (;;)
		atomic_fetch_add(c, 1);
	return NULL;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
	while (nanosleep(&ts, &ts) != 0)
		;
}

/* Waits for sig (blocked) and returns its si_code. */
static int wait_sigchld(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	siginfo_t si;
	CHECK_EQ(sigwaitinfo(&set, &si), SIGCHLD);
	return si.si_code;
}

int main(void)
{
	counters = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(counters != MAP_FAILED);
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	CHECK_EQ(sigprocmask(SIG_BLOCK, &chld, NULL), 0);

	/* A two-thread child that spins: stopped, both threads stop counting. */
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		pthread_t th;
		pthread_create(&th, NULL, spin, &counters[1]);
		spin(&counters[0]);
	}
	while (atomic_load(&counters[0]) == 0 || atomic_load(&counters[1]) == 0)
		sleep_ms(1);
	CHECK_EQ(kill(pid, SIGSTOP), 0);
	int st;
	CHECK_EQ(waitpid(pid, &st, WUNTRACED), pid);
	CHECK(WIFSTOPPED(st));
	CHECK_EQ(WSTOPSIG(st), SIGSTOP);
	CHECK_EQ(wait_sigchld(), CLD_STOPPED);
	long a0 = atomic_load(&counters[0]), a1 = atomic_load(&counters[1]);
	sleep_ms(50);
	CHECK_EQ(atomic_load(&counters[0]), a0);
	CHECK_EQ(atomic_load(&counters[1]), a1);
	/* Reported once. */
	CHECK_EQ(waitpid(pid, &st, WUNTRACED | WNOHANG), 0);

	CHECK_EQ(kill(pid, SIGCONT), 0);
	CHECK_EQ(waitpid(pid, &st, WCONTINUED), pid);
	CHECK(WIFCONTINUED(st));
	CHECK_EQ(wait_sigchld(), CLD_CONTINUED);
	while (atomic_load(&counters[0]) == a0 || atomic_load(&counters[1]) == a1)
		sleep_ms(1);

	/* A stopped process dies of SIGKILL. */
	CHECK_EQ(kill(pid, SIGSTOP), 0);
	CHECK_EQ(waitpid(pid, &st, WUNTRACED), pid);
	CHECK(WIFSTOPPED(st));
	CHECK_EQ(wait_sigchld(), CLD_STOPPED);
	CHECK_EQ(kill(pid, SIGKILL), 0);
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFSIGNALED(st));
	CHECK_EQ(WTERMSIG(st), SIGKILL);
	CHECK_EQ(wait_sigchld(), CLD_KILLED);

	/* SIGTSTP stops a child in its own (not orphaned) group; a blocked read survives. */
	int p[2];
	CHECK_EQ(pipe(p), 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		setpgid(0, 0);
		char c;
		close(p[1]);
		ssize_t n = read(p[0], &c, 1);
		_exit(n == 1 && c == 'x' ? 0 : 1);
	}
	close(p[0]);
	setpgid(pid, pid); /* as a shell does: both sides, whichever comes first */
	CHECK_EQ(kill(pid, SIGTSTP), 0);
	CHECK_EQ(waitpid(pid, &st, WUNTRACED), pid);
	CHECK(WIFSTOPPED(st));
	CHECK_EQ(WSTOPSIG(st), SIGTSTP);
	CHECK_EQ(wait_sigchld(), CLD_STOPPED);
	CHECK_EQ(kill(pid, SIGCONT), 0);
	CHECK_EQ(wait_sigchld(), CLD_CONTINUED);
	CHECK_EQ(write(p[1], "x", 1), 1);
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
	CHECK_EQ(wait_sigchld(), CLD_EXITED);
	close(p[1]);

	/* SA_NOCLDSTOP: no SIGCHLD for stops and continues, but wait still sees them. */
	struct sigaction sa = { .sa_handler = SIG_DFL, .sa_flags = SA_NOCLDSTOP };
	sigemptyset(&sa.sa_mask);
	CHECK_EQ(sigaction(SIGCHLD, &sa, NULL), 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		for (;;)
			pause();
	}
	CHECK_EQ(kill(pid, SIGSTOP), 0);
	CHECK_EQ(waitpid(pid, &st, WUNTRACED), pid);
	CHECK(WIFSTOPPED(st));
	CHECK_EQ(kill(pid, SIGCONT), 0);
	CHECK_EQ(waitpid(pid, &st, WCONTINUED), pid);
	CHECK(WIFCONTINUED(st));
	sigset_t pending;
	CHECK_EQ(sigpending(&pending), 0);
	CHECK(!sigismember(&pending, SIGCHLD));
	CHECK_EQ(kill(pid, SIGKILL), 0);
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	puts("job_control: ok");
	return 0;
}
