/*
 * unix_socket: AF_UNIX sockets in one process, all non-blocking: stream,
 * datagram and seqpacket data and message boundaries, MSG_PEEK, MSG_TRUNC,
 * MSG_WAITALL without waiting, SCM_RIGHTS (an fd passed to oneself and
 * read through), MSG_CTRUNC, SCM_CREDENTIALS, shutdown, EPIPE with SIGPIPE
 * ignored, path, abstract and autobound names, getsockname/getpeername,
 * ECONNREFUSED, EADDRINUSE, EPROTOTYPE, EISCONN, the listen backlog,
 * options, ioctls, SO_RCVTIMEO/SO_SNDTIMEO expiry, fstat and /proc/self/fd,
 * other families.
 *
 * Readiness is checked through non-blocking calls (EAGAIN); poll(2)'s
 * view of sentry sockets arrives with the sentry's poll rewrite (issue 4),
 * so poll asserts are skipped where poll reports an empty socket readable
 * (see poll_checks).
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "fs_util.h"
#include "test.h"

#ifndef SIOCINQ
#define SIOCINQ FIONREAD
#endif
#ifndef SIOCOUTQ
#define SIOCOUTQ TIOCOUTQ
#endif

static socklen_t path_addr(struct sockaddr_un *a, const char *path)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	strcpy(a->sun_path, path);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1);
}

/*
 * An abstract name unique to this run: natively, the abstract namespace is
 * the host network namespace's, shared with every other test running now.
 */
static socklen_t abstract_addr(struct sockaddr_un *a, const char *name)
{
	static unsigned run_id;
	while (run_id == 0)
		CHECK_EQ(syscall(SYS_getrandom, &run_id, sizeof(run_id), 0), sizeof(run_id));
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	int n = snprintf(a->sun_path + 1, sizeof(a->sun_path) - 1, "%s-%08x", name, run_id);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
}

static void pair(int type, int sv[2])
{
	CHECK_SYS(socketpair(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv));
}

static void stream_data(void)
{
	int sv[2];
	pair(SOCK_STREAM, sv);
	char buf[64];
	CHECK_ERR(recv(sv[1], buf, sizeof(buf), 0), EAGAIN);
	CHECK_EQ(send(sv[0], "hello", 5, 0), 5);
	CHECK_EQ(write(sv[0], " world", 6), 6);
	int n = 0;
	CHECK_SYS(ioctl(sv[1], SIOCINQ, &n));
	CHECK_EQ(n, 11);
	CHECK_SYS(ioctl(sv[0], SIOCOUTQ, &n));
	CHECK(n > 0);
	/* A stream has no boundaries; MSG_PEEK leaves the data. */
	CHECK_EQ(recv(sv[1], buf, 3, MSG_PEEK), 3);
	CHECK(memcmp(buf, "hel", 3) == 0);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), MSG_PEEK), 11);
	CHECK_EQ(read(sv[1], buf, 7), 7);
	CHECK(memcmp(buf, "hello w", 7) == 0);
	/* MSG_WAITALL with the data there already. */
	CHECK_EQ(recv(sv[1], buf, 4, MSG_WAITALL), 4);
	CHECK(memcmp(buf, "orld", 4) == 0);
	CHECK_SYS(ioctl(sv[0], SIOCOUTQ, &n));
	CHECK_EQ(n, 0);
	/* readv/writev and sendmsg/recvmsg with iovecs. */
	struct iovec iov[2] = { { "ab", 2 }, { "cde", 3 } };
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };
	CHECK_EQ(sendmsg(sv[1], &mh, 0), 5);
	char x[2], y[8];
	struct iovec riov[2] = { { x, 2 }, { y, 8 } };
	struct msghdr rh = { .msg_iov = riov, .msg_iovlen = 2 };
	CHECK_EQ(recvmsg(sv[0], &rh, 0), 5);
	CHECK(memcmp(x, "ab", 2) == 0 && memcmp(y, "cde", 3) == 0);
	CHECK_EQ(rh.msg_flags, 0);

	/* Fill the send buffer: EAGAIN, and the peer reads it all back. */
	static char big[65536];
	long total = 0;
	for (;;) {
		ssize_t r = send(sv[0], big, sizeof(big), MSG_DONTWAIT);
		if (r < 0) {
			CHECK_EQ(errno, EAGAIN);
			break;
		}
		total += r;
	}
	CHECK(total > 0 && total <= 4 * 212992);
	long got = 0;
	for (;;) {
		ssize_t r = recv(sv[1], big, sizeof(big), 0);
		if (r < 0) {
			CHECK_EQ(errno, EAGAIN);
			break;
		}
		got += r;
	}
	CHECK_EQ(got, total);

	/* shutdown(SHUT_WR): the peer reads EOF, we get EPIPE (SIGPIPE ignored). */
	CHECK_SYS(shutdown(sv[0], SHUT_WR));
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 0);
	CHECK_ERR(send(sv[0], "x", 1, 0), EPIPE);
	CHECK_ERR(write(sv[0], "x", 1), EPIPE);
	/* The other direction still works. */
	CHECK_EQ(send(sv[1], "back", 4, 0), 4);
	CHECK_EQ(recv(sv[0], buf, sizeof(buf), 0), 4);
	CHECK_ERR(shutdown(sv[0], 7), EINVAL);
	/* The peer closes: EOF, then EPIPE. */
	close(sv[1]);
	CHECK_EQ(recv(sv[0], buf, sizeof(buf), 0), 0);
	close(sv[0]);

	/* Closing with unread data: the peer reads ECONNRESET, then EOF. */
	pair(SOCK_STREAM, sv);
	CHECK_EQ(send(sv[0], "lost", 4, 0), 4);
	close(sv[1]);
	CHECK_ERR(send(sv[0], "x", 1, MSG_NOSIGNAL), EPIPE);
	CHECK_ERR(recv(sv[0], buf, sizeof(buf), 0), ECONNRESET);
	CHECK_EQ(recv(sv[0], buf, sizeof(buf), 0), 0);
	close(sv[0]);
}

