/*
 * offline.c - flowrecd --read (see offline.h).
 *
 * File reading and progress; the frames go through ingest.c, the same
 * path as live capture's (the clock, the parser, the counters, the flow
 * table).  Here the open bin is the latest bin any record reached
 * (SEMANTICS 8 and 9); a bin is written when a record reaches a later
 * one, when the table is full (an early write of the same bin), and at the
 * end.  Writes are synchronous: a file has no kernel ring to overflow, and
 * the writer's cost is measured as part of the run.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "anon.h"
#include "capfile.h"
#include "flowtab.h"
#include "ingest.h"
#include "offline.h"
#include "parse.h"
#include "store.h"
#include "util.h"

#define PROGRESS_EVERY	(1u << 16)	/* records between clock checks */
#define RECORDS		64		/* records read together */

struct offline {
	const struct offline_options *o;
	struct offline_summary *s;
	struct flowtab	*ft;
	struct ingest	*ing;
	struct store	*store;
	struct archive	*archive;
	char		*cause;
	int		 failed;
	uint64_t	 progress_next_ns;
};

static volatile sig_atomic_t offline_stop;

static void
offline_signal(int sig)
{
	(void)sig;
	offline_stop = 1;
}

/* ingest's bin_out: write a frozen bin now, and give it back. */
static void
write_bin(void *arg, struct flowtab_bin *bin)
{
	struct offline *r = arg;
	struct store_write_result res;

	if (r->o->resume && bin->ts < r->o->resume_from)
		r->s->bins_skipped++;	/* in the store already */
	else if (!r->failed) {
		if (store_write_bin(r->store, bin, &res, &r->cause) != 0)
			r->failed = 1;
		else {
			r->s->flows += bin->nrows;
			r->s->rows += res.rows_new;
			r->s->rows_updated += res.rows_updated;
			r->s->bins++;
		}
	}
	flowtab_bin_release(r->ft, bin);
}

static char *
linktypes_text(const struct ingest_stats *st)
{
	char *text = NULL, *next;
	size_t i;

	for (i = 0; i < st->nlinktypes; i++) {
		next = util_printf("%s%s%d (%llu packets)", text ? text : "",
		    text ? ", " : "", st->linktypes[i],
		    (unsigned long long)st->linktype_packets[i]);
		free(text);
		text = next;
	}
	return text;
}

static void
show_progress(struct offline *r, struct capfile *cf, int last)
{
	uint64_t now = util_now_ns(), size = capfile_size(cf);
	struct ingest_stats st;

	if (!last && now < r->progress_next_ns)
		return;
	r->progress_next_ns = now + 500000000u;
	ingest_get_stats(r->ing, &st);
	if (size > 0)
		fprintf(stderr, "\rflowrecd: %3d%% %llu packets",
		    (int)(capfile_offset(cf) * 100 / size),
		    (unsigned long long)st.packets);
	else
		fprintf(stderr, "\rflowrecd: %llu packets",
		    (unsigned long long)st.packets);
	if (last)
		fputc('\n', stderr);
}

/* Hand a batch of records to the ingest path; they are borrowed till here. */
static void
ingest_records(struct ingest *ing, const struct capfile_record *recs,
    size_t n, uint64_t *directed)
{
	struct ingest_frame f;
	size_t i;

	memset(&f, 0, sizeof f);
	for (i = 0; i < n; i++) {
		f.in.data = recs[i].data;
		f.in.caplen = recs[i].caplen;
		f.in.wirelen = recs[i].wirelen;
		/* linktype < 0 comes with bad set (capfile.h). */
		f.in.linktype = (uint16_t)recs[i].linktype;
		f.in.outgoing = recs[i].outbound;
		/* SLL and SLL2 carry the packet type in every frame */
		if (recs[i].has_dir || (!recs[i].bad &&
		    (recs[i].linktype == PARSE_LINK_SLL ||
		    recs[i].linktype == PARSE_LINK_SLL2)))
			(*directed)++;
		f.time_ns = recs[i].time_ns;
		f.has_time = recs[i].has_time;
		f.bad = recs[i].bad;
		ingest_add(ing, &f);
	}
	ingest_flush(ing);
}

/*
 * The interface's packet features on the ingest path's hooks: the
 * anonymisation (rewrite) and the archive (packet).
 */
static int
offline_hooks_start(struct offline *r, char **cause)
{
	struct archive_config ac = { 0 };
	struct ingest_hooks h = { 0 };

	if ((r->o->archive != NULL && r->o->archive->path != NULL) ||
	    (r->o->headers != NULL && r->o->headers->path != NULL)) {
		ac.conf = r->o->archive;
		ac.headers = r->o->headers;
		ac.iface = r->o->iface;
		ac.block = 1;
		ac.anonymize = r->o->anonymize == CONF_ANON_NETBLOCK;
		if (archive_new(&ac, &r->archive, cause) != 0)
			return -1;
		h.packet = archive_hook;
		h.prefetch = archive_prefetch;
		h.arg = r->archive;
	}
	if (r->o->anonymize == CONF_ANON_NETBLOCK)
		h.rewrite = anon_packets;
	if (h.packet != NULL || h.rewrite != NULL)
		ingest_set_hooks(r->ing, &h);
	return 0;
}

