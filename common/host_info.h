/* What the sentry asks of the host about itself: randomness, the CPU, the mapping limit. */
#ifndef COMMON_HOST_INFO_H
#define COMMON_HOST_INFO_H

#include <stddef.h>
#include <stdint.h>

/* Fills buf with random bytes from the host's getrandom(2). Aborts if it cannot. */
void host_random_bytes(void *buf, size_t len);
/* A random 64-bit value. */
uint64_t host_random_u64(void);
/* The host's own auxv entry for tag (AT_HWCAP, AT_HWCAP2, AT_MINSIGSTKSZ), or 0. */
uint64_t host_auxval(unsigned long tag);
/* The host's CPUs: online (sysconf(_SC_NPROCESSORS_ONLN)) and configured (_CONF); at least 1. */
int host_ncpus_online(void);
int host_ncpus_conf(void);
/* The host's vm.max_map_count: the most mappings a process may have (65530 by default). */
long host_max_map_count(void);

/*
 * Reads now every host fact above that comes from a host file (/proc,
 * /sys). A confined sentry sees no host file (sentry/boot/confine.c), so it
 * calls this before it confines itself; each fact is read once.
 */
void host_info_load(void);

#endif /* COMMON_HOST_INFO_H */
