/*
 * flowrecd.c - main() of the flow recorder.
 *
 * Parses the command line and runs one of two modes: --read FILE (the
 * offline reader, offline.c) or the live daemon (daemon.c, with -c FILE
 * or -i IFACE).  Exit status: 0 done, 1 a runtime failure (the store
 * could not be written), 2 bad usage, a bad config or a file that is not
 * a capture.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "daemon.h"
#include "export.h"
#include "names.h"
#include "qfleet.h"
#include "offline.h"
#include "qtime.h"
#include "util.h"

enum {
	OPT_READ = 256, OPT_IFACE, OPT_DB, OPT_INTERVAL, OPT_MAX_FLOWS,
	OPT_NO_PROGRESS, OPT_RESUME_FROM
};

static const struct option long_options[] = {
	{ "read",	 required_argument, NULL, OPT_READ },
	{ "iface",	 required_argument, NULL, OPT_IFACE },
	{ "db",		 required_argument, NULL, OPT_DB },
	{ "interval",	 required_argument, NULL, OPT_INTERVAL },
	{ "max-flows",	 required_argument, NULL, OPT_MAX_FLOWS },
	{ "no-progress", no_argument,	    NULL, OPT_NO_PROGRESS },
	{ "resume-from", required_argument, NULL, OPT_RESUME_FROM },
	{ "config",	 required_argument, NULL, 'c' },
	{ "check",	 no_argument,	    NULL, 't' },
	{ "interface",	 required_argument, NULL, 'i' },
	{ "verbose",	 no_argument,	    NULL, 'v' },
	{ "version",	 no_argument,	    NULL, 'V' },
	{ "help",	 no_argument,	    NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

static void
usage(FILE *f)
{
	fprintf(f,
"usage: flowrecd -c FILE [-t] [-v]           record the configured interfaces\n"
"       flowrecd -i IFACE --db DIR [-v]      record one interface\n"
"       flowrecd --read FILE --iface NAME --db DIR [--interval S] [-c FILE]\n"
"                                            record a pcap/pcapng file (and\n"
"                                            export it as -c FILE says)\n"
"options:\n"
"  -c, --config FILE    YAML configuration (see flowrecd.yaml(5))\n"
"  -t, --check          check the configuration and exit\n"
"  -i, --interface IF   record IF live without a configuration file\n"
"      --read FILE      read a capture file instead of an interface\n"
"      --iface NAME     interface name to store a capture file under\n"
"      --db DIR         store directory (default %s)\n"
"      --interval S     bin length in seconds, divides 86400 (default %s)\n"
"      --max-flows N    flows per bin before an early write\n"
"      --no-progress    no progress display while reading a file\n"
"      --resume-from T  write only the bins from T on (what a failed or\n"
"                       interrupted --read says to resume with)\n"
"  -v, --verbose        more logging (repeatable)\n"
"  -V, --version        print the version and exit\n",
	    conf_default("db_path"), conf_default("interval"));
}

/* An interface name from the command line, refused with its reason. */
static int
check_iface(const char *opt, const char *name)
{
	char *why = NULL, *shown;

	if (names_check_iface(name, &why) == 0)
		return 0;
	shown = names_escape(name);
	fprintf(stderr, "flowrecd: %s '%s': %s\n", opt, shown, why);
	free(shown);
	free(why);
	return -1;
}

static int
parse_number(const char *opt, const char *arg, unsigned long long max,
    unsigned long long *out)
{
	char *end;

	errno = 0;
	*out = strtoull(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || *out == 0 ||
	    *out > max || arg[0] == '-') {
		fprintf(stderr, "flowrecd: %s: not a number from 1 to %llu: "
		    "'%s'\n", opt, max, arg);
		return -1;
	}
	return 0;
}

/* What each export destination did in this run, on stderr. */
static void
read_export_summary(struct export *exp)
{
	struct export_status *st;
	size_t i, n = export_get_status(exp, &st);

	for (i = 0; i < n; i++) {
		fprintf(stderr, "flowrecd: export %s: bins=%llu rows=%llu "
		    "messages=%llu pending=%llu", st[i].name,
		    (unsigned long long)st[i].bins_sent,
		    (unsigned long long)st[i].rows_sent,
		    (unsigned long long)st[i].messages_sent,
		    (unsigned long long)(st[i].backlog_bins +
		    st[i].waiting_bins));
		if (st[i].last_error != NULL)
			fprintf(stderr, " (left for the next run: %s)",
			    st[i].last_error);
		fputc('\n', stderr);
	}
	export_status_free(st, n);
}

/*
 * After a failed or interrupted read: what of the file is in the store,
 * and how to add exactly the rest.
 */
