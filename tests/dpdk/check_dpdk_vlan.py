#!/usr/bin/env python3
"""The dpdk backend on an 802.1Q-tagged port (io.dpdk.ports[].vlan), end to end, with no VLAN
interface (this kernel has no 8021q module): in the namespaces and veth pair of check_dpdk.py, the
daemon's port is tagged VLAN 77, and on the peer end a packet socket plays the exporter and the
collector with hand-made tagged frames: an ARP who-has for our address, answers to our ARP for the
collector, IPFIX datagrams. The kernel takes the tag off what it receives and hands it over
beside the frame (PACKET_AUXDATA); the test puts it back. Checked: our ARP reply and requests
carry the tag and the right MAC and IP addresses; every forwarded datagram leaves tagged, to the
collector's MAC, with an IPv4 header and a UDP checksum that sum right (summed here), and its
records carry the AS numbers mmdblookup gives; untagged and wrongly tagged frames (ARP and UDP)
get no answer, are not forwarded, and are counted (port drop_not_for_us on the stats port), as
is what was sent to the collector (sent_datagrams).

  check_dpdk_vlan.py --enricher E --db-dir DIR --mmdblookup M

Exit 77 (skipped) only when network namespaces cannot be made (not root).
"""
import argparse
import json
import pathlib
import re
import socket
import struct
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / 'live'))
sys.path.insert(0, str(HERE.parent / 'stats'))
sys.path.insert(0, str(HERE))
import check_dpdk as net  # noqa: E402  (namespaces, veth pair, addresses)
import check_live  # noqa: E402  (udp_frame, checksum, mmdb_asn, wait_for, stop, V4_FLOWS)
import check_traffic  # noqa: E402  (ipfix_datagram)
from proc_util import kill_leftovers  # noqa: E402

VLAN = 77
EXPORTER4, EXPORTER_MAC = '10.77.0.9', bytes.fromhex('020000000009')
STRANGER4, STRANGER_MAC = '10.77.0.8', bytes.fromhex('020000000008')  # sends only what must be dropped
COLLECTOR4, COLLECTOR_MAC = '10.77.0.3', bytes.fromhex('020000000003')
EXPORTER_PORT = 40000
PEER_TIMEOUT_S = 20  # the peer side's whole exchange (a hang guard, not a measurement)

ETH_P_ALL, ETH_ARP, ETH_IP, ETH_VLAN = 0x0003, 0x0806, 0x0800, 0x8100
SOL_PACKET, PACKET_AUXDATA = 263, 8
TP_STATUS_VLAN_VALID, TP_STATUS_VLAN_TPID_VALID = 0x10, 0x40
PACKET_OUTGOING = 4
BROADCAST = b'\xff' * 6


def ethernet(dst, src, vlan, ethertype, body):
    """A frame, tagged when `vlan` is not None, padded to the 60-byte minimum."""
    tag = struct.pack('!HH', ETH_VLAN, vlan) if vlan is not None else b''
    f = dst + src + tag + struct.pack('!H', ethertype) + body
    return f + bytes(max(0, 60 - len(f)))


def arp(op, sha, spa, tha, tpa):
    return struct.pack('!HHBBH', 1, ETH_IP, 6, 4, op) + sha + socket.inet_aton(spa) + tha + socket.inet_aton(tpa)


def untag(frame):
    """(vlan id or None, ethertype, body) of a frame."""
    ethertype = struct.unpack_from('!H', frame, 12)[0]
    if ethertype != ETH_VLAN:
        return None, ethertype, frame[14:]
    tci, ethertype = struct.unpack_from('!HH', frame, 14)
    return tci & 0x0FFF, ethertype, frame[18:]


