/*
 * What the anonymous files share (anon.h): Linux's anonymous inode as
 * fstat shows it, and noop_llseek.
 */
#include "sentry/fsimpl/anon/anon.h"

#include "common/abi/linux/misc.h"
#include "sentry/vfs/file.h"

/* Linux's anon_inode_inode: one inode for every anonymous file; mode 0600, no type. */
#define ANON_INODE_INO 1
#define ANON_INODE_DEV 0x0e /* an anonymous block-less device number, as Linux's anon_inodefs */

int anon_stat(struct file *f, struct linux_stat *st)
{
	(void)f;
	*st = (struct linux_stat){
		.dev = ANON_INODE_DEV,
		.ino = ANON_INODE_INO,
		.nlink = 1,
		.mode = 0600,
		.blksize = 4096,
	};
	return 0;
}

int64_t anon_llseek(struct file *f, int64_t off, int whence)
{
	(void)f;
	(void)off;
	(void)whence;
	return 0;
}
