/*
 * pcapout.c - an interface's archive files (see pcapout.h).
 *
 * Records are gathered in buf (OUTBUF bytes) and handed to the file's
 * encoder when it fills: written as they are, or through zlib's deflate
 * with a gzip wrapper, or zstd's streaming compressor, into zbuf and from
 * there to the file descriptor.  Closing ends the stream, closes the
 * descriptor and renames <name>.tmp to <name>; a file whose writes failed
 * is removed instead.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>
#include <zstd.h>

#include "conf.h"
#include "pcapout.h"
#include "util.h"

#define OUTBUF		(256 * 1024)
#define ZBUF		(256 * 1024)
#define NS		1000000000LL
#define GZIP_LEVEL	1
#define ZSTD_LEVEL	1

struct pcapout {
	struct pcapout_config cfg;
	char		*dir;
	char		*iface;
	struct pcapout_stats st;

	int		 fd;		/* -1: no open file */
	int		 failed;	/* a write failed: the file goes */
	int		 linktype;
	int64_t		 period;	/* of the open file */
	int64_t		 latest_ns;	/* the latest packet time seen */
	char		*name;		/* final path of the open file */
	char		*tmp;
	uint64_t	 packets;	/* in the open file */
	uint64_t	 written;	/* bytes written to it */

	uint8_t		*buf;
	size_t		 nbuf;
	uint8_t		*zbuf;
	z_stream	 gz;
	int		 gz_open;
	ZSTD_CCtx	*zs;
};

const char *
pcapout_ext(int compress)
{
	switch (compress) {
	case CONF_COMPRESS_GZIP:
		return ".pcap.gz";
	case CONF_COMPRESS_ZSTD:
		return ".pcap.zst";
	default:
		return ".pcap";
	}
}

struct pcapout *
pcapout_new(const struct pcapout_config *cfg)
{
	struct pcapout *po = util_calloc(1, sizeof *po);

	po->cfg = *cfg;
	po->dir = util_strdup(cfg->dir);
	po->iface = util_strdup(cfg->iface);
	po->cfg.dir = po->dir;
	po->cfg.iface = po->iface;
	po->fd = -1;
	po->latest_ns = INT64_MIN;
	po->buf = util_malloc(OUTBUF);
	po->zbuf = util_malloc(ZBUF);
	return po;
}

