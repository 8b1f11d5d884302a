/*
 * unix_socket_fork: AF_UNIX calls that block, woken by another process:
 * accept woken by a connect, recv by a send, MSG_WAITALL gathering two
 * sends, a connect that waits for room in a full backlog until an accept
 * (Linux's unix_wait_for_peer), a datagram sender blocked on a full
 * receiver; and SIGPIPE's default action for a send to a closed peer.
 * Needs fork (issue 4): natively only until the sandbox has it.
 */
#include <signal.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "test.h"

static void wait_child(pid_t pid, int want_status)
{
	int st;
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK_EQ(st, want_status);
}

int main(void)
{
	/* Unique: the abstract namespace is shared with every test running now. */
	unsigned id = 0;
	CHECK_EQ(syscall(SYS_getrandom, &id, sizeof(id), 0), sizeof(id));
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int n = snprintf(a.sun_path + 1, sizeof(a.sun_path) - 1, "runsc-fork-test-%08x", id);
	socklen_t alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);

	/* A blocking accept, woken by a child's connect; then a blocking recv. */
	int srv = CHECK_SYS(socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK_SYS(bind(srv, (struct sockaddr *)&a, alen));
	CHECK_SYS(listen(srv, 0));
	pid_t pid = CHECK_SYS(fork());
	if (pid == 0) {
		usleep(50000);
		int c = socket(AF_UNIX, SOCK_STREAM, 0);
		if (connect(c, (struct sockaddr *)&a, alen) != 0)
			_exit(1);
		usleep(50000);
		if (send(c, "abc", 3, 0) != 3)
			_exit(2);
		usleep(50000);
		if (send(c, "def", 3, 0) != 3)
			_exit(3);
		/* The queue holds one pending connection (backlog 0); the next waits. */
		int c2 = socket(AF_UNIX, SOCK_STREAM, 0);
		int c3 = socket(AF_UNIX, SOCK_STREAM, 0);
		if (connect(c2, (struct sockaddr *)&a, alen) != 0)
			_exit(4);
		if (connect(c3, (struct sockaddr *)&a, alen) != 0) /* blocks until an accept */
			_exit(5);
		_exit(0);
	}
	int s = CHECK_SYS(accept(srv, NULL, NULL));
	char buf[8];
	CHECK_EQ(recv(s, buf, 1, 0), 1);
	CHECK_EQ(recv(s, buf, 5, MSG_WAITALL), 5);
	CHECK(memcmp(buf, "bcdef", 5) == 0);
	usleep(100000);
	int s2 = CHECK_SYS(accept(srv, NULL, NULL));
	int s3 = CHECK_SYS(accept(srv, NULL, NULL));
	wait_child(pid, 0);
	CHECK_EQ(recv(s, buf, sizeof(buf), 0), 0);
	close(s);
	close(s2);
	close(s3);
	close(srv);

	/* A datagram sender blocked on a full receiver, until the receiver reads. */
	int r = CHECK_SYS(socket(AF_UNIX, SOCK_DGRAM, 0));
	CHECK_SYS(bind(r, (struct sockaddr *)&a, alen));
	pid = CHECK_SYS(fork());
	if (pid == 0) {
		int c = socket(AF_UNIX, SOCK_DGRAM, 0);
		for (int i = 0; i < 30; i++) {
			if (sendto(c, "d", 1, 0, (struct sockaddr *)&a, alen) != 1)
				_exit(1);
		}
		_exit(0);
	}
	usleep(100000);
	for (int i = 0; i < 30; i++)
		CHECK_EQ(recv(r, buf, sizeof(buf), 0), 1);
	wait_child(pid, 0);
	close(r);

	/* SIGPIPE's default action kills a writer whose peer has gone. */
	int sv[2];
	CHECK_SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	close(sv[1]);
	pid = CHECK_SYS(fork());
	if (pid == 0) {
		signal(SIGPIPE, SIG_DFL);
		send(sv[0], "x", 1, 0);
		_exit(0);
	}
	int st;
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFSIGNALED(st));
	CHECK_EQ(WTERMSIG(st), SIGPIPE);
	/* MSG_NOSIGNAL: EPIPE only. */
	pid = CHECK_SYS(fork());
	if (pid == 0) {
		signal(SIGPIPE, SIG_DFL);
		_exit(send(sv[0], "x", 1, MSG_NOSIGNAL) == -1 && errno == EPIPE ? 0 : 1);
	}
	wait_child(pid, 0);
	close(sv[0]);
	return 0;
}
