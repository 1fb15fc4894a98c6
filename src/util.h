/*
 * util.h - small helpers every module uses: allocation, formatted error
 * messages ("cause" strings), logging with levels, and time formatting.
 *
 * Logging goes to stderr or syslog as configured once by the program's
 * main(); the packet path never logs (it counts reasons instead).
 *
 * The error rule (every module, one convention on each side):
 *  - A function that can fail returns 0 on success and a negative code on
 *    failure: -errno, or a module's own negative code that its
 *    module_strerror() names.  A library's own codes (SQLite's SQLITE_*,
 *    libuv's UV_*) never cross a module boundary: they are converted once,
 *    at the call.  The one other form is a constructor returning its
 *    object, x_new(), which returns NULL only when a data-sized allocation
 *    failed (below); one that can fail otherwise returns an int and sets
 *    an out parameter.
 *  - A function that takes user input (a config file, a condition, a
 *    command-line value, a request) or touches files also takes
 *    `char **cause`: on failure *cause is set to one message saying
 *    where and why ("FILE:LINE: key 'interval': ..."; util_cause() does
 *    it).  The caller owns *cause and frees it; a NULL cause is allowed
 *    when the caller does not want the message.  On failure the outputs
 *    are not set (or set to NULL): nothing half-made is handed back.
 *  - No error text of another library is parsed to learn what went wrong:
 *    check the thing before handing it over instead (conf.c checks a file
 *    before libcyaml loads it).
 *
 * The allocation-failure rule:
 *  - Allocations whose size does not grow with the data (messages, paths,
 *    names, the configuration, one record per interface, a handle) abort
 *    the process when they fail, through util_malloc(), util_calloc(),
 *    util_realloc(), util_strdup() and util_printf(), which never return
 *    NULL.  Why: on Linux such a small allocation fails only when the
 *    system is already out of memory and the OOM killer is about to act;
 *    a recovery path for each of them would be code no test runs, and a
 *    half-handled failure (a message lost, a key skipped) is worse than a
 *    clear stop.  They are made on the loop thread at start-up, on SIGHUP
 *    or per request, never per packet.
 *  - Allocations sized by the data (a flow table of max_flows rows, a bin
 *    going to the store, a ring, a query's rows, a buffer as large as a
 *    file or a request) are made with plain malloc()/mmap() and their
 *    failure is returned as -ENOMEM with a cause naming what did not fit:
 *    these can fail on a healthy system (a too large max_flows, a huge
 *    query) and the process must report it and go on (capture keeps
 *    recording when a writer or a query cannot get its memory).
 *  - The packet path never allocates (flowtab.h, parse.h).
 */
#ifndef FLOWREC_UTIL_H
#define FLOWREC_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define UTIL_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* Caller owns the result; free with free().  Never NULL (aborts on ENOMEM). */
void	*util_malloc(size_t);
void	*util_calloc(size_t n, size_t size);
void	*util_realloc(void *, size_t n, size_t size);	/* n * size, checked */
char	*util_printf(const char *fmt, ...) UTIL_PRINTF(1, 2);
char	*util_vprintf(const char *fmt, va_list ap);
char	*util_strdup(const char *);

/* Set *cause (if cause is not NULL) to a new message; returns err. */
int	 util_cause(char **cause, int err, const char *fmt, ...) UTIL_PRINTF(3, 4);

enum util_log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG };

/* Configure logging: level, and 1 for syslog instead of stderr. */
void	 util_log_open(const char *ident, enum util_log_level, int use_syslog);
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
