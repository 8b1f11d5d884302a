/*
 * The file calls' bridge from a task to the VFS (internal to syscalls/):
 * where a path resolution starts (task_vfs_ctx), the copy-in of a
 * pathname (task_copy_path), fd look-ups with Linux's O_PATH rule, the
 * change of a task's cwd and root, and the guest ABI constants of the
 * file calls that common/abi/linux does not define yet.
 *
 * References: task_vfs_ctx fills a struct vfs_ctx whose paths are
 * borrowed from a struct vfs_ctx_hold, which owns them until
 * task_vfs_ctx_put.
 */
#ifndef SYSCALLS_VFS_CTX_H
#define SYSCALLS_VFS_CTX_H

#include <stdbool.h>
#include <stdint.h>

#include "common/abi/linux/misc.h"
#include "common/abi/linux/stat.h"
#include "common/util.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/vfs.h"

struct task;

/*
 * Guest ABI constants of the file calls missing from common/abi/linux
 * (x86-64 values, include/uapi/linux/fcntl.h, openat2.h, stat.h, mount.h,
 * memfd.h, falloc.h, splice.h); they belong there.
 */
#define LINUX_AT_EACCESS          0x200
#define LINUX_AT_SYMLINK_FOLLOW   0x400
#define LINUX_AT_NO_AUTOMOUNT     0x800
#define LINUX_AT_STATX_FORCE_SYNC 0x2000
#define LINUX_AT_STATX_DONT_SYNC  0x4000
#define LINUX_AT_STATX_SYNC_TYPE  0x6000

#define LINUX___O_SYNC    04000000
#define LINUX___O_TMPFILE 020000000

/* struct open_how of openat2(2); OPEN_HOW_SIZE_VER0 is its first size. */
struct linux_open_how {
	uint64_t flags;
	uint64_t mode;
	uint64_t resolve;
};
#define LINUX_OPEN_HOW_SIZE_VER0    24
#define LINUX_RESOLVE_NO_XDEV       0x01
#define LINUX_RESOLVE_NO_MAGICLINKS 0x02
#define LINUX_RESOLVE_NO_SYMLINKS   0x04
#define LINUX_RESOLVE_BENEATH       0x08
#define LINUX_RESOLVE_IN_ROOT       0x10
#define LINUX_RESOLVE_CACHED        0x20

#define LINUX_CLOSE_RANGE_UNSHARE 0x2
#define LINUX_CLOSE_RANGE_CLOEXEC 0x4

#define LINUX_STATX_MNT_ID          0x1000U
#define LINUX_STATX__RESERVED       0x80000000U
#define LINUX_STATX_ATTR_AUTOMOUNT  0x1000
#define LINUX_STATX_ATTR_MOUNT_ROOT 0x2000
#define LINUX_STATX_ATTR_DAX        0x200000

#define LINUX_MS_MGC_VAL 0xC0ED0000UL
#define LINUX_MS_MGC_MSK 0xffff0000UL

#define LINUX_MNT_FORCE       0x1
#define LINUX_MNT_DETACH      0x2
#define LINUX_MNT_EXPIRE      0x4
#define LINUX_UMOUNT_NOFOLLOW 0x8

#define LINUX_MFD_CLOEXEC       0x1U
#define LINUX_MFD_ALLOW_SEALING 0x2U
#define LINUX_MFD_HUGETLB       0x4U
#define LINUX_MFD_NOEXEC_SEAL   0x8U
#define LINUX_MFD_EXEC          0x10U
#define LINUX_MFD_HUGE_SHIFT    26
#define LINUX_MFD_HUGE_MASK     0x3fU
#define LINUX_MFD_NAME_MAX      249 /* NAME_MAX less "memfd:" */

#define LINUX_FALLOC_FL_KEEP_SIZE      0x01
#define LINUX_FALLOC_FL_PUNCH_HOLE     0x02
#define LINUX_FALLOC_FL_COLLAPSE_RANGE 0x08
#define LINUX_FALLOC_FL_ZERO_RANGE     0x10
#define LINUX_FALLOC_FL_INSERT_RANGE   0x20
#define LINUX_FALLOC_FL_UNSHARE_RANGE  0x40
#define LINUX_FALLOC_FL_WRITE_ZEROES   0x80

#define LINUX_SPLICE_F_MOVE     0x1
#define LINUX_SPLICE_F_NONBLOCK 0x2
#define LINUX_SPLICE_F_MORE     0x4
#define LINUX_SPLICE_F_GIFT     0x8

