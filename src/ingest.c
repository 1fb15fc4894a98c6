/*
 * ingest.c - frames to the flow table (see ingest.h).
 *
 * The clock: next_bin_ns is where the open bin ends, so one comparison
 * per frame finds the frames that move it (and the malformed times past
 * 2100, which always lie beyond it: the limit is a day boundary, so a bin
 * boundary too).  Before the first bin it is INT64_MIN, which sends every
 * frame down the slow path until a time opens one; after a failed
 * rotation it is the time limit, so that frames stay in the open bin.
 *
 * IP packets wait in in[]/pkts[]/times[] and are counted INGEST_BATCH at
 * a time (flowtab_add_batch() fetches their memory ahead); a frame that
 * rotates the table first counts those waiting, which all belong to the
 * open bin.  Skipped frames are counted at once, in the open bin's
 * counters; with a packet hook, what waits is counted first, so that the
 * hook sees every frame in order.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ingest.h"
#include "util.h"

struct ingest *
ingest_new(const struct ingest_config *cfg)
{
	struct ingest *ing = util_calloc(1, sizeof *ing);

	ing->cfg = *cfg;
	ing->ft = cfg->ft;
	ing->stats = flowtab_stats(ing->ft);
	ing->next_bin_ns = flowtab_open_bin(ing->ft) == INT64_MIN ? INT64_MIN :
	    flowtab_bin_start_ns(ing->ft, flowtab_open_bin(ing->ft) + 1);
	return ing;
}

void
ingest_free(struct ingest *ing)
{
	if (ing == NULL)
		return;
	free(ing->conns);
	free(ing);
}

void
ingest_set_hooks(struct ingest *ing, const struct ingest_hooks *h)
{
	ingest_flush(ing);
	if (h != NULL && h->packet != NULL && ing->conns == NULL)
		ing->conns = util_calloc(INGEST_BATCH, sizeof *ing->conns);
	if (h != NULL)
		ing->hooks = *h;
	else
		memset(&ing->hooks, 0, sizeof ing->hooks);
}

/* Add a frozen bin's counters to the totals. */
static void
ingest_add_totals(struct ingest *ing, const struct flowtab_stats *st)
{
	size_t i;

	ing->done.packets += st->packets;
	ing->done.ip += st->ip;
	ing->done.non_ip += st->non_ip;
	ing->done.malformed += st->malformed;
	for (i = 0; i < PARSE_REASON_COUNT; i++)
		ing->done.reasons[i] += st->reasons[i];
}

static void
ingest_clock(struct ingest *ing)
{
	ing->stats = flowtab_stats(ing->ft);
	ing->next_bin_ns = flowtab_bin_start_ns(ing->ft,
	    flowtab_open_bin(ing->ft) + 1);
}

/* Rotate to bin with nothing waiting; 0 or -ENOMEM (see ingest_rotate()). */
static int
ingest_rotate_now(struct ingest *ing, int64_t bin)
{
	struct flowtab_bin *b;
	int was_open = flowtab_open_bin(ing->ft) != INT64_MIN;

	b = flowtab_rotate(ing->ft, bin);
	if (b == NULL && was_open) {
		/* No memory for a fresh table: keep counting in this one. */
		ing->next_bin_ns = INGEST_TIME_LIMIT_NS;
		return -ENOMEM;
	}
	ingest_clock(ing);
	if (b != NULL) {
		ingest_add_totals(ing, &b->stats);
		ing->cfg.bin_out(ing->cfg.arg, b);
	}
	return 0;
}

void
ingest_flush(struct ingest *ing)
{
	struct ingest_packet ip;
	size_t n = ing->n, done = 0, i;

	if (n == 0)
		return;
	ing->n = 0;
	if (ing->hooks.rewrite != NULL)
		ing->hooks.rewrite(ing->hooks.arg, ing->pkts, n);
	while (done < n) {
		if (ing->hooks.packet != NULL)
			done += flowtab_add_batch_conns(ing->ft,
			    ing->pkts + done, ing->times + done, n - done,
			    ing->conns + done);
		else
			done += flowtab_add_batch(ing->ft, ing->pkts + done,
			    ing->times + done, n - done);
		/* Full: write the bin early and count the rest anew. */
		if (done < n && ingest_rotate_now(ing,
		    flowtab_open_bin(ing->ft)) != 0) {
			ing->done.lost += n - done;
			break;
		}
	}
	if (ing->hooks.packet != NULL) {
		if (ing->hooks.prefetch != NULL && done > 0)
			ing->hooks.prefetch(ing->hooks.arg, ing->conns, done);
		for (i = 0; i < n; i++) {
			ip.frame = &ing->in[i];
			ip.time_ns = ing->times[i];
			ip.verdict = PARSE_OK;
			ip.pkt = &ing->pkts[i];
			ip.conn = i < done ? &ing->conns[i] : NULL;
			ing->hooks.packet(ing->hooks.arg, &ip);
		}
	}
	/* Room for the next batch's connections, between batches. */
	(void)flowtab_grow_conns(ing->ft);
}