static void dgram_data(int type)
{
	int sv[2];
	pair(type, sv);
	char buf[64];
	CHECK_EQ(send(sv[0], "one", 3, 0), 3);
	CHECK_EQ(send(sv[0], "", 0, 0), 0);
	CHECK_EQ(send(sv[0], "three", 5, 0), 5);
	int n = 0;
	CHECK_SYS(ioctl(sv[1], SIOCINQ, &n));
	CHECK_EQ(n, type == SOCK_DGRAM ? 3 : 8);
	/* Boundaries are kept; a short buffer truncates (MSG_TRUNC in the flags). */
	CHECK_EQ(recv(sv[1], buf, 2, MSG_PEEK), 2);
	CHECK_EQ(recv(sv[1], buf, 2, MSG_PEEK | MSG_TRUNC), 3);
	struct iovec iov = { buf, 2 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	CHECK_EQ(recvmsg(sv[1], &mh, 0), 2);
	CHECK_EQ(mh.msg_flags, MSG_TRUNC);
	CHECK(memcmp(buf, "on", 2) == 0);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 0);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 5);
	CHECK(memcmp(buf, "three", 5) == 0);
	CHECK_ERR(recv(sv[1], buf, sizeof(buf), 0), EAGAIN);
	/* Too big for the send buffer. */
	int sndbuf = 0;
	socklen_t l = sizeof(sndbuf);
	CHECK_SYS(getsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, &l));
	char *huge = test_map((size_t)sndbuf, PROT_READ | PROT_WRITE);
	CHECK_ERR(send(sv[0], huge, (size_t)sndbuf, 0), EMSGSIZE);
	/* Fill: EAGAIN, without losing a message. */
	int sent = 0;
	while (send(sv[0], "m", 1, 0) == 1)
		sent++;
	CHECK_EQ(errno, EAGAIN);
	CHECK(sent > 10);
	int got = 0;
	while (recv(sv[1], buf, sizeof(buf), 0) == 1)
		got++;
	CHECK_EQ(errno, EAGAIN);
	CHECK_EQ(got, sent);
	/*
	 * shutdown(SHUT_RD): a seqpacket read ends (0); a non-blocking datagram
	 * read still says EAGAIN (only a wait sees the shutdown).
	 */
	CHECK_SYS(shutdown(sv[1], SHUT_RD));
	if (type == SOCK_SEQPACKET)
		CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 0);
	else
		CHECK_ERR(recv(sv[1], buf, sizeof(buf), 0), EAGAIN);
	close(sv[1]);
	if (type == SOCK_SEQPACKET) {
		CHECK_ERR(send(sv[0], "x", 1, 0), EPIPE);
	} else {
		CHECK_ERR(send(sv[0], "x", 1, 0), ECONNREFUSED);
		CHECK_ERR(send(sv[0], "x", 1, 0), ENOTCONN);
	}
	close(sv[0]);
}

