# export_lib.sh - the export tests' peers (sourced after lib.sh or
# live_lib.sh, which set $T or $TEST_TMP and the cleanup trap).
#
# Real collectors from Debian (nfcapd, nfacctd, clickhouse-server, tshark)
# and small Python ones, each started with a private port, directory and
# configuration, waited for by what it answers (a ready file, a port that
# accepts, ClickHouse's /ping), never by a sleep, and stopped by the
# test's cleanup.  $EX_NS, when set, runs them in that network namespace.
: "${top_srcdir:=.}"
EXPORT_INTEG=$top_srcdir/tests/integ
EX_DIR=${T:-$TEST_TMP}
EX_PIDS=""

ex_run() {	# ex_run CMD...: in $EX_NS when set
	if [ -n "$EX_NS" ]; then ip netns exec "$EX_NS" "$@"; else "$@"; fi
}

# ex_bg OUT CMD...: CMD in the background (in $EX_NS when set), its
# output in OUT; $EX_PID is its process, exec'd in a process group of its
# own, so that stopping it stops what it forked too (nfacctd's plugins)
ex_bg() {
	local out=$1
	shift
	if [ -n "$EX_NS" ]; then
		(exec ip netns exec "$EX_NS" setsid "$@" >"$out" 2>&1) &
	else
		(exec setsid "$@" >"$out" 2>&1) &
	fi
	EX_PID=$!
	EX_PIDS="$EX_PIDS $EX_PID"
}

ex_cleanup() {
	local p
	for p in $EX_PIDS; do kill -TERM -- "-$p" 2>/dev/null; done
	for p in $EX_PIDS; do
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL -- "-$p" 2>/dev/null
	done
	EX_PIDS=""
}

# ex_wait SECONDS COMMAND...: poll until COMMAND succeeds
ex_wait() {
	local limit=$1 i=0
	shift
	while ! "$@"; do
		i=$((i + 1))
		[ $i -gt $((limit * 20)) ] && return 1
		sleep 0.05
	done
}

# ex_port: a free port on this namespace's loopback (TCP and UDP)
ex_port() {
	ex_run python3 -c '
import socket
while True:
    t = socket.socket(); t.bind(("127.0.0.1", 0)); p = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", p)); break
    except OSError:
        pass
print(p)'
}

ex_listening() {	# ex_listening PORT [udp]
	if [ "$2" = udp ]; then
		ex_run ss -Hlun "sport = :$1" | grep -q .
	else
		ex_run ss -Hltn "sport = :$1" | grep -q .
	fi
}

ex_stop() {	# ex_stop PID: SIGTERM to its group, wait for it to go
	kill -TERM -- "-$1" 2>/dev/null
	ex_wait 10 sh -c "! kill -0 $1 2>/dev/null" ||
		kill -KILL -- "-$1" 2>/dev/null
	wait "$1" 2>/dev/null
	EX_PIDS=$(echo " $EX_PIDS " | sed "s/ $1 / /")
}

# nfcapd_start PORT DIR: nfcapd on 127.0.0.1:PORT writing into DIR
nfcapd_start() {
	mkdir -p "$2"
	ex_bg "$2.log" nfcapd -b 127.0.0.1 -p "$1" -w "$2" -t 3600 -B 16777216
	NFCAPD_PID=$EX_PID
	ex_wait 10 ex_listening "$1" udp
}

# nfcapd_csv DIR OUT: stop nfcapd (it writes its file) and dump it
nfcapd_csv() {
	ex_stop "$NFCAPD_PID"
	TZ=UTC nfdump -R "$1" -o csv >"$2"
}

# nfacctd_start PORT DIR [ADDRESS]: nfacctd, print plugin, JSON lines,
# flowDirection as the tag (1 ingress, 2 egress)
nfacctd_start() {
	mkdir -p "$2"
	cat >"$2/pretag.map" <<-EOF
	set_tag=1 ip=0.0.0.0/0 direction=0
	set_tag=2 ip=0.0.0.0/0 direction=1
	set_tag=1 ip=::/0 direction=0
	set_tag=2 ip=::/0 direction=1
	EOF
	cat >"$2/nfacctd.conf" <<-EOF
	daemonize: false
	nfacctd_ip: ${3:-127.0.0.1}
	nfacctd_port: $1
	nfacctd_pipe_size: 16777216
	pre_tag_map: $2/pretag.map
	aggregate: tag, src_host, dst_host, dst_port, proto, vlan, timestamp_start, timestamp_end
	plugins: print
	print_output: json
	print_output_file: $2/flows.json
	print_output_file_append: true
	print_refresh_time: 1
	nfacctd_time_new: false
	timestamps_utc: true
	logfile: $2/nfacctd.log
	EOF
	ex_bg "$2/out" nfacctd -f "$2/nfacctd.conf"
	NFACCTD_PID=$EX_PID
	ex_wait 10 ex_listening "$1" udp &&
		ex_wait 10 grep -q 'waiting for NetFlow' "$2/nfacctd.log"
}

# tshark_start PORT PCAP: capture the loopback's traffic to PORT
tshark_start() {
	ex_bg "$2.log" tshark -i lo -f "port $1" -w "$2"
	TSHARK_PID=$EX_PID
	ex_wait 15 grep -q "Capturing on" "$2.log"
}

