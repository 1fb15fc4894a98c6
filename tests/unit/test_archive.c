/*
 * test_archive.c - the packet archive's modules: arconn (connections,
 * byte and packet cutoffs counted before the packet, idle restart, the
 * unordered key, eviction), pcapout (periods, names, link types, .tmp
 * renamed, gzip and zstd read back, retention) and archive (the queue:
 * drops counted when full and not blocking, none when blocking; VLAN tags
 * put back; frames not IP left out).
 */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>
#include <zstd.h>

#include "anon.h"
#include "arconn.h"
#include "archive.h"
#include "pcapout.h"
#include "tap.h"

#define NS	1000000000LL
#define T0	(1700000000LL * NS)

static char tmpdir[] = "/tmp/test_archive.XXXXXX";

static void
key4(struct arconn_key *k, int a, int pa, int b, int pb, int proto, int vlan)
{
	struct parse_packet p;

	memset(&p, 0, sizeof p);
	p.family = 4;
	p.src[0] = 10;
	p.src[3] = (uint8_t)a;
	p.dst[0] = 10;
	p.dst[3] = (uint8_t)b;
	p.sport = (uint16_t)pa;
	p.dport = (uint16_t)pb;
	p.proto = (uint8_t)proto;
	p.vlan = (uint16_t)vlan;
	arconn_key_packet(k, &p);
}

static int
admit(struct arconn *t, const struct arconn_key *k, int64_t t_ns, uint32_t n)
{
	struct arconn_verdict v;

	arconn_admit(t, k, t_ns, n, &v);
	return v.keep;
}

static void
test_cutoff(void)
{
	struct arconn_config c = { 0 };
	struct arconn_key k, r, other;
	struct arconn_stats st;
	struct arconn *t;

	c.cutoff_bytes = 1000;
	c.idle_ns = 60 * NS;
	t = arconn_new(&c);
	key4(&k, 1, 1000, 2, 80, 6, 0);
	key4(&r, 2, 80, 1, 1000, 6, 0);
	/* 600 + 399 = 999 < 1000: the third packet is still in. */
	ok(admit(t, &k, T0, 600), "first packet kept");
	ok(admit(t, &r, T0 + 1, 399), "the reply is the same connection");
	ok(admit(t, &k, T0 + 2, 1500), "999 bytes before it: kept, though it "
	    "goes past the cutoff");
	ok(!admit(t, &k, T0 + 3, 60), "2499 bytes before it: cut");
	ok(!admit(t, &r, T0 + 4, 60), "cut both ways");
	key4(&other, 1, 1000, 2, 80, 6, 7);
	ok(admit(t, &other, T0 + 5, 60), "another VLAN: another connection");
	key4(&other, 1, 1001, 2, 80, 6, 0);
	ok(admit(t, &other, T0 + 5, 60), "another port: another connection");
	key4(&other, 1, 1000, 2, 80, 17, 0);
	ok(admit(t, &other, T0 + 5, 60), "another protocol: another one");
	ok(!admit(t, &k, T0 + 3 + 60 * NS, 60), "idle exactly idle_timeout: "
	    "still cut");
	ok(admit(t, &k, T0 + 3 + 120 * NS + 1, 60), "idle longer: afresh");
	arconn_get_stats(t, &st);
	is_int(st.cut, 1, "one connection reached the cutoff");
	is_int(st.removed, 4, "the idle ones removed");
	is_int(st.active, 1, "one left");
	arconn_free(t);

	memset(&c, 0, sizeof c);
	c.cutoff_packets = 3;
	c.idle_ns = 60 * NS;
	t = arconn_new(&c);
	ok(admit(t, &k, T0, 100000) && admit(t, &k, T0 + 1, 100000) &&
	    admit(t, &k, T0 + 2, 1), "three packets, no byte bound");
	ok(!admit(t, &k, T0 + 3, 1), "the fourth is cut");
	arconn_free(t);

	memset(&c, 0, sizeof c);
	c.cutoff_bytes = 100;
	c.cutoff_packets = 2;
	c.idle_ns = 60 * NS;
	t = arconn_new(&c);
	ok(admit(t, &k, T0, 10) && admit(t, &k, T0 + 1, 10), "both bounds: "
	    "two small packets");
	ok(!admit(t, &k, T0 + 2, 10), "the packet bound cuts first");
	ok(admit(t, &r, T0 + 3 - 120 * NS, 10) == 0,
	    "an older packet (out of order) is not idle");
	arconn_free(t);

	/* Full table: the one idle the longest goes. */
	memset(&c, 0, sizeof c);
	c.cutoff_packets = 1;
	c.idle_ns = 60 * NS;
	c.max_conns = 2;
	t = arconn_new(&c);
	key4(&k, 1, 1, 2, 2, 6, 0);
	key4(&r, 3, 1, 4, 2, 6, 0);
	key4(&other, 5, 1, 6, 2, 6, 0);
	admit(t, &k, T0, 1);
	admit(t, &r, T0 + 1, 1);
	admit(t, &k, T0 + 2, 1);
	ok(admit(t, &other, T0 + 3, 1), "a third connection in a table of 2");
	ok(!admit(t, &k, T0 + 4, 1), "the most recent one stayed (cut)");
	ok(admit(t, &r, T0 + 5, 1), "the least recent was evicted: afresh");
	arconn_get_stats(t, &st);
	ok(st.evicted == 2, "evictions counted (%llu)",
	    (unsigned long long)st.evicted);
	arconn_free(t);
}

