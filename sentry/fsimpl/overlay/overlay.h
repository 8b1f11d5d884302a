/*
 * overlay: a read-only lower layer (the gofer's rootfs) under a writable
 * upper layer (a tmpfs in the sandbox's memory), as Linux's overlayfs.
 * `runsc do` and containers without a writable rootfs mount their root
 * this way, so writes never reach the host image.
 *
 * Each overlay inode holds the layer inodes it stands for: the upper one,
 * the lower one, or both (a directory present in both is "merged": its
 * entries are the union, upper first). The layers are driven through
 * their inode_ops directly, never through paths.
 *
 *  - Copy-up: the first change of a lower file (open for writing,
 *    setattr, link, rename, xattrs) copies it, and first its parent
 *    directories, into the upper layer: data, mode, owner and times.
 *  - Whiteouts: removing a name that the lower layer has leaves a
 *    character device 0:0 of that name in the upper layer, which hides
 *    the lower entry (Linux's format).
 *  - Opaque directories: a directory made where the lower layer had the
 *    name carries the xattr trusted.overlay.opaque="y": nothing of the
 *    lower layer shows through it.
 *  - rename: files (copied up first) move anywhere; a directory that has
 *    lower entries gets EXDEV, as Linux's overlayfs without redirect_dir
 *    (mv then copies).
 *  - st_ino stays the lower inode's across a copy-up; st_dev is the
 *    overlay's.
 *
 * Lock order: ovl_sb.copy_mu (copy-ups, one at a time) > the layers'
 * locks > ovl_inode.base.mu.
 */
#ifndef SENTRY_FSIMPL_OVERLAY_OVERLAY_H
#define SENTRY_FSIMPL_OVERLAY_OVERLAY_H

#include "sentry/vfs/vfs.h"

#define OVERLAYFS_MAGIC 0x794c7630

/*
 * A new overlay of lower_root over upper_root (the layers' root inodes;
 * new references are taken). Returns 0 and a new reference, or -errno.
 */
int overlay_new(struct superblock *lower, struct superblock *upper, struct superblock **out);

#endif /* SENTRY_FSIMPL_OVERLAY_OVERLAY_H */
