#!/bin/bash
# deb_install.sh - build the Debian package and use it as a new operator
# would, in a clean Debian 12 root:
#   1. dpkg-buildpackage -us -uc -b on a copy of the tree (build
#      dependencies installed with apt when missing); lintian: no error;
#   2. a clean bookworm root from debootstrap (its tarball cached under
#      /var/tmp/flowrec-debootstrap), the .deb installed with apt there
#      (dependencies from the archive this machine's apt uses);
#   3. checks: the files, the conffile and `flowrecd -t` on it, the flowrec
#      system user and group, the unit (systemd-analyze verify, and the
#      settings the package promises);
#   4. flowrecd from that root, run as the unit runs it (user flowrec, only
#      CAP_NET_RAW and CAP_IPC_LOCK), on a veth in a network namespace,
#      with the operator's interface put into /etc/flowrec/flowrecd.yaml;
#      traffic across it; flowctl status (when the package has flowctl);
#      SIGTERM; flowq list and flowq talk_conv answer from the store.
# Run as root from anywhere: tests/pkg/deb_install.sh (KEEP=1 keeps the
# work directory; FLOWREC_DEB=FILE tests that .deb instead of building).  Prints "ok - ..." lines; exit 0 when all passed.  Not
# part of make check (it takes minutes); .ci/run runs it.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
TAG=$$
W=/var/tmp/flowrec-pkg.$TAG
ROOT=$W/root
CACHE=/var/tmp/flowrec-debootstrap
SUITE=bookworm
INCLUDE=systemd,iproute2,procps,adduser,sqlite3
NSA=pkA$TAG NSB=pkB$TAG IFA=pa$TAG IFB=pb$TAG
MOUNTS=""
FR_PID=""