def ipfix_records(message, templates):
    """Each data record of an IPFIX message as {(enterprise, ie): bytes}; learns its templates."""
    length = struct.unpack_from('!H', message, 2)[0]
    out, at = [], 16
    while at + 4 <= length:
        set_id, set_length = struct.unpack_from('!HH', message, at)
        end, p = at + set_length, at + 4
        if set_length < 4:
            break
        if set_id == 2:
            while p + 4 <= end:
                tid, count = struct.unpack_from('!HH', message, p)
                p += 4
                fields = []
                for _ in range(count):
                    ie, size = struct.unpack_from('!HH', message, p)
                    p += 4
                    enterprise = 0
                    if ie & 0x8000:
                        enterprise = struct.unpack_from('!I', message, p)[0]
                        p += 4
                    fields.append((enterprise, ie & 0x7FFF, size))
                templates[tid] = fields
        elif set_id >= 256 and set_id in templates:
            fields = templates[set_id]
            least = sum(1 if size == 0xFFFF else size for _, _, size in fields)
            while least and end - p >= least:
                record = {}
                for enterprise, ie, size in fields:
                    if size == 0xFFFF:
                        size = message[p]
                        p += 1
                        if size == 255:
                            size = struct.unpack_from('!H', message, p)[0]
                            p += 2
                    record[(enterprise, ie)] = message[p:p + size]
                    p += size
                out.append(record)
        at = end
    return out


# --- the peer side: runs in the peer namespace, prints what it saw as JSON -----------------------

def peer_receive(s, deadline):
    """The next frame from the daemon with its tag put back; None at the deadline."""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        s.settimeout(left)
        try:
            data, ancillary, _, address = s.recvmsg(65536, socket.CMSG_SPACE(20))
        except socket.timeout:
            return None
        if address[2] == PACKET_OUTGOING:
            continue
        for level, kind, value in ancillary:
            if level == SOL_PACKET and kind == PACKET_AUXDATA:
                status, _, _, _, _, tci, tpid = struct.unpack('IIIHHHH', value[:20])
                if status & TP_STATUS_VLAN_VALID:
                    tpid = tpid if status & TP_STATUS_VLAN_TPID_VALID else ETH_VLAN
                    data = data[:12] + struct.pack('!HH', tpid, tci) + data[12:]
        return data


def udp_to_daemon(our_mac, vlan, src, payload):
    body = check_live.udp_frame(src, net.OUR4, EXPORTER_PORT, net.LISTEN, payload)[14:]
    return ethernet(our_mac, EXPORTER_MAC if src == EXPORTER4 else STRANGER_MAC, vlan, ETH_IP, body)


def peer_side(iface, our_mac_text, datagrams_hex):
    our_mac = bytes.fromhex(our_mac_text.replace(':', ''))
    datagrams = [bytes.fromhex(d) for d in datagrams_hex]
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((iface, ETH_P_ALL))
    s.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
    seen = {'to_exporter': [], 'to_stranger': [], 'arp_requests': [], 'to_collector': [], 'other': [], 'answers': []}
    templates, records = {}, 0
    deadline = time.monotonic() + PEER_TIMEOUT_S

    def take(frame):
        """Files a frame from the daemon; answers its ARP for the collector (tagged, as it asked)."""
        nonlocal records
        vlan, ethertype, body = untag(frame)
        if ethertype == ETH_ARP and struct.unpack_from('!H', body, 6)[0] == 1:
            seen['arp_requests'].append(frame.hex())
            if socket.inet_ntoa(body[24:28]) == COLLECTOR4:
                answer = ethernet(frame[6:12], COLLECTOR_MAC, vlan, ETH_ARP,
                                  arp(2, COLLECTOR_MAC, COLLECTOR4, frame[6:12], net.OUR4))
                s.send(answer)
                seen['answers'].append(answer.hex())
        elif frame[:6] == EXPORTER_MAC:
            seen['to_exporter'].append(frame.hex())
        elif frame[:6] == STRANGER_MAC:
            seen['to_stranger'].append(frame.hex())
        elif frame[:6] == COLLECTOR_MAC:
            seen['to_collector'].append(frame.hex())
            if ethertype == ETH_IP and len(body) > 28 + 16:
                records += len(ipfix_records(body[28:], templates))
        else:
            seen['other'].append(frame.hex())

    # The exporter asks for our MAC (tagged) and waits for the answer.
    s.send(ethernet(BROADCAST, EXPORTER_MAC, VLAN, ETH_ARP, arp(1, EXPORTER_MAC, EXPORTER4, bytes(6), net.OUR4)))
    while not seen['to_exporter']:
        frame = peer_receive(s, deadline)
        if frame is None:
            break
        take(frame)
    # What must be dropped: the same questions and a datagram, untagged and on another VLAN.
    for vlan in (None, VLAN + 1):
        s.send(ethernet(BROADCAST, STRANGER_MAC, vlan, ETH_ARP, arp(1, STRANGER_MAC, STRANGER4, bytes(6), net.OUR4)))
        s.send(udp_to_daemon(our_mac, vlan, STRANGER4, datagrams[0]))
    for d in datagrams:
        s.send(udp_to_daemon(our_mac, VLAN, EXPORTER4, d))
    while records < len(datagrams):
        frame = peer_receive(s, deadline)
        if frame is None:
            break
        take(frame)
    # Anything late (a reply to the stranger would come by now: it was sent before the datagrams).
    while (frame := peer_receive(s, min(deadline, time.monotonic() + 0.5))) is not None:
        take(frame)
    print(json.dumps(seen))
    return 0