static void scm_rights(void)
{
	int sv[2];
	pair(SOCK_STREAM, sv);
	int p[2];
	pair(SOCK_DGRAM, p);
	CHECK_EQ(send(p[0], "through", 7, 0), 7);

	/* Pass p[1] to ourselves, close the original, and read through the new fd. */
	char cbuf[CMSG_SPACE(sizeof(int))];
	memset(cbuf, 0, sizeof(cbuf));
	struct iovec iov = { "F", 1 };
	struct msghdr mh = { .msg_iov = &iov,
		             .msg_iovlen = 1,
		             .msg_control = cbuf,
		             .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &p[1], sizeof(int));
	CHECK_EQ(sendmsg(sv[0], &mh, 0), 1);
	close(p[1]);

	char data[4];
	char rbuf[CMSG_SPACE(sizeof(int))];
	struct iovec riov = { data, sizeof(data) };
	struct msghdr rh = { .msg_iov = &riov,
		             .msg_iovlen = 1,
		             .msg_control = rbuf,
		             .msg_controllen = sizeof(rbuf) };
	CHECK_EQ(recvmsg(sv[1], &rh, MSG_CMSG_CLOEXEC), 1);
	CHECK_EQ(rh.msg_flags & MSG_CTRUNC, 0);
	c = CMSG_FIRSTHDR(&rh);
	CHECK(c != NULL);
	CHECK_EQ(c->cmsg_level, SOL_SOCKET);
	CHECK_EQ(c->cmsg_type, SCM_RIGHTS);
	CHECK_EQ(c->cmsg_len, CMSG_LEN(sizeof(int)));
	int fd;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	CHECK_EQ(rh.msg_controllen, CMSG_SPACE(sizeof(int)));
	CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
	char buf[16];
	CHECK_EQ(recv(fd, buf, sizeof(buf), 0), 7);
	CHECK(memcmp(buf, "through", 7) == 0);
	close(fd);

	/* No room for the fd: MSG_CTRUNC, and the fd is not installed. */
	int before = dup(0);
	close(before);
	memcpy(CMSG_DATA(CMSG_FIRSTHDR(&mh)), &p[0], sizeof(int));
	CHECK_EQ(sendmsg(sv[0], &mh, 0), 1);
	rh.msg_controllen = sizeof(struct cmsghdr);
	rh.msg_flags = 0;
	CHECK_EQ(recvmsg(sv[1], &rh, 0), 1);
	CHECK_EQ(rh.msg_flags & MSG_CTRUNC, MSG_CTRUNC);
	CHECK_EQ(rh.msg_controllen, 0);
	int next = dup(0);
	CHECK_EQ(next, before);
	close(next);
	/* No control buffer at all: MSG_CTRUNC too. */
	CHECK_EQ(sendmsg(sv[0], &mh, 0), 1);
	rh.msg_control = NULL;
	rh.msg_controllen = 0;
	CHECK_EQ(recvmsg(sv[1], &rh, 0), 1);
	CHECK_EQ(rh.msg_flags & MSG_CTRUNC, MSG_CTRUNC);

	/* A bad fd is EBADF; an unknown type EINVAL. */
	int bad = 999;
	memcpy(CMSG_DATA(CMSG_FIRSTHDR(&mh)), &bad, sizeof(int));
	CHECK_ERR(sendmsg(sv[0], &mh, 0), EBADF);
	CMSG_FIRSTHDR(&mh)->cmsg_type = 77;
	CHECK_ERR(sendmsg(sv[0], &mh, 0), EINVAL);
	CMSG_FIRSTHDR(&mh)->cmsg_type = SCM_RIGHTS;
	CMSG_FIRSTHDR(&mh)->cmsg_len = sizeof(cbuf) + 8;
	CHECK_ERR(sendmsg(sv[0], &mh, 0), EINVAL);

	/* Datagram: fds ride with their message; peeking shares them, reading takes them. */
	int d[2];
	pair(SOCK_DGRAM, d);
	CMSG_FIRSTHDR(&mh)->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(CMSG_FIRSTHDR(&mh)), &p[0], sizeof(int));
	CHECK_EQ(sendmsg(d[0], &mh, 0), 1);
	rh.msg_control = rbuf;
	rh.msg_controllen = sizeof(rbuf);
	CHECK_EQ(recvmsg(d[1], &rh, MSG_PEEK), 1);
	memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&rh)), sizeof(int));
	CHECK_EQ(fcntl(fd, F_GETFD), 0);
	close(fd);
	rh.msg_controllen = sizeof(rbuf);
	CHECK_EQ(recvmsg(d[1], &rh, 0), 1);
	memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&rh)), sizeof(int));
	struct stat a, b;
	CHECK_SYS(fstat(fd, &a));
	CHECK_SYS(fstat(p[0], &b));
	CHECK_EQ(a.st_ino, b.st_ino);
	close(fd);
	/* A message with fds that is never read: released with the socket. */
	CHECK_EQ(sendmsg(d[0], &mh, 0), 1);
	close(d[0]);
	close(d[1]);
	close(p[0]);
	close(sv[0]);
	close(sv[1]);
}