static void
read_resume_note(const char *path, const struct offline_summary *s)
{
	char when[32];
	time_t t;
	struct tm tm;

	if (s->done_until == INT64_MIN) {
		fprintf(stderr, "flowrecd: %s: none of its bins is in the "
		    "store; run the same command again\n", path);
		return;
	}
	t = (time_t)s->done_until;
	gmtime_r(&t, &tm);
	strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm);
	fprintf(stderr, "flowrecd: %s: its bins before %s are in the store, "
	    "none from then on; to add the rest, run the same command with "
	    "--resume-from %lld\n", path, when, (long long)s->done_until);
}

static int
run_read(const char *path, const char *iface, const char *db_dir,
    uint32_t interval, size_t max_flows, int no_progress,
    const char *config_path, const char *resume)
{
	struct offline_options o = { 0 };
	struct offline_summary s;
	struct conf *conf;
	struct export *exp = NULL;
	const struct conf_iface *ifc;
	char *cause = NULL;
	int rc, nodir;

	if (iface == NULL) {
		fprintf(stderr, "flowrecd: --read needs --iface NAME\n");
		return 2;
	}
	if (check_iface("--iface", iface) != 0)
		return 2;
	if (resume != NULL) {
		if (qtime_parse(resume, (int64_t)time(NULL), &o.resume_from,
		    &cause) != 0) {
			fprintf(stderr, "flowrecd: --resume-from: %s\n", cause);
			free(cause);
			return 2;
		}
		o.resume = 1;
	}
	/*
	 * What the options leave out is the configuration's (-c), or the
	 * built-in default.
	 */
	if (config_path != NULL) {
		if (conf_load(config_path, &conf, &cause) != 0) {
			fprintf(stderr, "flowrecd: %s\n", cause);
			free(cause);
			return 2;
		}
	} else
		conf = conf_new_default();
	if ((ifc = conf_find_iface(conf, iface)) == NULL)
		ifc = conf_add_iface(conf, iface);
	o.path = path;
	o.iface = iface;
	o.db_dir = db_dir ? db_dir : conf->db_path;
	o.interval = interval ? interval : conf->interval;
	o.max_flows = max_flows ? max_flows : ifc->max_flows;
	o.progress = !no_progress && isatty(STDERR_FILENO);
	o.archive = &ifc->archive;
	o.headers = &ifc->headers;
	o.anonymize = ifc->anonymize;
	/*
	 * The export starts first: its destinations are registered before
	 * anything is written (so this file's bins are theirs), and the
	 * store's pending bins go out while the file is read; this
	 * interface's bins wait until the read is over (an early write is
	 * not the whole bin).
	 */
	if (export_new(&conf->export, o.db_dir, &exp, &cause) != 0) {
		fprintf(stderr, "flowrecd: %s\n", cause);
		free(cause);
		conf_free(conf);
		return 2;
	}
	if (exp != NULL) {
		export_set_horizon(exp, iface, INT64_MIN);
		export_start(exp);
		export_wait_registered(exp);
	}
	rc = offline_run(&o, &s, &cause);
	if (exp != NULL) {
		export_set_horizon(exp, iface, INT64_MAX);
		export_drain(exp);
		read_export_summary(exp);
		export_free(exp);
	}
	conf_free(conf);
	if (rc == OFFLINE_REFUSED) {
		fprintf(stderr, "flowrecd: %s: %s\n", path, cause);
		free(cause);
		return 2;
	}
	if (rc == OFFLINE_ARCHIVE_FAILED) {
		fprintf(stderr, "flowrecd: %s\n", cause);
		free(cause);
		return 1;
	}
	if (rc != 0) {
		fprintf(stderr, "flowrecd: %s: %s\n", path, cause);
		free(cause);
		read_resume_note(path, &s);
		free(s.note);
		free(s.linktypes);
		return 1;
	}
	/* the counts line stays as it is (scripts parse it); a note follows */
	nodir = s.ip > 0 && s.directed == 0;
	printf("flowrecd: %s: packets=%llu ip=%llu non_ip=%llu malformed=%llu "
	    "flows=%llu rows=%llu\n", path, (unsigned long long)s.packets,
	    (unsigned long long)s.ip, (unsigned long long)s.non_ip,
	    (unsigned long long)s.malformed, (unsigned long long)s.flows,
	    (unsigned long long)s.rows);
	if (s.archived)
		printf("flowrecd: archive: packets=%llu archived=%llu "
		    "archived_bytes=%llu connections=%llu cut=%llu files=%llu "
		    "file_bytes=%llu dropped=%llu write_errors=%llu "
		    "header_conns=%llu header_packets=%llu header_files=%llu\n",
		    (unsigned long long)s.archive.packets,
		    (unsigned long long)s.archive.archived,
		    (unsigned long long)s.archive.archived_bytes,
		    (unsigned long long)s.archive.conns_started,
		    (unsigned long long)s.archive.conns_cut,
		    (unsigned long long)s.archive.files,
		    (unsigned long long)s.archive.file_bytes,
		    (unsigned long long)s.archive.dropped,
		    (unsigned long long)s.archive.write_errors,
		    (unsigned long long)s.archive.hdr_conns,
		    (unsigned long long)s.archive.hdr_packets,
		    (unsigned long long)s.archive.hdr_files);
	if (s.bins_skipped)
		fprintf(stderr, "flowrecd: note: %llu bin writes before %lld "
		    "skipped (resumed)\n", (unsigned long long)s.bins_skipped,
		    (long long)o.resume_from);
	if (s.rows_updated)
		fprintf(stderr, "flowrecd: note: %llu rows added to rows "
		    "already in the store\n",
		    (unsigned long long)s.rows_updated);
	if (s.note)
		fprintf(stderr, "flowrecd: note: %s\n", s.note);
	if (s.linktypes)
		fprintf(stderr, "flowrecd: note: link types not decoded: %s\n",
		    s.linktypes);
	if (nodir)
		fprintf(stderr, "flowrecd: note: %s carries no direction (no "
		    "pcapng epb_flags, no SLL packet type): every packet is "
		    "counted as received, so dir = out and dir = bi match "
		    "nothing\n", path);
	free(s.note);
	free(s.linktypes);
	return 0;
}

