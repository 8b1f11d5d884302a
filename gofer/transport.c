/*
 * The gofer transport: one message per SOCK_SEQPACKET datagram, fds with
 * SCM_RIGHTS (gofer/protocol.h). Shared by the server and the client.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gofer/protocol.h"

int gofer_send(int sock, const void *buf, size_t len, const int *fds, unsigned nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (nfds > 1)
		return -EINVAL;
	if (nfds == 1) {
		memset(&control, 0, sizeof(control));
		msg.msg_control = control.buf;
		msg.msg_controllen = sizeof(control.buf);
		struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), fds, sizeof(int));
	}
	for (;;) {
		ssize_t n = sendmsg(sock, &msg, MSG_NOSIGNAL);
		if (n >= 0)
			return (size_t)n == len ? 0 : -EIO;
		if (errno != EINTR)
			return -errno;
	}
}

/* Room for more fds than any message carries, to see (and close) extras. */
#define RECV_FDS_MAX 16

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

ssize_t gofer_recv(int sock, void *buf, size_t size, int *fds, unsigned max_fds, unsigned *out_nfds,
                   unsigned spin_us)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * RECV_FDS_MAX)];
		struct cmsghdr align;
	} control;
	struct iovec iov = { .iov_base = buf, .iov_len = size };
	struct msghdr msg = { .msg_iov = &iov,
		              .msg_iovlen = 1,
		              .msg_control = control.buf,
		              .msg_controllen = sizeof(control.buf) };
	ssize_t n;

	*out_nfds = 0;
	/* Polls first (see GOFER_REPLY_SPIN_US), then sleeps. */
	uint64_t until = spin_us ? now_ns() + spin_us * 1000ULL : 0;
	for (;;) {
		bool poll = until != 0;
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | (poll ? MSG_DONTWAIT : 0));
		if (n >= 0)
			break;
		if (errno == EINTR)
			continue;
		if (!poll || (errno != EAGAIN && errno != EWOULDBLOCK))
			return -errno;
		if (now_ns() >= until)
			until = 0;
		__builtin_ia32_pause();
	}

	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		size_t count = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < count; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (*out_nfds < max_fds)
				fds[(*out_nfds)++] = fd;
			else
				close(fd);
		}
	}
	if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		for (unsigned i = 0; i < *out_nfds; i++)
			close(fds[i]);
		*out_nfds = 0;
		return -EMSGSIZE;
	}
	return n;
}