# --- the test: runs the daemon and the peer side, judges what the peer saw ----------------------

def in_daemon_ns_get(url):
    code = 'import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode())'
    p = subprocess.run(net.in_ns(net.NS_DAEMON, sys.executable, '-c', code, url), capture_output=True, text=True,
                       timeout=30)
    return json.loads(p.stdout) if p.returncode == 0 else None


def check_ipv4_udp(body, problems, what):
    """The IPv4 header and UDP checksum summed here; returns the UDP payload."""
    ihl, total = (body[0] & 0x0F) * 4, struct.unpack_from('!H', body, 2)[0]
    if body[0] >> 4 != 4 or ihl != 20 or total != len(body) or body[9] != 17:
        problems.append(f'{what}: IPv4 header {body[:20].hex()} (frame body {len(body)} bytes)')
        return b''
    if check_live.checksum(body[:20]) != 0:
        problems.append(f'{what}: IPv4 header checksum wrong: {body[:20].hex()}')
    if (socket.inet_ntoa(body[12:16]), socket.inet_ntoa(body[16:20])) != (net.OUR4, COLLECTOR4):
        problems.append(f'{what}: from {socket.inet_ntoa(body[12:16])} to {socket.inet_ntoa(body[16:20])}')
    udp = body[20:]
    sport, dport, length, sum_field = struct.unpack_from('!HHHH', udp)
    pseudo = body[12:20] + struct.pack('!BBH', 0, 17, len(udp))
    if (sport, dport, length) != (net.LISTEN, net.COLLECT, len(udp)):
        problems.append(f'{what}: UDP ports {sport} -> {dport}, length {length} of {len(udp)}')
    if sum_field == 0 or check_live.checksum(pseudo + udp) != 0:
        problems.append(f'{what}: UDP checksum {sum_field:#06x} does not sum to zero')
    return udp[8:]