int
main(int argc, char **argv)
{
	struct daemon_options d = { 0 };
	const char *read_path = NULL, *read_iface = NULL, *resume = NULL;
	char *shown, *cause = NULL;
	unsigned long long n;
	int c, no_progress = 0;

	while ((c = getopt_long(argc, argv, "c:ti:vVh", long_options,
	    NULL)) != -1) {
		switch (c) {
		case OPT_READ:
			read_path = optarg;
			break;
		case OPT_IFACE:
			read_iface = optarg;
			break;
		case OPT_DB:
			d.db_dir = optarg;
			break;
		case OPT_INTERVAL:
			if (parse_number("--interval", optarg, 86400, &n) != 0)
				return 2;
			if (86400 % n != 0) {
				fprintf(stderr, "flowrecd: --interval: %llu does "
				    "not divide a day (86400 s)\n", n);
				return 2;
			}
			d.interval = (uint32_t)n;
			break;
		case OPT_MAX_FLOWS:
			if (parse_number("--max-flows", optarg, UINT32_MAX - 1,
			    &n) != 0)
				return 2;
			d.max_flows = (size_t)n;
			break;
		case OPT_NO_PROGRESS:
			no_progress = 1;
			break;
		case OPT_RESUME_FROM:
			resume = optarg;
			break;
		case 'c':
			d.config_path = optarg;
			break;
		case 't':
			d.check_only = 1;
			break;
		case 'i':
			d.iface = optarg;
			break;
		case 'v':
			d.verbose++;
			break;
		case 'V':
			printf("flowrecd %s\n", PACKAGE_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "flowrecd: unexpected argument '%s'\n",
		    argv[optind]);
		usage(stderr);
		return 2;
	}
	util_log_open("flowrecd", d.verbose > 0 ? LOG_LEVEL_DEBUG :
	    LOG_LEVEL_INFO, 0);
	if (read_path != NULL) {
		if (d.iface != NULL || d.check_only) {
			fprintf(stderr, "flowrecd: --read does not go with "
			    "-t or -i\n");
			return 2;
		}
		return run_read(read_path, read_iface, d.db_dir, d.interval,
		    d.max_flows, no_progress, d.config_path, resume);
	}
	if (read_iface != NULL) {
		fprintf(stderr, "flowrecd: --iface names a capture file's "
		    "interface (with --read); live, use -i\n");
		return 2;
	}
	if (resume != NULL) {
		fprintf(stderr, "flowrecd: --resume-from goes with --read\n");
		return 2;
	}
	if (d.config_path != NULL && d.iface != NULL) {
		shown = names_escape(d.iface);
		fprintf(stderr, "flowrecd: -c and -i do not go together: with "
		    "-c the interfaces are those of %s (add '%s' under its "
		    "interfaces: instead)\n", d.config_path, shown);
		free(shown);
		return 2;
	}
	if (d.config_path == NULL && d.iface == NULL) {
		usage(stderr);
		return 2;
	}
	if (d.iface != NULL && check_iface("-i", d.iface) != 0)
		return 2;
	/* libcurl's global init before any thread (POST /_query's fleet) */
	if (qfleet_init(&cause) != 0) {
		fprintf(stderr, "flowrecd: %s\n", cause);
		free(cause);
		return 1;
	}
	return daemon_run(&d);
}
