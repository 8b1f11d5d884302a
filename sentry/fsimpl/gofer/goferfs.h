/*
 * The gofer file system: the sentry's view of the rootfs and the bind
 * mounts that `runsc gofer` serves (gofer/README.md, shared architecture
 * section 7). Each inode mirrors one gofer node (a host O_PATH fd the
 * gofer holds, named by a 64-bit id); data I/O goes through host fds the
 * gofer donated, with no round trip.
 *
 * Cache mode: "exclusive", as gVisor calls it. The sandbox is assumed to
 * be the only writer of the files it serves, so the attributes the gofer
 * returned (walk, create, setstat) are authoritative, with two
 * exceptions that cost no guess:
 *  - a regular file with an open host fd refreshes size, blocks, nlink
 *    and times from a host fstat of that fd (no round trip), so writes
 *    through its fds, and mmap'ed writes, are seen;
 *  - an inode the sandbox itself changed in a way whose outcome only the
 *    host knows (a directory that gained or lost an entry, the target of
 *    a link, the victim of an unlink, an xattr change) is marked stale
 *    and refreshed with one T_STAT before its attributes are next read.
 * Changes made on the host behind the sandbox's back are not seen until
 * the inode leaves the dentry cache. Directory listings always come from
 * the host.
 *
 * st_ino is the host's inode number (so hard links show the same ino);
 * st_dev is the superblock's. Two names of one host inode are two
 * inodes here: the attribute cache of one does not see changes made
 * through the other.
 *
 * Concurrency: a gofer channel carries one request at a time, so the
 * superblock keeps a pool of channels (GOFERFS_CHANNELS_MAX) made on
 * demand; a thread that finds every channel busy and the pool full waits
 * for one. A dead gofer makes every call fail with -EIO, never a crash.
 */
#ifndef SENTRY_FSIMPL_GOFER_GOFERFS_H
#define SENTRY_FSIMPL_GOFER_GOFERFS_H

#include <stdint.h>

#include "gofer/client.h"
#include "sentry/vfs/vfs.h"

/* statfs f_type: Linux's V9FS_MAGIC, what gVisor reports for gofer mounts. */
#define GOFERFS_MAGIC 0x01021997

/* Channels one superblock uses at most at the same time. */
#define GOFERFS_CHANNELS_MAX 16

/*
 * Makes a superblock for mount index mount_index of the gofer behind
 * client (a channel; consumed, even on failure: the superblock owns it).
 * source names the mount in the log. The superblock is SB_RDONLY when the
 * gofer serves the mount read-only. Returns 0 and a new reference in *out,
 * or -errno (-EIO when the gofer is gone, -ENOENT for a bad index).
 */
int goferfs_new(struct gofer_client *client, uint32_t mount_index, const char *source,
                struct superblock **out);

#endif /* SENTRY_FSIMPL_GOFER_GOFERFS_H */