/* Every file under dir (depth-first, sorted by name), into names. */
static int
list_files(const char *dir, char names[][512], int max, int n)
{
	struct dirent **de;
	struct stat sb;
	char p[512];
	int i, k;

	k = scandir(dir, &de, NULL, alphasort);
	for (i = 0; i < k; i++) {
		if (de[i]->d_name[0] != '.') {
			snprintf(p, sizeof p, "%s/%s", dir, de[i]->d_name);
			if (stat(p, &sb) == 0 && S_ISDIR(sb.st_mode))
				n = list_files(p, names, max, n);
			else if (n < max)
				snprintf(names[n++], 512, "%s", p);
		}
		free(de[i]);
	}
	free(de);
	return n;
}

/* The whole file, decompressed as its name says; caller frees. */
static uint8_t *
slurp(const char *path, size_t *len)
{
	size_t cap = 1 << 20, n = 0, r;
	uint8_t *buf = malloc(cap);
	FILE *f;
	gzFile gz;

	if (strstr(path, ".gz") != NULL) {
		gz = gzopen(path, "rb");
		n = (size_t)gzread(gz, buf, (unsigned)cap);
		gzclose(gz);
	} else {
		f = fopen(path, "rb");
		n = fread(buf, 1, cap, f);
		fclose(f);
		if (strstr(path, ".zst") != NULL) {
			uint8_t *out = malloc(cap);
			r = ZSTD_decompress(out, cap, buf, n);
			free(buf);
			buf = out;
			n = ZSTD_isError(r) ? 0 : r;
		}
	}
	*len = n;
	return buf;
}

/* Packets in a pcap image (nanosecond, our byte order), or -1. */
static int
count_packets(const uint8_t *p, size_t n, uint32_t *linktype)
{
	uint32_t v, cap;
	size_t off = 24;
	int k = 0;

	if (n < 24)
		return -1;
	memcpy(&v, p, 4);
	if (v != 0xa1b23c4d)
		return -1;
	memcpy(linktype, p + 20, 4);
	while (off + 16 <= n) {
		memcpy(&cap, p + off + 8, 4);
		off += 16 + cap;
		k++;
	}
	return off == n ? k : -1;
}

/*
 * arconn_prefetch() is a hint and arconn_admit_hashed() arconn_admit()
 * with the hash given: two tables fed the same packets, one with them
 * (prefetching keys ahead, present or not, through evictions), give the
 * same verdicts and counts.
 */
