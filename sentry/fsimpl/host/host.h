/*
 * Host files: host fds handed to the sandbox, today the stdio that `runsc
 * do` inherits. Reads and writes go to the host fd; its offset and status
 * flags are the host file description's, shared with whoever else holds it
 * (as they are for a process that inherits a descriptor).
 */
#ifndef SENTRY_FSIMPL_HOST_HOST_H
#define SENTRY_FSIMPL_HOST_HOST_H

struct file;
struct loader_file;

/*
 * Wraps host fd (which the file now owns) in a file. Returns 0 and a new
 * reference in *out, or -errno.
 */
int host_file_new(int fd, struct file **out);

/* Opens path on the host for the loader (before the sandbox confines itself). */
int host_loader_file_open(const char *path, struct loader_file **out);

#endif /* SENTRY_FSIMPL_HOST_HOST_H */
