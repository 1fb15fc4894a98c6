-- migrate-002.sql - schema version 1 -> 2: hourly and daily rollups.
--
-- Version 2 adds the sums of flow_rows per key over each hour and over the
-- day, which the store builds when an hour or the day is over, and which
-- flowq reads instead of the 12 or 288 bins they cover.  A version 1 file
-- gains the empty tables; its past hours are rolled up the next time the
-- store closes it.
CREATE TABLE flow_rows_1h (
	ts		INTEGER NOT NULL,
	key		INTEGER NOT NULL,
	bytes_rcvd	INTEGER NOT NULL,
	bytes_sent	INTEGER NOT NULL,
	pkts_rcvd	INTEGER NOT NULL,
	pkts_sent	INTEGER NOT NULL,
	PRIMARY KEY (ts, key)
) WITHOUT ROWID;
CREATE TABLE flow_rows_1d (
	ts		INTEGER NOT NULL,
	key		INTEGER NOT NULL,
	bytes_rcvd	INTEGER NOT NULL,
	bytes_sent	INTEGER NOT NULL,
	pkts_rcvd	INTEGER NOT NULL,
	pkts_sent	INTEGER NOT NULL,
	PRIMARY KEY (ts, key)
) WITHOUT ROWID;
CREATE TABLE rollups (
	span	INTEGER NOT NULL,
	ts	INTEGER NOT NULL,
	rows	INTEGER NOT NULL,
	PRIMARY KEY (span, ts)
) WITHOUT ROWID;