static int
write_all(int fd, const uint8_t *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void
out_fail(struct pcapout *po, int err, const char *what)
{
	if (po->failed)
		return;
	po->failed = err ? err : -EIO;
	po->st.write_errors++;
	log_error("archive: %s: %s: %s; this file's packets are lost",
	    po->tmp, what, strerror(-po->failed));
}

/* Hand what is in buf to the encoder; end the stream when last. */
static void
out_flush(struct pcapout *po, int last)
{
	ZSTD_inBuffer in;
	ZSTD_outBuffer out;
	size_t left;
	int rc, zr;

	if (po->failed)
		goto done;
	switch (po->cfg.compress) {
	case CONF_COMPRESS_GZIP:
		po->gz.next_in = po->buf;
		po->gz.avail_in = (uInt)po->nbuf;
		do {
			po->gz.next_out = po->zbuf;
			po->gz.avail_out = ZBUF;
			zr = deflate(&po->gz, last ? Z_FINISH : Z_NO_FLUSH);
			if (zr == Z_STREAM_ERROR) {
				out_fail(po, -EIO, "deflate");
				goto done;
			}
			if ((rc = write_all(po->fd, po->zbuf,
			    ZBUF - po->gz.avail_out)) != 0) {
				out_fail(po, rc, "write");
				goto done;
			}
			po->written += ZBUF - po->gz.avail_out;
		} while (po->gz.avail_out == 0 || (last && zr != Z_STREAM_END));
		break;
	case CONF_COMPRESS_ZSTD:
		in.src = po->buf;
		in.size = po->nbuf;
		in.pos = 0;
		do {
			out.dst = po->zbuf;
			out.size = ZBUF;
			out.pos = 0;
			left = ZSTD_compressStream2(po->zs, &out, &in,
			    last ? ZSTD_e_end : ZSTD_e_continue);
			if (ZSTD_isError(left)) {
				out_fail(po, -EIO, ZSTD_getErrorName(left));
				goto done;
			}
			if ((rc = write_all(po->fd, po->zbuf, out.pos)) != 0) {
				out_fail(po, rc, "write");
				goto done;
			}
			po->written += out.pos;
		} while (in.pos < in.size || (last && left != 0));
		break;
	default:
		if ((rc = write_all(po->fd, po->buf, po->nbuf)) != 0) {
			out_fail(po, rc, "write");
			goto done;
		}
		po->written += po->nbuf;
		break;
	}
done:
	po->nbuf = 0;
}

static void
out_put(struct pcapout *po, const void *p, size_t n)
{
	const uint8_t *s = p;
	size_t k;

	while (n > 0) {
		if (po->nbuf == OUTBUF)
			out_flush(po, 0);
		k = OUTBUF - po->nbuf;
		if (k > n)
			k = n;
		memcpy(po->buf + po->nbuf, s, k);
		po->nbuf += k;
		s += k;
		n -= k;
	}
}

/* ----------------------------------------------------------- retention */

struct rfile {
	char		*path;
	char		*base;		/* within path */
	uint64_t	 size;
};

struct rlist {
	struct rfile	*f;
	size_t		 n, cap;
};

static int
is_archive_name(const struct pcapout *po, const char *name)
{
	size_t n = strlen(name), li = strlen(po->iface);
	static const char *exts[] = { ".pcap", ".pcap.gz", ".pcap.zst" };
	size_t i, e;

	if (strncmp(name, po->iface, li) != 0 || name[li] != '-')
		return 0;
	for (i = 0; i < 3; i++) {
		e = strlen(exts[i]);
		if (n > e && strcmp(name + n - e, exts[i]) == 0)
			return 1;
	}
	return 0;
}

static void
collect(const struct pcapout *po, const char *dir, int depth, struct rlist *l)
{
	struct dirent *d;
	struct stat sb;
	char *p;
	DIR *dp;

	if ((dp = opendir(dir)) == NULL)
		return;
	while ((d = readdir(dp)) != NULL) {
		if (d->d_name[0] == '.')
			continue;
		p = util_printf("%s/%s", dir, d->d_name);
		if (lstat(p, &sb) != 0) {
			free(p);
			continue;
		}
		if (S_ISDIR(sb.st_mode) && depth < 3) {
			collect(po, p, depth + 1, l);
			free(p);
		} else if (S_ISREG(sb.st_mode) && depth == 3 &&
		    is_archive_name(po, d->d_name)) {
			if (l->n == l->cap) {
				l->cap = l->cap ? l->cap * 2 : 64;
				l->f = util_realloc(l->f, l->cap, sizeof *l->f);
			}
			l->f[l->n].path = p;
			l->f[l->n].base = p + strlen(p) - strlen(d->d_name);
			l->f[l->n].size = (uint64_t)sb.st_size;
			l->n++;
		} else
			free(p);
	}
	closedir(dp);
}

static int
rfile_cmp(const void *a, const void *b)
{
	return strcmp(((const struct rfile *)a)->base,
	    ((const struct rfile *)b)->base);
}

/* Remove a file, then its day, month and year directories once empty. */
static void
remove_file(struct pcapout *po, const char *path)
{
	char *d = util_strdup(path), *slash;
	int i;

	if (unlink(path) != 0) {
		log_warn("archive: cannot remove %s: %s", path,
		    strerror(errno));
		free(d);
		return;
	}
	po->st.removed++;
	for (i = 0; i < 3 && (slash = strrchr(d, '/')) != NULL; i++) {
		*slash = '\0';
		if (rmdir(d) != 0)
			break;
	}
	free(d);
}

static void
retention(struct pcapout *po)
{
	struct rlist l = { NULL, 0, 0 };
	char day[16], first[16];
	uint64_t total = 0;
	size_t i, li = strlen(po->iface);
	int64_t t;

	collect(po, po->dir, 0, &l);
	if (l.n > 0)	/* (qsort must not be given NULL) */
		qsort(l.f, l.n, sizeof *l.f, rfile_cmp);
	for (i = 0; i < l.n; i++)
		total += l.f[i].size;
	first[0] = '\0';
	if (po->cfg.keep_days > 0 && po->latest_ns != INT64_MIN) {
		t = po->latest_ns / NS - (int64_t)(po->cfg.keep_days - 1) *
		    86400;
		util_utc_day(t, first, sizeof first);
	}
	for (i = 0; i < l.n; i++) {
		/* The name's date: <iface>-YYYY-MM-DD... */
		memcpy(day, l.f[i].base + li + 1, 10);
		day[10] = '\0';
		if ((first[0] != '\0' && strcmp(day, first) < 0) ||
		    (po->cfg.max_bytes > 0 && total > po->cfg.max_bytes &&
		    i + 1 < l.n)) {
			remove_file(po, l.f[i].path);
			total -= l.f[i].size;
		}
		free(l.f[i].path);
	}
	free(l.f);
	po->st.disk_bytes = total;
}

/* --------------------------------------------------------------- files */

static void
file_close(struct pcapout *po)
{
	if (po->fd < 0)
		return;
	out_flush(po, 1);
	if (close(po->fd) != 0)
		out_fail(po, -errno, "close");
	po->fd = -1;
	if (po->gz_open) {
		deflateEnd(&po->gz);
		po->gz_open = 0;
	}
	if (po->failed) {
		po->st.lost += po->packets;
		(void)unlink(po->tmp);
	} else if (rename(po->tmp, po->name) != 0) {
		out_fail(po, -errno, "rename");
		po->st.lost += po->packets;
		(void)unlink(po->tmp);
	} else {
		po->st.files++;
		po->st.packets += po->packets;
		po->st.bytes += po->written;
	}
	free(po->name);
	free(po->tmp);
	po->name = po->tmp = NULL;
	retention(po);
}

static int
file_open(struct pcapout *po, int64_t time_ns, int linktype)
{
	int64_t period = time_ns / po->cfg.rotate_ns;
	time_t start;
	struct tm tm;
	char day[16], stamp[32];
	char *dir;
	struct {
		uint32_t magic;
		uint16_t major, minor;
		int32_t	 zone;
		uint32_t sigfigs, snaplen, linktype;
	} hdr;
	int rc, n;

	if (time_ns < 0 && time_ns % po->cfg.rotate_ns != 0)
		period--;
	start = (time_t)(period * (po->cfg.rotate_ns / NS));
	gmtime_r(&start, &tm);
	strftime(day, sizeof day, "%Y/%m/%d", &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H-%M-%S", &tm);
	dir = util_printf("%s/%s", po->dir, day);
	if ((rc = util_mkdir_p(dir)) != 0) {
		log_error("archive: cannot create %s: %s", dir, strerror(-rc));
		free(dir);
		return rc;
	}
	for (n = 0; ; n++) {
		free(po->name);
		if (n == 0)
			po->name = util_printf("%s/%s-%s%s", dir, po->iface,
			    stamp, pcapout_ext(po->cfg.compress));
		else
			po->name = util_printf("%s/%s-%s-%d%s", dir, po->iface,
			    stamp, n, pcapout_ext(po->cfg.compress));
		if (access(po->name, F_OK) != 0)
			break;
	}
	free(dir);
	po->tmp = util_printf("%s.tmp", po->name);
	po->fd = open(po->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (po->fd < 0) {
		rc = -errno;
		log_error("archive: cannot create %s: %s", po->tmp,
		    strerror(errno));
		free(po->name);
		free(po->tmp);
		po->name = po->tmp = NULL;
		return rc;
	}
	po->failed = 0;
	po->packets = 0;
	po->written = 0;
	po->nbuf = 0;
	po->period = period;
	po->linktype = linktype;
	if (po->cfg.compress == CONF_COMPRESS_GZIP) {
		memset(&po->gz, 0, sizeof po->gz);
		if (deflateInit2(&po->gz, GZIP_LEVEL, Z_DEFLATED, 15 + 16, 8,
		    Z_DEFAULT_STRATEGY) != Z_OK)
			out_fail(po, -ENOMEM, "deflateInit2");
		else
			po->gz_open = 1;
	} else if (po->cfg.compress == CONF_COMPRESS_ZSTD) {
		if (po->zs == NULL)
			po->zs = ZSTD_createCCtx();
		if (po->zs == NULL)
			out_fail(po, -ENOMEM, "ZSTD_createCCtx");
		else {
			ZSTD_CCtx_reset(po->zs, ZSTD_reset_session_only);
			ZSTD_CCtx_setParameter(po->zs, ZSTD_c_compressionLevel,
			    ZSTD_LEVEL);
		}
	}
	/* The pcap file header, nanosecond times, in our byte order. */
	hdr.magic = 0xa1b23c4d;
	hdr.major = 2;
	hdr.minor = 4;
	hdr.zone = 0;
	hdr.sigfigs = 0;
	hdr.snaplen = po->cfg.snaplen;
	hdr.linktype = (uint32_t)linktype;
	out_put(po, &hdr, sizeof hdr);
	return 0;
}

int
pcapout_write(struct pcapout *po, int64_t time_ns, int linktype,
    const uint8_t *data, uint32_t caplen, uint32_t wirelen)
{
	int64_t period = time_ns / po->cfg.rotate_ns;
	uint32_t rec[4];
	int rc;

	if (time_ns < 0 && time_ns % po->cfg.rotate_ns != 0)
		period--;
	if (time_ns > po->latest_ns)
		po->latest_ns = time_ns;
	if (po->fd >= 0 && (period > po->period || linktype != po->linktype))
		file_close(po);
	if (po->fd < 0 && (rc = file_open(po, time_ns, linktype)) != 0) {
		po->st.lost++;
		return rc;
	}
	if (po->failed) {
		po->packets++;
		return po->failed;
	}
	rec[0] = (uint32_t)(time_ns / NS);
	rec[1] = (uint32_t)(time_ns % NS);
	rec[2] = caplen;
	rec[3] = wirelen;
	out_put(po, rec, sizeof rec);
	out_put(po, data, caplen);
	po->packets++;
	return 0;
}

void
pcapout_clock(struct pcapout *po, int64_t now_ns)
{
	if (po->fd >= 0 && now_ns / po->cfg.rotate_ns > po->period)
		file_close(po);
}

void
pcapout_close(struct pcapout *po)
{
	file_close(po);
}

void
pcapout_get_stats(const struct pcapout *po, struct pcapout_stats *st)
{
	*st = po->st;
}

void
pcapout_free(struct pcapout *po)
{
	if (po == NULL)
		return;
	file_close(po);
	if (po->zs != NULL)
		ZSTD_freeCCtx(po->zs);
	free(po->buf);
	free(po->zbuf);
	free(po->dir);
	free(po->iface);
	free(po);
}
