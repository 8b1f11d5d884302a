/*
 * tmpfs: the sandbox's in-memory file system, as Linux's mm/shmem.c. It
 * backs mount -t tmpfs, the upper layer of the rootfs overlay, /dev,
 * /dev/shm, and memfd_create(2).
 *
 * Design:
 *  - The tree lives in the sentry's memory: each directory owns its
 *    entries (a name -> inode table, one inode reference per entry), so
 *    the dentry cache can drop any dentry without losing a file. Hard
 *    links are two entries naming one inode. A directory's nlink is 2
 *    plus its subdirectories; its size is Linux's 20 bogus bytes per
 *    entry plus 40.
 *  - Directory positions (getdents, telldir) are per-directory cookies
 *    that only grow: "." is 0, ".." is 1, and each new entry takes the
 *    next cookie from 2 on. A listing resumes at the first entry whose
 *    cookie is at or above the position, so entries added or removed
 *    during a listing never make it skip or repeat a surviving entry.
 *  - The data of a regular file is a host memfd of its own, made on the
 *    first write, growing truncate, fallocate or mmap, so an empty file
 *    costs no host fd. read and write are pread and pwrite on it, and
 *    mmap(2) maps it (file_ops.mmap_fd): its size is always the file's.
 *    Each non-empty file holds one host fd for as long as it exists, so
 *    the sentry's RLIMIT_NOFILE bounds the number of such files; when the
 *    host refuses another memfd, the write fails with ENOSPC.
 *  - Limits (size=, nr_inodes=): a file is charged its size rounded up
 *    to pages, or further up to what fallocate(KEEP_SIZE) reserved past
 *    the end; long symlinks one page. A write that does not fit writes
 *    what does and returns the short count (ENOSPC when nothing fits);
 *    a growing truncate or fallocate that does not fit fails with ENOSPC.
 *    Unlike Linux, which charges only the pages a file really has, a
 *    sparse file is charged its whole size, so truncating a file beyond
 *    the free space fails. Each inode and each extra hard link takes one
 *    of nr_inodes, as Linux counts them.
 *  - Linux's tmpfs option parsing (shmem_parse_one): size=N[kmgtpe] or
 *    N% of the host's RAM, nr_blocks=, nr_inodes=, mode= (octal), uid=,
 *    gid=, inode64, and the generic ro/rw/sync/... flags; anything else is
 *    -EINVAL, as a kernel without THP, NUMA or quotas says for huge=,
 *    mpol= and quota. Defaults: half the host's RAM and half its pages in
 *    inodes, mode 1777, owner 0:0. size=0 and nr_inodes=0 mean no limit.
 *  - Device nodes open through the VFS's character device registry, FIFOs
 *    through its pipe driver (before ops->open is called); opening a
 *    socket node is ENXIO, as on Linux.
 *  - Not implemented: POSIX ACLs (system.* xattrs are EOPNOTSUPP, as a
 *    kernel without CONFIG_TMPFS_POSIX_ACL), memfd seals (F_ADD_SEALS),
 *    clearing setuid/setgid bits
 *    on write (file_ops.write has no credentials to decide it).
 *
 * Locking: see tmpfs_impl.h.
 */
#ifndef SENTRY_FSIMPL_TMPFS_TMPFS_H
#define SENTRY_FSIMPL_TMPFS_TMPFS_H

#include <stdint.h>

#include "sentry/vfs/vfs.h"

struct file;

/* statfs f_type: Linux's TMPFS_MAGIC. */
#define TMPFS_MAGIC 0x01021994

/*
 * memfd_create(2) flags (include/uapi/linux/memfd.h), spelled as
 * syscalls/vfs_ctx.h spells them so that both may be included.
 */
#ifndef LINUX_MFD_CLOEXEC
#define LINUX_MFD_CLOEXEC       0x1U
#define LINUX_MFD_ALLOW_SEALING 0x2U
#define LINUX_MFD_HUGETLB       0x4U
#define LINUX_MFD_NOEXEC_SEAL   0x8U
#define LINUX_MFD_EXEC          0x10U
#endif
/* The longest memfd name: NAME_MAX less "memfd:", as Linux's MFD_NAME_MAX_LEN. */
#define TMPFS_MEMFD_NAME_MAX 249

/* Which fields of struct tmpfs_options are given; the others take their defaults. */
#define TMPFS_OPT_SIZE      0x01
#define TMPFS_OPT_NR_INODES 0x02
#define TMPFS_OPT_MODE      0x04
#define TMPFS_OPT_UID       0x08
#define TMPFS_OPT_GID       0x10
#define TMPFS_OPT_RDONLY    0x20 /* "ro": the superblock is SB_RDONLY */
#define TMPFS_OPT_INODE64   0x40 /* "inode64": only shown in /proc/mounts */

struct tmpfs_options {
	unsigned set;       /* TMPFS_OPT_* */
	uint64_t size;      /* bytes, rounded up to pages; 0: no limit */
	uint64_t nr_inodes; /* 0: no limit */
	uint32_t mode;      /* the root directory's permission bits */
	uint32_t uid, gid;  /* the root directory's owner */
};

/* The type mount(2) knows as "tmpfs"; the boot code registers it. */
extern const struct fs_type tmpfs_fs_type;

/*
 * Parses mount(2)'s data string (comma-separated, as Linux's tmpfs takes
 * it; NULL or "" is no option) into *out. Returns 0 or -EINVAL.
 */
int tmpfs_parse_options(const char *data, struct tmpfs_options *out);

/*
 * A new tmpfs with opts (NULL: every default), for the boot code.
 * Returns 0 and a new reference in *out, or -ENOMEM.
 */
int tmpfs_new(const struct tmpfs_options *opts, struct superblock **out);

/*
 * memfd_create(2): an unnamed regular file (owner 0:0, nlink 0) in an
 * internal tmpfs with no limits, opened O_RDWR | O_LARGEFILE. flags:
 * LINUX_MFD_CLOEXEC (the caller's business), LINUX_MFD_ALLOW_SEALING
 * (accepted, but no seal can be added yet), LINUX_MFD_EXEC (mode 0777, the
 * default) and LINUX_MFD_NOEXEC_SEAL (mode 0666; the F_SEAL_EXEC it implies
 * is not kept); others (MFD_HUGETLB) are -EINVAL, as are names longer than
 * TMPFS_MEMFD_NAME_MAX. The caller sets inode->uid/gid (under mu) to the
 * creator's fsuid/fsgid.
 *
 * The file has no path yet (mnt and dentry NULL): vfs.h offers no
 * unhashed dentry nor an internal mount for a superblock that is not
 * mounted, so /proc/self/fd cannot show Linux's "/memfd:NAME (deleted)"
 * until it does. Returns 0 and a new reference in *out, or -errno.
 */
int tmpfs_memfd_create(const char *name, unsigned flags, struct file **out);

#endif /* SENTRY_FSIMPL_TMPFS_TMPFS_H */
