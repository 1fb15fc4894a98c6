/*
 * capture.c - one interface's live recording (see capture.h).
 *
 * The socket, its ring and the life of a capture; every frame goes
 * through ingest.c (the clock, the parser, the counters, the flow table),
 * the path --read takes too, and frozen bins go to the writer.
 *
 * Life of a capture:
 *   WAITING  no socket: the interface is missing (or could not be opened);
 *            the housekeeping timer tries again every second.
 *   RUNNING  socket, ring and uv_poll open.  Each block the kernel retired
 *            (TP_STATUS_USER) is walked in place with ring.c, each frame
 *            handed to ingest, and the block handed back once ingest has
 *            counted them all.
 *   DRAINING capture_stop(): a reject-all filter stops new packets; the
 *            ring is walked until every packet the kernel reports delivered
 *            (tp_packets - tp_drops) has been seen, or a deadline passes.
 *   CLOSING  the open bin is written, the writer flushed, the handles closed.
 *
 * Time bins follow packet time: a frame stamped past the open bin rotates
 * the flow table (O(1), in ingest) and the frozen bin goes to the writer.  The
 * housekeeping timer rotates by the wall clock when no packet did, a little
 * after the bin's end (the ring's retire timeout plus a second), so a
 * silent interface still gets its bins written.  PACKET_STATISTICS resets
 * on every read: each read is added to the open bin's counters and to the
 * capture's monotonic totals.
 */
#include "config.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "anon.h"
#include "archive.h"
#include "bpf.h"
#include "capture.h"
#include "flowtab.h"
#include "ingest.h"
#include "parse.h"
#include "ring.h"
#include "util.h"

#define TICK_MS			1000	/* housekeeping */
#define DRAIN_TICK_MS		10
#define FRAME_SIZE		2048	/* tp_frame_size: unused by V3 walks */

enum capture_state {
	CAPTURE_WAITING,
	CAPTURE_RUNNING,
	CAPTURE_DRAINING,
	CAPTURE_VANISHING,	/* interface gone: walking what its ring holds */
	CAPTURE_CLOSING
};

/* One open packet socket and its ring; freed in the poll close callback. */
struct capture_sock {
	uv_poll_t	 poll;
	int		 fd;
	int		 ifindex;
	int		 linktype;	/* PARSE_LINK_* */
	uint8_t		*ring;
	size_t		 ring_len;
	uint32_t	 block_size;
	uint32_t	 block_count;
	uint32_t	 block;		/* next block to look at */
	uint64_t	 delivered;	/* tp_packets - tp_drops of this socket */
	uint64_t	 walked;	/* frames walked on this socket */
	struct capture	*c;
};

struct capture {
	uv_loop_t	*loop;
	struct conf_iface cfg;		/* cfg.name owned */
	struct flowtab	*ft;
	struct ingest	*ing;
	struct writer	*writer;
	struct archive	*archive;	/* NULL: none */
	struct capture_sock *sock;	/* NULL unless RUNNING/DRAINING */
	uv_timer_t	 timer;
	enum capture_state state;

	int		 missing_logged;
	int		 last_open_err;

	struct capture_stats st;
	uint64_t	 lost_logged;

	uint64_t	 drain_deadline_ns;
	uint32_t	 write_deadline_ms;
	void		(*done)(void *, const char *, const struct capture_stats *);
	void		*done_arg;
};

static void	capture_tick(uv_timer_t *);
static void	capture_sock_close(struct capture *);

/* ------------------------------------------------------ the packet path */

/* ingest's bin_out: the writer stores it off the loop. */
static void
capture_bin_out(void *arg, struct flowtab_bin *b)
{
	struct capture *c = arg;

	writer_push(c->writer, b);
}

