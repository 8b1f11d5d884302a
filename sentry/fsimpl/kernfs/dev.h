/*
 * The /dev devices: drivers for the character devices every container
 * has, registered in the VFS's device registry (vfs_register_chrdev), and
 * the table of nodes /dev holds.
 *
 * Drivers, by (major, minor) as in Linux's devices.txt:
 *   1:3 null     reads end of file, writes are taken whole
 *   1:5 zero     reads zeros, writes are taken whole; mmap: ENODEV for now
 *                (a shared mapping of /dev/zero is shared anonymous memory,
 *                a private one anonymous memory: neither is wired yet)
 *   1:7 full     reads zeros, writes fail with ENOSPC
 *   1:8 random, 1:9 urandom
 *                reads from the host's getrandom(2) (never blocks, as
 *                Linux's since 5.6 once seeded); writes are taken whole
 *                and do not credit entropy (as Linux's for non-root)
 *   5:0 tty      the caller's controlling terminal (a host terminal), or ENXIO
 *   5:1 console  ENXIO: the sandbox has no console yet
 *   5:2 ptmx     ENODEV until devpts exists (logged)
 * null, zero and full seek to 0 whatever is asked (Linux's null_lseek);
 * random and urandom do not move (noop_llseek).
 *
 * The lead's boot code makes /dev a tmpfs and creates g_dev_nodes in it
 * through the VFS: device nodes (vfs_mknod), symlinks and directories. A
 * tmpfs device node's open goes to vfs_chrdev_open, which finds these
 * drivers.
 */
#ifndef SENTRY_FSIMPL_KERNFS_DEV_H
#define SENTRY_FSIMPL_KERNFS_DEV_H

#include <stddef.h>
#include <stdint.h>

/* Registers the drivers above with vfs_register_chrdev. Call once at boot. */
void devices_register_all(void);

/*
 * One entry of /dev. mode has the type bits: LINUX_S_IFCHR (major:minor
 * is the device), LINUX_S_IFLNK (symlink is the target) or LINUX_S_IFDIR.
 */
struct dev_node {
	const char *name;
	uint32_t mode;
	uint32_t major, minor;
	const char *symlink;
};

/* The nodes of a container's /dev, as runc and gVisor create them. */
extern const struct dev_node g_dev_nodes[];
extern const size_t g_dev_nodes_count;

#endif /* SENTRY_FSIMPL_KERNFS_DEV_H */