fail() { echo "FAIL: $*"; [ -f "$W/fr.err" ] && tail -n 20 "$W/fr.err"; exit 1; }
pass() { echo "ok - $*"; }
cleanup() {
	[ -n "$FR_PID" ] && kill -KILL "$FR_PID" 2>/dev/null
	ip netns del $NSA 2>/dev/null
	ip netns del $NSB 2>/dev/null
	for m in $MOUNTS; do umount -l "$m" 2>/dev/null; done
	[ -n "${KEEP:-}" ] || rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (debootstrap, chroot, netns)"; exit 77; }
export DEBIAN_FRONTEND=noninteractive
mkdir -p "$W" "$CACHE"

# The archive this machine's apt uses (the first deb URI of Debian).
mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/*.sources 2>/dev/null |
	tr ' ' '\n' | grep -m1 '/debian/*$')
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $2 !~ /security/ { print $2; exit }' \
	/etc/apt/sources.list 2>/dev/null)
[ -n "$mirror" ] || fail "no Debian archive in this machine's apt sources"

need=""
for t in debootstrap dpkg-buildpackage lintian dh; do
	command -v $t >/dev/null || need="$need $t"
done
if [ -n "$need" ]; then
	apt-get update -qq >/dev/null 2>&1
	apt-get install -y -qq --no-install-recommends debootstrap dpkg-dev \
		debhelper lintian fakeroot >"$W/apt.log" 2>&1 ||
		fail "installing the packaging tools: $(tail -3 "$W/apt.log")"
fi

# ---------------------------------------------------------------- 1. build
if [ -n "${FLOWREC_DEB:-}" ]; then
	# Debugging the later steps: a .deb this script built before.
	deb=$FLOWREC_DEB
	dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./|/|' >"$W/files"
	echo "# using $deb"
else
mkdir -p "$W/src/flowrec"
(cd "$top" && git ls-files -z --cached |
	xargs -0 tar cf - 2>/dev/null) | tar xf - -C "$W/src/flowrec" ||
	fail "copying the tree"
cd "$W/src/flowrec" || fail "cd"
missing=$(dpkg-checkbuilddeps 2>&1 | sed -n 's/.*Unmet build dependencies: //p' |
	sed 's/([^)]*)//g; s/|[^ ]*//g')
if [ -n "$missing" ]; then
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >"$W/apt.log" 2>&1 ||
		fail "build dependencies ($missing): $(tail -3 "$W/apt.log")"
fi
dpkg-buildpackage -us -uc -b >"$W/build.log" 2>&1 ||
	fail "dpkg-buildpackage: $(tail -30 "$W/build.log")"
version=$(dpkg-parsechangelog -S Version)
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
deb=$W/src/flowrec_${version}_${arch}.deb
[ -f "$deb" ] || fail "no $deb: $(ls "$W/src")"
pass "dpkg-buildpackage -us -uc -b: $(basename "$deb")"
lintian --fail-on error "$W"/src/flowrec_*.changes >"$W/lintian.log" 2>&1
rc=$?
grep -q '^E:' "$W/lintian.log" && fail "lintian errors: $(grep '^E:' "$W/lintian.log")"
[ $rc = 0 ] || fail "lintian exit $rc: $(tail -5 "$W/lintian.log")"
pass "lintian: no error ($(grep -c '^W:' "$W/lintian.log") warnings, $(grep -c '^[IP]:' "$W/lintian.log") notes)"
dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./|/|' >"$W/files"
for f in /usr/sbin/flowrecd /usr/bin/flowq /etc/flowrec/flowrecd.yaml \
    /lib/systemd/system/flowrecd.service /usr/share/man/man8/flowrecd.8.gz \
    /usr/share/man/man1/flowq.1.gz /usr/share/man/man5/flowrecd.yaml.5.gz \
    /usr/share/man/man5/flowrec-schema.5.gz \
    /usr/share/flowrec/www/index.html /usr/share/flowrec/www/app.js \
    /usr/share/flowrec/www/app.css; do
	grep -qx "$f" "$W/files" || fail "the package lacks $f"
done
extra=""
for f in /usr/bin/flowctl /usr/share/man/man1/flowctl.1.gz \
    /usr/share/bash-completion/completions/flowq \
    /usr/share/bash-completion/completions/flowctl; do
	grep -qx "$f" "$W/files" && extra="$extra ${f##*/}"
done
pass "it ships flowrecd, flowq, the conffile, the unit, the man pages and the web view;$extra"
fi

# ------------------------------------------------------------- 2. the root
key=$(echo "$SUITE $INCLUDE" | md5sum | cut -c1-12)
tgz=$CACHE/$SUITE-minbase-$key.tgz
if [ ! -s "$tgz" ]; then
	debootstrap --variant=minbase --include=$INCLUDE \
		--make-tarball="$tgz.tmp" $SUITE "$W/dbs" "$mirror" \
		>"$W/debootstrap.log" 2>&1 ||
		fail "debootstrap --make-tarball: $(tail -5 "$W/debootstrap.log")"
	mv "$tgz.tmp" "$tgz"
	rm -rf "$W/dbs"
fi
debootstrap --variant=minbase --include=$INCLUDE --unpack-tarball="$tgz" \
	$SUITE "$ROOT" "$mirror" >"$W/debootstrap.log" 2>&1 ||
	fail "debootstrap: $(tail -5 "$W/debootstrap.log")"
mount -t proc proc "$ROOT/proc" && MOUNTS="$ROOT/proc $MOUNTS"
mount --bind /dev "$ROOT/dev" && MOUNTS="$ROOT/dev $MOUNTS"
cp /etc/resolv.conf "$ROOT/etc/resolv.conf" 2>/dev/null
echo "deb $mirror $SUITE main" >"$ROOT/etc/apt/sources.list"
# No service starts inside a chroot.
printf '#!/bin/sh\nexit 101\n' >"$ROOT/usr/sbin/policy-rc.d"
chmod 755 "$ROOT/usr/sbin/policy-rc.d"
getent passwd flowrec >/dev/null 2>&1 && chroot "$ROOT" getent passwd flowrec &&
	fail "the fresh root already has a flowrec user"
cp "$deb" "$ROOT/tmp/"
chroot "$ROOT" apt-get update -qq >"$W/apt-root.log" 2>&1 ||
	fail "apt-get update in the root: $(tail -3 "$W/apt-root.log")"
chroot "$ROOT" apt-get install -y -qq "/tmp/$(basename "$deb")" \
	>>"$W/apt-root.log" 2>&1 ||
	fail "apt-get install ./$(basename "$deb"): $(tail -10 "$W/apt-root.log")"
pass "apt-get install ./$(basename "$deb") in a clean $SUITE root"
inroot() { chroot "$ROOT" "$@"; }

# ------------------------------------------------------------- 3. checks
inroot dpkg-query -W -f='${Conffiles}\n' flowrec | grep -q ' /etc/flowrec/flowrecd.yaml ' ||
	fail "/etc/flowrec/flowrecd.yaml is not a conffile"
out=$(inroot /usr/sbin/flowrecd -t -c /etc/flowrec/flowrecd.yaml) ||
	fail "flowrecd -t on the conffile: $out"
pass "conffile /etc/flowrec/flowrecd.yaml; flowrecd -t: $out"
pw=$(inroot getent passwd flowrec) || fail "no user flowrec"
IFS=: read -r _ _ uid gid _ home shell <<<"$pw"
[ "$uid" -lt 1000 ] || fail "flowrec is not a system user (uid $uid)"
case "$shell" in */nologin|*/false) ;; *) fail "flowrec's shell is $shell" ;; esac
inroot getent group flowrec >/dev/null || fail "no group flowrec"
perm=$(inroot stat -c %U:%G:%a /var/lib/flowrec)
[ "$perm" = flowrec:flowrec:750 ] || fail "/var/lib/flowrec: $perm"
pass "system user flowrec (uid $uid, $shell, home $home) and group; /var/lib/flowrec flowrec:flowrec 0750"
unit=/lib/systemd/system/flowrecd.service
# --man=no: the minimal root has no man(1); the pages are checked above.
inroot systemd-analyze verify --man=no $unit >"$W/verify.log" 2>&1 ||
	fail "systemd-analyze verify: $(cat "$W/verify.log")"
