/*
 * bpf.c - the capture filter (see bpf.h), written with a small assembler:
 * instructions jump to labels, and the offsets (8 bits forward, as
 * classic BPF has them) are filled in once the program is laid out.
 *
 * In an Ethernet frame the index register X holds the offset of the
 * EtherType being looked at; each VLAN tag moves it on by 4.  The kernel
 * has already taken an outer 802.1Q/802.1ad tag out of the frame (into
 * tp_vlan_tci) for received packets, and for sent ones with VLAN offload;
 * tags still in the frame are walked here.  A frame shorter than a load
 * is rejected by the kernel itself.
 */
#include "config.h"

#include <linux/filter.h>
#include <linux/if_ether.h>
#include <string.h>

#include "bpf.h"
#include "parse.h"

/* Labels; the VLAN steps each get one. */
enum {
	LB_ACCEPT, LB_REJECT, LB_PPPOE, LB_PPP1, LB_MPLS, LB_BOS, LB_TAG0
};
#define LB_COUNT	(LB_TAG0 + BPF_CAPTURE_TAGS)
#define LB_NEXT		(-1)

#define PPP_IPV4	0x0021
#define PPP_IPV6	0x0057

struct bpf_asm {
	struct sock_filter *p;
	size_t		 n;
	int		 jt[BPF_CAPTURE_MAX], jf[BPF_CAPTURE_MAX];
	int		 label[LB_COUNT];
};

static void
bpf_emit(struct bpf_asm *a, uint16_t code, uint32_t k, int jt, int jf)
{
	if (a->n >= BPF_CAPTURE_MAX)
		return;
	a->p[a->n].code = code;
	a->p[a->n].k = k;
	a->p[a->n].jt = a->p[a->n].jf = 0;
	a->jt[a->n] = jt;
	a->jf[a->n] = jf;
	a->n++;
}

/* A statement: no jump. */
static void
bpf_stmt(struct bpf_asm *a, uint16_t code, uint32_t k)
{
	bpf_emit(a, code, k, LB_NEXT, LB_NEXT);
}

static void
bpf_label(struct bpf_asm *a, int label)
{
	a->label[label] = (int)a->n;
}

/* Resolve the jumps; 0 when one does not fit in 8 bits. */
static int
bpf_resolve(struct bpf_asm *a)
{
	size_t i;
	int d;

	if (a->n >= BPF_CAPTURE_MAX)
		return 0;
	for (i = 0; i < a->n; i++) {
		if (a->jt[i] != LB_NEXT) {
			d = a->label[a->jt[i]] - (int)i - 1;
			if (d < 0 || d > 255)
				return 0;
			a->p[i].jt = (uint8_t)d;
		}
		if (a->jf[i] != LB_NEXT) {
			d = a->label[a->jf[i]] - (int)i - 1;
			if (d < 0 || d > 255)
				return 0;
			a->p[i].jf = (uint8_t)d;
		}
		if (a->p[i].code == (BPF_JMP | BPF_JA)) {
			/* ja: the target is in k, 32 bits. */
			a->p[i].k = (uint32_t)(a->label[a->jt[i]] - (int)i - 1);
			a->p[i].jt = 0;
		}
	}
	return 1;
}

/* Raw IP: the version nibble of the first byte. */
static void
bpf_raw(struct bpf_asm *a)
{
	bpf_stmt(a, BPF_LD | BPF_B | BPF_ABS, 0);
	bpf_stmt(a, BPF_ALU | BPF_AND | BPF_K, 0xf0);
	bpf_emit(a, BPF_JMP | BPF_JEQ | BPF_K, 0x40, LB_ACCEPT, LB_NEXT);
	bpf_emit(a, BPF_JMP | BPF_JEQ | BPF_K, 0x60, LB_ACCEPT, LB_REJECT);
}