def judge(a, seen, our_mac, flows):
    problems = []
    replies = [bytes.fromhex(f) for f in seen['to_exporter']]
    want_arp = arp(2, our_mac, net.OUR4, EXPORTER_MAC, EXPORTER4)
    if len(replies) != 1 or untag(replies[0])[:2] != (VLAN, ETH_ARP) or replies[0][:12] != EXPORTER_MAC + our_mac \
            or untag(replies[0])[2][:len(want_arp)] != want_arp:
        problems.append(f'ARP reply to the exporter: {seen["to_exporter"]}, want one on VLAN {VLAN}: {want_arp.hex()}')
    if seen['to_stranger']:
        problems.append(f'answered an untagged or wrongly tagged ARP request: {seen["to_stranger"]}')
    requests = [bytes.fromhex(f) for f in seen['arp_requests']]
    want_ask = arp(1, our_mac, net.OUR4, bytes(6), COLLECTOR4)
    if not requests or any(untag(f)[:2] != (VLAN, ETH_ARP) or f[:12] != BROADCAST + our_mac or
                           untag(f)[2][:len(want_ask)] != want_ask for f in requests):
        problems.append(f'ARP requests for the collector: {seen["arp_requests"]}, want tagged {want_ask.hex()}')
    if seen['other']:
        problems.append(f'unexpected frames from the daemon: {seen["other"][:3]}')

    templates, got = {}, []
    for i, hex_frame in enumerate(seen['to_collector']):
        frame = bytes.fromhex(hex_frame)
        vlan, ethertype, body = untag(frame)
        if (vlan, ethertype, frame[:12]) != (VLAN, ETH_IP, COLLECTOR_MAC + our_mac):
            problems.append(f'datagram {i}: VLAN {vlan}, ethertype {ethertype:#06x}, MACs {frame[:12].hex()}')
            continue
        payload = check_ipv4_udp(body, problems, f'datagram {i}')
        if payload:
            got += ipfix_records(payload, templates)
    want = sorted((src, dst, check_live.mmdb_asn(a.mmdblookup, f'{a.db_dir}/asn.mmdb', src),
                   check_live.mmdb_asn(a.mmdblookup, f'{a.db_dir}/asn.mmdb', dst)) for src, dst in flows)

    def as_number(r, ie):
        return int.from_bytes(r[(0, ie)], 'big') if (0, ie) in r else None
    have = sorted((socket.inet_ntoa(r.get((0, 8), bytes(4))), socket.inet_ntoa(r.get((0, 12), bytes(4))),
                   as_number(r, 16), as_number(r, 17)) for r in got)
    if have != want:
        problems.append(f'records at the collector (src, dst, src AS, dst AS): {have}, want (mmdblookup) {want}')
    return problems, len(seen['to_collector']), len(got)


def judge_counters(stats, collectors, forwarded, sent):
    """`sent`: the frames the peer sent, of which 4 untagged or wrongly tagged."""
    problems = []
    if stats is None or collectors is None:
        return ['the stats port did not answer']
    port = stats['port']
    # Two ARP requests and two datagrams, untagged or on another VLAN: not ours, and nothing else.
    want = {'frames_received': sent, 'drop_not_for_us': 4, 'drop_not_ip': 0, 'drop_not_udp': 0, 'drop_wrong_port': 0,
            'drop_fragment': 0, 'drop_bad_checksum': 0, 'drop_malformed': 0, 'drop_port_rx': 0, 'tx_errors': 0,
            'neighbour_replies_sent': 1}
    have = {k: port[k] for k in want}
    if have != want:
        problems.append(f'port counters {have}, want {want}')
    c = collectors['collectors'][0]
    have = [c[k] for k in ('sent_datagrams', 'dropped_buffer_full', 'dropped_no_neighbour', 'dropped_other')]
    if have != [forwarded, 0, 0, 0]:
        problems.append(f'collector sent/dropped (full, no neighbour, other) {have}, want [{forwarded}, 0, 0, 0]')
    return problems


