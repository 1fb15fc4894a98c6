/*
 * offline.c - flowrecd --read (see offline.h).
 *
 * One pass over the file: each record ticks the clock (the open bin is
 * the latest bin any record reached, SEMANTICS 8 and 9), is parsed, and is
 * counted into the flow table; a bin is written when a record reaches a
 * later one, when the table is full (an early write of the same bin), and
 * at the end.  Writes are synchronous here: a file has no kernel ring to
 * overflow, and the writer's cost is measured as part of the run.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capfile.h"
#include "flowtab.h"
#include "offline.h"
#include "parse.h"
#include "store.h"
#include "util.h"

#define MAX_LINKTYPES	16
#define PROGRESS_EVERY	(1u << 16)	/* records between clock checks */
#define BATCH		64		/* IP packets counted together */
#define RECORDS		64		/* records read together */

struct offline {
	const struct offline_options *o;
	struct offline_summary *s;
	struct flowtab	*ft;
	struct store	*store;
	char		*cause;
	int		 failed;
	int		 linktypes[MAX_LINKTYPES];
	uint64_t	 linktype_packets[MAX_LINKTYPES];
	uint64_t	 progress_next_ns;
	int64_t		 next_bin_ns;	/* records from here rotate */
	int64_t		 interval_ns;
	struct flowtab_stats *stats;	/* the open bin's; changes at rotation */
	struct parse_packet batch[BATCH];	/* parsed, not yet counted */
	int64_t		 batch_times[BATCH];
	size_t		 nbatch;
};