[ -s "$W/verify.log" ] && fail "systemd-analyze verify says: $(cat "$W/verify.log")"
for want in "User=flowrec" "AmbientCapabilities=CAP_NET_RAW CAP_IPC_LOCK" \
    "CapabilityBoundingSet=CAP_NET_RAW CAP_IPC_LOCK" "StateDirectory=flowrec" \
    "RuntimeDirectory=flowrec" "ProtectSystem=strict" "ProtectHome=yes" \
    "NoNewPrivileges=yes" "Restart=on-failure" \
    'ExecReload=/bin/kill -HUP $MAINPID' \
    "ExecStart=/usr/sbin/flowrecd -c /etc/flowrec/flowrecd.yaml"; do
	grep -qxF "$want" "$ROOT$unit" || fail "the unit lacks '$want'"
done
[ "$(grep -c '^AmbientCapabilities=' "$ROOT$unit")" = 1 ] ||
	fail "more than one AmbientCapabilities line"
[ -L "$ROOT/etc/systemd/system/multi-user.target.wants/flowrecd.service" ] ||
	fail "the unit is not enabled"
pass "systemd-analyze verify: clean; user flowrec, only CAP_NET_RAW CAP_IPC_LOCK, state and runtime directories, strict, enabled"

# ------------------------------------------------- 4. a new operator's run
ip netns add $NSA && ip netns add $NSB || fail "ip netns add"
ip link add $IFA netns $NSA type veth peer name $IFB netns $NSB || fail "veth"
ip -n $NSA addr add 10.201.0.1/24 dev $IFA
ip -n $NSB addr add 10.201.0.2/24 dev $IFB
for n in $NSA $NSB; do ip -n $n link set lo up; done
ip -n $NSA link set $IFA up; ip -n $NSB link set $IFB up
# The operator names their interface in the conffile (and a short bin).
sed -i "s/^interval: 300$/interval: 2/; s/^  eth0:$/  $IFB:/; s/^  eth1:$//" \
	"$ROOT/etc/flowrec/flowrecd.yaml"
