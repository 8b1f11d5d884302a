/* sys: the sandbox's /sys. See sys.h. */
#include "sentry/fsimpl/kernfs/sys.h"

#include <stdio.h>
#include <time.h>

#include "sentry/fsimpl/kernfs/kernfs.h"
#include "sentry/fsimpl/kernfs/synthfs_host.h"

static void put_cpu_range(struct kernfs_buf *b, int n)
{
	if (n > 1)
		kernfs_printf(b, "0-%d\n", n - 1);
	else
		kernfs_puts(b, "0\n");
}

/* Every CPU the host has online is online for the sandbox too. */
static int cpu_online_show(struct kernfs_inode *ki, struct kernfs_buf *b)
{
	put_cpu_range(b, synthfs_host()->ncpus_online);
	return 0;
}

static int cpu_possible_show(struct kernfs_inode *ki, struct kernfs_buf *b)
{
	put_cpu_range(b, synthfs_host()->ncpus_possible);
	return 0;
}

static int thp_enabled_show(struct kernfs_inode *ki, struct kernfs_buf *b)
{
	kernfs_puts(b, synthfs_host()->thp_enabled);
	return 0;
}

static int thp_defrag_show(struct kernfs_inode *ki, struct kernfs_buf *b)
{
	kernfs_puts(b, synthfs_host()->thp_defrag);
	return 0;
}

#define SYSFS_RO(n, fn)                                                                         \
	{                                                                                       \
		.name = (n), .kind = KERNFS_FILE, .mode = 0444, .flags = KERNFS_NOWRITE_EACCES, \
		.show = (fn)                                                                    \
	}

static const struct kernfs_node g_cpu[] = {
	SYSFS_RO("online", cpu_online_show),
	SYSFS_RO("possible", cpu_possible_show),
	SYSFS_RO("present", cpu_online_show),
};

static const struct kernfs_node g_system[] = {
	KERNFS_DIR_NODE("cpu", 0755, g_cpu),
};

static const struct kernfs_node g_devices[] = {
	KERNFS_DIR_NODE("system", 0755, g_system),
};

static const struct kernfs_node g_thp[] = {
	SYSFS_RO("defrag", thp_defrag_show),
	SYSFS_RO("enabled", thp_enabled_show),
};

static const struct kernfs_node g_kernel_mm[] = {
	KERNFS_DIR_NODE("transparent_hugepage", 0755, g_thp),
};

static const struct kernfs_node g_kernel[] = {
	KERNFS_DIR_NODE("mm", 0755, g_kernel_mm),
};

static const struct kernfs_node g_sys_root_children[] = {
	KERNFS_DIR_NODE("devices", 0755, g_devices),
	KERNFS_DIR_NODE("kernel", 0755, g_kernel),
};

static const struct kernfs_node g_sys_root = KERNFS_DIR_NODE("/", 0555, g_sys_root_children);

int sysfs_new(struct superblock **out)
{
	synthfs_host_load();
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct linux_statx_timestamp now = { .tv_sec = ts.tv_sec, .tv_nsec = (uint32_t)ts.tv_nsec };
	return kernfs_sb_new("sysfs", SYSFS_MAGIC, &g_sys_root, now, NULL, /*flags=*/0, out);
}

/* mount -t sysfs: sysfs takes no options. */
static int sysfs_mount(const char *source, unsigned long flags, const char *data,
                       struct superblock **out)
{
	return sysfs_new(out);
}

const struct fs_type sysfs_fs_type = {
	.name = "sysfs",
	.mount = sysfs_mount,
};