static void scm_credentials(void)
{
	int sv[2];
	pair(SOCK_DGRAM, sv);
	int one = 1;
	CHECK_SYS(setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)));
	int v = 0;
	socklen_t l = sizeof(v);
	CHECK_SYS(getsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &v, &l));
	CHECK_EQ(v, 1);
	CHECK_EQ(send(sv[0], "c", 1, 0), 1);
	char data[4];
	char cbuf[CMSG_SPACE(sizeof(struct ucred))];
	struct iovec iov = { data, sizeof(data) };
	struct msghdr rh = { .msg_iov = &iov,
		             .msg_iovlen = 1,
		             .msg_control = cbuf,
		             .msg_controllen = sizeof(cbuf) };
	CHECK_EQ(recvmsg(sv[1], &rh, 0), 1);
	struct cmsghdr *c = CMSG_FIRSTHDR(&rh);
	CHECK(c != NULL);
	CHECK_EQ(c->cmsg_type, SCM_CREDENTIALS);
	struct ucred uc;
	memcpy(&uc, CMSG_DATA(c), sizeof(uc));
	CHECK_EQ(uc.pid, getpid());
	CHECK_EQ(uc.uid, getuid());
	CHECK_EQ(uc.gid, getgid());

	/* Credentials the sender states: its own pass; another pid needs privilege. */
	char sbuf[CMSG_SPACE(sizeof(struct ucred))];
	memset(sbuf, 0, sizeof(sbuf));
	struct iovec siov = { "s", 1 };
	struct msghdr sh = { .msg_iov = &siov,
		             .msg_iovlen = 1,
		             .msg_control = sbuf,
		             .msg_controllen = sizeof(sbuf) };
	c = CMSG_FIRSTHDR(&sh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_CREDENTIALS;
	c->cmsg_len = CMSG_LEN(sizeof(struct ucred));
	struct ucred mine = { getpid(), getuid(), getgid() };
	memcpy(CMSG_DATA(c), &mine, sizeof(mine));
	CHECK_EQ(sendmsg(sv[0], &sh, 0), 1);
	rh.msg_controllen = sizeof(cbuf);
	CHECK_EQ(recvmsg(sv[1], &rh, 0), 1);
	memcpy(&uc, CMSG_DATA(CMSG_FIRSTHDR(&rh)), sizeof(uc));
	CHECK_EQ(uc.pid, mine.pid);
	struct ucred bad = { getpid(), (uid_t)-1, getgid() };
	memcpy(CMSG_DATA(c), &bad, sizeof(bad));
	CHECK_ERR(sendmsg(sv[0], &sh, 0), EINVAL);
	if (geteuid() != 0) {
		struct ucred other = { getpid(), getuid() + 1, getgid() };
		memcpy(CMSG_DATA(c), &other, sizeof(other));
		CHECK_ERR(sendmsg(sv[0], &sh, 0), EPERM);
	} else {
		/* Privileged: any pid that exists, but not one that does not. */
		struct ucred nopid = { 99999, getuid(), getgid() };
		memcpy(CMSG_DATA(c), &nopid, sizeof(nopid));
		CHECK_ERR(sendmsg(sv[0], &sh, 0), ESRCH);
	}

	/* SO_PEERCRED of a pair: our own pid and ids. */
	l = sizeof(uc);
	CHECK_SYS(getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &uc, &l));
	CHECK_EQ(l, sizeof(uc));
	CHECK_EQ(uc.pid, getpid());
	CHECK_EQ(uc.uid, geteuid());
	close(sv[0]);
	close(sv[1]);

	/* Unconnected: no pid, ids -1. */
	int s = CHECK_SYS(socket(AF_UNIX, SOCK_STREAM, 0));
	l = sizeof(uc);
	CHECK_SYS(getsockopt(s, SOL_SOCKET, SO_PEERCRED, &uc, &l));
	CHECK_EQ(uc.pid, 0);
	CHECK_EQ(uc.uid, (uid_t)-1);
	close(s);
}

