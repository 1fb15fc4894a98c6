/*
 * qpaste.c - flowq --sql: a query as one plain statement per day file
 * (qpaste.h).  The rows, the condition and the ordering are those qexec.c
 * computes, written over flow_rows, flow_keys and addrs only, so that
 * `sqlite3 FILE` answers what flowq answers from that file.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cond.h"
#include "qexec.h"
#include "qpaste.h"

/* A text as an SQL string literal. */
static void
qpaste_literal(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s != '\0'; s++) {
		if (*s == '\'')
			fputc('\'', f);
		fputc(*s, f);
	}
	fputc('\'', f);
}

/* The condition's WHERE text with its values in place of the ?s. */
static void
qpaste_where(FILE *f, const struct cond_sql *cs)
{
	const char	*p;
	size_t		 n = 0, j;

	for (p = cs->where; *p != '\0'; p++) {
		if (*p != '?' || n >= cs->nparams) {
			fputc(*p, f);
			continue;
		}
		if (cs->params[n].blob) {
			fputs("x'", f);
			for (j = 0; j < cs->params[n].len; j++)
				fprintf(f, "%02x", cs->params[n].b[j]);
			fputc('\'', f);
		} else
			fprintf(f, "%lld", (long long)cs->params[n].i);
		n++;
	}
}

/* The sort counter of qexec_compare(), as an expression. */
static const char *
qpaste_counter(const struct qquery *q, int packets)
{
	switch (q->dir) {
	case QDIR_IN:
		return packets ? "sum(r.pkts_rcvd)" : "sum(r.bytes_rcvd)";
	case QDIR_OUT:
		return packets ? "sum(r.pkts_sent)" : "sum(r.bytes_sent)";
	default:
		return packets ? "sum(r.pkts_rcvd) + sum(r.pkts_sent)" :
		    "sum(r.bytes_rcvd) + sum(r.bytes_sent)";
	}
}

void
qpaste_print(FILE *f, const struct qquery *q, const char *path,
    const char *iface, int64_t lo, int64_t hi)
{
	static const char *const having[] = {
		[COND_DIR_NONE] = NULL,
		[COND_DIR_IN] = "sum(r.pkts_rcvd) > 0 AND sum(r.pkts_sent) = 0",
		[COND_DIR_OUT] = "sum(r.pkts_sent) > 0 AND sum(r.pkts_rcvd) = 0",
		[COND_DIR_UNI] = "(sum(r.pkts_rcvd) > 0) != "
		    "(sum(r.pkts_sent) > 0)",
		[COND_DIR_BI] = "sum(r.pkts_rcvd) > 0 AND sum(r.pkts_sent) > 0",
	};
	struct cond_sql	 cs;
	enum cond_dir	 dir = q->cond != NULL ? q->cond->dir : COND_DIR_NONE;
	const char	*dirn, *order;
	char		 ts[96];
	int		 packets = q->sort == QSORT_PACKETS;

	if (q->resolution > 0)
		snprintf(ts, sizeof ts, "r.ts - ((r.ts %% %lld) + %lld) %% %lld",
		    (long long)q->resolution, (long long)q->resolution,
		    (long long)q->resolution);
	else
		snprintf(ts, sizeof ts, "r.ts");
	fputs("-- flowq --sql: this file's rows as sqlite3 gives them: "
	    "sqlite3 -readonly ", f);
	qpaste_literal(f, path);
	fputs("\n.open --readonly ", f);
	qpaste_literal(f, path);
	fputs("\nSELECT ", f);
	if (q->attrs & QA_TIME)
		fprintf(f, "%s AS time, ", ts);
	if (q->attrs & QA_IFACE) {
		qpaste_literal(f, iface);
		fputs(" AS iface, ", f);
	}
	if (q->attrs & QA_SIP)
		fputs("s.text AS sip, ", f);
	if (q->attrs & QA_DIP)
		fputs("d.text AS dip, ", f);
	if (q->attrs & QA_DPORT)
		fputs("k.dport AS dport, ", f);
	if (q->attrs & QA_PROTO)
		fputs("k.proto AS proto, ", f);
	if (q->attrs & QA_VLAN)
		fputs("k.vlan AS vlan, ", f);
	fputs("sum(r.bytes_rcvd) AS bytes_rcvd, sum(r.bytes_sent) AS "
	    "bytes_sent, sum(r.pkts_rcvd) AS pkts_rcvd, sum(r.pkts_sent) AS "
	    "pkts_sent\n  FROM flow_rows AS r JOIN flow_keys AS k ON k.id = "
	    "r.key\n  JOIN addrs AS s ON s.id = k.sip JOIN addrs AS d ON "
	    "d.id = k.dip\n", f);
	fprintf(f, " WHERE r.ts > %lld AND r.ts <= %lld AND (", (long long)lo,
	    (long long)hi);
	cond_sql(q->cond, &cs);
	qpaste_where(f, &cs);
	cond_sql_clear(&cs);
	fputs(")", f);
	if (q->attrs != 0) {	/* without attributes: one group */
		int i, n = 0;

		for (i = 0; i < 7; i++)
			if (q->attrs & (1u << i))
				n++;
		fputs("\n GROUP BY 1", f);
		for (i = 2; i <= n; i++)
			fprintf(f, ", %d", i);
	}
	if ((dirn = having[dir]) != NULL)
		fprintf(f, "\nHAVING %s", dirn);
	fputs("\n ORDER BY ", f);
	order = q->ascending ? "" : " DESC";
	if (q->sort == QSORT_TIME)
		fprintf(f, "%s%s", (q->attrs & QA_TIME) ? "time" : "1", order);
	else
		fprintf(f, "%s%s, %s%s", qpaste_counter(q, packets), order,
		    qpaste_counter(q, !packets), order);
	/* ties as key_compare(): time, then the addresses' bytes */
	if (q->attrs & QA_TIME)
		fputs(", time", f);
	if (q->attrs & QA_SIP)
		fputs(", length(s.ip), s.ip", f);
	if (q->attrs & QA_DIP)
		fputs(", length(d.ip), d.ip", f);
	if (q->attrs & QA_DPORT)
		fputs(", k.dport", f);
	if (q->attrs & QA_PROTO)
		fputs(", k.proto", f);
	if (q->attrs & QA_VLAN)
		fputs(", k.vlan", f);
	if (q->limit > 0)
		fprintf(f, "\n LIMIT %zu", q->limit);
	fputs(";\n", f);
}
