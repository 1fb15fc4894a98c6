-- clickhouse.sql - the ClickHouse table flowrecd's export fills
-- (export.clickhouse in flowrecd.yaml(5)).
--
-- flowrecd runs this statement, with the configured database and table in
-- place of `flows`, before its first insert on each connection, so the
-- table is created when it is missing and left alone when it is there.
-- It works on ClickHouse 18.16 (Debian 12's clickhouse-server), which has
-- no IPv4/IPv6 column types, no TTL and no DateTime64; on a newer server,
-- create the table yourself first (flowrecd.yaml(5) shows how): flowrecd
-- inserts by column name, in TabSeparated text, so any column types that
-- parse that text will do.
--
-- One row per bin, interface and flow key, as the `flows` view of a day
-- file, plus `host` and `iface`:
--   SELECT ts, sip, dip, dport, proto, vlan, bytes_rcvd, bytes_sent,
--          pkts_rcvd, pkts_sent FROM flows
-- works as in SQLite (ts is a DateTime in UTC here: toUInt32(ts) is the
-- store's integer).
--
-- Idempotent per bin: the sorting key is the row's identity, so a bin
-- sent twice (after a crash: at most the bin that was in flight; or
-- written again after it was sent, with a larger `writes`) leaves one row
-- per key once ClickHouse has merged the parts; SELECT ... FINAL, or
-- OPTIMIZE TABLE flows FINAL, shows that at once.
CREATE TABLE IF NOT EXISTS flows (
	host		String,		-- export.clickhouse.host: the recorder
	iface		String,		-- the interface
	ts		DateTime('UTC'),	-- bin start
	sip		String,		-- client address, inet_ntop text
	dip		String,		-- server address
	dport		UInt16,		-- server port, 0 without ports
	proto		UInt8,		-- IP protocol
	vlan		UInt16,		-- outermost VLAN ID, 0 untagged
	bytes_rcvd	UInt64,
	bytes_sent	UInt64,
	pkts_rcvd	UInt64,
	pkts_sent	UInt64,
	writes		UInt32		-- the store's writes of the bin when
					-- sent: the latest wins
) ENGINE = ReplacingMergeTree(writes)
PARTITION BY toYYYYMMDD(ts)
ORDER BY (host, iface, ts, sip, dip, dport, proto, vlan)
