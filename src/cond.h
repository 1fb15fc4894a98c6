/*
 * cond.h - the goquery condition language: tokenizer, parser, canonical
 * form, translation to a parameterised SQL WHERE fragment.
 *
 * flowq (and its fuzzer and tests) call cond_parse() on the -c argument;
 * the result is an AST in negation normal form (NOT pushed down to the
 * conditions), with `host`/`net` desugared into sip/dip and snet/dnet,
 * aliases mapped to their canonical names and host names resolved to
 * addresses.  A `dir` filter is split off: it applies to aggregated rows,
 * not to flow keys.
 *
 * Invariants: cond_sql() builds its text only from the fixed fragments
 * that cond_sql_templates() lists, with every value a bound parameter;
 * no byte of the user's input ever reaches the SQL text.  The WHERE
 * fragment refers to one flow_keys row aliased `k` (see sql/schema.sql).
 */
#ifndef FLOWREC_COND_H
#define FLOWREC_COND_H

#include <stddef.h>
#include <stdint.h>

enum cond_attr {
	COND_SIP, COND_DIP, COND_SNET, COND_DNET, COND_DPORT, COND_PROTO,
	COND_VLAN
};

enum cond_op { COND_EQ, COND_NE, COND_LT, COND_GT, COND_LE, COND_GE };

enum cond_dir { COND_DIR_NONE, COND_DIR_IN, COND_DIR_OUT, COND_DIR_UNI,
	COND_DIR_BI };

enum cond_type { COND_LEAF, COND_AND, COND_OR };

/*
 * AND and OR hold the operands of one chain (a & b & c: three kids),
 * printed right-hanging as goquery does: (a & (b & c)).
 */
struct cond_node {
	enum cond_type	 type;
	struct cond_node **kids;		/* AND, OR: nkids >= 2 */
	size_t		 nkids;
	size_t		 pos;		/* LEAF: its byte offset in the text */

	/* COND_LEAF */
	enum cond_attr	 attr;
	enum cond_op	 op;
	char		*value;		/* as printed in the canonical form */
	uint8_t		 addr[16];	/* SIP/DIP/SNET/DNET, network order */
	uint8_t		 alen;		/* 4 or 16 */
	uint8_t		 prefix;	/* SNET/DNET: netmask bits */
	uint32_t	 num;		/* DPORT/PROTO/VLAN */
};

struct cond {
	struct cond_node *root;		/* NULL: no key condition */
	enum cond_dir	 dir;		/* filter on aggregated rows */
	char		*canonical;	/* goquery's echo of the condition */
};

/* An address a host name resolves to. */
struct cond_addr {
	uint8_t		 addr[16];
	uint8_t		 alen;		/* 4 or 16 */
};

/*
 * Resolve name to its addresses within timeout_ms.  Returns 0 and a
 * malloc'ed array, or -1 with *err set (malloc'ed).
 */
typedef int (*cond_resolver)(const char *name, int timeout_ms,
    struct cond_addr **addrs, size_t *naddrs, char **err);

struct cond_options {
	cond_resolver	 resolve;	/* NULL: host names are an error */
	int		 timeout_ms;	/* for resolve */
};

/*
 * The size a condition may have: at most COND_MAX_TERMS comparisons,
 * counted once host, net and host names are expanded (host = a is two,
 * sip = name one per address), and brackets nested at most
 * COND_MAX_DEPTH deep.  Past either, cond_parse() fails pointing at the
 * token that goes beyond.  Any condition within both makes SQL that
 * prepares (cond.c says how).
 */
#define COND_MAX_TERMS		10000
#define COND_MAX_DEPTH		200

/*
 * Parse text.  Returns 0 and *out (caller owns it; free with cond_free()),
 * or -1 with *cause set to one message quoting the condition with a caret
 * under the offending token.  An empty (all blank) text gives 0 and
 * *out == NULL.
 */
int		 cond_parse(const char *text, const struct cond_options *,
		    struct cond **out, char **cause);
void		 cond_free(struct cond *);

/* The resolver flowq uses: getaddrinfo() on a thread, with a timeout. */
int		 cond_resolve_system(const char *name, int timeout_ms,
		    struct cond_addr **addrs, size_t *naddrs, char **err);

/* A bound parameter of the WHERE fragment, in order of the `?`s. */
struct cond_param {
	int		 blob;		/* 1: blob of len bytes, 0: integer */
	int64_t		 i;
	uint8_t		 b[16];
	size_t		 len;
};

struct cond_sql {
	char		*where;		/* "1" when there is no key condition */
	struct cond_param *params;
	size_t		 nparams;
};

/* Translate the key condition; caller frees with cond_sql_clear(). */
void		 cond_sql(const struct cond *, struct cond_sql *out);
void		 cond_sql_clear(struct cond_sql *);

/* The fixed fragments every WHERE text is made of (for tests/fuzzers). */
const char *const *cond_sql_templates(size_t *n);

/* A flow key, to evaluate a condition in C (tests and fuzzers). */
struct cond_key {
	uint8_t		 sip[16];
	uint8_t		 dip[16];
	uint8_t		 alen;		/* 4 or 16 */
	uint16_t	 dport;
	uint8_t		 proto;
	uint16_t	 vlan;
};

/* 1 if the key matches the key condition (the dir filter aside). */
int		 cond_match(const struct cond *, const struct cond_key *);

/* 1 if counters pass the dir filter. */
int		 cond_dir_match(enum cond_dir, uint64_t pkts_rcvd,
		    uint64_t pkts_sent);

/* Protocol name ("TCP") for a number, as goquery shows it; never NULL. */
const char	*cond_proto_name(int proto, char *buf, size_t len);

/* Protocol number for a name (case-insensitive); -1 if unknown. */
int		 cond_proto_number(const char *name);

#endif
