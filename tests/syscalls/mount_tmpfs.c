/*
 * mount_tmpfs: as root, mount and umount2 with a tmpfs and bind mounts: a size limit
 * (ENOSPC), EBUSY while in use, lazy unmounts, read-only remounts (EROFS), EXDEV across
 * mounts, mounts hiding what is under them, and the errors of bad arguments.
 *
 * Natively the test first moves into a mount namespace of its own with / private, so that
 * nothing it mounts is seen outside, even if it dies. Where unshare is refused (in the
 * sandbox) it goes on in the namespace it has; an atexit handler then detaches whatever is
 * still mounted before the scratch tree is removed.
 */
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h> /* ST_RDONLY */

#include "fs_util.h"

#define TMPFS_MAGIC 0x01021994
#define MIB         (1L << 20)

/* The mount points the test uses, detached at exit if still mounted. */
static const char *const g_mount_points[] = { "mnt", "bind", "hide" };

static void detach_all(void)
{
	char path[64];

	if (g_fs_scratch[0] == '\0')
		return;
	for (size_t i = 0; i < sizeof(g_mount_points) / sizeof(g_mount_points[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", g_fs_scratch, g_mount_points[i]);
		/* Mounts may be stacked: detach until there is nothing left. */
		while (umount2(path, MNT_DETACH) == 0)
			continue;
	}
}

static struct stat do_stat(const char *path)
{
	struct stat st;

	CHECK_SYS(syscall(SYS_stat, path, &st));
	return st;
}

static long sys_mount(const char *source, const char *target, const char *type, unsigned long flags,
                      const void *data)
{
	return syscall(SYS_mount, source, target, type, flags, data);
}

static long sys_umount2(const char *target, long flags)
{
	return syscall(SYS_umount2, target, flags);
}

static void tmpfs(void)
{
	CHECK_SYS(mkdir("mnt", 0755));
	struct stat parent = do_stat(".");
	CHECK_SYS(sys_mount("none", "mnt", "tmpfs", 0, "size=1m"));

	/* A new file system: another device, empty, its root 01777 unless told otherwise. */
	struct stat root = do_stat("mnt");
	CHECK(root.st_dev != parent.st_dev);
	CHECK_EQ(root.st_mode, S_IFDIR | 01777);
	CHECK_EQ(root.st_nlink, 2);
	struct statfs sf;
	CHECK_SYS(syscall(SYS_statfs, "mnt", &sf));
	CHECK_EQ(sf.f_type, TMPFS_MAGIC);
	CHECK_EQ(sf.f_blocks * sf.f_bsize, MIB);
	CHECK_EQ(sf.f_bfree, sf.f_blocks);
	CHECK_EQ(sf.f_namelen, NAME_MAX);
	/* ".." at its root leads back to the mount point's parent. */
	CHECK_EQ(do_stat("mnt/..").st_ino, parent.st_ino);

	/* It holds at most its size: ENOSPC after at most 1 MiB. */
	long fd = CHECK_SYS(open("mnt/file", O_WRONLY | O_CREAT, 0644));
	static char chunk[64 * 1024];
	memset(chunk, 'x', sizeof(chunk));
	long total = 0, n;
	while ((n = write(fd, chunk, sizeof(chunk))) > 0)
		total += n;
	CHECK_EQ(n, -1);
	CHECK_EQ(errno, ENOSPC);
	CHECK(total > 0 && total <= MIB);
	CHECK_EQ(do_stat("mnt/file").st_size, total);
	CHECK_ERR(write(fd, "x", 1), ENOSPC);
	/* Truncating gives the space back. */
	CHECK_SYS(ftruncate(fd, 0));
	CHECK_EQ(pwrite(fd, chunk, sizeof(chunk), 0), sizeof(chunk));

	/* Busy while a file on it is open, or while it is a working directory. */
	CHECK_ERR(sys_umount2("mnt", 0), EBUSY);
	CHECK_SYS(close(fd));
	CHECK_SYS(chdir("mnt"));
	CHECK_ERR(sys_umount2("../mnt", 0), EBUSY);
	CHECK_SYS(chdir(".."));
	/* A mount point cannot be removed or renamed. */
	CHECK_ERR(rmdir("mnt"), EBUSY);
	CHECK_ERR(rename("mnt", "moved"), EBUSY);
	/* Links and renames do not cross mounts. */
	fs_write_file("outside", "o");
	CHECK_ERR(link("mnt/file", "linked"), EXDEV);
	CHECK_ERR(link("outside", "mnt/linked"), EXDEV);
	CHECK_ERR(rename("mnt/file", "moved"), EXDEV);
	CHECK_ERR(rename("outside", "mnt/moved"), EXDEV);
	CHECK(!fs_exists("linked") && !fs_exists("moved"));

	/* Read-only remount: EROFS for every change, reading is fine. */
	CHECK_SYS(sys_mount(NULL, "mnt", NULL, MS_REMOUNT | MS_RDONLY, NULL));
	CHECK_ERR(open("mnt/new", O_WRONLY | O_CREAT, 0644), EROFS);
	CHECK_ERR(open("mnt/file", O_WRONLY), EROFS);
	CHECK_ERR(mkdir("mnt/dir", 0755), EROFS);
	CHECK_ERR(unlink("mnt/file"), EROFS);
	CHECK_ERR(truncate("mnt/file", 0), EROFS);
	CHECK_ERR(chmod("mnt/file", 0600), EROFS);
	CHECK_SYS(syscall(SYS_statfs, "mnt", &sf));
	CHECK(sf.f_flags & ST_RDONLY);
	fd = CHECK_SYS(open("mnt/file", O_RDONLY));
	CHECK_SYS(close(fd));
	CHECK_SYS(sys_mount(NULL, "mnt", NULL, MS_REMOUNT, NULL));
	fs_write_file("mnt/new", "writable again");

	/* Unmounted: the files are gone and the directory is the old one. */
	CHECK_SYS(sys_umount2("mnt", 0));
	CHECK(!fs_exists("mnt/file"));
	CHECK(!fs_exists("mnt/new"));
	CHECK_EQ(do_stat("mnt").st_dev, parent.st_dev);
	CHECK_EQ(do_stat("mnt").st_mode, S_IFDIR | 0755);

	/* A lazy unmount goes at once; open files keep working. */
	CHECK_SYS(sys_mount("none", "mnt", "tmpfs", 0, "size=1m,mode=0700"));
	CHECK_EQ(do_stat("mnt").st_mode, S_IFDIR | 0700);
	fd = CHECK_SYS(open("mnt/lazy", O_RDWR | O_CREAT, 0644));
	CHECK_SYS(sys_umount2("mnt", MNT_DETACH));
	CHECK(!fs_exists("mnt/lazy"));
	CHECK_EQ(pwrite(fd, "still", 5, 0), 5);
	char buf[8];
	CHECK_EQ(pread(fd, buf, sizeof(buf), 0), 5);
	CHECK_SYS(close(fd));
}

static void binds(void)
{
	/* A bind mount shows the same directory: same files, both ways. */
	CHECK_SYS(mkdir("src", 0755));
	fs_write_file("src/a", "A");
	CHECK_SYS(mkdir("bind", 0755));
	CHECK_SYS(sys_mount("src", "bind", NULL, MS_BIND, NULL));
	struct stat a = do_stat("src/a"), b = do_stat("bind/a");
	CHECK_EQ(a.st_ino, b.st_ino);
	CHECK_EQ(a.st_dev, b.st_dev);
	fs_write_file("bind/b", "B");
	CHECK(fs_exists("src/b"));
	CHECK_SYS(unlink("src/b"));
	CHECK(!fs_exists("bind/b"));
	/* Even on one file system, links and renames do not cross mounts. */
	CHECK_ERR(link("src/a", "bind/c"), EXDEV);
	CHECK_ERR(rename("src/a", "bind/c"), EXDEV);
	CHECK_ERR(rmdir("bind"), EBUSY);
	/* A read-only bind: EROFS there, writable through the original. */
	CHECK_SYS(sys_mount(NULL, "bind", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL));
	CHECK_ERR(open("bind/c", O_WRONLY | O_CREAT, 0644), EROFS);
	CHECK_ERR(unlink("bind/a"), EROFS);
	fs_write_file("src/c", "C");
	CHECK(fs_exists("bind/c"));
	CHECK_SYS(sys_umount2("bind", 0));
	CHECK(!fs_exists("bind/a"));
	CHECK(fs_exists("src/a"));

	/* A mount hides what is under it until it goes. */
	CHECK_SYS(mkdir("hide", 0755));
	fs_write_file("hide/old", "old");
	CHECK_SYS(sys_mount("none", "hide", "tmpfs", 0, NULL));
	CHECK(!fs_exists("hide/old"));
	/* A second mount on the same point stacks on the first. */
	CHECK_SYS(sys_mount("src", "hide", NULL, MS_BIND, NULL));
	CHECK(fs_exists("hide/a"));
	CHECK_SYS(sys_umount2("hide", 0));
	CHECK(!fs_exists("hide/a"));
	CHECK(!fs_exists("hide/old"));
	CHECK_SYS(sys_umount2("hide", 0));
	CHECK(fs_exists("hide/old"));
}

static void errors(void)
{
	/* Unknown file system types, bad mount points. */
	CHECK_ERR(sys_mount("none", "mnt", "no-such-fs", 0, NULL), ENODEV);
	CHECK_ERR(sys_mount("none", "missing", "tmpfs", 0, NULL), ENOENT);
	CHECK_ERR(sys_mount("none", "outside/x", "tmpfs", 0, NULL), ENOTDIR);
	CHECK_ERR(sys_mount("missing", "bind", NULL, MS_BIND, NULL), ENOENT);
	CHECK_ERR(sys_mount("none", "mnt", "tmpfs", 0, "size=nonsense"), EINVAL);
	CHECK_ERR(sys_mount(NULL, "mnt", NULL, MS_REMOUNT, NULL), EINVAL);
	CHECK_ERR(sys_mount("none", NULL, "tmpfs", 0, NULL), EFAULT);
	/* umount2: not a mount point is EINVAL, as are unknown flags. */
	CHECK_ERR(sys_umount2("mnt", 0), EINVAL);
	CHECK_ERR(sys_umount2("src", 0), EINVAL);
	CHECK_ERR(sys_umount2("outside", 0), EINVAL);
	CHECK_ERR(sys_umount2("missing", 0), ENOENT);
	CHECK_ERR(sys_umount2("", 0), ENOENT);
	CHECK_SYS(sys_mount("none", "mnt", "tmpfs", 0, NULL));
	CHECK_ERR(sys_umount2("mnt", 0x100), EINVAL);
	CHECK_ERR(sys_umount2("mnt", MNT_EXPIRE | MNT_FORCE), EINVAL);
	CHECK_SYS(sys_umount2("mnt/", 0));
	CHECK_ERR(sys_umount2("mnt", 0), EINVAL);
}

int main(void)
{
	CHECK_EQ(geteuid(), 0);
	fs_scratch_enter();
	CHECK_EQ(atexit(detach_all), 0);
	/* A private mount namespace where possible; see the top of the file. */
	if (unshare(CLONE_NEWNS) == 0)
		CHECK_SYS(sys_mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
	tmpfs();
	binds();
	errors();
	fs_scratch_leave();
	return 0;
}
