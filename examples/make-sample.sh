#!/bin/sh
# make-sample.sh - how examples/sample.pcap was made: real traffic between
# two private network namespaces (HTTP over IPv4 and IPv6, DNS-like UDP,
# ping), captured with tcpdump on one end.  Run as root; needs iproute2,
# tcpdump, python3, curl and ping.  Usage: make-sample.sh OUT.pcap
set -eu
out=${1:-sample.pcap}
a=flowrec-sample-a b=flowrec-sample-b
cleanup() { ip netns del $a 2>/dev/null || true; ip netns del $b 2>/dev/null || true; }
trap cleanup EXIT
cleanup
ip netns add $a
ip netns add $b
ip link add smpl-a netns $a type veth peer name smpl-b netns $b
ip -n $a addr add 192.0.2.10/24 dev smpl-a
ip -n $b addr add 192.0.2.80/24 dev smpl-b
ip -n $a addr add 2001:db8:5::10/64 dev smpl-a nodad
ip -n $b addr add 2001:db8:5::80/64 dev smpl-b nodad
ip -n $a link set smpl-a up
ip -n $b link set smpl-b up
ip -n $a link set lo up
ip -n $b link set lo up
ip netns exec $b python3 -m http.server --bind :: 8080 >/dev/null 2>&1 &
web=$!
ip netns exec $b python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 53))
while True:
    data, peer = s.recvfrom(2048)
    s.sendto(data + b"answer", peer)
' &
dns=$!
ip netns exec $a tcpdump -i smpl-a -w "$out" -s 256 -U 2>/dev/null &
cap=$!
sleep 1
ip netns exec $a ping -c 3 -i 0.2 192.0.2.80 >/dev/null
ip netns exec $a ping -6 -c 2 -i 0.2 2001:db8:5::80 >/dev/null
for i in 1 2 3; do
	ip netns exec $a curl -s -o /dev/null http://192.0.2.80:8080/
	ip netns exec $a curl -s -o /dev/null "http://[2001:db8:5::80]:8080/"
done
for i in 1 2 3 4; do
	ip netns exec $a python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1)
s.sendto(b"\x12\x34query example.org", ("192.0.2.80", 53))
s.recvfrom(2048)
'
done
sleep 1
kill $cap $web $dns
wait 2>/dev/null || true
echo "wrote $out"
