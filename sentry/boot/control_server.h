/*
 * The sandbox's side of the control protocol (common/oci/control.h): a
 * host thread accepts connections on the control socket that
 * `runsc create` bound, and a thread per connection serves its requests
 * against the sandbox: starting a container's init, its state, signals,
 * ps, wait, and exec'd processes, whose exit status is sent back on the
 * same connection.
 *
 * The sandbox holds its own container and, in a pod, the further ones
 * "create" adds (runsc-cli/pod.h), each with its root and mounts
 * (sandbox_add_container) and its processes marked with its number
 * (thread_group.container): ps, kill --all and delete act on those only.
 * The sandbox's own container holds the pod: killing its init ends the
 * sandbox, and kill --all reaches every process.
 */
#ifndef SENTRY_BOOT_CONTROL_SERVER_H
#define SENTRY_BOOT_CONTROL_SERVER_H

#include "sentry/boot/boot.h"

struct control_server;

/*
 * Starts serving listen_fd (consumed) for the container id of sandbox sb,
 * whose init process is init (copied; its stdio fds are taken over and
 * used by "start"). Returns 0 or -errno.
 */
int control_server_start(int listen_fd, struct sandbox *sb, const char *id,
                         const struct sandbox_process *init, struct control_server **out);

/*
 * Blocks until a "start" request has been answered. Returns init (a
 * reference the server keeps), or NULL when it could not start.
 */
struct thread_group *control_server_wait_started(struct control_server *cs);

#endif /* SENTRY_BOOT_CONTROL_SERVER_H */
