/* Logging: see log.h. */
#include "common/log.h"

#include <errno.h>
#include <pthread.h>
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
static bool g_log_json;
/* The last error message, for a caller that reports it elsewhere (runsc boot's sync pipe). */
static char g_last_error_any[4096];
static pthread_mutex_t g_last_error_mu = PTHREAD_MUTEX_INITIALIZER;

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

void log_set_json(bool json)
{
	g_log_json = json;
}

bool log_is_json(void)
{
	return g_log_json;
}

void log_last_error(char *buf, size_t size)
{
	pthread_mutex_lock(&g_last_error_mu);
	snprintf(buf, size, "%s", g_last_error_any);
	pthread_mutex_unlock(&g_last_error_mu);
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

/* Appends s to buf[*n..size) as the inside of a JSON string. */
static void json_escape(char *buf, size_t size, size_t *n, const char *s)
{
	for (; *s && *n + 7 < size; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			buf[(*n)++] = '\\';
			buf[(*n)++] = (char)c;
		} else if (c < 0x20) {
			*n += (size_t)snprintf(buf + *n, size - *n, "\\u%04x", c);
		} else {
			buf[(*n)++] = (char)c;
		}
	}
}

/* runc's JSON log line: {"level":"error","msg":"...","time":"2006-01-02T15:04:05Z"}. */
static void log_json(enum log_level level, const char *msg, const struct tm *tm)
{
	static const char *const names[] = { "debug", "info", "warning", "error" };
	char buf[4608];
	size_t n = (size_t)snprintf(buf, sizeof(buf), "{\"level\":\"%s\",\"msg\":\"", names[level]);
	json_escape(buf, sizeof(buf) - 48, &n, msg);
	n += (size_t)snprintf(buf + n, sizeof(buf) - n,
	                      "\",\"time\":\"%04d-%02d-%02dT%02d:%02d:%02dZ\"}\n",
	                      tm->tm_year + 1900, tm->tm_mon + 1, tm->tm_mday, tm->tm_hour,
	                      tm->tm_min, tm->tm_sec);
	write_all(buf, MIN(n, sizeof(buf) - 1));
}

static void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	char buf[4096];
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	if (level == LOG_ERROR || g_log_json) {
		char msg[4096];
		va_list aq;
		va_copy(aq, ap);
		vsnprintf(msg, sizeof(msg), fmt, aq);
		va_end(aq);
		if (level == LOG_ERROR) {
			pthread_mutex_lock(&g_last_error_mu);
			memcpy(g_last_error_any, msg, sizeof(g_last_error_any));
			pthread_mutex_unlock(&g_last_error_mu);
		}
		if (g_log_json) {
			log_json(level, msg, &tm);
			return;
		}
	}
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