def run(a, work):
    cfg = work / 'dpdk-vlan.yaml'
    cfg.write_text(f"""
general: {{listen_port: {net.LISTEN}, stats_address: 127.0.0.1, stats_port: 0}}
store: {{path: {work}/store}}
enrichment:
  asn_database: {a.db_dir}/asn.mmdb
  country_database: {a.db_dir}/country.mmdb
forwarding:
  collectors: [{{host: "{COLLECTOR4}", port: {net.COLLECT}}}]
io:
  backend: dpdk
  dpdk:
    ports:
      - device: "net_af_packet0,iface={net.VETH_DAEMON}"
        address: {net.OUR4}/24
        vlan: {VLAN}
""")
    flows = check_live.V4_FLOWS
    datagrams = [check_traffic.ipfix_datagram(src, dst, 1000 + i) for i, (src, dst) in enumerate(flows)]
    dlog = work / 'daemon.log'
    daemon = subprocess.Popen(net.in_ns(net.NS_DAEMON, a.enricher, '-c', cfg), stdout=open(dlog, 'w'),
                              stderr=subprocess.STDOUT, start_new_session=True)
    try:
        check_live.wait_for(dlog, 'stats port on', daemon, 'ipfix-enricher')
        stats_port = int(re.search(r'stats port on 127\.0\.0\.1:(\d+)', dlog.read_text()).group(1))
        mac_file = pathlib.Path(f'/sys/class/net/{net.VETH_DAEMON}/address')
        mac_text = subprocess.run(net.in_ns(net.NS_DAEMON, 'cat', mac_file), capture_output=True, text=True,
                                  timeout=10).stdout.strip()
        p = subprocess.run(net.in_ns(net.NS_PEER, sys.executable, __file__, '--peer', net.VETH_PEER, mac_text,
                                     *[d.hex() for d in datagrams]),
                           capture_output=True, text=True, timeout=PEER_TIMEOUT_S + 30)
        if p.returncode != 0:
            return [f'peer side exit {p.returncode}: {p.stderr.strip()[-500:]}'], 0, 0
        seen = json.loads(p.stdout)
        base = f'http://127.0.0.1:{stats_port}'
        stats, collectors = in_daemon_ns_get(base + '/api/v1/stats'), in_daemon_ns_get(base + '/api/v1/collectors')
        problems, forwarded, records = judge(a, seen, bytes.fromhex(mac_text.replace(':', '')), flows)
        # The exporter's ARP request, the four to be dropped, the datagrams, our answers for the collector.
        problems += judge_counters(stats, collectors, forwarded, 1 + 4 + len(datagrams) + len(seen['answers']))
        if check_live.stop(daemon) != 0:
            problems.append(f'ipfix-enricher exit {daemon.returncode} on SIGTERM')
        if problems:
            print(dlog.read_text(errors='replace')[-1500:])
        return problems, forwarded, records
    finally:
        kill_leftovers(daemon, timeout=check_live.STOP_TIMEOUT_S)


def main():
    if len(sys.argv) > 1 and sys.argv[1] == '--peer':
        return peer_side(sys.argv[2], sys.argv[3], sys.argv[4:])
    ap = argparse.ArgumentParser()
    ap.add_argument('--enricher', required=True)
    ap.add_argument('--db-dir', required=True)
    ap.add_argument('--mmdblookup', required=True)
    a = ap.parse_args()
    try:
        if not net.make_network():
            print('SKIP: cannot create network namespaces (needs root)')
            return 77
        # Quiet links: the peer's kernel sends no IPv6 of its own (it would be counted as untagged).
        net.sh(*net.in_ns(net.NS_PEER, 'sysctl', '-qw', f'net.ipv6.conf.{net.VETH_PEER}.disable_ipv6=1'))
        net.sh(*net.in_ns(net.NS_DAEMON, 'ip', 'link', 'set', 'lo', 'up'))  # for the stats port
        with tempfile.TemporaryDirectory(prefix='ipfix-dpdk-vlan-') as tmp:
            problems, forwarded, records = run(a, pathlib.Path(tmp))
        for p in problems:
            print('FAIL:', p)
        print(f'{"FAIL" if problems else "ok"}: dpdk port on VLAN {VLAN} (net_af_packet, tagged frames from a packet '
              f'socket): ARP answered tagged, {records} records in {forwarded} tagged datagrams with checksums '
              f'and AS numbers right, untagged and wrongly tagged frames counted and dropped')
        return 1 if problems else 0
    finally:
        net.remove_network()


if __name__ == '__main__':
    sys.exit(main())
