/*
 * threads: pthreads and raw clone: shared memory and fds, distinct tids,
 * CLONE_PARENT_SETTID, CLONE_CHILD_SETTID and CLONE_CHILD_CLEARTID (the
 * join), a thread exiting while others run, exit_group from a thread, and
 * clone's flag checks.
 */
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>

#include "test.h"

#define NTHREADS 16

static atomic_int counter;
static pid_t tids[NTHREADS];

static void *worker(void *arg)
{
	int i = (int)(long)arg;
	tids[i] = (pid_t)syscall(SYS_gettid);
	for (int k = 0; k < 1000; k++)
		atomic_fetch_add(&counter, 1);
	return (void *)(long)(i * 2);
}

static void *exiter(void *arg)
{
	(void)arg;
	syscall(SYS_exit, 0); /* only this thread */
	return NULL;
}

static void *group_exiter(void *arg)
{
	(void)arg;
	syscall(SYS_exit_group, 77);
	return NULL;
}

static volatile int32_t ptid, ctid = -1;
static char child_stack[65536] __attribute__((aligned(16)));

static int raw_child(void *arg)
{
	(void)arg;
	return 0;
}

int main(void)
{
	pid_t me = getpid();
	CHECK_EQ(syscall(SYS_gettid), me);
	pthread_t th[NTHREADS];
	for (int i = 0; i < NTHREADS; i++)
		CHECK_EQ(pthread_create(&th[i], NULL, worker, (void *)(long)i), 0);
	for (int i = 0; i < NTHREADS; i++) {
		void *ret;
		CHECK_EQ(pthread_join(th[i], &ret), 0);
		CHECK_EQ((long)ret, i * 2);
	}
	CHECK_EQ(atomic_load(&counter), NTHREADS * 1000);
	for (int i = 0; i < NTHREADS; i++) {
		CHECK(tids[i] != me && tids[i] > 0);
		for (int j = 0; j < i; j++)
			CHECK(tids[i] != tids[j]);
	}

	/* A thread that exits alone leaves the process running. */
	pthread_t t1;
	CHECK_EQ(pthread_create(&t1, NULL, exiter, NULL), 0);
	CHECK_EQ(pthread_join(t1, NULL), 0);
	CHECK_EQ(getpid(), me);

	/* Raw clone: the tid lands in both words; the clear-tid word is zeroed and woken. */
	int flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
	            CLONE_SYSVSEM | CLONE_PARENT_SETTID | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID;
	int tid = clone(raw_child, child_stack + sizeof(child_stack), flags, NULL, &ptid, NULL,
	                &ctid);
	CHECK(tid > 0);
	CHECK_EQ(ptid, tid);
	for (;;) {
		int32_t v = ctid;
		if (v == 0)
			break;
		/* The kernel wakes this futex when it clears the word. */
		syscall(SYS_futex, &ctid, FUTEX_WAIT, v, NULL, NULL, 0);
	}

	/* Flag checks. */
	CHECK_ERR(syscall(SYS_clone, CLONE_THREAD, NULL, NULL, NULL, NULL), EINVAL);
	CHECK_ERR(syscall(SYS_clone, CLONE_SIGHAND, NULL, NULL, NULL, NULL), EINVAL);
	CHECK_ERR(syscall(SYS_clone, CLONE_FS | CLONE_NEWNS, NULL, NULL, NULL, NULL), EINVAL);

	/* exit_group from a thread ends every thread with its status: in a child process. */
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		pthread_t g;
		if (pthread_create(&g, NULL, group_exiter, NULL) != 0)
			_exit(1);
		for (;;)
			pause();
	}
	int st;
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 77);

	/* The last thread's exit(2) status is the process's when it is not the leader's. */
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		pthread_t g;
		if (pthread_create(&g, NULL, exiter, NULL) != 0)
			_exit(1);
		pthread_join(g, NULL);
		syscall(SYS_exit, 33); /* the leader last: the process ends with 33 */
	}
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 33);
	puts("threads: ok");
	return 0;
}