static void
capture_walk_block(struct capture *c, struct capture_sock *s,
    const uint8_t *blk)
{
	struct ring_walk w;
	struct ring_pkt p;
	struct ingest_frame f;
	enum ring_status rs;

	memset(&f, 0, sizeof f);
	f.in.linktype = (uint16_t)s->linktype;
	f.has_time = 1;
	rs = ring_walk_init(&w, blk, s->block_size);
	while (rs == RING_PKT && (rs = ring_walk_next(&w, &p)) == RING_PKT) {
		s->walked++;
		f.in.data = p.data;
		f.in.caplen = p.caplen;
		f.in.wirelen = p.wirelen;
		f.in.outgoing = p.outgoing;
		f.in.has_vlan_tci = p.has_vlan_tci;
		f.in.vlan_tci = p.vlan_tci;
		f.time_ns = p.ts_ns;
		f.bad = p.bad;
		ingest_add(c->ing, &f);
	}
	/* Counted before the block goes back to the kernel. */
	ingest_flush(c->ing);
	if (c->archive != NULL)
		archive_kick(c->archive);
	if (rs == RING_CORRUPT)
		c->st.corrupt_blocks++;
}

/* Walk every block the kernel has handed over; at most one ring's worth. */
static void
capture_drain_ring(struct capture *c)
{
	struct capture_sock *s = c->sock;
	struct tpacket_block_desc *bd;
	uint32_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->block_count; i++) {
		bd = (void *)(s->ring + (size_t)s->block * s->block_size);
		if ((__atomic_load_n(&bd->hdr.bh1.block_status,
		    __ATOMIC_ACQUIRE) & TP_STATUS_USER) == 0)
			break;
		capture_walk_block(c, s, (const uint8_t *)bd);
		/* No pointer into this block survives this line. */
		__atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL,
		    __ATOMIC_RELEASE);
		s->block = (s->block + 1) % s->block_count;
	}
}

/* Add the kernel's counters since the last read to the totals and the bin. */
static void
capture_read_kstats(struct capture *c)
{
	struct tpacket_stats_v3 ks;
	struct flowtab_stats *st;
	socklen_t len = sizeof ks;

	if (c->sock == NULL)
		return;
	memset(&ks, 0, sizeof ks);
	if (getsockopt(c->sock->fd, SOL_PACKET, PACKET_STATISTICS, &ks,
	    &len) != 0)
		return;
	st = flowtab_stats(c->ft);
	st->kernel_packets += ks.tp_packets;
	st->kernel_drops += ks.tp_drops;
	st->kernel_freezes += ks.tp_freeze_q_cnt;
	c->st.kernel_packets += ks.tp_packets;
	c->st.kernel_drops += ks.tp_drops;
	c->st.kernel_freezes += ks.tp_freeze_q_cnt;
	c->sock->delivered += ks.tp_packets - ks.tp_drops;
	if (ks.tp_drops != 0)
		log_warn("%s: the kernel dropped %u packets (ring full)",
		    c->cfg.name, ks.tp_drops);
}

/* ------------------------------------------------------- open and close */

static int
capture_linktype(int fd, const char *name, int *linktype, const char **what)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof ifr);
	strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) != 0)
		return -errno;
	switch (ifr.ifr_hwaddr.sa_family) {
	case ARPHRD_ETHER:
		*linktype = PARSE_LINK_ETHERNET;
		*what = "ethernet";
		return 0;
	case ARPHRD_LOOPBACK:
		*linktype = PARSE_LINK_ETHERNET;
		*what = "loopback";
		return 0;
	case ARPHRD_NONE:
	case ARPHRD_PPP:
	case ARPHRD_RAWIP:
	case ARPHRD_TUNNEL:
	case ARPHRD_TUNNEL6:
	case ARPHRD_SIT:
	case ARPHRD_IPGRE:
		*linktype = PARSE_LINK_RAW;
		*what = "raw IP";
		return 0;
	}
	return -EPROTONOSUPPORT;
}

static void capture_tick(uv_timer_t *);

