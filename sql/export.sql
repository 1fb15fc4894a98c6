-- export.sql - <db_path>/export.db: what each export destination was sent.
--
-- The store is the export's spool: bins wait in the day files until every
-- destination has them.  This small file, beside the interface
-- directories, is the durable cursor: one row per destination and bin
-- sent (or, for a destination without backfill, stored before it was
-- added).  Written by flowrecd's export threads (src/export_spool.c), one
-- small transaction per bin acknowledged, never by the store's writer;
-- the day files are only read.  Version 1 (PRAGMA user_version).
-- flowrec-schema(5) documents it.

-- Every destination ever configured, by name: "ipfix udp://HOST:PORT",
-- "clickhouse URL DATABASE.TABLE".
CREATE TABLE destinations (
	id		INTEGER PRIMARY KEY,
	name		TEXT NOT NULL UNIQUE,
	added		INTEGER NOT NULL,	-- Unix time it first appeared
	backfill	INTEGER NOT NULL	-- as configured then
);

-- The bins a destination acknowledged.  A bin without a row is pending.
CREATE TABLE sent (
	dest	INTEGER NOT NULL,	-- destinations.id
	iface	TEXT NOT NULL,
	ts	INTEGER NOT NULL,	-- the bin's start, Unix seconds
	writes	INTEGER NOT NULL,	-- its bins.writes when it was read
	rows	INTEGER NOT NULL,	-- rows sent; -1: stored before the
					-- destination was added, not sent
	at	INTEGER NOT NULL,	-- Unix time acknowledged
	PRIMARY KEY (dest, iface, ts)
) WITHOUT ROWID;

-- IPFIX observation domains: one per interface, numbered from 1 in the
-- order the interfaces were first exported, the same for every collector
-- and for ever.
CREATE TABLE domains (
	iface	TEXT PRIMARY KEY,
	id	INTEGER NOT NULL UNIQUE
) WITHOUT ROWID;
