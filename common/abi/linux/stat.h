/*
 * File metadata of the guest ABI: struct statx and struct statfs, file
 * types and permission bits, and the flags of the *at() calls, rename,
 * open and the xattr calls that the file layer and the gofer protocol
 * carry. Values are Linux's x86-64 ones (include/uapi/linux/stat.h,
 * fcntl.h, xattr.h, limits.h).
 */
#ifndef COMMON_ABI_LINUX_STAT_H
#define COMMON_ABI_LINUX_STAT_H

#include <stdint.h>

/* struct statx_timestamp */
struct linux_statx_timestamp {
	int64_t tv_sec;
	uint32_t tv_nsec;
	int32_t reserved;
};

/* struct statx, up to stx_dev_minor (the fields every kernel since 4.11 fills). */
struct linux_statx {
	uint32_t mask;
	uint32_t blksize;
	uint64_t attributes;
	uint32_t nlink;
	uint32_t uid;
	uint32_t gid;
	uint16_t mode;
	uint16_t pad0;
	uint64_t ino;
	uint64_t size;
	uint64_t blocks;
	uint64_t attributes_mask;
	struct linux_statx_timestamp atime;
	struct linux_statx_timestamp btime;
	struct linux_statx_timestamp ctime;
	struct linux_statx_timestamp mtime;
	uint32_t rdev_major;
	uint32_t rdev_minor;
	uint32_t dev_major;
	uint32_t dev_minor;
};
_Static_assert(sizeof(struct linux_statx) == 0x90, "statx layout");

#define LINUX_STATX_TYPE        0x0001U
#define LINUX_STATX_MODE        0x0002U
#define LINUX_STATX_NLINK       0x0004U
#define LINUX_STATX_UID         0x0008U
#define LINUX_STATX_GID         0x0010U
#define LINUX_STATX_ATIME       0x0020U
#define LINUX_STATX_MTIME       0x0040U
#define LINUX_STATX_CTIME       0x0080U
#define LINUX_STATX_INO         0x0100U
#define LINUX_STATX_SIZE        0x0200U
#define LINUX_STATX_BLOCKS      0x0400U
#define LINUX_STATX_BASIC_STATS 0x07ffU
#define LINUX_STATX_BTIME       0x0800U

/* struct statfs of x86-64 (statfs, fstatfs). */
struct linux_statfs {
	int64_t type;
	int64_t bsize;
	uint64_t blocks;
	uint64_t bfree;
	uint64_t bavail;
	uint64_t files;
	uint64_t ffree;
	int32_t fsid[2];
	int64_t namelen;
	int64_t frsize;
	int64_t flags;
	int64_t spare[4];
};
_Static_assert(sizeof(struct linux_statfs) == 120, "statfs layout");

/* File types and permission bits of st_mode. */
#define LINUX_S_IFMT    0170000
#define LINUX_S_IFSOCK  0140000
#define LINUX_S_IFLNK   0120000
#define LINUX_S_IFREG   0100000
#define LINUX_S_IFBLK   0060000
#define LINUX_S_IFDIR   0040000
#define LINUX_S_IFCHR   0020000
#define LINUX_S_IFIFO   0010000
#define LINUX_S_ISUID   04000
#define LINUX_S_ISGID   02000
#define LINUX_S_ISVTX   01000
#define LINUX_S_IALLUGO 07777

/* d_type of struct linux_dirent64. */
#define LINUX_DT_UNKNOWN 0
#define LINUX_DT_FIFO    1
#define LINUX_DT_CHR     2
#define LINUX_DT_DIR     4
#define LINUX_DT_BLK     6
#define LINUX_DT_REG     8
#define LINUX_DT_LNK     10
#define LINUX_DT_SOCK    12

/* Open flags beyond those in misc.h. */
#define LINUX_O_CREAT     00000100
#define LINUX_O_EXCL      00000200
#define LINUX_O_NOCTTY    00000400
#define LINUX_O_TRUNC     00001000
#define LINUX_O_DIRECTORY 00200000
#define LINUX_O_NOFOLLOW  00400000
#define LINUX_O_SYNC      04010000
#define LINUX_O_PATH      010000000
#define LINUX_O_TMPFILE   020200000

#define LINUX_AT_REMOVEDIR 0x200

#define LINUX_RENAME_NOREPLACE 0x1
#define LINUX_RENAME_EXCHANGE  0x2
#define LINUX_RENAME_WHITEOUT  0x4

#define LINUX_UTIME_NOW  ((1L << 30) - 1L)
#define LINUX_UTIME_OMIT ((1L << 30) - 2L)

#define LINUX_XATTR_CREATE   0x1
#define LINUX_XATTR_REPLACE  0x2
#define LINUX_XATTR_NAME_MAX 255
#define LINUX_XATTR_SIZE_MAX 65536
#define LINUX_XATTR_LIST_MAX 65536

#define LINUX_NAME_MAX 255
#define LINUX_PATH_MAX 4096

#endif /* COMMON_ABI_LINUX_STAT_H */