/*
 * The interface went away.  Its ring may still hold packets, the last
 * ones in the block the kernel was filling: that block's retire timer
 * hands it over, so walk the ring until every delivered packet was seen
 * (or a deadline passes) before the socket is closed and the interface
 * waited for.
 */
static void
capture_gone(struct capture *c, int err)
{
	log_warn("%s: interface is gone (%s); waiting for it to return",
	    c->cfg.name, strerror(err ? err : ENXIO));
	c->missing_logged = 1;
	uv_poll_stop(&c->sock->poll);
	capture_drain_ring(c);
	capture_read_kstats(c);
	c->state = CAPTURE_VANISHING;
	c->drain_deadline_ns = util_now_ns() +
	    ((uint64_t)c->cfg.retire_ms * 2 + 500) * 1000000;
	uv_timer_start(&c->timer, capture_tick, DRAIN_TICK_MS, DRAIN_TICK_MS);
}

static void
capture_poll_cb(uv_poll_t *h, int status, int events)
{
	struct capture_sock *s = h->data;
	struct capture *c = s->c;
	socklen_t len;
	int err = 0;

	(void)events;
	capture_drain_ring(c);
	if (status >= 0)
		return;

	/* POLLERR: the interface went down or away (sk_err is ENETDOWN). */
	len = sizeof err;
	getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len);
	if ((int)if_nametoindex(c->cfg.name) != s->ifindex) {
		capture_gone(c, err);
		return;
	}
	log_warn("%s: %s; capture resumes when it is up again", c->cfg.name,
	    strerror(err ? err : ENETDOWN));
	/* The kernel re-attaches the socket on NETDEV_UP. */
	uv_poll_start(&s->poll, UV_READABLE, capture_poll_cb);
}

static void
capture_sock_closed(uv_handle_t *h)
{
	struct capture_sock *s = h->data;

	if (s->ring != NULL)
		munmap(s->ring, s->ring_len);
	close(s->fd);
	free(s);
}

static void
capture_sock_close(struct capture *c)
{
	struct capture_sock *s = c->sock;

	if (s == NULL)
		return;
	c->sock = NULL;
	uv_poll_stop(&s->poll);
	uv_close((uv_handle_t *)&s->poll, capture_sock_closed);
}

/* Log an open failure once per distinct error, then retry quietly. */
static void
capture_open_failed(struct capture *c, int err, const char *what)
{
	if (c->last_open_err != err)
		log_error("%s: %s: %s; retrying every %d s", c->cfg.name, what,
		    strerror(-err), TICK_MS / 1000);
	c->last_open_err = err;
}