static void names(const char *dir)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/sock", dir);
	struct sockaddr_un a, got;
	socklen_t alen = path_addr(&a, path);

	int srv = CHECK_SYS(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0));
	socklen_t l = sizeof(got);
	CHECK_SYS(getsockname(srv, (struct sockaddr *)&got, &l));
	CHECK_EQ(l, sizeof(sa_family_t));
	CHECK_EQ(got.sun_family, AF_UNIX);
	/* Nobody there yet. */
	int cl = CHECK_SYS(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0));
	CHECK_ERR(connect(cl, (struct sockaddr *)&a, alen), ENOENT);
	CHECK_ERR(listen(srv, 5), EINVAL); /* unbound */
	CHECK_SYS(bind(srv, (struct sockaddr *)&a, alen));
	CHECK_ERR(bind(srv, (struct sockaddr *)&a, alen), EADDRINUSE);
	struct stat st;
	CHECK_SYS(stat(path, &st));
	CHECK(S_ISSOCK(st.st_mode));
	CHECK_ERR(open(path, O_RDONLY), ENXIO);
	l = sizeof(got);
	CHECK_SYS(getsockname(srv, (struct sockaddr *)&got, &l));
	CHECK_EQ(l, alen);
	CHECK_STREQ(got.sun_path, path);
	/* A truncated getsockname still reports the full length. */
	l = 4;
	memset(&got, 0, sizeof(got));
	CHECK_SYS(getsockname(srv, (struct sockaddr *)&got, &l));
	CHECK_EQ(l, alen);
	CHECK_EQ(got.sun_path[1], path[1]);
	CHECK_EQ(got.sun_path[2], 0);
	CHECK_EQ(got.sun_path[0], path[0]);

	/* Bound but not listening. */
	CHECK_ERR(connect(cl, (struct sockaddr *)&a, alen), ECONNREFUSED);
	CHECK_SYS(listen(srv, 1));
	int acc = 0;
	socklen_t al = sizeof(acc);
	CHECK_SYS(getsockopt(srv, SOL_SOCKET, SO_ACCEPTCONN, &acc, &al));
	CHECK_EQ(acc, 1);
	CHECK_ERR(accept(srv, NULL, NULL), EAGAIN);
	/* A datagram socket cannot connect to a stream one. */
	int dg = CHECK_SYS(socket(AF_UNIX, SOCK_DGRAM, 0));
	CHECK_ERR(connect(dg, (struct sockaddr *)&a, alen), EPROTOTYPE);
	close(dg);

	CHECK_SYS(connect(cl, (struct sockaddr *)&a, alen));
	CHECK_ERR(connect(cl, (struct sockaddr *)&a, alen), EISCONN);
	l = sizeof(got);
	CHECK_SYS(getpeername(cl, (struct sockaddr *)&got, &l));
	CHECK_EQ(l, alen);
	CHECK_STREQ(got.sun_path, path);
	/* backlog 1: one more fits (the queue holds backlog + 1), then EAGAIN. */
	int cl2 = CHECK_SYS(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0));
	CHECK_SYS(connect(cl2, (struct sockaddr *)&a, alen));
	int cl3 = CHECK_SYS(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0));
	CHECK_ERR(connect(cl3, (struct sockaddr *)&a, alen), EAGAIN);

	struct sockaddr_un peer;
	l = sizeof(peer);
	int s1 = CHECK_SYS(accept4(srv, (struct sockaddr *)&peer, &l, SOCK_CLOEXEC));
	CHECK_EQ(l, sizeof(sa_family_t)); /* the client is unnamed */
	CHECK_EQ(fcntl(s1, F_GETFD), FD_CLOEXEC);
	CHECK_EQ(fcntl(s1, F_GETFL) & O_NONBLOCK, 0);
	/* The accepted socket has the listener's name. */
	l = sizeof(got);
	CHECK_SYS(getsockname(s1, (struct sockaddr *)&got, &l));
	CHECK_STREQ(got.sun_path, path);
	CHECK_EQ(send(cl, "ping", 4, 0), 4);
	char buf[8];
	CHECK_EQ(recv(s1, buf, sizeof(buf), 0), 4);
	CHECK_EQ(send(s1, "pong", 4, 0), 4);
	CHECK_EQ(recv(cl, buf, sizeof(buf), 0), 4);
	CHECK_ERR(accept4(srv, NULL, NULL, 0x1234), EINVAL);
	int s2 = CHECK_SYS(accept4(srv, NULL, NULL, SOCK_NONBLOCK));
	CHECK_EQ(fcntl(s2, F_GETFL) & O_NONBLOCK, O_NONBLOCK);
	/* Room again. */
	CHECK_SYS(connect(cl3, (struct sockaddr *)&a, alen));
	/* The listener closes with cl3 pending: cl3 is reset. */
	close(srv);
	CHECK_ERR(recv(cl3, buf, sizeof(buf), 0), ECONNRESET);
	/* The name stays, but nobody listens. */
	int cl4 = CHECK_SYS(socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK_ERR(connect(cl4, (struct sockaddr *)&a, alen), ECONNREFUSED);
	CHECK_SYS(unlink(path));
	close(cl);
	close(cl2);
	close(cl3);
	close(cl4);
	close(s1);
	close(s2);

	/* Abstract names: no file; EADDRINUSE; datagrams with their source address. */
	struct sockaddr_un ab;
	socklen_t ablen = abstract_addr(&ab, "runsc-test-abstract");
	int r = CHECK_SYS(socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0));
	CHECK_SYS(bind(r, (struct sockaddr *)&ab, ablen));
	int r2 = CHECK_SYS(socket(AF_UNIX, SOCK_DGRAM, 0));
	CHECK_ERR(bind(r2, (struct sockaddr *)&ab, ablen), EADDRINUSE);
	l = sizeof(got);
	CHECK_SYS(getsockname(r, (struct sockaddr *)&got, &l));
	CHECK_EQ(l, ablen);
	CHECK(memcmp(&got, &ab, ablen) == 0);
	/* An autobound sender: "\0" and five hex digits. */
	CHECK_SYS(bind(r2, (struct sockaddr *)&ab, sizeof(sa_family_t)));
	l = sizeof(got);
	CHECK_SYS(getsockname(r2, (struct sockaddr *)&got, &l));
	CHECK_EQ(l, sizeof(sa_family_t) + 6);
	CHECK_EQ(got.sun_path[0], 0);
	CHECK_ERR(bind(r2, (struct sockaddr *)&ab, ablen), EINVAL); /* already bound */
	CHECK_EQ(sendto(r2, "dg", 2, 0, (struct sockaddr *)&ab, ablen), 2);
	struct sockaddr_un from;
	socklen_t fl = sizeof(from);
	CHECK_EQ(recvfrom(r, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl), 2);
	CHECK_EQ(fl, l);
	CHECK(memcmp(&from, &got, l) == 0);
	/* A datagram to nobody. */
	struct sockaddr_un none;
	socklen_t nl = abstract_addr(&none, "runsc-test-nobody");
	CHECK_ERR(sendto(r2, "x", 1, 0, (struct sockaddr *)&none, nl), ECONNREFUSED);
	CHECK_ERR(send(r2, "x", 1, 0), ENOTCONN);
	/* connect sets the default destination; getpeername shows it. */
	CHECK_SYS(connect(r2, (struct sockaddr *)&ab, ablen));
	l = sizeof(got);
	CHECK_SYS(getpeername(r2, (struct sockaddr *)&got, &l));
	CHECK_EQ(l, ablen);
	CHECK_EQ(send(r2, "cd", 2, 0), 2);
	CHECK_EQ(recv(r, buf, sizeof(buf), 0), 2);
	/* AF_UNSPEC disconnects. */
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	CHECK_SYS(connect(r2, &unspec, sizeof(unspec)));
	CHECK_ERR(send(r2, "x", 1, 0), ENOTCONN);
	/* Bad addresses. */
	CHECK_ERR(connect(r2, (struct sockaddr *)&ab, sizeof(sa_family_t)), EINVAL);
	struct sockaddr_un wrong = ab;
	wrong.sun_family = AF_INET;
	CHECK_ERR(sendto(r2, "x", 1, 0, (struct sockaddr *)&wrong, ablen), EINVAL);
	CHECK_ERR(bind(r, (struct sockaddr *)&ab, 200), EINVAL);
	close(r);
	/* The name is free again once its socket is closed. */
	r = CHECK_SYS(socket(AF_UNIX, SOCK_DGRAM, 0));
	CHECK_SYS(bind(r, (struct sockaddr *)&ab, ablen));
	close(r);
	close(r2);

	/* A path datagram socket, and a path that is not a socket. */
	snprintf(path, sizeof(path), "%s/dsock", dir);
	alen = path_addr(&a, path);
	r = CHECK_SYS(socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0));
	CHECK_SYS(bind(r, (struct sockaddr *)&a, alen));
	r2 = CHECK_SYS(socket(AF_UNIX, SOCK_DGRAM, 0));
	CHECK_EQ(sendto(r2, "p", 1, 0, (struct sockaddr *)&a, alen), 1);
	fl = sizeof(from);
	CHECK_EQ(recvfrom(r, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl), 1);
	CHECK_EQ(fl, 0); /* an unbound sender has no address at all */
	close(r);
	CHECK_ERR(sendto(r2, "p", 1, 0, (struct sockaddr *)&a, alen), ECONNREFUSED);
	unlink(path);
	snprintf(path, sizeof(path), "%s/plain", dir);
	close(CHECK_SYS(open(path, O_CREAT | O_WRONLY, 0600)));
	alen = path_addr(&a, path);
	CHECK_ERR(sendto(r2, "p", 1, 0, (struct sockaddr *)&a, alen), ECONNREFUSED);
	CHECK_ERR(bind(r2, (struct sockaddr *)&a, alen), EADDRINUSE);
	unlink(path);
	close(r2);
}

