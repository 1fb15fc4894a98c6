/*
 * cond_eval.c - a parsed condition evaluated on one flow key in C
 * (cond_match(), cond_dir_match()).
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "cond.h"

/* ------------------------------------------------------------ eval */

static int
cmp_num(enum cond_op op, uint32_t a, uint32_t b)
{
	switch (op) {
	case COND_EQ: return a == b;
	case COND_NE: return a != b;
	case COND_LT: return a < b;
	case COND_GT: return a > b;
	case COND_LE: return a <= b;
	case COND_GE: return a >= b;
	}
	return 0;
}

static int
in_net(const uint8_t *ip, int alen, const struct cond_node *n)
{
	int i, bits;

	if (alen != n->alen)
		return 0;
	for (i = 0; i < alen; i++) {
		bits = (int)n->prefix - i * 8;
		if (bits <= 0)
			break;
		if (bits >= 8) {
			if (ip[i] != n->addr[i])
				return 0;
		} else if ((ip[i] & (uint8_t)(0xff << (8 - bits))) !=
		    n->addr[i])
			return 0;
	}
	return 1;
}

static int
eval_node(const struct cond_node *n, const struct cond_key *k)
{
	const uint8_t	*ip;
	int		 m;

	size_t		 i;

	switch (n->type) {
	case COND_AND:
		for (i = 0; i < n->nkids; i++) {
			if (!eval_node(n->kids[i], k))
				return 0;
		}
		return 1;
	case COND_OR:
		for (i = 0; i < n->nkids; i++) {
			if (eval_node(n->kids[i], k))
				return 1;
		}
		return 0;
	case COND_LEAF:
		break;
	}
	switch (n->attr) {
	case COND_SIP:
	case COND_DIP:
	case COND_SNET:
	case COND_DNET:
		ip = (n->attr == COND_SIP || n->attr == COND_SNET) ?
		    k->sip : k->dip;
		m = in_net(ip, k->alen, n);
		return n->op == COND_EQ ? m : !m;
	case COND_DPORT:
		return cmp_num(n->op, k->dport, n->num);
	case COND_PROTO:
		return cmp_num(n->op, k->proto, n->num);
	case COND_VLAN:
		return cmp_num(n->op, k->vlan, n->num);
	}
	return 0;
}

int
cond_match(const struct cond *c, const struct cond_key *k)
{
	if (c == NULL || c->root == NULL)
		return 1;
	return eval_node(c->root, k);
}

int
cond_dir_match(enum cond_dir dir, uint64_t pkts_rcvd, uint64_t pkts_sent)
{
	switch (dir) {
	case COND_DIR_NONE:
		return 1;
	case COND_DIR_IN:
		return pkts_rcvd > 0 && pkts_sent == 0;
	case COND_DIR_OUT:
		return pkts_sent > 0 && pkts_rcvd == 0;
	case COND_DIR_UNI:
		return (pkts_rcvd > 0) != (pkts_sent > 0);
	case COND_DIR_BI:
		return pkts_rcvd > 0 && pkts_sent > 0;
	}
	return 0;
}