static int
capture_open(struct capture *c)
{
	struct sock_filter prog[BPF_CAPTURE_MAX];
	struct sock_fprog fprog;
	struct tpacket_req3 req;
	struct packet_mreq mr;
	struct sockaddr_ll sll;
	struct capture_sock *s;
	const char *what = "ethernet", *lockmsg = "locked";
	int fd, ifindex, v, linktype = 0, err, flags;
	size_t n;

	ifindex = (int)if_nametoindex(c->cfg.name);
	if (ifindex == 0) {
		if (!c->missing_logged)
			log_warn("%s: no such interface; waiting for it",
			    c->cfg.name);
		c->missing_logged = 1;
		return -ENODEV;
	}
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		err = -errno;
		capture_open_failed(c, err, "packet socket");
		return err;
	}
	if ((err = capture_linktype(fd, c->cfg.name, &linktype, &what)) != 0) {
		capture_open_failed(c, err, "link type");
		goto fail;
	}
	v = TPACKET_V3;
	if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &v, sizeof v) != 0) {
		err = -errno;
		capture_open_failed(c, err, "TPACKET_V3");
		goto fail;
	}
	n = bpf_build_capture(linktype, conf_iface_snaplen(&c->cfg), prog);
	fprog.len = (unsigned short)n;
	fprog.filter = prog;
	if (n == 0 || setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fprog,
	    sizeof fprog) != 0) {
		err = n == 0 ? -EINVAL : -errno;
		capture_open_failed(c, err, "kernel filter");
		goto fail;
	}
	memset(&req, 0, sizeof req);
	req.tp_block_size = c->cfg.block_size;
	req.tp_block_nr = c->cfg.block_count;
	req.tp_frame_size = FRAME_SIZE;
	req.tp_frame_nr = (c->cfg.block_size / FRAME_SIZE) *
	    c->cfg.block_count;
	req.tp_retire_blk_tov = c->cfg.retire_ms;
	if (setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) != 0) {
		err = -errno;
		capture_open_failed(c, err, "RX ring");
		goto fail;
	}
	s = util_calloc(1, sizeof *s);
	s->fd = fd;
	s->c = c;
	s->ifindex = ifindex;
	s->linktype = linktype;
	s->block_size = c->cfg.block_size;
	s->block_count = c->cfg.block_count;
	s->ring_len = (size_t)s->block_size * s->block_count;
	flags = MAP_SHARED | MAP_POPULATE;
	s->ring = mmap(NULL, s->ring_len, PROT_READ | PROT_WRITE,
	    flags | MAP_LOCKED, fd, 0);
	if (s->ring == MAP_FAILED) {
		lockmsg = "not locked: raise RLIMIT_MEMLOCK or grant "
		    "CAP_IPC_LOCK";
		s->ring = mmap(NULL, s->ring_len, PROT_READ | PROT_WRITE,
		    flags, fd, 0);
	}
	if (s->ring == MAP_FAILED) {
		err = -errno;
		s->ring = NULL;
		free(s);
		capture_open_failed(c, err, "mmap of the ring");
		goto fail;
	}
	if (c->cfg.promisc) {
		memset(&mr, 0, sizeof mr);
		mr.mr_ifindex = ifindex;
		mr.mr_type = PACKET_MR_PROMISC;
		if (setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr,
		    sizeof mr) != 0)
			log_warn("%s: promiscuous mode: %s", c->cfg.name,
			    strerror(errno));
	}
	memset(&sll, 0, sizeof sll);
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = ifindex;
	if (bind(fd, (struct sockaddr *)&sll, sizeof sll) != 0) {
		err = -errno;
		munmap(s->ring, s->ring_len);
		free(s);
		capture_open_failed(c, err, "bind");
		goto fail;
	}
	uv_poll_init(c->loop, &s->poll, fd);
	s->poll.data = s;
	uv_poll_start(&s->poll, UV_READABLE, capture_poll_cb);
	c->sock = s;
	c->state = CAPTURE_RUNNING;
	c->missing_logged = 0;
	c->last_open_err = 0;
	c->st.opens++;
	log_info("%s: recording (ifindex %d, %s, ring %u x %u bytes %s, "
	    "snaplen %u, promisc %s)", c->cfg.name, ifindex, what,
	    s->block_count, s->block_size, lockmsg, conf_iface_snaplen(&c->cfg),
	    c->cfg.promisc ? "on" : "off");
	return 0;

fail:
	close(fd);
	return err;
}

/* ---------------------------------------------------------- housekeeping */

static int64_t
capture_now_real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * FLOWTAB_NS_PER_S + ts.tv_nsec;
}

static void
capture_stopped(uv_handle_t *h)
{
	struct capture *c = h->data;

	ingest_free(c->ing);
	flowtab_free(c->ft);
	if (c->done != NULL)
		c->done(c->done_arg, c->cfg.name, &c->st);
	free(c->cfg.name);
	free(c->cfg.archive.path);
	free(c->cfg.headers.path);
	free(c);
}

static void
capture_writer_done(void *arg, const struct writer_stats *ws)
{
	struct capture *c = arg;

	c->st.writer = *ws;
	c->writer = NULL;
	uv_close((uv_handle_t *)&c->timer, capture_stopped);
}

