/*
 * Running the OCI lifecycle hooks (config.json "hooks"), as runc does.
 *
 * Each hook is fork+execve(path, args, env) on the host:
 *  - stdin is a pipe carrying the container state JSON (oci_state_json with
 *    OCI_STATE_HOOK), then closed. A hook that exits without reading it does
 *    not block or kill us: EPIPE is ignored and SIGPIPE is kept blocked in
 *    the calling thread while we write (and a SIGPIPE we caused is consumed).
 *  - stdout and stderr are pipes that we read, as runc does (it captures
 *    them into buffers and puts them in its error message), up to
 *    OCI_HOOK_OUTPUT_MAX bytes each; beyond that the output is read and
 *    dropped. On success the output is discarded, as runc does.
 *  - args empty: argv is {path} (Go's exec.Cmd); env empty: the hook gets
 *    our environment, as runc does for a hook with no "env" (the spec parser
 *    does not tell an absent env from an empty list, so [] behaves the same).
 *  - No fd but 0-2 reaches the hook; signal dispositions are reset to the
 *    default and the signal mask is emptied before execve.
 *  - timeout (seconds, when > 0): past it the hook gets SIGKILL and the run
 *    fails. Only the hook itself is killed, as in runc; children it left
 *    behind that still hold its stdout do not keep us waiting, since we stop
 *    reading once the hook has exited.
 *
 * Messages (cf. runc's "error running hook #0: error running hook: exit
 * status 1, stdout: ..., stderr: ..." and "hook ran past specified timeout
 * of 2.0s") name the kind, the index and the path:
 *   error running prestart hook #0 (/x/h): exit status 1, stdout: S, stderr: E
 *   error running prestart hook #0 (/x/h): signal: killed, stdout: , stderr:
 *   error running prestart hook #0 (/x/h): timed out after 2 s (killed), stdout: ...
 *   error running prestart hook #0 (/x/h): exec /x/h: No such file or directory
 * with one trailing newline of the captured output dropped.
 *
 * Which failures are fatal is the caller's choice: runc stops at the first
 * failing hook of any kind (oci_hooks_run); the spec asks poststart and
 * poststop failures only to be logged, for which a caller loops over
 * oci_hook_run itself.
 *
 * No part of the sentry; libc only. Not thread-safe against another thread
 * of the caller forking at the same time (it would inherit the pipes, which
 * are close-on-exec, so only until it execs).
 */
#ifndef RUNSC_COMMON_OCI_HOOKS_H
#define RUNSC_COMMON_OCI_HOOKS_H

#include <stddef.h>

#include "common/oci/spec.h"

/* The most of each of a hook's stdout and stderr kept for the message. */
#define OCI_HOOK_OUTPUT_MAX 4096

/*
 * Runs one hook (number index of its kind) with state_json on its stdin and
 * waits for it. Returns 0 when it exits with status 0; otherwise -ETIMEDOUT
 * (killed at its timeout), -ECHILD (nonzero exit or death by a signal),
 * -errno of the failed execve (-ENOENT for a missing path, -EACCES, ...) or
 * of a failed pipe/fork, with the message in err.
 */
int oci_hook_run(const struct oci_hook *hook, enum oci_hook_kind kind, size_t index,
                 const char *state_json, char *err, size_t errlen);

/*
 * Runs the hooks of list in order, stopping at the first failure, whose
 * result and message it returns. 0 if all succeed (or there are none).
 */
int oci_hooks_run(const struct oci_hook_list *list, enum oci_hook_kind kind, const char *state_json,
                  char *err, size_t errlen);

#endif
