/* The control protocol's transport: see control.h. */
#include "common/oci/control.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int control_send(int sock, json_t *msg, const int *fds, int nfds)
{
	char *text = json_dumps(msg, JSON_COMPACT);
	if (!text)
		return -ENOMEM;
	size_t len = strlen(text);
	if (len > CONTROL_MSG_MAX || nfds > CONTROL_MAX_FDS) {
		free(text);
		return -EMSGSIZE;
	}
	struct iovec iov = { text, len };
	union {
		char buf[CMSG_SPACE(sizeof(int) * CONTROL_MAX_FDS)];
		struct cmsghdr align;
	} cm;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (nfds > 0) {
		memset(&cm, 0, sizeof(cm));
		mh.msg_control = cm.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
	}
	ssize_t n;
	do
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	int err = n < 0 ? -errno : 0;
	free(text);
	return err;
}

int control_recv(int sock, json_t **out, int *fds, int *nfds)
{
	char *buf = malloc(CONTROL_MSG_MAX + 1);
	if (!buf)
		return -ENOMEM;
	struct iovec iov = { buf, CONTROL_MSG_MAX };
	union {
		char buf[CMSG_SPACE(sizeof(int) * CONTROL_MAX_FDS)];
		struct cmsghdr align;
	} cm;
	struct msghdr mh = { .msg_iov = &iov,
		             .msg_iovlen = 1,
		             .msg_control = cm.buf,
		             .msg_controllen = sizeof(cm.buf) };
	ssize_t n;
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		int err = -errno;
		free(buf);
		return err;
	}
	int got = 0, received[CONTROL_MAX_FDS];
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (got < CONTROL_MAX_FDS)
				received[got++] = fd;
			else
				close(fd);
		}
	}
	int err = 0;
	if (n == 0) {
		err = -ECONNRESET;
	} else if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		err = -EMSGSIZE;
	} else {
		buf[n] = '\0';
		json_error_t jerr;
		*out = json_loadb(buf, (size_t)n, 0, &jerr);
		if (!*out || !json_is_object(*out)) {
			json_decref(*out);
			*out = NULL;
			err = -EBADMSG;
		}
	}
	free(buf);
	if (err < 0 || !fds) {
		for (int i = 0; i < got; i++)
			close(received[i]);
		got = 0;
	} else {
		memcpy(fds, received, sizeof(int) * (size_t)got);
	}
	if (nfds)
		*nfds = got;
	return err;
}

int control_send_error(int sock, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_t *j = json_pack("{s:s}", "error", msg);
	if (!j)
		return -ENOMEM;
	int err = control_send(sock, j, NULL, 0);
	json_decref(j);
	return err;
}

int control_connect(int dirfd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/control.sock", dirfd);
	int sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return -errno;
	if (connect(sock, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = -errno;
		close(sock);
		return err;
	}
	return sock;
}

int control_call(int sock, json_t *req, const int *fds, int nfds, json_t **reply)
{
	int err = control_send(sock, req, fds, nfds);
	if (err == 0)
		err = control_recv(sock, reply, NULL, NULL);
	return err;
}