/* The totals of the capture_stats that ingest keeps. */
static void
capture_ingest_totals(struct capture *c)
{
	struct ingest_stats is;

	ingest_get_stats(c->ing, &is);
	c->st.frames = is.packets;
	c->st.ip = is.ip;
	c->st.lost_no_memory = is.lost;
	c->st.non_ip = is.non_ip;
	c->st.malformed = is.malformed;
	memcpy(c->st.reasons, is.reasons, sizeof c->st.reasons);
}

static void
capture_finish(struct capture *c)
{
	capture_read_kstats(c);
	capture_sock_close(c);
	c->state = CAPTURE_CLOSING;
	uv_timer_stop(&c->timer);
	/* The open bin, as it is (SEMANTICS 8); no packet comes after it. */
	ingest_finish(c->ing);
	capture_ingest_totals(c);
	if (c->archive != NULL) {
		/* Its last file written and renamed (a thread of its own). */
		archive_free_stats(c->archive, &c->st.archive);
		c->archive = NULL;
	}
	writer_close(c->writer, c->write_deadline_ms, capture_writer_done, c);
}

static void
capture_tick(uv_timer_t *t)
{
	struct capture *c = t->data;
	int64_t now, open, grace;

	switch (c->state) {
	case CAPTURE_WAITING:
		capture_open(c);
		break;
	case CAPTURE_RUNNING:
		capture_drain_ring(c);
		capture_read_kstats(c);
		if ((int)if_nametoindex(c->cfg.name) != c->sock->ifindex) {
			capture_gone(c, ENXIO);
			return;
		}
		break;
	case CAPTURE_VANISHING:
		capture_drain_ring(c);
		capture_read_kstats(c);
		if (c->sock->walked < c->sock->delivered &&
		    util_now_ns() < c->drain_deadline_ns)
			return;
		if (c->sock->walked < c->sock->delivered)
			log_warn("%s: %llu packets were left in the ring of the "
			    "vanished interface", c->cfg.name,
			    (unsigned long long)(c->sock->delivered -
			    c->sock->walked));
		capture_sock_close(c);
		c->state = CAPTURE_WAITING;
		uv_timer_start(&c->timer, capture_tick, TICK_MS, TICK_MS);
		return;
	case CAPTURE_DRAINING:
		capture_drain_ring(c);
		capture_read_kstats(c);
		if (c->sock == NULL || c->sock->walked >= c->sock->delivered ||
		    util_now_ns() >= c->drain_deadline_ns) {
			if (c->sock != NULL &&
			    c->sock->walked < c->sock->delivered)
				log_warn("%s: %llu packets still in the ring at "
				    "the drain deadline", c->cfg.name,
				    (unsigned long long)(c->sock->delivered -
				    c->sock->walked));
			capture_finish(c);
		}
		return;
	case CAPTURE_CLOSING:
		return;
	}

	/* A silent interface: rotate by the wall clock after a grace time. */
	now = capture_now_real_ns();
	open = flowtab_open_bin(c->ft);
	grace = (int64_t)c->cfg.retire_ms * 1000000 + FLOWTAB_NS_PER_S;
	if (flowtab_bin_of(c->ft, now - grace) > open)
		ingest_rotate(c->ing, flowtab_bin_of(c->ft, now - grace));
	else
		ingest_rearm(c->ing);
	/* The archive's file of a finished period, closed the same way. */
	if (c->archive != NULL)
		archive_clock(c->archive, now - grace);
	capture_ingest_totals(c);
	if (c->st.lost_no_memory != c->lost_logged) {
		log_error("%s: %llu packets not counted: flow table full and "
		    "no memory for another", c->cfg.name,
		    (unsigned long long)(c->st.lost_no_memory - c->lost_logged));
		c->lost_logged = c->st.lost_no_memory;
	}
}