static void
ingest_note_linktype(struct ingest *ing, int linktype)
{
	struct ingest_stats *d = &ing->done;
	size_t i;

	for (i = 0; i < d->nlinktypes; i++) {
		if (d->linktypes[i] == linktype) {
			d->linktype_packets[i]++;
			return;
		}
	}
	if (d->nlinktypes < INGEST_LINKTYPES) {
		d->linktypes[d->nlinktypes] = linktype;
		d->linktype_packets[d->nlinktypes++] = 1;
	}
}

/* Count a skipped frame, waiting at in[n] and times[n] (not in the batch). */
void
ingest__skip(struct ingest *ing, enum parse_reason r)
{
	const struct parse_input *in = &ing->in[ing->n];
	int64_t time_ns = ing->times[ing->n];
	struct ingest_packet ip;

	ing->stats->reasons[r]++;
	if (PARSE_IS_MALFORMED(r))
		ing->stats->malformed++;
	else {
		ing->stats->non_ip++;
		if (r == PARSE_NOTIP_LINKTYPE)
			ingest_note_linktype(ing, in->linktype);
	}
	if (ing->hooks.packet == NULL)
		return;
	/* Those before it first; in[] keeps this frame through the flush. */
	ingest_flush(ing);
	memset(&ip, 0, sizeof ip);
	ip.frame = in;
	ip.verdict = r;
	ip.time_ns = time_ns;
	ing->hooks.packet(ing->hooks.arg, &ip);
}

void
ingest__add_slow(struct ingest *ing, const struct ingest_frame *f)
{
	enum parse_reason r;
	int64_t bin, open;
	size_t n;

	if (f->has_time && f->time_ns >= ing->next_bin_ns) {
		if (f->time_ns >= INGEST_TIME_LIMIT_NS) {
			/* A corrupt stamp, not a time: it moves no bin. */
			r = PARSE_BAD_TIME;
			goto skip;
		}
		bin = flowtab_bin_of(ing->ft, f->time_ns);
		open = flowtab_open_bin(ing->ft);
		if (open == INT64_MIN || bin > open)
			(void)ingest_rotate(ing, bin);
	}
	if (f->bad) {
		r = PARSE_BAD_RECORD;
		goto skip;
	}
	ing->stats->packets++;
	n = ing->n;
	ing->in[n] = f->in;
	ing->times[n] = f->time_ns;
	r = parse_frame(&ing->in[n], &ing->pkts[n]);
	if (r != PARSE_OK) {
		ingest__skip(ing, r);
		return;
	}
	/* An IP packet before any time: the bin of time 0 holds it. */
	if (flowtab_open_bin(ing->ft) == INT64_MIN)
		(void)ingest_rotate_now(ing, 0);
	ing->n = ++n;
	if (n == INGEST_BATCH)
		ingest_flush(ing);
	return;

skip:
	ing->stats->packets++;
	ing->in[ing->n] = f->in;
	ing->times[ing->n] = f->time_ns;
	ingest__skip(ing, r);
}

int
ingest_rotate(struct ingest *ing, int64_t bin)
{
	ingest_flush(ing);
	return ingest_rotate_now(ing, bin);
}

void
ingest_rearm(struct ingest *ing)
{
	if (ing->next_bin_ns == INGEST_TIME_LIMIT_NS &&
	    flowtab_open_bin(ing->ft) != INT64_MIN)
		ingest_clock(ing);
}

void
ingest_finish(struct ingest *ing)
{
	struct flowtab_bin *b = NULL;
	int64_t open;

	ingest_flush(ing);
	open = flowtab_open_bin(ing->ft);
	if (open != INT64_MIN)
		b = flowtab_rotate(ing->ft, open);
	flowtab_close(ing->ft);
	ing->stats = flowtab_stats(ing->ft);
	ing->next_bin_ns = INGEST_TIME_LIMIT_NS;
	if (b != NULL) {
		ingest_add_totals(ing, &b->stats);
		ing->cfg.bin_out(ing->cfg.arg, b);
	}
}

void
ingest_get_stats(const struct ingest *ing, struct ingest_stats *st)
{
	const struct flowtab_stats *open = ing->stats;
	size_t i;

	*st = ing->done;
	st->packets += open->packets;
	st->ip += open->ip;
	st->non_ip += open->non_ip;
	st->malformed += open->malformed;
	for (i = 0; i < PARSE_REASON_COUNT; i++)
		st->reasons[i] += open->reasons[i];
}
