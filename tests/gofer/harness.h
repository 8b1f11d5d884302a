/*
 * Helpers for the tests that drive `runsc gofer` through the client
 * library: start a gofer on a socketpair, stop it, temporary trees.
 */
#ifndef TESTS_GOFER_HARNESS_H
#define TESTS_GOFER_HARNESS_H

#include <stdbool.h>
#include <sys/types.h>

#include "gofer/client.h"

struct gofer_proc {
	pid_t pid;
	int sock; /* the client's end of the first channel, or -1 once given to a client */
};

/*
 * Starts `runsc gofer --socket-fd N --mount M...` with mounts[i] (each
 * "DIR" or "DIR:ro"). Returns 0 or -errno.
 */
int harness_start(const char *runsc, const char *const *mounts, unsigned nmounts,
                  struct gofer_proc *out);

/* harness_start, then a client on the first channel (the socket goes to it). */
int harness_start_client(const char *runsc, const char *const *mounts, unsigned nmounts,
                         struct gofer_proc *out, struct gofer_client **out_client);

/*
 * Waits up to timeout_ms for the gofer to exit (after its client closed
 * every channel), killing it then. Returns its wait status, or -1 if it
 * had to be killed.
 */
int harness_wait(struct gofer_proc *p, int timeout_ms);

/* Makes a new empty directory under $TMPDIR (or /tmp). Returns it, malloc'd. */
char *harness_tmpdir(const char *prefix);
/* Removes path and everything below it, without following symlinks. */
void harness_rmtree(const char *path);
/* Writes content into path (created 0644). Returns 0 or -errno. */
int harness_write_file(const char *path, const char *content);
/* Monotonic milliseconds. */
long long harness_now_ms(void);

#endif /* TESTS_GOFER_HARNESS_H */