# tcpcoll_start PORT OUT [RESET_AFTER]: the Python IPFIX/TCP collector
tcpcoll_start() {
	rm -f "$2" "$2".*
	ex_bg "$2.log" python3 "$EXPORT_INTEG/export_tcp.py" "$1" "$2" $3
	TCPCOLL_PID=$EX_PID
	ex_wait 10 test -f "$2.ready"
}

# http500_start PORT LOG: a server that answers 500 to everything
http500_start() {
	cat >"$2.py" <<-'EOF'
	import http.server, sys
	class H(http.server.BaseHTTPRequestHandler):
	    def do_POST(self):
	        n = int(self.headers.get('Content-Length') or 0)
	        if self.headers.get('Transfer-Encoding') == 'chunked':
	            while True:
	                size = int(self.rfile.readline().strip(), 16)
	                self.rfile.read(size + 2)
	                if size == 0:
	                    break
	        else:
	            self.rfile.read(n)
	        self.send_response(500)
	        body = b'Code: 999, e.displayText() = a test server that fails\n'
	        self.send_header('Content-Length', str(len(body)))
	        self.end_headers()
	        self.wfile.write(body)
	        with open(sys.argv[2], 'a') as f:
	            f.write(self.path + '\n')
	    do_GET = do_POST
	    def log_message(self, *a):
	        pass
	http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()
	EOF
	ex_bg "$2.out" python3 "$2.py" "$1" "$2"
	HTTP500_PID=$EX_PID
	ex_wait 10 ex_listening "$1"
}

# ch_start DIR HTTP_PORT: Debian's clickhouse-server with its own
# configuration and data in DIR, on 127.0.0.1; waits for /ping
ch_start() {
	local dir=$1
	mkdir -p "$dir/data" "$dir/tmp" "$dir/user_files" "$dir/schemas"
	[ -n "$CH_TCP_PORT" ] || CH_TCP_PORT=$(ex_port)
	cat >"$dir/config.xml" <<-EOF
	<?xml version="1.0"?>
	<yandex>
	  <logger><level>warning</level><log>$dir/server.log</log>
	    <errorlog>$dir/server.err.log</errorlog><size>10M</size><count>1</count></logger>
	  <http_port>$2</http_port>
	  <tcp_port>$CH_TCP_PORT</tcp_port>
	  <listen_host>127.0.0.1</listen_host>
	  <path>$dir/data/</path>
	  <tmp_path>$dir/tmp/</tmp_path>
	  <user_files_path>$dir/user_files/</user_files_path>
	  <format_schema_path>$dir/schemas/</format_schema_path>
	  <users_config>$dir/users.xml</users_config>
	  <default_profile>default</default_profile>
	  <default_database>default</default_database>
	  <timezone>UTC</timezone>
	  <mark_cache_size>67108864</mark_cache_size>
	  <uncompressed_cache_size>67108864</uncompressed_cache_size>
	  <max_concurrent_queries>16</max_concurrent_queries>
	</yandex>
	EOF
	cat >"$dir/users.xml" <<-EOF
	<?xml version="1.0"?>
	<yandex>
	  <profiles><default><max_memory_usage>2000000000</max_memory_usage></default></profiles>
	  <users><default><password>${CH_PASSWORD:-}</password>
	    <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
	    <profile>default</profile><quota>default</quota></default></users>
	  <quotas><default><interval><duration>3600</duration><queries>0</queries>
	    <errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows>
	    <execution_time>0</execution_time></interval></default></quotas>
	</yandex>
	EOF
	CH_URL=http://127.0.0.1:$2/
	ex_bg "$dir/stdout" clickhouse-server --config-file="$dir/config.xml"
	CH_PID=$EX_PID
	ex_wait 60 ch_ping || { tail -n 20 "$dir/server.err.log" "$dir/stdout"; return 1; }
}

ch_ping() {
	ex_run curl -sf -m 2 "${CH_URL}ping" >/dev/null 2>&1
}

# ch_query SQL: run SQL, print the answer (TabSeparated)
ch_query() {
	ex_run curl -sS -m 60 -u "default:${CH_PASSWORD:-}" --data-binary "$1" "$CH_URL"
}

ch_stop() {
	ex_stop "$CH_PID"
}

# sent_bins DBDIR DEST [MIN]: the bins export.db records as sent to DEST
# (with at least MIN rows, 0 when not given)
sent_bins() {
	sqlite3 "$1/export.db" "SELECT count(*) FROM sent JOIN destinations
	    AS d ON d.id = sent.dest WHERE d.name = '$2' AND rows >= ${3:-0}" \
	    2>/dev/null || echo 0
}

# store_bins DBDIR IFACE: the bins of the store
store_bins() {
	local n=0 f
	for f in "$1/$2"/*.db; do
		[ -f "$f" ] || continue
		n=$((n + $(sqlite3 "$f" "SELECT count(*) FROM bins")))
	done
	echo $n
}

for t in nfcapd nfdump nfacctd tshark clickhouse-server curl ss python3 sqlite3; do
	command -v $t >/dev/null || { echo "FAIL: $t is not installed (.ci/run installs it)"; exit 1; }
done