static void options(void)
{
	int s = CHECK_SYS(socket(AF_UNIX, SOCK_SEQPACKET, 0));
	int v = 0;
	socklen_t l = sizeof(v);
	CHECK_SYS(getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &l));
	CHECK_EQ(v, SOCK_SEQPACKET);
	CHECK_SYS(getsockopt(s, SOL_SOCKET, SO_DOMAIN, &v, &l));
	CHECK_EQ(v, AF_UNIX);
	CHECK_SYS(getsockopt(s, SOL_SOCKET, SO_PROTOCOL, &v, &l));
	CHECK_EQ(v, 0);
	CHECK_SYS(getsockopt(s, SOL_SOCKET, SO_ERROR, &v, &l));
	CHECK_EQ(v, 0);
	CHECK_SYS(getsockopt(s, SOL_SOCKET, SO_ACCEPTCONN, &v, &l));
	CHECK_EQ(v, 0);
	CHECK_SYS(getsockopt(s, SOL_SOCKET, SO_SNDBUF, &v, &l));
	CHECK_EQ(v, 212992);
	v = 10000;
	CHECK_SYS(setsockopt(s, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)));
	CHECK_SYS(getsockopt(s, SOL_SOCKET, SO_SNDBUF, &v, &l));
	CHECK_EQ(v, 20000);
	v = 1;
	CHECK_SYS(setsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)));
	CHECK_SYS(getsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, &l));
	CHECK_EQ(v, 2304);
	CHECK_ERR(setsockopt(s, SOL_SOCKET, SO_SNDBUF, &v, 2), EINVAL);
	v = 1;
	CHECK_SYS(setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &v, sizeof(v)));
	CHECK_SYS(setsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &v, sizeof(v)));
	CHECK_SYS(getsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &v, &l));
	CHECK_EQ(v, 1);
	struct linger lg = { 1, 5 };
	CHECK_SYS(setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	memset(&lg, 0, sizeof(lg));
	l = sizeof(lg);
	CHECK_SYS(getsockopt(s, SOL_SOCKET, SO_LINGER, &lg, &l));
	CHECK_EQ(lg.l_onoff, 1);
	CHECK_EQ(lg.l_linger, 5);
	struct timeval tv = { 1, 500000 };
	CHECK_SYS(setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	memset(&tv, 0, sizeof(tv));
	l = sizeof(tv);
	CHECK_SYS(getsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, &l));
	CHECK_EQ(tv.tv_sec, 1);
	CHECK_EQ(tv.tv_usec, 500000);
	tv.tv_usec = 2000000;
	CHECK_ERR(setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)), EDOM);
	/* A short buffer gets the truncated value, and the length says so. */
	char c = 0x7f;
	l = 1;
	CHECK_SYS(getsockopt(s, SOL_SOCKET, SO_TYPE, &c, &l));
	CHECK_EQ(l, 1);
	CHECK_EQ(c, SOCK_SEQPACKET);
	l = (socklen_t)-1;
	CHECK_ERR(getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &l), EINVAL);
	l = sizeof(v);
	CHECK_ERR(getsockopt(s, SOL_SOCKET, 9999, &v, &l), ENOPROTOOPT);
	CHECK_ERR(setsockopt(s, SOL_SOCKET, 9999, &v, sizeof(v)), ENOPROTOOPT);
	CHECK_ERR(setsockopt(s, 6 /* IPPROTO_TCP */, 1, &v, sizeof(v)), EOPNOTSUPP);
	/* A seqpacket socket not connected. */
	char buf[4];
	CHECK_ERR(send(s, "x", 1, 0), ENOTCONN);
	CHECK_ERR(recv(s, buf, sizeof(buf), MSG_DONTWAIT), ENOTCONN);
	CHECK_ERR(getpeername(s, (struct sockaddr *)buf, &l), ENOTCONN);
	close(s);

	/* Calls on something that is not a socket. */
	CHECK_ERR(getsockopt(0, SOL_SOCKET, SO_TYPE, &v, &l), ENOTSOCK);
	CHECK_ERR(listen(0, 1), ENOTSOCK);
	CHECK_ERR(send(99, "x", 1, 0), EBADF);

	/* Stream sockets: listen on a datagram one, accept on an unlistening one. */
	s = CHECK_SYS(socket(AF_UNIX, SOCK_DGRAM, 0));
	CHECK_ERR(listen(s, 1), EOPNOTSUPP);
	CHECK_ERR(accept(s, NULL, NULL), EOPNOTSUPP);
	close(s);
	s = CHECK_SYS(socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK_ERR(accept(s, NULL, NULL), EINVAL);
	CHECK_ERR(recv(s, buf, sizeof(buf), MSG_DONTWAIT), EINVAL);
	CHECK_ERR(send(s, "x", 1, 0), ENOTCONN);
	close(s);

	/* socket(2)'s argument checks, and families the sandbox does not have. */
	CHECK_ERR(socket(AF_UNIX, SOCK_STREAM | 0x100000, 0), EINVAL);
	CHECK_ERR(socket(AF_UNIX, SOCK_STREAM, 7), EPROTONOSUPPORT);
	CHECK_ERR(socket(AF_UNIX, 9, 0), ESOCKTNOSUPPORT);
	CHECK_ERR(socket(12345, SOCK_STREAM, 0), EAFNOSUPPORT);
	CHECK_ERR(syscall(SYS_socketpair, AF_UNIX, SOCK_STREAM, 0, 8L), EFAULT);
}

