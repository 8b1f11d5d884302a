/*
 * What the synthetic file systems (proc, sys) ask of the host: facts read
 * once at boot, before the sandbox confines itself (the sentry opens no
 * host file afterwards), and a few syscalls made at generation time.
 * Every host call of sentry/fsimpl/kernfs is in host_synthfs.c.
 */
#ifndef SENTRY_FSIMPL_KERNFS_SYNTHFS_HOST_H
#define SENTRY_FSIMPL_KERNFS_SYNTHFS_HOST_H

#include <stddef.h>
#include <stdint.h>

/* Read once by synthfs_host_load(); constant afterwards. */
struct synthfs_host {
	char *cpuinfo; /* the host's /proc/cpuinfo, owned; "" when unreadable */
	size_t cpuinfo_len;
	uint64_t mem_total_kb; /* /proc/meminfo's MemTotal */
	int ncpus_online;      /* sysconf(_SC_NPROCESSORS_ONLN), at least 1 */
	int ncpus_possible;    /* sysconf(_SC_NPROCESSORS_CONF), at least ncpus_online */
	/* /sys/kernel/mm/transparent_hugepage/{enabled,defrag}, newline included. */
	char thp_enabled[128];
	char thp_defrag[128];
};

/*
 * Reads the host facts (once; later calls do nothing). Call it before
 * the sandbox confines itself: procfs_new and sysfs_new do.
 */
void synthfs_host_load(void);
/* The facts; loads them first if nobody did (which fails once confined). */
const struct synthfs_host *synthfs_host(void);

/* Host memory now, from sysinfo(2), in bytes. */
struct synthfs_meminfo {
	uint64_t total, free, shared, buffers, swap_total, swap_free;
};
int synthfs_host_meminfo(struct synthfs_meminfo *out);

/* CPU time the sentry process (every sentry thread) has used, from getrusage(2). */
uint64_t synthfs_host_sentry_cpu_ns(void);
/* CPU time the calling sentry thread has used (CLOCK_THREAD_CPUTIME_ID). */
uint64_t synthfs_host_thread_cpu_ns(void);

#endif /* SENTRY_FSIMPL_KERNFS_SYNTHFS_HOST_H */