int
offline_run(const struct offline_options *o, struct offline_summary *s,
    char **cause)
{
	struct flowtab_config cfg = { 0 };
	struct ingest_config ic = { 0 };
	struct capfile_record recs[RECORDS];
	struct ingest_frame bad = { 0 };
	struct ingest_stats st;
	struct offline r;
	struct sigaction sa, old_int, old_term;
	struct capfile *cf;
	const char *v;
	char *end;
	unsigned long long batch = OFFLINE_BATCH_ROWS;
	enum capfile_status status;
	size_t got, n = 0;

	memset(s, 0, sizeof *s);
	s->done_until = INT64_MIN;
	memset(&r, 0, sizeof r);
	r.o = o;
	r.s = s;
	if ((cf = capfile_open(o->path, cause)) == NULL)
		return OFFLINE_REFUSED;
	cfg.interval = o->interval;
	cfg.max_flows = o->max_flows;
	/*
	 * The connection table's first size: one connection per 8 records
	 * of 76 bytes (60 + header), so 10 packets a flow never grow it and
	 * a small capture does not touch a table sized for its every packet
	 * being a connection (it grows by doubling when it needs to): a
	 * capture of 2M packets and 200k flows took 170 MB, 97 now.
	 */
	cfg.conns_hint = (size_t)(capfile_size(cf) / 76 / 8);
	r.ft = flowtab_new(&cfg);
	r.store = store_new(o->db_dir, o->iface);
	if (r.ft == NULL || r.store == NULL) {
		capfile_close(cf);
		flowtab_free(r.ft);
		store_free(r.store);
		return util_cause(cause, OFFLINE_STORE_FAILED, "out of memory");
	}
	/* FLOWREC_BATCH_ROWS=N: batches of N rows (bench/); 0: none. */
	if ((v = getenv("FLOWREC_BATCH_ROWS")) != NULL && *v != '\0') {
		batch = strtoull(v, &end, 10);
		if (*end != '\0')
			batch = OFFLINE_BATCH_ROWS;
	}
	store_set_batch(r.store, (size_t)batch);
	ic.ft = r.ft;
	ic.bin_out = write_bin;
	ic.arg = &r;
	r.ing = ingest_new(&ic);
	if (offline_hooks_start(&r, cause) != 0) {
		ingest_free(r.ing);
		capfile_close(cf);
		flowtab_free(r.ft);
		store_free(r.store);
		return OFFLINE_ARCHIVE_FAILED;
	}
	/* A signal stops the reading; what is committed stays. */
	offline_stop = 0;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = offline_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	while (!r.failed && !offline_stop &&
	    (got = capfile_next_batch(cf, recs, RECORDS, &status)) > 0) {
		ingest_records(r.ing, recs, got, &s->directed);
		if (r.archive != NULL)
			archive_kick(r.archive);
		if (o->progress && (n += got) >= PROGRESS_EVERY) {
			n = 0;
			show_progress(&r, cf, 0);
		}
	}
	if (offline_stop)
		r.failed = 1;	/* the rest is not read: no finish */
	if (!r.failed && status == CAPFILE_CORRUPT) {
		/* The rest of the file is unreadable: one malformed record. */
		bad.bad = 1;
		ingest_add(r.ing, &bad);
		s->truncated = 1;
		s->note = util_strdup(capfile_error(cf));
	}
	if (o->progress)
		show_progress(&r, cf, 1);
	/* The open bin is written as is, without the packets' tables. */
	if (!r.failed) {
		store_set_last(r.store, 1);	/* no bin after this one */
		ingest_finish(r.ing);
	}
	if (r.archive != NULL) {
		archive_free_stats(r.archive, &s->archive);
		s->archived = 1;
	}
	if (!r.failed && store_commit(r.store, &r.cause) != 0)
		r.failed = 1;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	ingest_get_stats(r.ing, &st);
	s->packets = st.packets;
	s->non_ip = st.non_ip;
	s->malformed = st.malformed;
	s->ip = st.packets - st.non_ip - st.malformed;
	s->linktypes = linktypes_text(&st);
	ingest_free(r.ing);
	capfile_close(cf);
	flowtab_free(r.ft);
	/* What is in the store: the batches committed, or what was before. */
	s->done_until = store_committed_end(r.store);
	if (o->resume && s->done_until < o->resume_from)
		s->done_until = o->resume_from;
	store_free(r.store);	/* an open batch is rolled back */
	if (r.failed && r.cause == NULL) {
		util_cause(cause, OFFLINE_INTERRUPTED, "interrupted");
		return OFFLINE_INTERRUPTED;
	}
	if (r.failed) {
		util_cause(cause, OFFLINE_STORE_FAILED, "%s", r.cause);
		free(r.cause);
		return OFFLINE_STORE_FAILED;
	}
	return 0;
}
