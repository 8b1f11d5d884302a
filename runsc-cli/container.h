/*
 * A container's state on the host: the directory <root>/<id>/ that
 * `runsc create` makes and `runsc delete` removes, holding
 *
 *   state.json    what later commands need: bundle, sandbox pid and its
 *                 start time (so a recycled pid is never mistaken for
 *                 it), creation time, annotations, the status last set
 *                 by a command (created, running), the hooks that run
 *                 after create (startContainer, poststart, poststop: as
 *                 runc, those of create time, even if the bundle changes),
 *                 the cgroup's directories (cgroup_to_json), and for a
 *                 container of a pod the id of the sandbox it runs in;
 *   control.sock  the sandbox's control socket (common/oci/control.h),
 *                 in the directory of the container that made the sandbox.
 *
 * Every command takes a flock(2) on the directory: exclusive to change
 * the state, shared to read it, so concurrent runsc invocations on one
 * --root are safe, and a crashed CLI leaves no lock behind (the kernel
 * drops it with the fd). state.json is replaced by rename(2), never
 * rewritten in place.
 */
#ifndef RUNSC_CLI_CONTAINER_H
#define RUNSC_CLI_CONTAINER_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/oci/cgroup.h"
#include "common/oci/state.h"

struct container {
	char *root; /* the --root directory */
	char *id;
	int dirfd;  /* <root>/<id>, locked */
	json_t *st; /* state.json */
};

/* The default --root, as gVisor's (podman passes none). */
#define RUNSC_DEFAULT_ROOT "/run/runsc"
/* The platform when neither --platform nor $RUNSC_PLATFORM names one. */
#define RUNSC_DEFAULT_PLATFORM "systrap"

/* An id is 1-1024 characters of [A-Za-z0-9_+.-], not starting with '.' (runc's rule). */
bool container_id_valid(const char *id);

/*
 * Makes <root>/<id>/ (and root) and locks it. -EEXIST: the id is taken.
 * The state is an empty object until container_save.
 */
int container_create(const char *root, const char *id, struct container **out);

/* Opens and locks an existing container (exclusive or shared). -ENOENT: no such container. */
int container_open(const char *root, const char *id, bool exclusive, struct container **out);

/* Writes c->st to state.json. */
int container_save(struct container *c);

/* Removes the directory and frees c. */
void container_remove(struct container *c);

/* Unlocks and frees c. */
void container_close(struct container *c);

/* Lists the ids in root (sorted); *out is a NULL-terminated array to free with free(). */
int container_list(const char *root, char ***out);

/* The state's integer and string fields (0 / NULL when absent). */
long long container_int(const struct container *c, const char *key);
const char *container_str(const struct container *c, const char *key);

/* The start time (clock ticks since boot, /proc/PID/stat field 22) of pid, or 0 if gone. */
unsigned long long process_start_time(pid_t pid);

/*
 * Whether the sandbox process recorded in the state still runs (not a
 * zombie, and the same process: same start time).
 */
bool container_sandbox_alive(const struct container *c);

/*
 * The status for `state`: stopped when the sandbox is gone or says so,
 * paused while the container's cgroup is frozen (runc reads the freezer
 * too: a frozen sandbox cannot answer), else what the sandbox reports
 * (created, running). *pid gets the init pid (the sandbox process), 0 once
 * stopped. container_status gives its name.
 */
enum oci_status container_oci_status(struct container *c, pid_t *pid);
const char *container_status(struct container *c, pid_t *pid);

/* Whether the container's cgroup is frozen (`runsc pause`); false without a cgroup. */
bool container_frozen(const struct container *c);

/*
 * The container's state in one of oci_state_json's shapes (the hooks' stdin,
 * or what `runsc state` prints), with the given status and pid and owner
 * (NULL: ""). A new string (free() it), or NULL when out of memory.
 */
char *container_state_json(const struct container *c, enum oci_state_format format,
                           enum oci_status status, pid_t pid, const char *owner);

/*
 * Reopens the cgroup create saved in the state (cgroup_from_json). 0 with
 * *out NULL when the container has none; -errno with a message in err.
 */
int container_cgroup(const struct container *c, struct cgroup **out, char *err, size_t errlen);

/* Opens the control socket of the sandbox c runs in. Returns the socket or -errno. */
int container_connect(struct container *c);

/*
 * One control request for c: {"op": op, "container": id} plus the fields
 * of extra (may be NULL, not consumed). Returns 0 with the reply, or
 * -errno. An error reply is returned as -EIO with its message in err.
 */
int container_call(struct container *c, const char *op, json_t *extra, json_t **reply, char *err,
                   size_t errlen);

#endif /* RUNSC_CLI_CONTAINER_H */
