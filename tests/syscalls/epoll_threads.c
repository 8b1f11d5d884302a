/*
 * Waits that need a second thread or a signal handler (issue 4: natively
 * only until the sandbox has threads and handlers): a thread blocked in
 * epoll_wait woken by an eventfd write from another; blocking eventfd
 * reads and writes woken by the other side; a blocking timerfd read; a
 * nested epoll waking its outer waiter; and epoll_wait interrupted by a
 * signal with a handler failing with EINTR even with SA_RESTART (it is
 * never restarted), while a blocking eventfd read is restarted.
 */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>

#include "test.h"

static int g_efd, g_ep;
static volatile sig_atomic_t g_signals;

static void *writer(void *arg)
{
	uint64_t v = (uintptr_t)arg;
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	nanosleep(&ts, NULL); /* most likely after the main thread blocks; either order passes */
	if (write(g_efd, &v, 8) != 8)
		abort();
	return NULL;
}

static void *reader(void *arg)
{
	(void)arg;
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	nanosleep(&ts, NULL);
	uint64_t v;
	if (read(g_efd, &v, 8) != 8)
		abort();
	return NULL;
}

static void *signaller(void *arg)
{
	pthread_t target = *(pthread_t *)arg;
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	nanosleep(&ts, NULL);
	pthread_kill(target, SIGUSR1);
	return NULL;
}

static void on_usr1(int sig)
{
	(void)sig;
	g_signals++;
}

int main(void)
{
	pthread_t th;
	struct epoll_event ev;
	g_efd = (int)CHECK_SYS(eventfd(0, 0));
	g_ep = (int)CHECK_SYS(epoll_create1(0));
	ev = (struct epoll_event){ .events = EPOLLIN | EPOLLET, .data.u64 = 77 };
	CHECK_SYS(epoll_ctl(g_ep, EPOLL_CTL_ADD, g_efd, &ev));

	/* epoll_wait woken by a write from another thread. */
	CHECK_EQ(pthread_create(&th, NULL, writer, (void *)1), 0);
	CHECK_EQ(epoll_wait(g_ep, &ev, 1, -1), 1);
	CHECK_EQ(ev.data.u64, 77);
	pthread_join(th, NULL);

	/* A nested epoll wakes its outer waiter. */
	int outer = (int)CHECK_SYS(epoll_create1(0));
	ev = (struct epoll_event){ .events = EPOLLIN, .data.u64 = 88 };
	CHECK_SYS(epoll_ctl(outer, EPOLL_CTL_ADD, g_ep, &ev));
	uint64_t v;
	CHECK_EQ(read(g_efd, &v, 8), 8);
	CHECK_EQ(pthread_create(&th, NULL, writer, (void *)1), 0);
	CHECK_EQ(epoll_wait(outer, &ev, 1, -1), 1);
	CHECK_EQ(ev.data.u64, 88);
	pthread_join(th, NULL);

	/* A blocking read waits for the write; a blocking write for room. */
	CHECK_EQ(read(g_efd, &v, 8), 8);
	CHECK_EQ(pthread_create(&th, NULL, writer, (void *)5), 0);
	CHECK_EQ(read(g_efd, &v, 8), 8);
	CHECK_EQ(v, 5);
	pthread_join(th, NULL);
	v = UINT64_MAX - 1;
	CHECK_EQ(write(g_efd, &v, 8), 8);
	CHECK_EQ(pthread_create(&th, NULL, reader, NULL), 0);
	v = 3;
	CHECK_EQ(write(g_efd, &v, 8), 8);
	pthread_join(th, NULL);
	CHECK_EQ(read(g_efd, &v, 8), 8);
	CHECK_EQ(v, 3);

	/* A blocking timerfd read. */
	int tf = (int)CHECK_SYS(timerfd_create(CLOCK_MONOTONIC, 0));
	struct itimerspec its = { .it_value = { 0, 10 * 1000 * 1000 } };
	CHECK_SYS(timerfd_settime(tf, 0, &its, NULL));
	CHECK_EQ(read(tf, &v, 8), 8);
	CHECK_EQ(v, 1);

	/* A signal with an SA_RESTART handler: epoll_wait still fails with EINTR. */
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };
	sigemptyset(&sa.sa_mask);
	CHECK_SYS(sigaction(SIGUSR1, &sa, NULL));
	pthread_t self = pthread_self();
	CHECK_EQ(pthread_create(&th, NULL, signaller, &self), 0);
	CHECK_ERR(epoll_wait(g_ep, &ev, 1, -1), EINTR);
	CHECK_EQ(g_signals, 1);
	pthread_join(th, NULL);
	/* ... while a blocking eventfd read is restarted and completes. */
	CHECK_EQ(pthread_create(&th, NULL, signaller, &self), 0);
	pthread_t w2;
	CHECK_EQ(pthread_create(&w2, NULL, writer, (void *)9), 0);
	/* The writer sleeps as long as the signaller: let it come second most of the time. */
	CHECK_EQ(read(g_efd, &v, 8), 8);
	CHECK_EQ(v, 9);
	pthread_join(th, NULL);
	pthread_join(w2, NULL);

	/* epoll_pwait: a signal the wait's mask blocks does not interrupt it ... */
	sigset_t block, none;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigemptyset(&none);
	CHECK_SYS(sigprocmask(SIG_BLOCK, &block, NULL));
	CHECK_EQ(pthread_create(&th, NULL, signaller, &self), 0);
	CHECK_EQ(epoll_pwait(g_ep, &ev, 1, 100, &block), 0);
	pthread_join(th, NULL);
	CHECK_EQ(g_signals, 2);
	/* ... and a wait whose mask unblocks it is interrupted at once, the handler run. */
	CHECK_ERR(epoll_pwait(g_ep, &ev, 1, -1, &none), EINTR);
	CHECK_EQ(g_signals, 3);
	/* The old mask is back. */
	sigset_t cur;
	CHECK_SYS(sigprocmask(SIG_BLOCK, NULL, &cur));
	CHECK(sigismember(&cur, SIGUSR1));
	close(tf);
	close(outer);
	close(g_ep);
	close(g_efd);
	return 0;
}
