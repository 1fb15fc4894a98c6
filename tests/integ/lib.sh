# lib.sh - helpers shared by the integration test scripts (sourced).
#
# Sets FLOWRECD, MKPCAP and SHARED (../shared beside the source tree, or
# $FLOWREC_SHARED), a scratch directory removed on exit, and TAP helpers:
# pass/fail/skip_all/done (exit 0 all passed, 1 some failed, 77 skipped).

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
FLOWRECD="$top_builddir/flowrecd"
FLOWQ="$top_builddir/flowq"
MKPCAP="$top_builddir/tests/mkpcap"
SHARED="${FLOWREC_SHARED:-$top_srcdir/../shared}"
TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/flowrec-test.XXXXXX")
trap 'rm -rf "$TEST_TMP"' EXIT
tap_n=0
tap_failed=0

pass() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $*"; }
fail() { tap_n=$((tap_n + 1)); tap_failed=$((tap_failed + 1)); echo "not ok $tap_n - $*"; }
skip_all() { echo "1..0 # SKIP $*"; exit 77; }
done_testing() {
	echo "1..$tap_n"
	[ "$tap_failed" -eq 0 ] || { echo "# $tap_failed of $tap_n failed"; exit 1; }
	exit 0
}

# flows_csv DBDIR IFACE: every row of every day file of IFACE through the
# `flows` view, as CSV with the oracle's header and in the oracle's order
# (ts, IPv4 before IPv6, sip and dip as address bytes, dport, proto, vlan).
flows_csv() {
	echo "ts,sip,dip,dport,proto,vlan,bytes_rcvd,bytes_sent,pkts_rcvd,pkts_sent"
	for db in "$1/$2/$2"-*.db; do
		[ -f "$db" ] || continue
		sqlite3 -csv "$db" "SELECT f.* FROM flows AS f
		    JOIN addrs AS s ON s.text = f.sip
		    JOIN addrs AS d ON d.text = f.dip
		    ORDER BY f.ts, length(s.ip), s.ip, d.ip, f.dport, f.proto, f.vlan"
	done
}
