/*
 * sys: the sandbox's /sys, a kernfs (kernfs.h) with just what programs
 * read to size themselves:
 *
 *   devices/system/cpu/{online,possible,present}   "0-N", the host's CPUs
 *   kernel/mm/transparent_hugepage/{enabled,defrag} the host's settings
 *
 * The application's memory is the host's (sentry/mm), so the host's CPU
 * count and THP policy are the ones that apply to it. Both are read once,
 * at boot (sysfs_new), before the sandbox confines itself. Every file is
 * read-only: opening one for writing fails with EACCES, as sysfs does
 * for a 0444 attribute.
 */
#ifndef SENTRY_FSIMPL_KERNFS_SYS_H
#define SENTRY_FSIMPL_KERNFS_SYS_H

#include "sentry/vfs/vfs.h"

#define SYSFS_MAGIC 0x62656572

/* "sysfs" for mount(2). */
extern const struct fs_type sysfs_fs_type;

/*
 * Reads the host facts (once) and makes a new sysfs superblock. Returns 0
 * and a new reference in *out, or -errno. Register sysfs_fs_type with
 * vfs_register_fs for mount(2) -t sysfs.
 */
int sysfs_new(struct superblock **out);

#endif /* SENTRY_FSIMPL_KERNFS_SYS_H */
