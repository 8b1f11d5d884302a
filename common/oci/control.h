/*
 * The control protocol between the runsc CLI and a running sandbox
 * (`runsc boot`).
 *
 * Transport: an AF_UNIX SOCK_SEQPACKET socket, <root>/<id>/control.sock,
 * bound by `runsc create` and served by the sandbox on a host thread.
 * One datagram is one message: a JSON object of at most
 * CONTROL_MSG_MAX bytes, with up to CONTROL_MAX_FDS host fds attached
 * (SCM_RIGHTS). A request has "op" and "container"; the reply has
 * "error" (a message for the user) or the op's fields:
 *
 *   start   {}                     -> {}
 *   state   {}                     -> {"status": "created|running|stopped", "pid": N}
 *   signal  {"signal": N, "all": b} -> {}
 *   ps      {}                     -> {"processes": [{"pid","ppid","uid","cmd"}...]}
 *   wait    {}                     -> {"status": wait status} once the container's init ended
 *   exec    {"process": OCI process object} + fds 0, 1, 2
 *                                  -> {"pid": N}, then {"status": wait status} when it ends;
 *           the client keeps the connection open meanwhile: closing it kills the process,
 *           and {"op":"signal","signal":N} on it signals the process.
 *   create  {"bundle": dir, "config": config.json text} + fds: the container's gofer
 *           channel, its 0, 1, 2  -> {}: a further container of a pod (its bind sources
 *           made canonical by the CLI, which started its gofer); it is then "created",
 *           and the ops above name it in "container".
 *   delete  {}                     -> {}: kills a pod container's processes and frees it.
 *
 * The sandbox trusts the CLI (both run as the same host user), but still
 * checks every field: a malformed request gets an error reply.
 */
#ifndef RUNSC_COMMON_OCI_CONTROL_H
#define RUNSC_COMMON_OCI_CONTROL_H

#include <jansson.h>
#include <stddef.h>

#define CONTROL_MSG_MAX (256 * 1024)
#define CONTROL_MAX_FDS 4

/*
 * Sends msg (not consumed) with nfds fds. Returns 0 or -errno.
 */
int control_send(int sock, json_t *msg, const int *fds, int nfds);

/*
 * Receives one message: *out gets a new JSON object, fds[0..*nfds) the
 * fds attached (the caller owns them; fds may be NULL to close any).
 * Returns 0, -ECONNRESET at end of stream, -EBADMSG for a message that is
 * not a JSON object, or -errno.
 */
int control_recv(int sock, json_t **out, int *fds, int *nfds);

/* Sends {"error": msg} (printf-style). */
int control_send_error(int sock, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Connects to the control socket in the state directory dirfd (through
 * /proc/self/fd, so that a long --root still fits in sun_path). Returns
 * the socket or -errno.
 */
int control_connect(int dirfd);

/*
 * Sends req and waits for one reply. Returns 0 with *reply set, or -errno.
 * An {"error": ...} reply is returned as is, for the caller to print.
 */
int control_call(int sock, json_t *req, const int *fds, int nfds, json_t **reply);

#endif /* RUNSC_COMMON_OCI_CONTROL_H */
