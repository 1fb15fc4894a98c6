/*
 * hdrout.c - per-connection header files (see hdrout.h).
 *
 * The open files are a small array searched by id (at most HDROUT_OPEN,
 * each written through a buffered stdio stream); the one started the
 * longest ago is closed when a new one needs the room.  A packet for a
 * connection whose file was closed already (a table full, or a packet
 * out of order) is appended to the finished file, whose header is there.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hdrout.h"
#include "util.h"

#define NS	1000000000LL

struct hfile {
	uint64_t	 id;
	int64_t		 start_ns;
	FILE		*f;		/* NULL: a free slot */
	char		*name;
	char		*tmp;		/* NULL: appending to name */
	int		 failed;
};

struct hdrout {
	struct hdrout_config cfg;
	char		*dir;
	char		*iface;
	struct hfile	 open[HDROUT_OPEN];
	size_t		 nopen;
	struct hdrout_stats st;
};

struct hdrout *
hdrout_new(const struct hdrout_config *cfg)
{
	struct hdrout *h = util_calloc(1, sizeof *h);

	h->cfg = *cfg;
	h->dir = util_strdup(cfg->dir);
	h->iface = util_strdup(cfg->iface);
	return h;
}

static void
hfile_close(struct hdrout *h, struct hfile *hf)
{
	int bad = hf->failed;

	if (fclose(hf->f) != 0)
		bad = 1;
	if (hf->tmp != NULL && !bad && rename(hf->tmp, hf->name) != 0)
		bad = 1;
	if (bad) {
		log_error("archive: %s: cannot be written: %s", hf->name,
		    strerror(errno));
		if (hf->tmp != NULL)
			(void)unlink(hf->tmp);
	} else
		h->st.files++;
	free(hf->name);
	free(hf->tmp);
	memset(hf, 0, sizeof *hf);
	h->nopen--;
}

/* Open the file of connection id (a slot made free first if need be). */
static struct hfile *
hfile_open(struct hdrout *h, uint64_t id, int64_t start_ns, int linktype)
{
	struct hfile *hf = NULL;
	time_t start = (time_t)(start_ns / NS);
	struct {
		uint32_t magic;
		uint16_t major, minor;
		int32_t	 zone;
		uint32_t sigfigs, snaplen, linktype;
	} hdr;
	struct tm tm;
	char day[16], stamp[32];
	char *dir;
	size_t i;
	int rc;

	if (h->nopen == HDROUT_OPEN) {
		hf = &h->open[0];
		for (i = 1; i < HDROUT_OPEN; i++)
			if (h->open[i].start_ns < hf->start_ns)
				hf = &h->open[i];
		hfile_close(h, hf);
	}
	for (i = 0; i < HDROUT_OPEN; i++)
		if (h->open[i].f == NULL) {
			hf = &h->open[i];
			break;
		}
	gmtime_r(&start, &tm);
	strftime(day, sizeof day, "%Y/%m/%d", &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H-%M-%S", &tm);
	dir = util_printf("%s/%s", h->dir, day);
	if ((rc = util_mkdir_p(dir)) != 0) {
		log_error("archive: cannot create %s: %s", dir, strerror(-rc));
		free(dir);
		return NULL;
	}
	hf->name = util_printf("%s/%s-%s-%016llx.pcap", dir, h->iface, stamp,
	    (unsigned long long)id);
	free(dir);
	hf->id = id;
	hf->start_ns = start_ns;
	if (access(hf->name, F_OK) == 0) {
		hf->f = fopen(hf->name, "ae");
	} else {
		hf->tmp = util_printf("%s.tmp", hf->name);
		hf->f = fopen(hf->tmp, "we");
	}
	if (hf->f == NULL) {
		log_error("archive: cannot create %s: %s", hf->tmp ? hf->tmp :
		    hf->name, strerror(errno));
		free(hf->name);
		free(hf->tmp);
		memset(hf, 0, sizeof *hf);
		return NULL;
	}
	h->nopen++;
	if (hf->tmp != NULL) {
		hdr.magic = 0xa1b23c4d;
		hdr.major = 2;
		hdr.minor = 4;
		hdr.zone = 0;
		hdr.sigfigs = 0;
		hdr.snaplen = h->cfg.snaplen;
		hdr.linktype = (uint32_t)linktype;
		if (fwrite(&hdr, sizeof hdr, 1, hf->f) != 1)
			hf->failed = 1;
	}
	return hf;
}

int
hdrout_write(struct hdrout *h, uint64_t id, int64_t start_ns,
    int64_t time_ns, int linktype, const uint8_t *data, uint32_t caplen,
    uint32_t wirelen)
{
	struct hfile *hf = NULL;
	uint32_t rec[4];
	size_t i;

	for (i = 0; i < HDROUT_OPEN; i++)
		if (h->open[i].f != NULL && h->open[i].id == id) {
			hf = &h->open[i];
			break;
		}
	if (hf == NULL && (hf = hfile_open(h, id, start_ns, linktype)) ==
	    NULL) {
		h->st.errors++;
		return -EIO;
	}
	rec[0] = (uint32_t)(time_ns / NS);
	rec[1] = (uint32_t)(time_ns % NS);
	rec[2] = caplen;
	rec[3] = wirelen;
	if (fwrite(rec, sizeof rec, 1, hf->f) != 1 ||
	    fwrite(data, caplen, 1, hf->f) != 1) {
		hf->failed = 1;
		h->st.errors++;
		return -EIO;
	}
	h->st.packets++;
	return 0;
}

void
hdrout_clock(struct hdrout *h, int64_t now_ns)
{
	size_t i;

	for (i = 0; i < HDROUT_OPEN && h->nopen > 0; i++)
		if (h->open[i].f != NULL &&
		    now_ns - h->open[i].start_ns > h->cfg.duration_ns)
			hfile_close(h, &h->open[i]);
}

void
hdrout_close_all(struct hdrout *h)
{
	size_t i;

	for (i = 0; i < HDROUT_OPEN; i++)
		if (h->open[i].f != NULL)
			hfile_close(h, &h->open[i]);
}

void
hdrout_get_stats(const struct hdrout *h, struct hdrout_stats *st)
{
	*st = h->st;
}

void
hdrout_free(struct hdrout *h)
{
	if (h == NULL)
		return;
	hdrout_close_all(h);
	free(h->dir);
	free(h->iface);
	free(h);
}
