/*
 * Program files for the loader, opened through the VFS: execve's checks
 * (a regular file, execute permission, a mount without noexec) and a
 * struct loader_file whose reads go through the file's ops (the gofer's
 * donated fd, a tmpfs memfd), never through a host path.
 */
#ifndef SENTRY_KERNEL_EXEC_FILE_H
#define SENTRY_KERNEL_EXEC_FILE_H

#include "sentry/loader/loader.h"
#include "sentry/vfs/vfs.h"

/*
 * Opens path for execution, looked up with lookup (LOOKUP_FOLLOW,
 * LOOKUP_EMPTY). Returns 0, a new loader file in *out and (if out_path is
 * not NULL) where it is, a new reference; or -errno: ENOENT, EACCES (not a
 * regular file, no execute permission, noexec mount), ...
 */
int exec_open(const struct vfs_ctx *c, const char *path, unsigned lookup, struct loader_file **out,
              struct path *out_path);

/* What execve runs once #! lines are followed. */
struct exec_image {
	struct loader_file *file; /* the ELF program */
	struct path path;         /* where it is (/proc/PID/exe) */
	char **argv;              /* NULL-terminated, owned, with the interpreters in front */
};

/*
 * Opens path (lookup: as exec_open) for execve with argv: a script starting with "#!" runs its
 * interpreter (one optional argument; the line holds at most 255 bytes,
 * as Linux's BINPRM_BUF_SIZE), with the script's path in place of argv[0]
 * after it; interpreters may be scripts, up to 4 levels (then ELOOP).
 * Returns 0 and a filled *out, or -errno.
 */
int exec_prepare(const struct vfs_ctx *c, const char *path, unsigned lookup, char *const *argv,
                 struct exec_image *out);
void exec_image_release(struct exec_image *img);

/* loader_open_fn for PT_INTERP: arg is the struct vfs_ctx to resolve in. */
int exec_open_interp(void *arg, const char *path, struct loader_file **out);

#endif /* SENTRY_KERNEL_EXEC_FILE_H */
