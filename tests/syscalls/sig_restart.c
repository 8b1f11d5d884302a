/*
 * sig_restart MODE: a signal during a blocking call, with a second process as the sender
 * (fork). MODE pipe:
 *  - read on an empty pipe with a handler without SA_RESTART: EINTR;
 *  - the same with SA_RESTART: the read goes on and returns the data written later;
 * MODE sleep:
 *  - nanosleep with a handler: EINTR with the time left in rem;
 *  - pause and rt_sigtimedwait with a handler: EINTR;
 *  - nanosleep interrupted by a signal without a handler (SIGSTOP, SIGCONT) is restarted
 *    through restart_syscall and sleeps its full time (returns 0).
 * The sender signals repeatedly until the receiver reports, so no timing is assumed.
 */
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "test.h"

volatile int g_hits;

static void on_sig(int sig)
{
	(void)sig;
	g_hits++;
}

/* Forks a child that sends sig to the parent every millisecond until killed. */
static pid_t start_pester(int sig)
{
	pid_t parent = getpid();
	pid_t pid = (pid_t)CHECK_SYS(fork());
	if (pid == 0) {
		for (;;) {
			kill(parent, sig);
			usleep(1000);
		}
	}
	return pid;
}

static void stop_child(pid_t pid)
{
	kill(pid, SIGKILL);
	/* A signal the child sent just before it died interrupts the wait (no SA_RESTART). */
	int status;
	pid_t r;
	while ((r = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
		;
	CHECK_EQ(r, pid);
}

static void install(int flags)
{
	struct sigaction sa = { 0 };
	sa.sa_handler = on_sig;
	sa.sa_flags = flags;
	CHECK_SYS(sigaction(SIGUSR1, &sa, NULL));
}

static void pipe_tests(void)
{
	int p[2];
	char c;

	/* read without SA_RESTART: EINTR. */
	install(0);
	CHECK_SYS(pipe(p));
	pid_t pid = start_pester(SIGUSR1);
	CHECK_ERR(read(p[0], &c, 1), EINTR);
	stop_child(pid);
	CHECK(g_hits > 0);

	/* read with SA_RESTART: restarted until the data comes. */
	install(SA_RESTART);
	pid = start_pester(SIGUSR1);
	pid_t writer = (pid_t)CHECK_SYS(fork());
	if (writer == 0) {
		/* Let some signals hit the blocked read first (not required for the check). */
		usleep(100 * 1000);
		_exit(write(p[1], "x", 1) == 1 ? 0 : 1);
	}
	g_hits = 0;
	CHECK_EQ(read(p[0], &c, 1), 1);
	CHECK_EQ(c, 'x');
	stop_child(pid);
	int status;
	CHECK_EQ(waitpid(writer, &status, 0), writer);
	CHECK_EQ(status, 0);
}

static void sleep_tests(void)
{
	install(SA_RESTART);
	int status;

	/* nanosleep, pause and sigtimedwait with a handler: EINTR (even with SA_RESTART). */
	pid_t pid = start_pester(SIGUSR1);
	struct timespec req = { 100, 0 }, rem = { 0, 0 };
	CHECK_ERR(nanosleep(&req, &rem), EINTR);
	if (!(rem.tv_sec <= 100 && (rem.tv_sec > 0 || rem.tv_nsec > 0)))
		test_fail(__FILE__, __LINE__, "rem %ld.%09ld", (long)rem.tv_sec, rem.tv_nsec);
	CHECK_ERR(pause(), EINTR);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	CHECK_ERR(sigtimedwait(&set, NULL, &req), EINTR);
	stop_child(pid);

	/* No handler: nanosleep is restarted through restart_syscall and completes. */
	pid_t sleeper = (pid_t)CHECK_SYS(fork());
	if (sleeper == 0) {
		struct timespec r = { 0, 300 * 1000 * 1000 };
		_exit(nanosleep(&r, NULL) == 0 ? 0 : 1);
	}
	while (waitpid(sleeper, &status, WNOHANG | WUNTRACED) == 0) {
		kill(sleeper, SIGSTOP);
		kill(sleeper, SIGCONT);
		usleep(1000);
	}
	/* A stop seen by waitpid: let the child go on until it exits. */
	while (!WIFEXITED(status)) {
		kill(sleeper, SIGCONT);
		CHECK_EQ(waitpid(sleeper, &status, WUNTRACED), sleeper);
	}
	CHECK_EQ(WEXITSTATUS(status), 0);
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "pipe") == 0)
		pipe_tests();
	else if (argc == 2 && strcmp(argv[1], "sleep") == 0)
		sleep_tests();
	else
		return 2;
	return 0;
}
