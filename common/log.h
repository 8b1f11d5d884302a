/*
 * Logging for the sentry, the gofer and the CLI.
 *
 * Messages go to the debug log (--debug-log=FILE) when one is set, and to
 * stderr otherwise. Below WARNING they are kept only with --debug. The
 * strace output (--strace) uses log_raw() so that it lands in the same
 * place as the rest of the log.
 *
 * Thread-safe: each message is formatted into one buffer and written with
 * one write(2), so lines from different sentry threads never interleave.
 */
#ifndef COMMON_LOG_H
#define COMMON_LOG_H

#include <stdbool.h>

#include "common/util.h"

enum log_level {
	LOG_DEBUG,
	LOG_INFO,
	LOG_WARNING,
	LOG_ERROR,
};

/* Sets the minimum level written. The default is LOG_WARNING. */
void log_set_level(enum log_level level);
bool log_enabled(enum log_level level);

/*
 * Sends the log to fd (which the log now owns) instead of stderr.
 * Returns 0 or -errno.
 */
int log_set_fd(int fd);
int log_fd(void);

/* Sets the program name that prefixes each message ("runsc"). */
void log_set_prefix(const char *prefix);

/*
 * Writes each message as a JSON line, as runc's --log-format=json does:
 * {"level":"error","msg":"...","time":"2026-11-28T15:04:05Z"}. Clients
 * (podman, containerd's shim) show the msg of the last error line.
 */
void log_set_json(bool json);
bool log_is_json(void);

/* Copies the last error message logged by any thread ("" if none) into buf. */
void log_last_error(char *buf, size_t size);

void log_msg(enum log_level level, const char *fmt, ...) PRINTF_LIKE(2, 3);
/* Writes fmt as is, with no prefix and no level filter. */
void log_raw(const char *fmt, ...) PRINTF_LIKE(1, 2);

#define log_debug(...)                                   \
	do {                                             \
		if (log_enabled(LOG_DEBUG))              \
			log_msg(LOG_DEBUG, __VA_ARGS__); \
	} while (0)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARNING, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

/* Logs "fatal: ..." and aborts: for broken invariants of the sentry itself. */
NORETURN void log_fatal(const char *fmt, ...) PRINTF_LIKE(1, 2);

/* Aborts with a message when cond is false, in every build type. */
#define BUG_ON(cond)                                                              \
	do {                                                                      \
		if (unlikely(cond))                                               \
			log_fatal("BUG at %s:%d: %s", __FILE__, __LINE__, #cond); \
	} while (0)

#endif /* COMMON_LOG_H */