/*
 * The packet features on the ingest path's hooks: the anonymisation
 * (rewrite) and the archive (packet), which never blocks.
 */
static int
capture_hooks_start(struct capture *c)
{
	struct archive_config ac;
	struct ingest_hooks h;
	char *cause = NULL;

	memset(&h, 0, sizeof h);
	if (c->cfg.archive.path != NULL || c->cfg.headers.path != NULL) {
		memset(&ac, 0, sizeof ac);
		ac.conf = &c->cfg.archive;
		ac.headers = &c->cfg.headers;
		ac.iface = c->cfg.name;
		ac.block = 0;
		ac.anonymize = c->cfg.anonymize == CONF_ANON_NETBLOCK;
		if (archive_new(&ac, &c->archive, &cause) != 0) {
			log_error("%s: %s", c->cfg.name, cause);
			free(cause);
			return -1;
		}
		h.packet = archive_hook;
		h.prefetch = archive_prefetch;
		h.arg = c->archive;
	}
	if (c->cfg.anonymize == CONF_ANON_NETBLOCK)
		h.rewrite = anon_packets;
	if (h.packet != NULL || h.rewrite != NULL)
		ingest_set_hooks(c->ing, &h);
	return 0;
}

/* ------------------------------------------------------------------ API */

struct capture *
capture_new(uv_loop_t *loop, const struct conf *conf,
    const struct conf_iface *ifc)
{
	struct flowtab_config fc;
	struct ingest_config ic;
	struct writer_config wc;
	struct capture *c;

	c = util_calloc(1, sizeof *c);
	c->loop = loop;
	c->st.started_ns = capture_now_real_ns();
	c->cfg = *ifc;
	c->cfg.name = util_strdup(ifc->name);
	if (ifc->archive.path != NULL)
		c->cfg.archive.path = util_strdup(ifc->archive.path);
	if (ifc->headers.path != NULL)
		c->cfg.headers.path = util_strdup(ifc->headers.path);
	memset(&fc, 0, sizeof fc);
	fc.interval = conf->interval;
	fc.max_flows = ifc->max_flows;
	c->ft = flowtab_new(&fc);
	if (c->ft == NULL) {
		log_error("%s: no memory for a flow table of %u flows",
		    ifc->name, ifc->max_flows);
		goto fail;
	}
	memset(&ic, 0, sizeof ic);
	ic.ft = c->ft;
	ic.bin_out = capture_bin_out;
	ic.arg = c;
	c->ing = ingest_new(&ic);
	if (capture_hooks_start(c) != 0)
		goto fail;
	memset(&wc, 0, sizeof wc);
	wc.max_rows = conf->queue_rows;
	wc.retry_min_ms = 500;
	wc.retry_max_ms = 30000;
	c->writer = writer_new(loop, conf->db_path, ifc->name, c->ft, &wc);
	if (c->writer == NULL) {
		log_error("%s: cannot create a store under %s", ifc->name,
		    conf->db_path);
		goto fail;
	}
	/* The first rotation opens the bin of the wall clock. */
	ingest_rotate(c->ing, flowtab_bin_of(c->ft, capture_now_real_ns()));
	uv_timer_init(loop, &c->timer);
	c->timer.data = c;
	c->state = CAPTURE_WAITING;
	capture_open(c);
	uv_timer_start(&c->timer, capture_tick, TICK_MS, TICK_MS);
	return c;

fail:
	archive_free(c->archive);
	ingest_free(c->ing);
	flowtab_free(c->ft);
	free(c->cfg.name);
	free(c->cfg.archive.path);
	free(c->cfg.headers.path);
	free(c);
	return NULL;
}

