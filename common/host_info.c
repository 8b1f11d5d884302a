/* Host randomness, CPU and memory facts: see host_info.h. */
#include "common/host_info.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>

#include "common/log.h"

void host_random_bytes(void *buf, size_t len)
{
	char *p = buf;
	while (len > 0) {
		ssize_t n = getrandom(p, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			log_fatal("getrandom: %s", n < 0 ? "failed" : "returned 0");
		p += n;
		len -= (size_t)n;
	}
}

uint64_t host_random_u64(void)
{
	uint64_t v;
	host_random_bytes(&v, sizeof(v));
	return v;
}

/*
 * The kernel's auxv for this process. glibc's getauxval() is not used:
 * it answers AT_HWCAP and AT_HWCAP2 with glibc's own view of the CPU.
 */
static uint64_t g_auxv[128][2];
static int g_ncpus_online = 1, g_ncpus_conf = 1;
static long g_max_map_count = 65530; /* Linux's DEFAULT_MAX_MAP_COUNT */
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void load(void)
{
	/* glibc reads /sys/devices/system/cpu/{online,possible} for these. */
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	g_ncpus_online = cpus > 0 ? (int)cpus : 1;
	cpus = sysconf(_SC_NPROCESSORS_CONF);
	g_ncpus_conf = cpus > g_ncpus_online ? (int)cpus : g_ncpus_online;

	int fd = open("/proc/sys/vm/max_map_count", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		char buf[32];
		ssize_t len = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (len > 0) {
			buf[len] = 0;
			long v = strtol(buf, NULL, 10);
			if (v > 0)
				g_max_map_count = v;
		}
	}

	fd = open("/proc/self/auxv", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t n = read(fd, g_auxv, sizeof(g_auxv) - sizeof(g_auxv[0]));
	close(fd);
	if (n < 0)
		memset(g_auxv, 0, sizeof(g_auxv));
}

uint64_t host_auxval(unsigned long tag)
{
	host_info_load();
	for (size_t i = 0; i < ARRAY_SIZE(g_auxv) && g_auxv[i][0] != 0; i++) {
		if (g_auxv[i][0] == tag)
			return g_auxv[i][1];
	}
	return 0;
}

int host_ncpus_online(void)
{
	host_info_load();
	return g_ncpus_online;
}

int host_ncpus_conf(void)
{
	host_info_load();
	return g_ncpus_conf;
}

long host_max_map_count(void)
{
	host_info_load();
	return g_max_map_count;
}

void host_info_load(void)
{
	pthread_once(&g_once, load);
}