static void
write_bin(struct offline *r, struct flowtab_bin *bin)
{
	struct store_write_result res;

	if (bin == NULL)
		return;
	if (!r->failed) {
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

static void
note_linktype(struct offline *r, int linktype)
{
	int i;

	for (i = 0; i < MAX_LINKTYPES; i++) {
		if (r->linktype_packets[i] != 0 && r->linktypes[i] != linktype)
			continue;
		r->linktypes[i] = linktype;
		r->linktype_packets[i]++;
		return;
	}
}

static char *
linktypes_text(const struct offline *r)
{
	char *text = NULL, *next;
	int i;

	for (i = 0; i < MAX_LINKTYPES && r->linktype_packets[i] != 0; i++) {
		next = util_printf("%s%s%d (%llu packets)", text ? text : "",
		    text ? ", " : "", r->linktypes[i],
		    (unsigned long long)r->linktype_packets[i]);
		free(text);
		text = next;
	}
	return text;
}

static void
show_progress(struct offline *r, struct capfile *cf, int last)
{
	uint64_t now = util_now_ns(), size = capfile_size(cf);

	if (!last && now < r->progress_next_ns)
		return;
	r->progress_next_ns = now + 500000000u;
	if (size > 0)
		fprintf(stderr, "\rflowrecd: %3d%% %llu packets",
		    (int)(capfile_offset(cf) * 100 / size),
		    (unsigned long long)r->s->packets);
	else
		fprintf(stderr, "\rflowrecd: %llu packets",
		    (unsigned long long)r->s->packets);
	if (last)
		fputc('\n', stderr);
}

/* Freeze the open bin (write it) and open bin next. */
static void
rotate(struct offline *r, int64_t next)
{
	write_bin(r, flowtab_rotate(r->ft, next));
	r->stats = flowtab_stats(r->ft);
	r->next_bin_ns = (flowtab_open_bin(r->ft) + 1) * r->interval_ns;
}

/* Count the parsed packets waiting in the batch (all of the open bin). */
static void
flush_batch(struct offline *r)
{
	size_t done = 0;

	while (done < r->nbatch) {
		done += flowtab_add_batch(r->ft, r->batch + done,
		    r->batch_times + done, r->nbatch - done);
		if (done < r->nbatch)	/* full: an early write of the bin */
			rotate(r, flowtab_open_bin(r->ft));
	}
	r->nbatch = 0;
}

/* Count a record the parser skipped, by reason. */
static void
count_skip(struct offline *r, const struct capfile_record *rec,
    enum parse_reason reason)
{
	struct flowtab_stats *st = r->stats;

	st->reasons[reason]++;
	if (PARSE_IS_MALFORMED(reason)) {
		st->malformed++;
		r->s->malformed++;
	} else {
		st->non_ip++;
		r->s->non_ip++;
		if (reason == PARSE_NOTIP_LINKTYPE)
			note_linktype(r, rec->linktype);
	}
}

/* Count one record into the flow table. */
static void
count_record(struct offline *r, const struct capfile_record *rec)
{
	struct flowtab_stats *st;
	struct parse_input in;
	struct parse_packet *pkt;
	enum parse_reason reason;
	int64_t bin;

	/* Only a record past the open bin (or the first) moves the clock. */
	if (rec->has_time && rec->time_ns >= r->next_bin_ns) {
		bin = flowtab_bin_of(r->ft, rec->time_ns);
		if (flowtab_open_bin(r->ft) == INT64_MIN ||
		    bin > flowtab_open_bin(r->ft)) {
			flush_batch(r);
			rotate(r, bin);
		}
	}
	pkt = &r->batch[r->nbatch];	/* after the flush a rotation does */
	st = r->stats;
	st->packets++;
	r->s->packets++;
	if (rec->bad || rec->linktype < 0)
		reason = PARSE_BAD_RECORD;
	else {
		in.data = rec->data;
		in.caplen = rec->caplen;
		in.wirelen = rec->wirelen;
		in.linktype = (uint16_t)rec->linktype;
		in.outgoing = rec->outbound;
		in.has_vlan_tci = 0;
		in.vlan_tci = 0;
		reason = parse_frame(&in, pkt);
	}
	if (reason == PARSE_OK) {
		if (r->next_bin_ns == INT64_MIN)	/* no time yet */
			rotate(r, 0);
		r->batch_times[r->nbatch++] = rec->time_ns;
		if (r->nbatch == BATCH)
			flush_batch(r);
		return;
	}
	count_skip(r, rec, reason);
}

/*
 * Count records into the flow table.  The common record (readable, of the
 * open bin) goes straight to the parser; the rest through count_record().
 * The summary's ip count is what is neither non-IP nor malformed, set at
 * the end.
 */
static void
count_records(struct offline *r, const struct capfile_record *recs, size_t n)
{
	const struct capfile_record *rec;
	struct parse_input in = { 0 };
	enum parse_reason reason;
	uint64_t fast = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		rec = &recs[i];
		if (rec->time_ns >= r->next_bin_ns || rec->bad ||
		    rec->linktype < 0) {
			count_record(r, rec);
			if (r->failed)
				break;
			continue;
		}
		fast++;
		r->stats->packets++;
		in.data = rec->data;
		in.caplen = rec->caplen;
		in.wirelen = rec->wirelen;
		in.linktype = (uint16_t)rec->linktype;
		in.outgoing = rec->outbound;
		reason = parse_frame(&in, &r->batch[r->nbatch]);
		if (reason != PARSE_OK) {
			count_skip(r, rec, reason);
			continue;
		}
		r->batch_times[r->nbatch] = rec->time_ns;
		if (++r->nbatch == BATCH) {
			flush_batch(r);
			if (r->failed)
				break;
		}
	}
	r->s->packets += fast;
}

int
offline_run(const struct offline_options *o, struct offline_summary *s,
    char **cause)
{
	struct flowtab_config cfg = { 0 };
	struct capfile_record recs[RECORDS];
	struct flowtab_bin *last;
	struct offline r;
	struct capfile *cf;
	enum capfile_status st;
	struct flowtab_stats *stats;
	size_t got, n = 0;

	memset(s, 0, sizeof *s);
	memset(&r, 0, sizeof r);
	r.o = o;
	r.s = s;
	if ((cf = capfile_open(o->path, cause)) == NULL)
		return OFFLINE_REFUSED;
	cfg.interval = o->interval;
	cfg.max_flows = o->max_flows;
	/* At most one connection per record of 76 bytes (60 + header). */
	cfg.conns_hint = (size_t)(capfile_size(cf) / 76);
	r.ft = flowtab_new(&cfg);
	r.next_bin_ns = INT64_MIN;
	r.interval_ns = (int64_t)(o->interval ? o->interval : 300) * 1000000000;
	r.store = store_new(o->db_dir, o->iface);
	if (r.ft == NULL || r.store == NULL) {
		capfile_close(cf);
		flowtab_free(r.ft);
		store_free(r.store);
		return util_cause(cause, OFFLINE_STORE_FAILED, "out of memory");
	}
	r.stats = flowtab_stats(r.ft);
	while (!r.failed &&
	    (got = capfile_next_batch(cf, recs, RECORDS, &st)) > 0) {
		count_records(&r, recs, got);
		if (o->progress && (n += got) >= PROGRESS_EVERY) {
			n = 0;
			show_progress(&r, cf, 0);
		}
	}
	flush_batch(&r);
	s->ip = s->packets - s->non_ip - s->malformed;
	if (!r.failed && st == CAPFILE_CORRUPT) {
		/* The rest of the file is unreadable: one malformed record. */
		stats = flowtab_stats(r.ft);
		stats->packets++;
		stats->malformed++;
		stats->reasons[PARSE_BAD_RECORD]++;
		s->packets++;
		s->malformed++;
		s->truncated = 1;
		s->note = util_strdup(capfile_error(cf));
	}
	if (o->progress)
		show_progress(&r, cf, 1);
	/* The open bin is written as is, without the packets' tables. */
	if (!r.failed && flowtab_open_bin(r.ft) != INT64_MIN) {
		last = flowtab_rotate(r.ft, flowtab_open_bin(r.ft));
		flowtab_close(r.ft);
		write_bin(&r, last);
	}
	s->linktypes = linktypes_text(&r);
	capfile_close(cf);
	flowtab_free(r.ft);
	store_free(r.store);
	if (r.failed) {
		util_cause(cause, OFFLINE_STORE_FAILED, "%s", r.cause);
		free(r.cause);
		return OFFLINE_STORE_FAILED;
	}
	return 0;
}
