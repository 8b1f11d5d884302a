/*
 * Host facts and calls for proc and sys: see synthfs_host.h.
 */
#include "sentry/fsimpl/kernfs/synthfs_host.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"

static struct synthfs_host g_host;
static pthread_once_t g_host_once = PTHREAD_ONCE_INIT;

/* Reads all of a host file into a new NUL-terminated buffer; NULL when unreadable. */
static char *read_host_file(const char *path, size_t *out_len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	while (buf) {
		if (cap - len < 2) {
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		ssize_t n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			buf = NULL;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (buf) {
		buf[len] = '\0';
		if (out_len)
			*out_len = len;
	}
	return buf;
}

static void read_thp(const char *path, char *out, size_t size, const char *fallback)
{
	char *s = read_host_file(path, NULL);
	snprintf(out, size, "%s", s && *s ? s : fallback);
	free(s);
}

static void load(void)
{
	g_host.cpuinfo = read_host_file("/proc/cpuinfo", &g_host.cpuinfo_len);
	if (!g_host.cpuinfo) {
		log_warn("proc: cannot read the host's /proc/cpuinfo: /proc/cpuinfo will be empty");
		g_host.cpuinfo = strdup("");
		g_host.cpuinfo_len = 0;
	}
	char *meminfo = read_host_file("/proc/meminfo", NULL);
	const char *total = meminfo ? strstr(meminfo, "MemTotal:") : NULL;
	if (total)
		g_host.mem_total_kb = strtoull(total + strlen("MemTotal:"), NULL, 10);
	free(meminfo);
	if (g_host.mem_total_kb == 0) {
		struct sysinfo si;
		if (sysinfo(&si) == 0)
			g_host.mem_total_kb = (uint64_t)si.totalram * si.mem_unit / 1024;
	}
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	long possible = sysconf(_SC_NPROCESSORS_CONF);
	g_host.ncpus_online = online > 0 ? (int)online : 1;
	g_host.ncpus_possible = possible > online ? (int)possible : g_host.ncpus_online;
	/* Without THP on the host, the sandbox's memory (the host's) gets none either. */
	read_thp("/sys/kernel/mm/transparent_hugepage/enabled", g_host.thp_enabled,
	         sizeof(g_host.thp_enabled), "always madvise [never]\n");
	read_thp("/sys/kernel/mm/transparent_hugepage/defrag", g_host.thp_defrag,
	         sizeof(g_host.thp_defrag), "always defer defer+madvise madvise [never]\n");
}

void synthfs_host_load(void)
{
	pthread_once(&g_host_once, load);
}

const struct synthfs_host *synthfs_host(void)
{
	synthfs_host_load();
	return &g_host;
}

int synthfs_host_meminfo(struct synthfs_meminfo *out)
{
	struct sysinfo si;
	if (sysinfo(&si) != 0)
		return -errno;
	uint64_t unit = si.mem_unit ? si.mem_unit : 1;
	*out = (struct synthfs_meminfo){
		.total = (uint64_t)si.totalram * unit,
		.free = (uint64_t)si.freeram * unit,
		.shared = (uint64_t)si.sharedram * unit,
		.buffers = (uint64_t)si.bufferram * unit,
		.swap_total = (uint64_t)si.totalswap * unit,
		.swap_free = (uint64_t)si.freeswap * unit,
	};
	return 0;
}

static uint64_t tv_ns(struct timeval tv)
{
	return (uint64_t)tv.tv_sec * 1000000000ULL + (uint64_t)tv.tv_usec * 1000ULL;
}

uint64_t synthfs_host_sentry_cpu_ns(void)
{
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 0;
	return tv_ns(ru.ru_utime) + tv_ns(ru.ru_stime);
}

uint64_t synthfs_host_thread_cpu_ns(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}
