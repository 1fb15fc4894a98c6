/*
 * util.h - small helpers every module uses: formatted error messages
 * ("cause" strings), logging with levels, and time formatting.
 *
 * Logging goes to stderr or syslog as configured once by the program's
 * main(); the packet path never logs (it counts reasons instead).
 */
#ifndef FLOWREC_UTIL_H
#define FLOWREC_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define UTIL_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* Caller owns the result; free with free().  Never NULL (aborts on ENOMEM). */
char	*util_printf(const char *fmt, ...) UTIL_PRINTF(1, 2);
char	*util_vprintf(const char *fmt, va_list ap);
char	*util_strdup(const char *);

/* Set *cause (if cause is not NULL) to a new message; returns err. */
int	 util_cause(char **cause, int err, const char *fmt, ...) UTIL_PRINTF(3, 4);

enum util_log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG };

/* Configure logging: level, and 1 for syslog instead of stderr. */
void	 util_log_open(const char *ident, enum util_log_level, int use_syslog);
void	 util_log_set_level(enum util_log_level);
int	 util_log_level_parse(const char *name, enum util_log_level *out);
void	 util_log(enum util_log_level, const char *fmt, ...) UTIL_PRINTF(2, 3);
#define log_error(...)	util_log(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...)	util_log(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...)	util_log(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...)	util_log(LOG_LEVEL_DEBUG, __VA_ARGS__)

/* "2025-03-24" for the UTC day holding Unix time t; buf >= 11 bytes. */
void	 util_utc_day(int64_t t, char *buf, size_t len);

/* Create a directory and its parents (mode 0755); 0 or -errno. */
int	 util_mkdir_p(const char *path);

/* *ts = CLOCK_REALTIME now + ms (for pthread_cond_timedwait()). */
struct timespec;
void	 util_deadline(struct timespec *ts, unsigned ms);

/* Strip leading and trailing white space in place; returns the start. */
char	*util_trim(char *);

/* Monotonic clock in nanoseconds. */
uint64_t util_now_ns(void);

#endif
