/*
 * fuzz_capfile.c - libFuzzer target for the capture-file reader: the
 * input is a whole pcap or pcapng file.
 *
 * Built two ways: with -fsanitize=fuzzer as tests/fuzz/fuzz_capfile
 * (configure --enable-fuzzing CC=clang), and with tests/fuzz/replay.c as
 * tests/fuzz/replay_capfile, which `make check` runs over
 * tests/corpus/capfile.
 *
 * Reads every record with capfile_open_mem() and hands each readable one
 * to parse_frame(), as flowrecd --read does.  Besides not crashing, the
 * reader must keep the promises of capfile.h: records lie inside the
 * input, every record moves the offset forward (so reading ends), a record
 * without time is a bad one, a refused file says why; read again in
 * batches (capfile_next_batch()) it gives the same records and end.  A
 * broken one aborts.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "capfile.h"
#include "parse.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_fail(const char *what)
{
	fprintf(stderr, "fuzz_capfile: broken promise: %s\n", what);
	abort();
}

/* capfile_next_batch() gives the records capfile_next() gave, in order. */
static void
fuzz_check_batches(const uint8_t *data, size_t size,
    const struct capfile_record *want, size_t nwant, enum capfile_status end)
{
	struct capfile_record	 recs[5];
	struct capfile		*cf;
	enum capfile_status	 st;
	size_t			 got, i, n = 0, max = 1;
	char			*cause = NULL;

	if ((cf = capfile_open_mem(data, size, &cause)) == NULL)
		fuzz_fail("a file opens twice the same way");
	while ((got = capfile_next_batch(cf, recs, max, &st)) > 0) {
		if (got > max || st != CAPFILE_RECORD || n + got > nwant)
			fuzz_fail("a batch holds at most max records");
		for (i = 0; i < got; i++, n++)
			if (recs[i].data != want[n].data ||
			    recs[i].caplen != want[n].caplen ||
			    recs[i].wirelen != want[n].wirelen ||
			    recs[i].linktype != want[n].linktype ||
			    recs[i].bad != want[n].bad ||
			    recs[i].has_time != want[n].has_time ||
			    recs[i].outbound != want[n].outbound ||
			    recs[i].time_ns != want[n].time_ns)
				fuzz_fail("a batch gives capfile_next()'s records");
		max = max % 5 + 1;
	}
	if (n != nwant || st != end)
		fuzz_fail("batches end where capfile_next() ends");
	capfile_close(cf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct capfile		*cf;
	struct capfile_record	 rec;
	struct parse_input	 in;
	struct parse_packet	 pkt;
	enum capfile_status	 st;
	char			*cause = NULL;
	uint64_t		 offset = 0, now;
	struct capfile_record	*all = NULL, *more;
	size_t			 nall = 0;

	if ((cf = capfile_open_mem(data, size, &cause)) == NULL) {
		if (cause == NULL || *cause == '\0')
			fuzz_fail("a refused file has a cause");
		free(cause);
		return 0;
	}
	if (capfile_size(cf) != size)
		fuzz_fail("size is the input's");
	while ((st = capfile_next(cf, &rec)) == CAPFILE_RECORD) {
		if ((more = realloc(all, (nall + 1) * sizeof *all)) == NULL)
			abort();
		all = more;
		all[nall++] = rec;
		now = capfile_offset(cf);
		if (now <= offset || now > size)
			fuzz_fail("each record moves the offset forward");
		offset = now;
		if (rec.caplen > 0 && (rec.data < data ||
		    rec.caplen > size || rec.data > data + size - rec.caplen))
			fuzz_fail("a record lies inside the input");
		if (!rec.has_time && !rec.bad)
			fuzz_fail("a record without time is bad");
		if (rec.bad || rec.linktype < 0)
			continue;
		if (rec.linktype > 0xffff)
			fuzz_fail("a link type is 16 bits");
		in.data = rec.data;
		in.caplen = rec.caplen;
		in.wirelen = rec.wirelen;
		in.linktype = (uint16_t)rec.linktype;
		in.outgoing = rec.outbound;
		in.has_vlan_tci = 0;
		in.vlan_tci = 0;
		(void)parse_frame(&in, &pkt);
	}
	if (st != CAPFILE_EOF && st != CAPFILE_CORRUPT)
		fuzz_fail("capfile_next() returns a capfile_status");
	if (st == CAPFILE_CORRUPT && *capfile_error(cf) == '\0')
		fuzz_fail("a corrupt file says why");
	if (capfile_next(cf, &rec) != st)
		fuzz_fail("the end status stays");
	capfile_close(cf);
	fuzz_check_batches(data, size, all, nall, st);
	free(all);
	return 0;
}