void
capture_stop(struct capture *c, uint32_t write_deadline_ms,
    void (*done)(void *, const char *, const struct capture_stats *),
    void *arg)
{
	static struct sock_filter reject = BPF_STMT(BPF_RET | BPF_K, 0);
	struct sock_fprog fprog = { 1, &reject };

	c->done = done;
	c->done_arg = arg;
	c->write_deadline_ms = write_deadline_ms;
	if (c->state != CAPTURE_RUNNING) {
		capture_finish(c);
		return;
	}
	/*
	 * No new packets from here on; what the kernel already put in the
	 * ring is walked, including the block it is filling, which its
	 * retire timer hands over within retire_ms.
	 */
	if (setsockopt(c->sock->fd, SOL_SOCKET, SO_ATTACH_FILTER, &fprog,
	    sizeof fprog) != 0)
		log_warn("%s: cannot stop the kernel filter: %s", c->cfg.name,
		    strerror(errno));
	c->state = CAPTURE_DRAINING;
	c->drain_deadline_ns = util_now_ns() +
	    ((uint64_t)c->cfg.retire_ms * 2 + 1000) * 1000000;
	capture_drain_ring(c);
	uv_timer_start(&c->timer, capture_tick, 0, DRAIN_TICK_MS);
}

void
capture_get_stats(struct capture *c, struct capture_stats *st)
{
	capture_ingest_totals(c);
	*st = c->st;
	if (c->writer != NULL)
		writer_get_stats(c->writer, &st->writer);
	if (c->archive != NULL)
		archive_get_stats(c->archive, &st->archive);
}

void
capture_get_bin(struct capture *c, struct flowtab_stats *st, size_t *flows,
    size_t *max_flows)
{
	if (c->state == CAPTURE_CLOSING) {
		memset(st, 0, sizeof *st);
		*flows = 0;
	} else {
		*st = *flowtab_stats(c->ft);
		*flows = flowtab_open_rows(c->ft);
	}
	*max_flows = c->cfg.max_flows;
}

size_t
capture_live_rows(struct capture *c, struct flowtab_row **out, int64_t *ts,
    uint32_t *interval)
{
	const struct flowtab_row *v;
	size_t n = 0;
	int64_t bin;

	*out = NULL;
	*ts = 0;
	*interval = 0;
	if (c->state == CAPTURE_CLOSING || c->ft == NULL)
		return 0;
	bin = flowtab_open_bin(c->ft);
	*ts = flowtab_bin_start_ns(c->ft, bin) / FLOWTAB_NS_PER_S;
	*interval = (uint32_t)((flowtab_bin_start_ns(c->ft, bin + 1) -
	    flowtab_bin_start_ns(c->ft, bin)) / FLOWTAB_NS_PER_S);
	v = flowtab_open_view(c->ft, &n);
	if (n > 0) {
		*out = util_malloc(n * sizeof **out);
		memcpy(*out, v, n * sizeof **out);
	}
	return n;
}

int
capture_flush(struct capture *c, void (*done)(void *, int), void *arg)
{
	const struct flowtab_stats *st;

	if (c->state == CAPTURE_DRAINING || c->state == CAPTURE_CLOSING)
		return -ESHUTDOWN;
	if (c->state == CAPTURE_RUNNING || c->state == CAPTURE_VANISHING) {
		capture_drain_ring(c);
		capture_read_kstats(c);
	}
	ingest_flush(c->ing);
	st = flowtab_stats(c->ft);
	/* An untouched bin has nothing to write yet. */
	if (flowtab_open_rows(c->ft) > 0 || st->packets > 0 ||
	    st->kernel_packets > 0)
		ingest_rotate(c->ing, flowtab_open_bin(c->ft));
	return writer_when_written(c->writer, done, arg);
}

int
capture_is_open(const struct capture *c)
{
	return c->sock != NULL;
}

int
capture_link_supported(const char *name)
{
	const char *what;
	int fd, linktype, rc;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	rc = capture_linktype(fd, name, &linktype, &what);
	close(fd);
	if (rc == -EPROTONOSUPPORT)
		return 0;
	return rc == 0 ? 1 : rc;
}