/* Blocking calls with SO_RCVTIMEO / SO_SNDTIMEO end with EAGAIN (no timing asserted). */
static void timeouts(void)
{
	struct timeval tv = { 0, 20000 };
	int sv[2];
	CHECK_SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	CHECK_SYS(setsockopt(sv[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	char buf[4];
	CHECK_ERR(recv(sv[1], buf, sizeof(buf), 0), EAGAIN);
	/* MSG_WAITALL with part of the data: the part. */
	CHECK_EQ(send(sv[0], "ab", 2, 0), 2);
	CHECK_EQ(recv(sv[1], buf, 4, MSG_WAITALL), 2);
	/* A full send buffer. */
	CHECK_SYS(setsockopt(sv[0], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)));
	static char big[1 << 20];
	ssize_t n = send(sv[0], big, sizeof(big), 0);
	CHECK(n > 0 && n < (ssize_t)sizeof(big));
	CHECK_ERR(send(sv[0], big, sizeof(big), 0), EAGAIN);
	close(sv[0]);
	close(sv[1]);

	struct sockaddr_un a;
	socklen_t alen = abstract_addr(&a, "runsc-timeo");
	int srv = CHECK_SYS(socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK_SYS(bind(srv, (struct sockaddr *)&a, alen));
	CHECK_SYS(listen(srv, 0));
	CHECK_SYS(setsockopt(srv, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	CHECK_ERR(accept(srv, NULL, NULL), EAGAIN);
	/* backlog 0 holds one; a blocking connect then waits for room. */
	int c1 = CHECK_SYS(socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK_SYS(connect(c1, (struct sockaddr *)&a, alen));
	int c2 = CHECK_SYS(socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK_SYS(setsockopt(c2, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)));
	CHECK_ERR(connect(c2, (struct sockaddr *)&a, alen), EAGAIN);
	close(c1);
	close(c2);
	close(srv);
}

/* fstat and /proc/self/fd of a socket. */
static void identity(void)
{
	int s = CHECK_SYS(socket(AF_UNIX, SOCK_STREAM, 0));
	struct stat st;
	CHECK_SYS(fstat(s, &st));
	CHECK(S_ISSOCK(st.st_mode));
	char link[64], want[64];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", s);
	char target[64] = { 0 };
	CHECK(readlink(link, target, sizeof(target) - 1) > 0);
	snprintf(want, sizeof(want), "socket:[%lu]", (unsigned long)st.st_ino);
	CHECK_STREQ(target, want);
	CHECK_ERR(lseek(s, 0, SEEK_SET), ESPIPE);
	close(s);
}

/*
 * poll(2) on sockets, natively only for now: the sandbox's poll does not
 * see sentry files' readiness until the poll rewrite (issue 4).
 */
static void poll_checks(void)
{
	int sv[2];
	pair(SOCK_STREAM, sv);
	struct pollfd p = { .fd = sv[1], .events = POLLIN };
	if (poll(&p, 1, 0) == 1 && p.revents == POLLIN) {
		/* An empty socket "readable": this poll reports every sentry file ready. */
		fprintf(stderr, "unix_socket: poll does not see socket readiness yet; skipped\n");
		close(sv[0]);
		close(sv[1]);
		return;
	}
	close(sv[0]);
	close(sv[1]);
	pair(SOCK_STREAM, sv);
	p = (struct pollfd){ .fd = sv[1], .events = POLLIN | POLLOUT | POLLRDHUP };
	CHECK_EQ(poll(&p, 1, 0), 1);
	CHECK_EQ(p.revents, POLLOUT);
	CHECK_EQ(send(sv[0], "x", 1, 0), 1);
	CHECK_EQ(poll(&p, 1, 0), 1);
	CHECK_EQ(p.revents, POLLIN | POLLOUT);
	CHECK_SYS(shutdown(sv[0], SHUT_WR));
	CHECK_EQ(poll(&p, 1, 0), 1);
	CHECK_EQ(p.revents, POLLIN | POLLOUT | POLLRDHUP);
	close(sv[0]);
	CHECK_EQ(poll(&p, 1, 0), 1);
	CHECK_EQ(p.revents, POLLIN | POLLOUT | POLLRDHUP | POLLHUP);
	close(sv[1]);
	/* An unconnected stream socket is hung up; a listener is readable with a pending
	 * connection. */
	int s = CHECK_SYS(socket(AF_UNIX, SOCK_STREAM, 0));
	p = (struct pollfd){ .fd = s, .events = POLLIN | POLLOUT };
	CHECK_EQ(poll(&p, 1, 0), 1);
	CHECK_EQ(p.revents, POLLOUT | POLLHUP);
	close(s);
}

int main(void)
{
	/* SIGPIPE ignored: EPIPE is the only sign of a closed peer. */
	signal(SIGPIPE, SIG_IGN);
	const char *dir = fs_scratch_enter();
	stream_data();
	dgram_data(SOCK_DGRAM);
	dgram_data(SOCK_SEQPACKET);
	scm_rights();
	scm_credentials();
	names(dir);
	options();
	timeouts();
	identity();
	poll_checks();
	fs_scratch_leave();
	return 0;
}