grep -q "^  $IFB:$" "$ROOT/etc/flowrec/flowrecd.yaml" || fail "editing the conffile"
inroot /usr/sbin/flowrecd -t -c /etc/flowrec/flowrecd.yaml >/dev/null ||
	fail "the edited conffile"
# As the unit runs it: RuntimeDirectory, then user flowrec with the two
# capabilities only.
install -d -o "$uid" -g "$gid" -m 0750 "$ROOT/run/flowrec"
ip netns exec $NSB chroot "$ROOT" setpriv --reuid=flowrec --regid=flowrec \
	--init-groups --inh-caps=-all,+net_raw,+ipc_lock \
	--ambient-caps=-all,+net_raw,+ipc_lock \
	--bounding-set=-all,+net_raw,+ipc_lock \
	/usr/sbin/flowrecd -c /etc/flowrec/flowrecd.yaml >"$W/fr.out" 2>"$W/fr.err" &
FR_PID=$!
i=0
until grep -q "$IFB: recording" "$W/fr.err"; do
	i=$((i + 1))
	[ $i -gt 500 ] && fail "flowrecd did not start recording"
	kill -0 $FR_PID 2>/dev/null || fail "flowrecd exited"
	sleep 0.02
done
caps=$(awk '/^CapEff:/ { print $2 }' /proc/$FR_PID/status 2>/dev/null)
pass "flowrecd from the package records $IFB as flowrec (CapEff $caps)"
ip netns exec $NSA ping -q -c 20 -i 0.05 10.201.0.2 >/dev/null ||
	fail "ping across the veth"
if [ -x "$ROOT/usr/bin/flowctl" ]; then
	ip netns exec $NSB chroot "$ROOT" setpriv --reuid=flowrec \
		--regid=flowrec --init-groups /usr/bin/flowctl status \
		>"$W/flowctl.out" 2>&1 || fail "flowctl status: $(cat "$W/flowctl.out")"
	grep -q "$IFB" "$W/flowctl.out" || fail "flowctl status: $(cat "$W/flowctl.out")"
	pass "flowctl status over /run/flowrec/flowrecd.sock shows $IFB"
else
	echo "# no flowctl in the package yet"
fi
kill -TERM $FR_PID
wait $FR_PID
rc=$?
FR_PID=""
[ $rc = 0 ] || fail "flowrecd exited $rc"
grep -q "^$IFB: kernel_packets=" "$W/fr.out" || fail "no exit line"
inroot flowq list >"$W/list" 2>&1 || fail "flowq list: $(cat "$W/list")"
grep -q "$IFB" "$W/list" || fail "flowq list: $(cat "$W/list")"
inroot flowq -i $IFB -f 0 -e csv talk_conv >"$W/q" 2>&1 ||
	fail "flowq talk_conv: $(cat "$W/q")"
grep -q '10.201.0.1,10.201.0.2' "$W/q" || grep -q '10.201.0.2,10.201.0.1' "$W/q" ||
	fail "flowq talk_conv: $(cat "$W/q")"
owner=$(inroot stat -c %U "/var/lib/flowrec/$IFB" 2>/dev/null)
[ "$owner" = flowrec ] || fail "the store is owned by '$owner'"
pass "flowq list and talk_conv answer from /var/lib/flowrec: $(grep -m1 10.201 "$W/q")"
echo "deb_install: all passed"
exit 0
