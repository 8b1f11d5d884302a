/*
 * Host unix sockets in a mount: T_BIND and T_CONNECT.
 *
 * bind(2) and connect(2) take only a path, so the path goes through the
 * /proc/self/fd magic link of a held fd (as gVisor's gofer does):
 * "/proc/self/fd/DIR/NAME" to bind NAME in directory DIR (bind never
 * follows a symlink at NAME: it fails with EADDRINUSE), and
 * "/proc/self/fd/NODE" to connect to the socket file NODE. No name from
 * the client is ever part of a path but the one validated name.
 *
 * The reply donates the host socket: the sentry calls listen, accept,
 * send and recv on it itself, as it does read and write on opened files.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "gofer/handlers.h"

static bool socket_type_ok(uint32_t type)
{
	return type == SOCK_STREAM || type == SOCK_DGRAM || type == SOCK_SEQPACKET;
}

/*
 * gofer_handle_bind implements T_BIND: a new AF_UNIX socket of type, bound
 * at name in dir, donated with the reply; the node is the socket file.
 * ENAMETOOLONG when the magic-link path does not fit in sun_path.
 */
int gofer_handle_bind(struct gofer_req *rq)
{
	typeof(rq->t->t_bind) *a = &rq->t->t_bind;
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct gofer_cfd *dir;
	int err, sock;

	if (!socket_type_ok(a->type))
		return -EINVAL;
	err = gofer_get_dir(rq->srv, a->dir, /*write=*/true, &dir);
	if (err < 0)
		return err;
	int len = snprintf(addr.sun_path, sizeof(addr.sun_path), "/proc/self/fd/%d/%s", dir->fd,
	                   a->name);
	if (len < 0 || (size_t)len >= sizeof(addr.sun_path)) {
		err = -ENAMETOOLONG;
		goto out_put;
	}
	sock = socket(AF_UNIX, (int)a->type | SOCK_CLOEXEC, 0);
	if (sock < 0) {
		err = -errno;
		goto out_put;
	}
	if (bind(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		err = -errno;
		goto out_close;
	}
	err = gofer_finish_new(rq->srv, dir, a->name, GOFER_ID_KEEP, GOFER_ID_KEEP,
	                       /*is_dir=*/false, &rq->r->r_node);
	if (err < 0)
		goto out_close;
	rq->fd = sock;
	gofer_cfd_put(rq->srv, dir);
	return 0;

out_close:
	close(sock);
out_put:
	gofer_cfd_put(rq->srv, dir);
	return err;
}

/*
 * gofer_handle_connect implements T_CONNECT: a new AF_UNIX socket of type,
 * connected to the socket file of node id (ECONNREFUSED for any other
 * file, as connect(2) answers), donated with the reply.
 */
int gofer_handle_connect(struct gofer_req *rq)
{
	typeof(rq->t->t_connect) *a = &rq->t->t_connect;
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct gofer_cfd *c;

	if (!socket_type_ok(a->type))
		return -EINVAL;
	int err = gofer_cfd_get(rq->srv, a->id, &c);
	if (err < 0)
		return err;
	if (c->type != S_IFSOCK) {
		err = -ECONNREFUSED;
		goto out_put;
	}
	gofer_fd_path(c->fd, addr.sun_path, sizeof(addr.sun_path));
	int sock = socket(AF_UNIX, (int)a->type | SOCK_CLOEXEC, 0);
	if (sock < 0) {
		err = -errno;
		goto out_put;
	}
	if (connect(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		err = -errno;
		close(sock);
		goto out_put;
	}
	rq->fd = sock;
out_put:
	gofer_cfd_put(rq->srv, c);
	return err;
}