static void
test_prefetch(void)
{
	struct arconn_config c = { 0 };
	struct arconn_verdict va, vb;
	struct arconn_stats sa, sb;
	struct arconn_key k[64];
	struct arconn *a, *b;
	int i, j, same = 1;

	c.cutoff_bytes = 120;		/* the third packet in a row is cut */
	c.idle_ns = 5 * NS;
	c.max_conns = 40;		/* evictions too */
	a = arconn_new(&c);
	b = arconn_new(&c);
	for (i = 0; i < 64; i++)
		key4(&k[i], i, 1000 + i, 200, 80, i % 3 ? 6 : 17, 0);
	for (i = 0; i < 5000; i++) {
		const struct arconn_key *x = &k[(i / 3 * 7 + i / 192) % 64];
		int64_t t = T0 + (int64_t)i * (NS / 500);

		for (j = 1; j <= 8; j++) {
			uint64_t h = arconn_hash(&k[(i + j * 5) % 64]);

			arconn_prefetch(b, h, 0);
			arconn_prefetch(b, h, 1);
		}
		arconn_admit(a, x, t, 60, &va);
		arconn_admit_hashed(b, x, arconn_hash(x), t, 60, &vb);
		if (va.keep != vb.keep || va.fresh != vb.fresh ||
		    va.id != vb.id || va.start_ns != vb.start_ns)
			same = 0;
	}
	ok(same, "the same 5000 verdicts with prefetching and a given hash");
	arconn_get_stats(a, &sa);
	arconn_get_stats(b, &sb);
	ok(memcmp(&sa, &sb, sizeof sa) == 0 && sa.evicted > 0 && sa.cut > 0,
	    "the same counts (%llu evicted, %llu cut)",
	    (unsigned long long)sa.evicted, (unsigned long long)sa.cut);
	arconn_free(a);
	arconn_free(b);
}

static void
test_pcapout(int compress)
{
	struct pcapout_config pc = { 0 };
	struct pcapout_stats st;
	struct pcapout *po;
	char dir[256], names[16][512], want[512];
	uint8_t frame[100] = { 0 }, *img;
	uint32_t lt = 0;
	size_t len;
	int n, i, total = 0;
	const char *ext = pcapout_ext(compress);

	snprintf(dir, sizeof dir, "%s/po%d/cap0", tmpdir, compress);
	pc.dir = dir;
	pc.iface = "cap0";
	pc.compress = compress;
	pc.snaplen = 65535;
	pc.rotate_ns = 60 * NS;
	po = pcapout_new(&pc);
	/* 1700000000 is 22:13:20; its period of 60 s began at 22:13:00. */
	for (i = 0; i < 10; i++)
		pcapout_write(po, T0 + i * NS, 1, frame, sizeof frame, 1500);
	n = list_files(dir, names, 16, 0);
	ok(n == 1 && strstr(names[0], ".tmp") != NULL, "%s: the open file is "
	    "a .tmp", ext);
	pcapout_write(po, T0 + 5 * NS, 1, frame, 60, 60);  /* out of order */
	pcapout_write(po, T0 + 40 * NS, 1, frame, 60, 60); /* next period */
	pcapout_write(po, T0 + 41 * NS, 101, frame, 60, 60); /* raw IP */
	pcapout_clock(po, T0 + 100 * NS);	/* that period is over */
	pcapout_write(po, T0 + 3600 * NS, 1, frame, 60, 60);
	pcapout_free(po);
	n = list_files(dir, names, 16, 0);
	is_int(n, 4, "%s: four files", ext);
	snprintf(want, sizeof want, "%s/2023/11/14/cap0-2023-11-14T22-13-00%s",
	    dir, ext);
	is_str(names[0], want, "%s: named by the period's start", ext);
	for (i = 0; i < n && i < 4; i++) {
		img = slurp(names[i], &len);
		total += count_packets(img, len, &lt);
		if (strstr(names[i], "T22-14-00-1") != NULL)
			ok(lt == 101, "%s: another link type, another file "
			    "(%s)", ext, names[i]);
		free(img);
	}
	is_int(total, 14, "%s: every packet read back", ext);
	po = pcapout_new(&pc);
	pcapout_get_stats(po, &st);
	pcapout_free(po);
	(void)st;
}

