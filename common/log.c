/* Logging: see log.h. */
#include "common/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static enum log_level g_log_level = LOG_WARNING;
static int g_log_fd = 2;
static const char *g_log_prefix = "runsc";

static const char *const g_level_names[] = {
	[LOG_DEBUG] = "D",
	[LOG_INFO] = "I",
	[LOG_WARNING] = "W",
	[LOG_ERROR] = "E",
};

void log_set_level(enum log_level level)
{
	g_log_level = level;
}

bool log_enabled(enum log_level level)
{
	return level >= g_log_level;
}

int log_set_fd(int fd)
{
	if (fd < 0)
		return -EBADF;
	g_log_fd = fd;
	return 0;
}

int log_fd(void)
{
	return g_log_fd;
}

void log_set_prefix(const char *prefix)
{
	g_log_prefix = prefix;
}

static void write_all(const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(g_log_fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

static void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	char buf[4096];
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	int n = snprintf(buf, sizeof(buf),
	                 "%s%02d%02d %02d:%02d:%02d.%06ld %7ld %s: ", g_level_names[level],
	                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	                 ts.tv_nsec / 1000, (long)syscall(SYS_gettid), g_log_prefix);
	if (n < 0)
		return;
	int m = vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
	if (len > sizeof(buf) - 2)
		len = sizeof(buf) - 2;
	buf[len++] = '\n';
	write_all(buf, len);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	if (!log_enabled(level))
		return;
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

void log_raw(const char *fmt, ...)
{
	char buf[8192];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	write_all(buf, MIN((size_t)n, sizeof(buf) - 1));
}

void log_fatal(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(LOG_ERROR, fmt, ap);
	va_end(ap);
	abort();
}
