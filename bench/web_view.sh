#!/bin/sh
# web_view.sh - the web view's speed in one command: a 30-day store of a
# busy interface (bench/query_gen, made once and kept in
# $FLOWREC_WEB_BENCH_DIR, default /var/tmp/flowrec-web-bench: 30 days of
# 288 bins x ~1000 flows, with rollups), flowrecd serving it on
# 127.0.0.1, and headless Chromium (bench/web_view.py) timing 30-day views
# from navigation to drawn: the top-N table, the stacked series and the
# interface overview.  The issue's goal: within 2 s on this kind of
# machine.
#
#   bench/web_view.sh [BUILDDIR]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top}
dir=${FLOWREC_WEB_BENCH_DIR:-/var/tmp/flowrec-web-bench}
token=web-bench-token-0123456789abcdef
export TZ=UTC
[ -x "$build/flowrecd" ] && [ -x "$build/bench/query_gen" ] ||
    { echo "web_view: make and make check first" >&2; exit 1; }
if [ ! -f "$dir/done" ]; then
	echo "generating 30 days of ~290k rows (some minutes)..."
	rm -rf "$dir"
	mkdir -p "$dir"		# query_gen makes only the last two levels
	d=0
	while [ $d -lt 30 ]; do
		day=$(date -u -d "2026-11-01 +$d days" +%Y-%m-%d)
		"$build/bench/query_gen" -r "$dir/store" eth0 "$day" 288 1000 \
		    20000 $((d + 1)) > /dev/null
		d=$((d + 1))
	done
	touch "$dir/done"
fi
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$dir/flowrecd.yaml" <<EOC
db_path: $dir/store
interfaces:
  webbench0:
api:
  socket: none
  listen: 127.0.0.1:$port
  tokens: ["$token"]
  www_dir: $top/www
EOC
"$build/flowrecd" -c "$dir/flowrecd.yaml" 2> "$dir/flowrecd.log" &
pid=$!
trap 'kill $pid 2> /dev/null; wait $pid 2> /dev/null' EXIT
i=0
until curl -sf -H "Authorization: Bearer $token" \
    "http://127.0.0.1:$port/-/health" > /dev/null; do
	i=$((i + 1))
	[ $i -lt 100 ] || { cat "$dir/flowrecd.log"; exit 1; }
	sleep 0.1
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
range="first=2026-11-01T00:00:00Z&last=2026-12-01T00:00:00Z"
for q in "query=talk_conv" "query=apps_port&sort_by=packets" \
    "query=dip&condition=dport%3D443"; do
	echo "30 days, $q:"
	python3 "$top/bench/web_view.py" "$port" "$token" "$q&$range&n=10" 3
done