#define LINUX_F_GETLK      5
#define LINUX_F_SETLK      6
#define LINUX_F_SETLKW     7
#define LINUX_F_OFD_GETLK  36
#define LINUX_F_OFD_SETLK  37
#define LINUX_F_OFD_SETLKW 38

/* struct flock of x86-64. */
struct linux_flock {
	int16_t l_type;
	int16_t l_whence;
	int32_t pad0;
	int64_t l_start;
	int64_t l_len;
	int32_t l_pid;
	int32_t pad1;
};
_Static_assert(sizeof(struct linux_flock) == 32, "flock layout");

#define LINUX_LOCK_SH   1
#define LINUX_LOCK_EX   2
#define LINUX_LOCK_NB   4
#define LINUX_LOCK_UN   8
#define LINUX_LOCK_MAND 32

/* Linux's MAX_RW_COUNT: one call moves at most this many bytes. */
#define VFS_MAX_RW_COUNT (0x7fffffffULL & PAGE_MASK)

/*
 * References that a struct vfs_ctx borrows: the task's root and cwd, and
 * the dirfd's file. Released by task_vfs_ctx_put.
 */
struct vfs_ctx_hold {
	struct path root, cwd;
	struct file *dir; /* NULL: the start is the cwd (or the path is absolute) */
};

/*
 * Fills *out for resolving path (already copied in) from dirfd as task t,
 * as Linux's path_init: the task's creds, root and umask, and the start:
 * the cwd for AT_FDCWD, else the dirfd's file (an O_PATH one too).
 * lookup is the LOOKUP_* flags of the resolution: an absolute path
 * ignores dirfd entirely, even a bad one, unless LOOKUP_IN_ROOT makes
 * dirfd its root. Returns 0 (release with task_vfs_ctx_put), -EBADF for a
 * bad dirfd, or -ENOTDIR when path is relative and nonempty and dirfd is
 * not a directory.
 */
int task_vfs_ctx(struct task *t, int dirfd, const char *path, unsigned lookup, struct vfs_ctx *out,
                 struct vfs_ctx_hold *hold);
void task_vfs_ctx_put(struct vfs_ctx_hold *hold);

/*
 * Resolves path (copied in) from dirfd as t with lookup flags. Returns 0
 * and a new reference in *out, or -errno.
 */
int task_lookup(struct task *t, int dirfd, const char *path, unsigned lookup, struct path *out);

/*
 * Copies the pathname at addr into buf (LINUX_PATH_MAX bytes), as Linux's
 * getname: -EFAULT for a bad pointer, -ENAMETOOLONG when there is no NUL
 * within PATH_MAX bytes, -ENOENT for "" unless empty_ok (AT_EMPTY_PATH).
 * Returns the length.
 */
long task_copy_path(struct task *t, uaddr_t addr, char *buf, bool empty_ok);

/*
 * The file at fd, a new reference, or NULL (EBADF). Without raw an
 * O_PATH file is NULL too, as Linux's fdget() hides them from every call
 * but the few that take fdget_raw() (fstat, fchdir, fstatfs, fcntl, *at
 * dirfds). fd is the guest's register: its low 32 bits, as Linux reads
 * an int or unsigned int argument.
 */
struct file *task_fd_get(struct task *t, uint64_t fd, bool raw);

/* A guest int argument: the low 32 bits of the register, signed. */
static inline int arg_int(uint64_t v)
{
	return (int)(uint32_t)v;
}

/* Whether f is a file of the VFS (has a path and an inode). */
static inline bool file_in_vfs(const struct file *f)
{
	return f->path.mnt != NULL && f->inode != NULL;
}

/*
 * The attributes of any file: vfs_file_getattr, or for a file outside the
 * VFS its own ops->stat (file.h promises that of vfs_file_getattr, which
 * does not do it yet). Returns 0 or -errno.
 */
int file_statx(struct file *f, struct linux_statx *out);

/* Replaces t's working directory / root with p (a new reference is taken). */
void task_set_cwd(struct task *t, const struct path *p);
void task_set_root(struct task *t, const struct path *p);

/* The fcntl(2) lock commands (sys_fslock.c), called by sys_fcntl. */
long fslock_fcntl(struct task *t, struct file *f, unsigned cmd, uaddr_t arg);

#endif /* SYSCALLS_VFS_CTX_H */