static void
test_retention(void)
{
	struct pcapout_config pc = { 0 };
	struct pcapout_stats st;
	struct pcapout *po;
	char dir[256], names[64][512];
	uint8_t frame[1000] = { 0 };
	int i, n;

	snprintf(dir, sizeof dir, "%s/ret/cap0", tmpdir);
	pc.dir = dir;
	pc.iface = "cap0";
	pc.snaplen = 65535;
	pc.rotate_ns = 3600 * NS;
	pc.keep_days = 2;
	po = pcapout_new(&pc);
	/* One file a day for five days. */
	for (i = 0; i < 5; i++)
		pcapout_write(po, T0 + i * 86400 * NS, 1, frame, 1000, 1000);
	pcapout_free(po);
	n = list_files(dir, names, 64, 0);
	ok(n == 2 && strstr(names[0], "2023-11-17T") != NULL,
	    "keep_days=2: the last two days kept (%d)", n);

	pc.keep_days = 0;
	pc.max_bytes = 2500;
	po = pcapout_new(&pc);
	for (i = 5; i < 9; i++)
		pcapout_write(po, T0 + i * 86400 * NS, 1, frame, 1000, 1000);
	pcapout_close(po);
	pcapout_get_stats(po, &st);
	pcapout_free(po);
	n = list_files(dir, names, 64, 0);
	ok(n == 2 && strstr(names[1], "2023-11-22T") != NULL,
	    "max_bytes=2500: two files of 1040 bytes kept (%d)", n);
	ok(st.disk_bytes <= 2500, "bytes on disk %llu",
	    (unsigned long long)st.disk_bytes);
}

static void
feed(struct archive *ar, int n, int vlan)
{
	uint8_t frame[200];
	struct parse_input in;
	struct parse_packet pkt;
	struct ingest_packet ip;
	int i;

	memset(frame, 0, sizeof frame);
	frame[12] = 0x08;
	frame[14] = 0x45;
	frame[16] = 0;
	frame[17] = 186;
	frame[23] = 17;
	memset(&in, 0, sizeof in);
	in.data = frame;
	in.caplen = sizeof frame;
	in.wirelen = sizeof frame;
	in.linktype = PARSE_LINK_ETHERNET;
	in.has_vlan_tci = vlan > 0;
	in.vlan_tci = (uint16_t)vlan;
	for (i = 0; i < n; i++) {
		frame[26 + 4] = (uint8_t)i;	/* a connection each */
		frame[29] = (uint8_t)(i >> 8);
		memset(&ip, 0, sizeof ip);
		ip.frame = &in;
		ip.time_ns = T0 + i;
		ip.verdict = parse_frame(&in, &pkt) ;
		ip.pkt = &pkt;
		archive_hook(ar, &ip);
	}
	ip.verdict = PARSE_NOTIP_ETHERTYPE;
	ip.pkt = NULL;
	archive_hook(ar, &ip);
}

