/*
 * The OCI lifecycle shared by the verbs (create and run make a container,
 * start and run start it, delete and run remove it).
 *
 * create: parses and checks the bundle, makes the state directory and
 * the control socket, allocates the terminal if the process wants one
 * (its master goes to --console-socket), and forks the sandbox process
 * (`runsc boot`) in new pid, mount, IPC and UTS namespaces (and network,
 * as config.json's linux.namespaces says). It returns once the sandbox
 * reported over the sync pipe that it is ready, or with the error it
 * reported. The sandbox's pid goes to --pid-file.
 */
#ifndef RUNSC_CLI_LIFECYCLE_H
#define RUNSC_CLI_LIFECYCLE_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "runsc-cli/runsc.h"

struct oci_process;
struct oci_spec;

struct create_args {
	const char *bundle; /* the bundle directory (default: the working directory) */
	const char *id;
	const char *pid_file;       /* or NULL */
	const char *console_socket; /* or NULL */
	/* run in the foreground: a terminal without a console socket is the caller's own */
	bool foreground;
};

/*
 * Creates the container. Returns 0 with the sandbox's pid (a child of the
 * caller) in *pid, or -1 after reporting the error; nothing is left behind.
 */
int lifecycle_create(const struct runsc_globals *g, const struct create_args *a, pid_t *pid);

struct container;

/*
 * Opens and locks container id (container_open), or reports why not as
 * runc does ("container does not exist") and returns -1.
 */
int lifecycle_open(const struct runsc_globals *g, const char *id, bool exclusive,
                   struct container **out);

/* Starts a created container. Returns 0, or -1 after reporting the error. */
int lifecycle_start(const struct runsc_globals *g, const char *id);

/*
 * Deletes the container: with force, a running one is killed first.
 * Returns 0, or -1 after reporting the error (force: an unknown id is 0).
 */
int lifecycle_delete(const struct runsc_globals *g, const char *id, bool force);

/*
 * The state.json fields of a container being created, as every command
 * reads them: id, sandbox_id (the container that made its sandbox),
 * bundle, rootfs, created (RFC 3339) and created_ns, status "created",
 * annotations, oci_version. NULL when out of memory.
 */
json_t *lifecycle_new_state(const char *id, const char *sandbox_id, const char *bundle,
                            const struct oci_spec *spec);

/*
 * The end of a successful create: records pid (the process in --pid-file)
 * in c's state, saves it, and writes pid_file (may be NULL). Returns 0, or
 * -errno with the message in err.
 */
int lifecycle_save_created(struct container *c, const char *pid_file, pid_t pid, char *err,
                           size_t errlen);

/* Writes the pid to path (through a temporary file and rename). Returns 0 or -errno. */
int lifecycle_write_pid_file(const char *path, pid_t pid);

/*
 * Opens a new terminal of the size p->consoleSize says, if it does, and
 * sends its master to the client's console socket (as runc: SCM_RIGHTS
 * with the payload "/dev/ptmx"). Returns 0 with both ends (close-on-exec),
 * or -errno (also in errno).
 */
int lifecycle_open_console(const char *console_socket, const struct oci_process *p, int *master,
                           int *slave);

/* A signal by number ("9") or name ("KILL", "SIGKILL"). Returns it, or -1. */
int parse_signal(const char *s);

/*
 * Proxy processes (exec's and a pod container's: the pid in --pid-file
 * that stands for a process of the sandbox).
 */

/* The exit code for a wait(2) status: the code, or 128+N for signal N (a shell's). */
int lifecycle_exit_code(int status);

/*
 * Once the sandbox has the process's stdio: points fds 0-2 at /dev/null
 * and closes stdio's other fds. A proxy that kept the caller's pipes
 * would hold them open until the process ends, and a client (go's exec)
 * waits for their EOF before it reads --pid-file.
 */
void lifecycle_let_go_of_stdio(const int stdio[3]);

/*
 * Catches the signals a proxy passes on (runc's exec forwards all it can
 * catch): returns the read end of a non-blocking pipe that gets each
 * one's number as a byte, or -1.
 */
int lifecycle_catch_signals(void);

#endif /* RUNSC_CLI_LIFECYCLE_H */
