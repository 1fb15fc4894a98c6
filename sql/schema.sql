-- schema.sql - one flowrec day file: <db_path>/<iface>/<iface>-YYYY-MM-DD.db
--
-- Created by flowrecd's store (src/store.c) when it first writes a bin of a
-- UTC day; read by flowq and by anyone with sqlite3.  Schema version 2
-- (PRAGMA user_version); later versions add numbered files in sql/ that
-- migrate a version N-1 file to N.  man/flowrec-schema.5 documents it.
--
-- Design (the measurements behind it are in doc/storage.md):
--  * flow_rows, one row per (bin, flow), is the only table that grows with
--    traffic, so it is as narrow as SQLite allows: the bin start and a flow
--    key id, clustered on (ts, key) so that each bin is appended at the end
--    of the b-tree and never scatters writes over older pages.
--  * A flow key (sip, dip, dport, proto, vlan) is stored once per day in
--    flow_keys, and an address once per day in addrs, with its text form.
--    The secondary indexes live on these small tables, not on the rows.
--  * The view `flows` joins them back into the user-facing relation.
--  * bins holds the interface's counters for each bin, so a gap is visible
--    and `flowq list` never scans flows.

CREATE TABLE meta (
	name	TEXT PRIMARY KEY,
	value	NOT NULL
) WITHOUT ROWID;

-- Every address seen this day; ip is 4 (IPv4) or 16 (IPv6) bytes in
-- network order, text its inet_ntop form (RFC 5952 for IPv6).
CREATE TABLE addrs (
	id	INTEGER PRIMARY KEY,
	ip	BLOB NOT NULL UNIQUE,
	text	TEXT NOT NULL UNIQUE
);

-- Every flow key seen this day.  sip/dip are addrs ids.
CREATE TABLE flow_keys (
	id	INTEGER PRIMARY KEY,
	sip	INTEGER NOT NULL,
	dip	INTEGER NOT NULL,
	dport	INTEGER NOT NULL,
	proto	INTEGER NOT NULL,
	vlan	INTEGER NOT NULL,
	UNIQUE (sip, dip, dport, proto, vlan)
);
CREATE INDEX flow_keys_dip ON flow_keys (dip);
CREATE INDEX flow_keys_proto_dport ON flow_keys (proto, dport);

-- The counters of one flow key in one bin.  A bin written twice (an early
-- write, a restart) adds to the existing row.
CREATE TABLE flow_rows (
	ts		INTEGER NOT NULL,
	key		INTEGER NOT NULL,
	bytes_rcvd	INTEGER NOT NULL,
	bytes_sent	INTEGER NOT NULL,
	pkts_rcvd	INTEGER NOT NULL,
	pkts_sent	INTEGER NOT NULL,
	PRIMARY KEY (ts, key)
) WITHOUT ROWID;

-- The interface's counters for each bin (summed over its writes).
CREATE TABLE bins (
	ts		INTEGER PRIMARY KEY,	-- bin start, Unix seconds
	interval	INTEGER NOT NULL,	-- bin length, seconds
	writes		INTEGER NOT NULL DEFAULT 0, -- transactions into this bin
	packets		INTEGER NOT NULL DEFAULT 0, -- frames seen
	ip		INTEGER NOT NULL DEFAULT 0, -- counted into flows
	non_ip		INTEGER NOT NULL DEFAULT 0,
	malformed	INTEGER NOT NULL DEFAULT 0,
	flows		INTEGER NOT NULL DEFAULT 0, -- rows of this bin
	flows_v4	INTEGER NOT NULL DEFAULT 0,
	flows_v6	INTEGER NOT NULL DEFAULT 0,
	bytes_rcvd	INTEGER NOT NULL DEFAULT 0, -- sums over the rows
	bytes_sent	INTEGER NOT NULL DEFAULT 0,
	pkts_rcvd	INTEGER NOT NULL DEFAULT 0,
	pkts_sent	INTEGER NOT NULL DEFAULT 0,
	conn_overflow	INTEGER NOT NULL DEFAULT 0,
	frag_evicted	INTEGER NOT NULL DEFAULT 0,
	early_writes	INTEGER NOT NULL DEFAULT 0,
	kernel_packets	INTEGER NOT NULL DEFAULT 0, -- live capture only
	kernel_drops	INTEGER NOT NULL DEFAULT 0,
	kernel_freezes	INTEGER NOT NULL DEFAULT 0
);

-- Rollups (version 2): the sums of flow_rows per key over each hour and
-- over the day, built by the store when the hour or the day is over.  A
-- (span, ts) row in rollups says that rollup is complete: it then equals
-- the sums of the rows it covers.  Anything not listed is read from
-- flow_rows.
CREATE TABLE flow_rows_1h (
	ts		INTEGER NOT NULL,	-- the hour's first second
	key		INTEGER NOT NULL,
	bytes_rcvd	INTEGER NOT NULL,
	bytes_sent	INTEGER NOT NULL,
	pkts_rcvd	INTEGER NOT NULL,
	pkts_sent	INTEGER NOT NULL,
	PRIMARY KEY (ts, key)
) WITHOUT ROWID;
CREATE TABLE flow_rows_1d (
	ts		INTEGER NOT NULL,	-- the day's first second
	key		INTEGER NOT NULL,
	bytes_rcvd	INTEGER NOT NULL,
	bytes_sent	INTEGER NOT NULL,
	pkts_rcvd	INTEGER NOT NULL,
	pkts_sent	INTEGER NOT NULL,
	PRIMARY KEY (ts, key)
) WITHOUT ROWID;
CREATE TABLE rollups (
	span	INTEGER NOT NULL,	-- 3600 or 86400
	ts	INTEGER NOT NULL,
	rows	INTEGER NOT NULL,
	PRIMARY KEY (span, ts)
) WITHOUT ROWID;

-- Frames skipped in a bin, by reason (parse_reason_name()).
CREATE TABLE bin_skips (
	ts	INTEGER NOT NULL,
	reason	TEXT NOT NULL,
	packets	INTEGER NOT NULL,
	PRIMARY KEY (ts, reason)
) WITHOUT ROWID;

-- The user-facing relation: one row per (bin, flow key), addresses as text.
CREATE VIEW flows (ts, sip, dip, dport, proto, vlan,
    bytes_rcvd, bytes_sent, pkts_rcvd, pkts_sent) AS
SELECT r.ts, s.text, d.text, k.dport, k.proto, k.vlan,
       r.bytes_rcvd, r.bytes_sent, r.pkts_rcvd, r.pkts_sent
  FROM flow_rows AS r
  JOIN flow_keys AS k ON k.id = r.key
  JOIN addrs AS s ON s.id = k.sip
  JOIN addrs AS d ON d.id = k.dip;
