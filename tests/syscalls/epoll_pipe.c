/*
 * epoll on a pipe: edge-triggered reads (one event per write, none for
 * data already reported, a new one after more is written), level-triggered
 * writability that ends when the pipe is full and an edge when room comes
 * back, EPOLLHUP on the read end once the writer is gone and EPOLLERR on
 * the write end once the reader is gone, and EPOLLONESHOT.
 * Single-threaded, non-blocking.
 */
#include <fcntl.h>
#include <stdint.h>
#include <sys/epoll.h>

#include "test.h"

static int wait_now(int ep, struct epoll_event *ev)
{
	return (int)CHECK_SYS(epoll_wait(ep, ev, 4, 0));
}

int main(void)
{
	int p[2];
	CHECK_SYS(pipe2(p, O_NONBLOCK));
	int ep = (int)CHECK_SYS(epoll_create1(0));
	struct epoll_event ev[4] = { { .events = EPOLLIN | EPOLLET | EPOLLRDHUP, .data.u64 = 1 } };
	CHECK_SYS(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], ev));
	CHECK_EQ(wait_now(ep, ev), 0);

	/* One event per write, though data stays unread. */
	CHECK_EQ(write(p[1], "abc", 3), 3);
	CHECK_EQ(wait_now(ep, ev), 1);
	CHECK_EQ(ev[0].events, EPOLLIN);
	CHECK_EQ(ev[0].data.u64, 1);
	CHECK_EQ(wait_now(ep, ev), 0);
	char buf[8];
	CHECK_EQ(read(p[0], buf, 1), 1);
	CHECK_EQ(wait_now(ep, ev), 0);
	CHECK_EQ(write(p[1], "d", 1), 1);
	CHECK_EQ(wait_now(ep, ev), 1);
	CHECK_EQ(wait_now(ep, ev), 0);
	CHECK_EQ(read(p[0], buf, sizeof(buf)), 3);
	CHECK_EQ(wait_now(ep, ev), 0);

	/* The write end, level-triggered: writable until full. */
	struct epoll_event wev = { .events = EPOLLOUT, .data.u64 = 2 };
	CHECK_SYS(epoll_ctl(ep, EPOLL_CTL_ADD, p[1], &wev));
	CHECK_EQ(wait_now(ep, ev), 1);
	CHECK_EQ(ev[0].events, EPOLLOUT);
	CHECK_EQ(wait_now(ep, ev), 1);
	static char big[1 << 16];
	long total = 0, n;
	while ((n = write(p[1], big, sizeof(big))) > 0)
		total += n;
	CHECK_EQ(errno, EAGAIN);
	CHECK(total > 0);
	/* Full: only the reader's edge. */
	CHECK_EQ(wait_now(ep, ev), 1);
	CHECK_EQ(ev[0].data.u64, 1);
	CHECK_EQ(wait_now(ep, ev), 0);
	/* Edge-triggered writability: an event once room is made. */
	wev.events = EPOLLOUT | EPOLLET;
	CHECK_SYS(epoll_ctl(ep, EPOLL_CTL_MOD, p[1], &wev));
	CHECK_EQ(wait_now(ep, ev), 0);
	while (total > 0) {
		n = read(p[0], big, sizeof(big));
		CHECK(n > 0);
		total -= n;
	}
	int nev = wait_now(ep, ev);
	CHECK(nev >= 1);
	int saw_out = 0;
	for (int i = 0; i < nev; i++)
		saw_out |= ev[i].data.u64 == 2 && ev[i].events == EPOLLOUT;
	CHECK(saw_out);
	CHECK_EQ(wait_now(ep, ev), 0);

	/* One-shot on the read end. */
	struct epoll_event rev = { .events = EPOLLIN | EPOLLONESHOT, .data.u64 = 3 };
	CHECK_SYS(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &rev));
	CHECK_EQ(write(p[1], "x", 1), 1);
	CHECK_EQ(wait_now(ep, ev), 1);
	CHECK_EQ(ev[0].data.u64, 3);
	CHECK_EQ(wait_now(ep, ev), 0);
	CHECK_EQ(write(p[1], "y", 1), 1);
	CHECK_EQ(wait_now(ep, ev), 0);
	CHECK_SYS(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &rev));
	CHECK_EQ(wait_now(ep, ev), 1);
	CHECK_EQ(read(p[0], buf, sizeof(buf)), 2);

	/* The writer gone: EPOLLHUP on the read end (asked for or not). */
	rev.events = EPOLLIN;
	CHECK_SYS(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &rev));
	CHECK_SYS(epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL));
	int w2 = (int)CHECK_SYS(dup(p[1]));
	close(p[1]);
	CHECK_EQ(wait_now(ep, ev), 0);
	close(w2);
	CHECK_EQ(wait_now(ep, ev), 1);
	CHECK_EQ(ev[0].events, EPOLLHUP);
	close(p[0]);
	CHECK_EQ(wait_now(ep, ev), 0);

	/* A pipe in an inner epoll, the inner one edge-triggered in an outer one. */
	CHECK_SYS(pipe2(p, O_NONBLOCK));
	int inner = (int)CHECK_SYS(epoll_create1(0));
	rev = (struct epoll_event){ .events = EPOLLIN, .data.u64 = 5 };
	CHECK_SYS(epoll_ctl(inner, EPOLL_CTL_ADD, p[0], &rev));
	rev = (struct epoll_event){ .events = EPOLLIN | EPOLLET, .data.u64 = 6 };
	CHECK_SYS(epoll_ctl(ep, EPOLL_CTL_ADD, inner, &rev));
	CHECK_EQ(wait_now(ep, ev), 0);
	CHECK_EQ(write(p[1], "z", 1), 1);
	CHECK_EQ(wait_now(ep, ev), 1);
	CHECK_EQ(ev[0].data.u64, 6);
	CHECK_EQ(wait_now(ep, ev), 0);
	CHECK_EQ(wait_now(inner, ev), 1);
	CHECK_EQ(ev[0].data.u64, 5);
	CHECK_EQ(wait_now(ep, ev), 0);
	CHECK_EQ(write(p[1], "z", 1), 1);
	CHECK_EQ(wait_now(ep, ev), 1);
	CHECK_EQ(wait_now(ep, ev), 0);
	close(inner);
	close(p[0]);
	close(p[1]);

	/* The reader gone: EPOLLERR on the write end. */
	CHECK_SYS(pipe2(p, O_NONBLOCK));
	wev = (struct epoll_event){ .events = EPOLLOUT, .data.u64 = 4 };
	CHECK_SYS(epoll_ctl(ep, EPOLL_CTL_ADD, p[1], &wev));
	close(p[0]);
	CHECK_EQ(wait_now(ep, ev), 1);
	CHECK_EQ(ev[0].events, EPOLLOUT | EPOLLERR);
	close(p[1]);
	close(ep);
	return 0;
}