static void
test_queue(void)
{
	struct conf_archive ca = { 0 };
	struct archive_config ac = { 0 };
	struct archive_stats st;
	struct archive *ar;
	char path[256], names[8][512];
	uint8_t *img;
	size_t len;
	uint32_t lt = 0;
	int n;

	snprintf(path, sizeof path, "%s/q", tmpdir);
	ca.path = path;
	ca.rotate = 60;
	ca.snaplen = 65535;
	ca.idle_timeout = 60;
	ac.conf = &ca;
	ac.iface = "cap0";
	ac.block = 0;
	ac.queue_bytes = 128;
	ok(archive_new(&ac, &ar, NULL) == 0, "an archive with a queue too "
	    "small for a packet");
	feed(ar, 1000, 0);
	archive_free_stats(ar, &st);
	ok(st.dropped == 1000 && st.archived == 1000 && st.file_packets == 0,
	    "not blocking: every packet dropped and counted (%llu)",
	    (unsigned long long)st.dropped);
	is_int(st.frames, 1001, "every frame seen");
	is_int(st.packets, 1000, "the frame not IP is no packet");

	snprintf(path, sizeof path, "%s/qb", tmpdir);
	ac.block = 1;
	ac.queue_bytes = 4096;
	ok(archive_new(&ac, &ar, NULL) == 0, "a blocking one of 4 KiB");
	feed(ar, 1000, 5);
	archive_free_stats(ar, &st);
	ok(st.dropped == 0 && st.file_packets == 1000, "blocking: none dropped, "
	    "the ring wrapped 50 times");
	snprintf(path, sizeof path, "%s/qb/cap0", tmpdir);
	n = list_files(path, names, 8, 0);
	img = n == 1 ? slurp(names[0], &len) : NULL;
	ok(img != NULL && count_packets(img, len, &lt) == 1000 &&
	    len == 24 + 1000 * (16 + 204) && img[24 + 16 + 12] == 0x81 &&
	    img[24 + 16 + 15] == 5 && img[24 + 16 + 16] == 0x08,
	    "the VLAN tag the kernel took off is back in every frame");
	free(img);
}

static unsigned
ip_sum(const uint8_t *p, int n)
{
	unsigned s = 0;
	int i;

	for (i = 0; i < n; i += 2)
		s += (unsigned)p[i] << 8 | p[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s;
}

static void
test_anon(void)
{
	uint8_t f[64], want[64];
	struct parse_packet p;
	static const uint8_t v4[] = {
		0x45, 0, 0, 40, 0x12, 0x34, 0x40, 0, 64, 6, 0, 0,
		192, 0, 2, 77, 198, 51, 100, 200
	};

	memset(f, 0xee, sizeof f);
	memcpy(f + 14, v4, sizeof v4);
	memcpy(want, f, sizeof f);
	want[14 + 15] = 0;
	want[14 + 19] = 0;
	anon_frame(f, sizeof f, 14, 4);
	ok(f[29] == 0 && f[33] == 0 && f[28] == 2 && f[32] == 100,
	    "IPv4: the /24 kept, the host byte zeroed");
	is_int(ip_sum(f + 14, 20), 0xffff, "IPv4: the header sum is right");
	ok(memcmp(f + 34, want + 34, 30) == 0 && memcmp(f, want, 14) == 0,
	    "IPv4: nothing else touched");
	memset(f, 0xaa, sizeof f);
	anon_frame(f, 30, 14, 4);
	ok(f[29] == 0 && f[30] == 0xaa, "IPv4 cut short: what was captured");

	memset(f, 0xaa, sizeof f);
	anon_frame(f, 54, 0, 6);
	ok(f[8] == 0xaa && f[15] == 0xaa && f[16] == 0 && f[23] == 0 &&
	    f[24] == 0xaa && f[31] == 0xaa && f[32] == 0 && f[39] == 0 &&
	    f[40] == 0xaa, "IPv6: the /64s kept, the interface ids zeroed");

	memset(&p, 0xaa, sizeof p);
	p.family = 4;
	memset(p.src + 4, 0, 12);
	memset(p.dst + 4, 0, 12);
	anon_packets(NULL, &p, 1);
	ok(p.src[2] == 0xaa && p.src[3] == 0 && p.dst[3] == 0,
	    "the rewrite hook: parsed IPv4 addresses");
	memset(&p, 0xaa, sizeof p);
	p.family = 6;
	anon_packets(NULL, &p, 1);
	ok(p.src[7] == 0xaa && p.src[8] == 0 && p.dst[15] == 0,
	    "the rewrite hook: parsed IPv6 addresses");
}

int
main(void)
{
	char cmd[300];

	if (mkdtemp(tmpdir) == NULL)
		return 99;
	test_cutoff();
	test_prefetch();
	test_pcapout(CONF_COMPRESS_NONE);
	test_pcapout(CONF_COMPRESS_GZIP);
	test_pcapout(CONF_COMPRESS_ZSTD);
	test_retention();
	test_queue();
	test_anon();
	snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		return 99;
	return tap_done();
}
