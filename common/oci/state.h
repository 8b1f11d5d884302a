/*
 * The container state as JSON, in the two shapes an OCI runtime prints it.
 *
 * OCI_STATE_HOOK is the runtime-spec "state" object that hooks read on their
 * stdin (specs-go's State, which runc marshals): compact, the fields
 * ociVersion, id, status, pid, bundle, annotations in that order; pid is
 * omitted when it is 0 or the container is stopped (the spec requires it
 * only for created and running), annotations when there are none.
 *
 * OCI_STATE_CLI is what `runc state ID` prints (and each element of
 * `runc list --format json`): runc's containerState, indented by two spaces
 * with no final newline, with the fields ociVersion, id, pid, status, bundle,
 * rootfs, created, annotations, owner. pid is always there and is 0 once the
 * container is stopped; created is RFC 3339 with nanoseconds in UTC as Go
 * prints it (trailing zeros of the fraction dropped); annotations are sorted
 * by key, as Go marshals a map, and omitted when empty.
 *
 * Checked against runc 1.1.5 on this machine:
 *   hook:  {"ociVersion":"1.0.2-dev","id":"rc1","status":"creating","pid":30609,
 *           "bundle":"/tmp/rcb","annotations":{"a":"1","b":"2"}}
 *   state: {\n  "ociVersion": "1.0.2-dev",\n  "id": "rc1",\n  "pid": 0,\n
 *           "status": "stopped", ... "owner": ""\n}
 *
 * No part of the sentry: jansson and libc only.
 */
#ifndef RUNSC_COMMON_OCI_STATE_H
#define RUNSC_COMMON_OCI_STATE_H

#include <stddef.h>
#include <time.h>

#include "common/oci/spec.h"

/* The runtime-spec version runsc's state complies with, when none is given. */
#define OCI_STATE_VERSION "1.0.2"

enum oci_status {
	OCI_STATUS_CREATING,
	OCI_STATUS_CREATED,
	OCI_STATUS_RUNNING,
	OCI_STATUS_STOPPED,
	OCI_STATUS_PAUSED, /* runc's addition; not in the runtime spec */
};

struct oci_state {
	const char *oci_version; /* NULL: OCI_STATE_VERSION */
	const char *id;
	enum oci_status status;
	int pid;                 /* host pid of the sandbox process; ignored when stopped */
	const char *bundle;      /* absolute */
	const char *rootfs;      /* absolute; OCI_STATE_CLI only; NULL prints "" */
	struct timespec created; /* OCI_STATE_CLI only (CLOCK_REALTIME) */
	const char *owner;       /* OCI_STATE_CLI only; NULL prints "" as runc does */
	const struct oci_kv *annotations;
	size_t annotations_count;
};

enum oci_state_format {
	OCI_STATE_HOOK,
	OCI_STATE_CLI,
};

/* "creating", "created", "running", "stopped", "paused"; NULL if out of range. */
const char *oci_status_name(enum oci_status status);

/*
 * Returns the state as a new NUL-terminated string (free() it), or NULL when
 * out of memory or a required string (id, bundle) is NULL.
 */
char *oci_state_json(const struct oci_state *st, enum oci_state_format format);

/*
 * Formats t as Go's time.RFC3339Nano in UTC ("2026-11-28T15:27:17.924075888Z",
 * "...:17.5Z", "...:17Z") into buf. Returns buf.
 */
char *oci_format_rfc3339nano(struct timespec t, char *buf, size_t size);

#endif
