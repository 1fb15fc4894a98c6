/*
 * qpcap.h - the packet archive's files that hold a query's rows: `flowq
 * ... --pcap` (issue 15).
 *
 * flowq runs the query with its rows split by time and interface (it adds
 * `time,iface` to the attributes and takes every row); qpcap_files() maps
 * each row's bin, [ts, ts + the bin's length), and interface to the
 * archive files of that interface (interfaces.NAME.archive.path in the
 * configuration) whose period overlaps it.  A file's period is read from
 * its name, <path>/<iface>/YYYY/MM/DD/<iface>-YYYY-MM-DDTHH-MM-SS[-N].pcap
 * (.gz, .zst; pcapout.c names them), and the archive's rotate.  A file
 * still being written (.tmp) is not listed: it appears once rotated.
 */
#ifndef FLOWREC_QPCAP_H
#define FLOWREC_QPCAP_H

#include <stddef.h>

#include "conf.h"
#include "qapi.h"

/*
 * The paths of the archive files holding x's rows (x run with the time
 * and iface attributes), sorted, each once.  bin_s is the length of a
 * row's bin when the query has no resolution of its own (the store's
 * interval).  Interfaces of the rows without an archive in c are named in
 * *missing (a comma list, NULL when none; caller frees).  Returns the
 * number of paths; caller frees *out with qstore_strv_free().
 */
size_t	qpcap_files(const struct conf *c, const struct qapi_query *x,
	    int64_t bin_s, char ***out, char **missing);

#endif