static void
bpf_ethernet(struct bpf_asm *a)
{
	int i;

	bpf_stmt(a, BPF_LDX | BPF_IMM, 12);
	for (i = 0; i < BPF_CAPTURE_TAGS; i++) {
		bpf_stmt(a, BPF_LD | BPF_H | BPF_IND, 0);
		bpf_emit(a, BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, LB_ACCEPT,
		    LB_NEXT);
		bpf_emit(a, BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IPV6, LB_ACCEPT,
		    LB_NEXT);
		bpf_emit(a, BPF_JMP | BPF_JEQ | BPF_K, ETH_P_PPP_SES, LB_PPPOE,
		    LB_NEXT);
		bpf_emit(a, BPF_JMP | BPF_JEQ | BPF_K, ETH_P_MPLS_UC, LB_MPLS,
		    LB_NEXT);
		bpf_emit(a, BPF_JMP | BPF_JEQ | BPF_K, ETH_P_MPLS_MC, LB_MPLS,
		    LB_NEXT);
		bpf_emit(a, BPF_JMP | BPF_JEQ | BPF_K, ETH_P_8021Q,
		    LB_TAG0 + i, LB_NEXT);
		bpf_emit(a, BPF_JMP | BPF_JEQ | BPF_K, ETH_P_8021AD,
		    LB_TAG0 + i, LB_NEXT);
		bpf_emit(a, BPF_JMP | BPF_JEQ | BPF_K, ETH_P_QINQ1,
		    LB_TAG0 + i, LB_NEXT);
		bpf_emit(a, BPF_JMP | BPF_JEQ | BPF_K, ETH_P_QINQ2,
		    LB_TAG0 + i, LB_REJECT);
		bpf_label(a, LB_TAG0 + i);
		bpf_stmt(a, BPF_MISC | BPF_TXA, 0);
		bpf_stmt(a, BPF_ALU | BPF_ADD | BPF_K, 4);
		bpf_stmt(a, BPF_MISC | BPF_TAX, 0);
	}
	/* Deeper stacks: let the parser decide and count. */
	bpf_emit(a, BPF_JMP | BPF_JA, 0, LB_ACCEPT, LB_NEXT);

	/*
	 * PPPoE session: the 6-byte header after the EtherType, then the PPP
	 * protocol, in two bytes or, when its first byte is odd, in one
	 * (RFC 1661 6.5).
	 */
	bpf_label(a, LB_PPPOE);
	bpf_stmt(a, BPF_LD | BPF_B | BPF_IND, 8);
	bpf_emit(a, BPF_JMP | BPF_JSET | BPF_K, 1, LB_PPP1, LB_NEXT);
	bpf_stmt(a, BPF_LD | BPF_H | BPF_IND, 8);
	bpf_label(a, LB_PPP1);
	bpf_emit(a, BPF_JMP | BPF_JEQ | BPF_K, PPP_IPV4, LB_ACCEPT, LB_NEXT);
	bpf_emit(a, BPF_JMP | BPF_JEQ | BPF_K, PPP_IPV6, LB_ACCEPT, LB_REJECT);

	/* MPLS: labels at X+2, bottom of stack in byte X+4 bit 0. */
	bpf_label(a, LB_MPLS);
	for (i = 0; i < BPF_CAPTURE_LABELS; i++) {
		bpf_stmt(a, BPF_LD | BPF_B | BPF_IND, 4);
		bpf_emit(a, BPF_JMP | BPF_JSET | BPF_K, 1, LB_BOS, LB_NEXT);
		bpf_stmt(a, BPF_MISC | BPF_TXA, 0);
		bpf_stmt(a, BPF_ALU | BPF_ADD | BPF_K, 4);
		bpf_stmt(a, BPF_MISC | BPF_TAX, 0);
	}
	bpf_emit(a, BPF_JMP | BPF_JA, 0, LB_ACCEPT, LB_NEXT);
	bpf_label(a, LB_BOS);
	bpf_stmt(a, BPF_LD | BPF_B | BPF_IND, 6);
	bpf_stmt(a, BPF_ALU | BPF_AND | BPF_K, 0xf0);
	bpf_emit(a, BPF_JMP | BPF_JEQ | BPF_K, 0x40, LB_ACCEPT, LB_NEXT);
	bpf_emit(a, BPF_JMP | BPF_JEQ | BPF_K, 0x60, LB_ACCEPT, LB_REJECT);
}

size_t
bpf_build_capture(int linktype, uint32_t snaplen, struct sock_filter *prog)
{
	struct bpf_asm a;

	memset(&a, 0, sizeof a);
	a.p = prog;
	if (linktype == PARSE_LINK_RAW)
		bpf_raw(&a);
	else if (linktype == PARSE_LINK_ETHERNET)
		bpf_ethernet(&a);
	else
		return 0;
	bpf_label(&a, LB_ACCEPT);
	bpf_stmt(&a, BPF_RET | BPF_K, snaplen);
	bpf_label(&a, LB_REJECT);
	bpf_stmt(&a, BPF_RET | BPF_K, 0);
	if (!bpf_resolve(&a))
		return 0;
	return a.n;
}
