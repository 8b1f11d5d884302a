/*
 * The gofer server (`runsc gofer`): serves host directories ("mounts") over
 * the gofer protocol (gofer/protocol.h), one thread per channel.
 *
 * Security rules (gofer/README.md): every host access is an *at() call
 * relative to an fd the server already holds, with O_NOFOLLOW or
 * AT_SYMLINK_NOFOLLOW, and a single name that the protocol has validated
 * (no '/', never "." or ".."). No request can name a host path outside its
 * mount, whatever names or symlinks it sends.
 */
#ifndef GOFER_SERVER_H
#define GOFER_SERVER_H

#include <stdbool.h>

struct gofer_server;

/* Creates a server with no mounts. Returns 0 or -errno. */
int gofer_server_new(struct gofer_server **out);

/*
 * Adds host_dir as the next mount (index 0, 1, ...): a directory, or a
 * file for a file bind mount (config.json's /etc/hosts, /etc/resolv.conf).
 * A read-only mount refuses every change with EROFS. Returns 0 or -errno.
 */
int gofer_server_add_mount(struct gofer_server *s, const char *host_dir, bool readonly);

/*
 * Serves the channel on sock (consumed), and every channel created through
 * it, until all of them are closed by the client. Returns 0 or -errno.
 */
int gofer_server_serve(struct gofer_server *s, int sock);

/* Frees a server that is not serving. */
void gofer_server_free(struct gofer_server *s);

#endif /* GOFER_SERVER_H */
