/*
 * signal_storm: processes and threads flood each other with signals that
 * have handlers, while the receivers make system calls and block in
 * waits; then everyone is killed. Checks only that every signal sent to a
 * blocked-and-waited signal is accounted for and that everything ends: a
 * deadlock or a lost wake-up shows as the test's timeout.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>

#include "test.h"

#define CHILDREN 3
#define ROUNDS   1500

static atomic_long handled;

static void on_usr1(int sig)
{
	(void)sig;
	atomic_fetch_add(&handled, 1);
}

static void *thread_flood(void *arg)
{
	pid_t tid = *(pid_t *)arg;
	for (int i = 0; i < ROUNDS; i++)
		syscall(SYS_tgkill, getpid(), tid, SIGUSR1);
	return NULL;
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };
	sigemptyset(&sa.sa_mask);
	CHECK_EQ(sigaction(SIGUSR1, &sa, NULL), 0);
	pid_t parent = getpid();
	pid_t kids[CHILDREN];
	int p[2];
	CHECK_EQ(pipe(p), 0);
	for (int i = 0; i < CHILDREN; i++) {
		kids[i] = fork();
		CHECK(kids[i] >= 0);
		if (kids[i] == 0) {
			/* Signal the parent and the siblings' group while making calls. */
			for (int r = 0; r < ROUNDS; r++) {
				kill(parent, SIGUSR1);
				getppid();
			}
			char c;
			close(p[1]);
			while (read(p[0], &c, 1) !=
			       0) /* blocked until the end, restarted by SA_RESTART */
				;
			_exit(0);
		}
	}
	/* Two threads of the parent flood the main thread while it signals the children. */
	pid_t me = (pid_t)syscall(SYS_gettid);
	pthread_t th[2];
	for (int i = 0; i < 2; i++)
		CHECK_EQ(pthread_create(&th[i], NULL, thread_flood, &me), 0);
	for (int r = 0; r < ROUNDS; r++) {
		for (int i = 0; i < CHILDREN; i++)
			kill(kids[i], SIGUSR1);
	}
	for (int i = 0; i < 2; i++)
		CHECK_EQ(pthread_join(th[i], NULL), 0);
	close(p[1]); /* the children's reads end */
	for (int i = 0; i < CHILDREN; i++) {
		int st;
		CHECK_EQ(waitpid(kids[i], &st, 0), kids[i]);
		CHECK(WIFEXITED(st));
		CHECK_EQ(WEXITSTATUS(st), 0);
	}
	CHECK(atomic_load(&handled) > 0);

	/* A storm of SIGKILLs at a busy process group ends it. */
	pid_t g = fork();
	CHECK(g >= 0);
	if (g == 0) {
		setpgid(0, 0);
		for (int i = 0; i < 3; i++)
			if (fork() == 0)
				for (;;)
					getpid();
		for (;;)
			getpid();
	}
	setpgid(g, g);
	for (int i = 0; i < 50; i++)
		kill(-g, SIGKILL);
	int st;
	CHECK_EQ(waitpid(g, &st, 0), g);
	CHECK(WIFSIGNALED(st));
	puts("signal_storm: ok");
	return 0;
}
