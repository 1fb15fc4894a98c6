/*
 * daemon.h - the live recorder: capture rings on a libuv loop, rotation,
 * write-out on worker threads, signals and configuration reloads.
 *
 * Called by flowrecd's main() when it is not in --read mode.  daemon.c owns
 * the uv loop; everything it starts is closed again before daemon_run()
 * returns (uv_loop_close() succeeds).
 */
#ifndef FLOWREC_DAEMON_H
#define FLOWREC_DAEMON_H

#include <stddef.h>
#include <stdint.h>

struct daemon_options {
	const char	*config_path;	/* -c FILE, NULL when -i is used */
	int		 check_only;	/* -t: check the config and exit */
	const char	*iface;		/* -i IFACE: record one interface
					   without a config file; the caller
					   checked it (names_check_iface()) */
	const char	*db_dir;	/* --db DIR (overrides config db_path) */
	uint32_t	 interval;	/* --interval S, 0: the config's */
	size_t		 max_flows;	/* --max-flows N, 0: the config's */
	int		 verbose;	/* -v count: log level bump */
};

/* Run the daemon until SIGTERM/SIGINT; returns the process exit status (0 ok, 2 bad config). */
int	daemon_run(const struct daemon_options *);

#endif
