#!/usr/bin/env python3
"""The dpdk backend between real programs over a veth pair: the test creates two network
namespaces joined by a veth pair; ipfix-enricher runs in one of them with the dpdk backend on
its end (net_af_packet, our address 10.77.0.1/24 and 2001:db8:77::1/64 only in the daemon, the
kernel there has none); in the other, softflowd reads a capture and exports to 10.77.0.1:2055
or [2001:db8:77::1]:2055 (the kernel asks for our MAC by ARP or neighbour solicitation) and
nfcapd collects at 10.77.0.2 or 2001:db8:77::2 (we ask for its MAC).
nfdump must then show every flow once with the AS numbers mmdblookup gives, from our address
(or from the exporter's where the collector keeps it), and the daemon's exit summary must show
ARP/ND replies sent and neighbours resolved, with nothing dropped. Runs: v9 and IPFIX over IPv4
and IPv6; IPFIX with two workers on two RX queues, with the split layout, and with the
collector keeping the exporter's source address; and with an exception TAP (net_tap), through
which a TCP connection from the peer reaches a host address behind the daemon and back. One run
also gets one frame of each kind the daemon must count and drop (raw, from the peer) and checks
each counter.

  check_dpdk.py --enricher E --db-dir DIR --mmdblookup M [--softflowd S] [--nfcapd N] [--nfdump N]
                [--families 4,6] [--layouts fused,rss,split,keep-source,exception]

Exit 77 (skipped) only when network namespaces cannot be made (not root). The namespaces (and
with them the veth pair) are deleted at the end, also on failure; every wait is bounded.
"""
import argparse
import ipaddress
import json
import os
import pathlib
import re
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / 'live'))
import check_live  # noqa: E402  (traffic writer, flows, mmdblookup, start/stop helpers)
from proc_util import kill_leftovers  # noqa: E402

TAG = f'{os.getpid() % 100000}'
NS_DAEMON, NS_PEER = f'ipfxd{TAG}', f'ipfxp{TAG}'
VETH_DAEMON, VETH_PEER = f'ipfxd{TAG}', f'ipfxp{TAG}'  # interface names: at most 15 characters
OUR4, PEER4 = '10.77.0.1', '10.77.0.2'
OUR6, PEER6 = '2001:db8:77::1', '2001:db8:77::2'
LISTEN, COLLECT = 2055, 2056


def sh(*cmd, check=True):
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=30, check=check)


def in_ns(ns, *cmd):
    return ['ip', 'netns', 'exec', ns] + [str(c) for c in cmd]


def make_network():
    """Two namespaces and the veth pair; False when namespaces cannot be made here."""
    if os.geteuid() != 0 or sh('ip', 'netns', 'add', NS_DAEMON, check=False).returncode != 0:
        return False
    sh('ip', 'netns', 'add', NS_PEER)
    sh('ip', 'link', 'add', VETH_DAEMON, 'netns', NS_DAEMON, 'type', 'veth', 'peer', 'name', VETH_PEER,
       'netns', NS_PEER)
    # The daemon's end: up, no address of the kernel's (so only we answer ARP and ND for ours).
    sh(*in_ns(NS_DAEMON, 'sysctl', '-qw', f'net.ipv6.conf.{VETH_DAEMON}.disable_ipv6=1'))
    sh(*in_ns(NS_DAEMON, 'ip', 'link', 'set', VETH_DAEMON, 'up'))
    sh(*in_ns(NS_PEER, 'ip', 'link', 'set', 'lo', 'up'))
    sh(*in_ns(NS_PEER, 'ip', 'addr', 'add', f'{PEER4}/24', 'dev', VETH_PEER))
    sh(*in_ns(NS_PEER, 'ip', 'addr', 'add', f'{PEER6}/64', 'dev', VETH_PEER, 'nodad'))
    # The peer's kernel would leave UDP checksums to the "hardware" (veth: CHECKSUM_PARTIAL), so
    # the frames our packet socket sees carry only the pseudo-header sum: have it compute them.
    sh(*in_ns(NS_PEER, 'ethtool', '-K', VETH_PEER, 'tx', 'off'))
    sh(*in_ns(NS_PEER, 'ip', 'link', 'set', VETH_PEER, 'up'))
    # keep-source: the collector gets datagrams from the exporter's address, which is its own
    # here (one namespace holds both); the kernel takes them with accept_local.
    for conf in ('all', VETH_PEER):
        sh(*in_ns(NS_PEER, 'sysctl', '-qw', f'net.ipv4.conf.{conf}.accept_local=1'))
        sh(*in_ns(NS_PEER, 'sysctl', '-qw', f'net.ipv4.conf.{conf}.rp_filter=0'))
    return True


def remove_network():
    for ns in (NS_DAEMON, NS_PEER):
        sh('ip', 'netns', 'del', ns, check=False)


def collected(nfdump, flowdir):
    """(src, dst, sport, dport) -> [(src_as, dst_as)] of what nfcapd wrote."""
    p = subprocess.run([nfdump, '-R', flowdir, '-o', 'json'], capture_output=True, text=True, timeout=60)
    text = p.stdout.strip()
    seen = {}
    for f in (json.loads(text) if text.startswith('[') else []):
        if f.get('type') != 'FLOW':
            continue
        src = str(ipaddress.ip_address(f.get('src4_addr', f.get('src6_addr'))))
        dst = str(ipaddress.ip_address(f.get('dst4_addr', f.get('dst6_addr'))))
        seen.setdefault((src, dst, f.get('src_port'), f.get('dst_port')), []).append(
            (f.get('src_as', 0), f.get('dst_as', 0), f.get('ip4_router', f.get('ip6_router'))))
    return seen


# What the daemon must count and drop, one of each, sent raw from the peer namespace.
INJECT_SCRIPT = r"""
import socket, sys, struct
sys.path.insert(0, sys.argv[3])
import check_live
our_mac, peer_mac = bytes.fromhex(sys.argv[1].replace(':', '')), b'\x02\x00\x00\x00\x00\x99'
def frame(src, dst, sport, dport, payload=b'x' * 20):
    return our_mac + peer_mac + check_live.udp_frame(src, dst, sport, dport, payload)[12:]
def ip_checksum(f):
    ip = bytearray(f[14:34]); ip[10:12] = b'\0\0'
    return f[:24] + struct.pack('!H', check_live.checksum(bytes(ip))) + f[26:]
good = frame('10.77.0.2', '10.77.0.1', 40000, 2055)
frames = {
    'wrong port': frame('10.77.0.2', '10.77.0.1', 40000, 2099),
    'bad checksum': good[:-1] + bytes([good[-1] ^ 1]),
    'not UDP': ip_checksum(good[:23] + b'\x06' + good[24:]),
    'malformed': ip_checksum(good[:16] + struct.pack('!H', 400) + good[18:]),
    'not IP': our_mac + peer_mac + b'\x88\xcc' + b'\0' * 46,
}
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[2], 0))
for f in frames.values():
    s.send(f)
"""
# No fragment: the af_packet PMD's fanout socket has the kernel reassemble IP fragments
# (PACKET_FANOUT_FLAG_DEFRAG), so a lone one never reaches us (the unit tests cover that drop).
INJECTED = ('not IP', 'not UDP', 'wrong port', 'bad checksum', 'malformed')


def through_exception():
    """TCP from the peer to the host behind the daemon's exception TAP (ARP by the host's kernel
    included) and back; returns the problems."""
    sh(*in_ns(NS_DAEMON, 'ip', 'addr', 'add', f'{HOST4}/24', 'dev', TAP))
    sh(*in_ns(NS_DAEMON, 'ip', 'link', 'set', TAP, 'up'))
    server = subprocess.Popen(in_ns(NS_DAEMON, sys.executable, '-c', ECHO_SERVER, HOST4), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        if server.stdout.readline().strip() != 'ready':
            return ['exception: the echo server did not start']
        p = subprocess.run(in_ns(NS_PEER, sys.executable, '-c', ECHO_CLIENT, HOST4), capture_output=True,
                           text=True, timeout=30)
        if p.stdout.strip() != 'through the exception path':
            return [f'exception: no echo from {HOST4} behind the TAP: {p.stdout.strip()} {p.stderr.strip()[-300:]}']
        return []
    finally:
        kill_leftovers(server, timeout=10)


def summary_count(log, pattern):
    m = re.search(pattern, log)
    return int(m.group(1)) if m else None


# Layouts: one worker on the port's single queue; two workers on two RX queues (the af_packet
# PMD spreads flows over its queues by a hash of the addresses, as RSS does on a NIC); the split
# layout (an RX lcore feeding a worker over a ring, sharing TX queue 0 with it).
LAYOUTS = {
    'fused': ('', 'workers: 1', 'layout: fused'),
    'rss': (',qpairs=2', 'workers: 2', 'layout: fused'),
    'split': ('', 'workers: 1', 'layout: split'),
    'keep-source': ('', 'workers: 1', 'layout: fused'),
    'exception': ('', 'workers: 1', 'layout: fused'),
}
TAP = f'ipfxt{TAG}'
HOST4 = '10.77.0.5'  # the daemon's host, behind the exception TAP

# The host behind the exception interface: a TCP echo of one connection, bounded in time.
ECHO_SERVER = r"""
import socket, sys
s = socket.socket(); s.settimeout(20); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 7777)); s.listen(1); print('ready', flush=True)
c, _ = s.accept(); c.settimeout(10); c.sendall(c.recv(100))
"""
ECHO_CLIENT = r"""
import socket, sys
c = socket.create_connection((sys.argv[1], 7777), timeout=10); c.sendall(b'through the exception path')
print(c.recv(100).decode())
"""
EAL_3_LCORES = ('eal_args: ["--no-huge", "--no-pci", "--no-shconf", "-m", "256", "--lcores=(0-2)@(0-1)", '
                '"--log-level=lib.*:error"]')


def run(a, work, version, family, layout='fused'):
    """One daemon run: softflowd exports `version` over IPv`family`; returns the problems."""
    tag = f'v{version}-ipv{family}-{layout}'
    device_args, workers, io_layout = LAYOUTS[layout]
    our, peer = (OUR4, PEER4) if family == 4 else (OUR6, PEER6)
    flowdir = work / f'flows-{tag}'
    flowdir.mkdir()
    flows = check_live.V4_FLOWS + check_live.V6_FLOWS
    traffic = work / f'traffic-{tag}.pcap'
    keyed = check_live.write_traffic(traffic, flows)
    cfg = work / f'dpdk-{tag}.yaml'
    cfg.write_text(f"""
general: {{listen_port: {LISTEN}, stats_port: 0}}
store: {{path: {work}/store-{tag}}}
performance: {{{workers}}}
enrichment:
  asn_database: {a.db_dir}/asn.mmdb
  country_database: {a.db_dir}/country.mmdb
forwarding:
  collectors: [{{host: "{peer}", port: {COLLECT}{', source_address: exporter' if layout == 'keep-source' else ''}}}]
io:
  backend: dpdk
  {io_layout}
  {EAL_3_LCORES if layout != 'fused' else ''}
  dpdk:
    ports:
      - device: "net_af_packet0,iface={VETH_DAEMON}{device_args}"
        {f'exception: "net_tap0,iface={TAP}"' if layout == 'exception' else ''}
        address: {OUR4}/24
        address6: {OUR6}/64
""")
    problems = []
    nlog, dlog = work / f'nfcapd-{tag}.log', work / f'daemon-{tag}.log'
    nfcapd = subprocess.Popen(in_ns(NS_PEER, a.nfcapd, '-b', peer, '-p', COLLECT, '-w', flowdir, '-t', '3600'),
                              stdout=open(nlog, 'w'), stderr=subprocess.STDOUT, start_new_session=True)
    daemon = None
    try:
        check_live.wait_for(nlog, 'Startup', nfcapd, 'nfcapd')
        daemon = subprocess.Popen(in_ns(NS_DAEMON, a.enricher, '-c', cfg), stdout=open(dlog, 'w'),
                                  stderr=subprocess.STDOUT, start_new_session=True)
        check_live.wait_for(dlog, 'listening on', daemon, 'ipfix-enricher')
        # The daemon asks for the collector's MAC at once; the peer's kernel learns ours from
        # that. Forget it, so the exporter's first datagram makes the kernel ask us.
        time.sleep(0.5)
        sh(*in_ns(NS_PEER, 'ip', 'neigh', 'flush', 'dev', VETH_PEER), check=False)
        inject = family == 4 and version == 10 and layout == 'fused'
        if inject:
            mac = pathlib.Path(f'/sys/class/net/{VETH_DAEMON}/address')
            mac = subprocess.run(in_ns(NS_DAEMON, 'cat', mac), capture_output=True, text=True, timeout=10).stdout.strip()
            p = subprocess.run(in_ns(NS_PEER, sys.executable, '-c', INJECT_SCRIPT, mac, VETH_PEER,
                                     pathlib.Path(check_live.__file__).parent), capture_output=True, text=True, timeout=30)
            if p.returncode != 0:
                problems.append(f'{tag}: could not send the bad frames: {p.stderr.strip()[-300:]}')
        if layout == 'exception':
            problems += through_exception()
        target = f'{our}:{LISTEN}' if family == 4 else f'[{our}]:{LISTEN}'
        p = subprocess.run(in_ns(NS_PEER, a.softflowd, '-d', '-r', traffic, '-n', target, '-v', version),
                           capture_output=True, text=True, timeout=60)
        if p.returncode != 0:
            problems.append(f'{tag}: softflowd exit {p.returncode}: {p.stderr.strip()[:300]}')
        time.sleep(1.0)  # the daemon's bursts out, nfcapd's socket read dry
        if check_live.stop(daemon) != 0:
            problems.append(f'{tag}: ipfix-enricher exit {daemon.returncode} on SIGTERM')
        check_live.stop(nfcapd)
    finally:
        kill_leftovers(daemon, nfcapd, timeout=check_live.STOP_TIMEOUT_S)

    log = dlog.read_text(errors='replace')
    replies = summary_count(log, r'ARP/ND: (\d+) replies sent')
    resolved = summary_count(log, r'(\d+) neighbours resolved')
    unresolved = summary_count(log, r'(\d+) unresolved drops')
    sent_dropped = summary_count(log, r'bytes\), (\d+) dropped')
    if replies is None or not replies >= 1:
        problems.append(f'{tag}: no ARP/ND reply sent by the daemon: {log.strip()[-600:]}')
    if resolved is None or not resolved >= 1:
        problems.append(f'{tag}: no neighbour resolved by the daemon: {log.strip()[-600:]}')
    if unresolved != 0 or sent_dropped != 0:
        problems.append(f'{tag}: output dropped (unresolved {unresolved}, send {sent_dropped}): {log.strip()[-600:]}')

    if layout == 'exception':
        to_tap = summary_count(log, r'exception interface: (\d+) frames to it')
        from_tap = summary_count(log, r'(\d+) from it')
        if not (to_tap and from_tap):
            problems.append(f'{tag}: exception interface counts {to_tap} to it, {from_tap} from it: {log.strip()[-500:]}')
    if inject:
        # Exactly one of each (the peer's kernel sends nothing of these kinds on its own).
        for what in INJECTED:
            n = summary_count(log, r'(\d+) ' + what + r'[,;]')
            if n != 1:
                problems.append(f'{tag}: {n} frames counted as "{what}", one was sent: {log.strip()[-700:]}')

    seen = collected(a.nfdump, flowdir)
    checked = 0
    for src, dst, sport, dport in keyed:
        got = seen.pop((src, dst, sport, dport), None)
        if got is None:
            problems.append(f'{tag}: flow {src}:{sport} -> {dst}:{dport} missing at the collector')
            continue
        if len(got) != 1:
            problems.append(f'{tag}: flow {src} -> {dst} arrived {len(got)} times')
        want = [check_live.mmdb_asn(a.mmdblookup, f'{a.db_dir}/asn.mmdb', x) for x in (src, dst)]
        # The datagrams came from us, or with the exporter's own source address where kept.
        router = peer if layout == 'keep-source' else our
        if got[0][2] is None or str(ipaddress.ip_address(got[0][2])) != router:
            problems.append(f'{tag}: flow {src} -> {dst}: exporter {got[0][2]} at the collector, expected {router}')
        if list(got[0][:2]) != want:
            problems.append(f'{tag}: flow {src} -> {dst}: AS {list(got[0])} at the collector, mmdblookup {want}')
        checked += 1
    for key in seen:
        problems.append(f'{tag}: unexpected flow at the collector: {key}')
    print(f'{"FAIL" if problems else "ok"}: NetFlow v{version} via softflowd over IPv{family} -> ipfix-enricher '
          f'(dpdk, net_af_packet on a veth, {layout}) -> nfcapd: {checked} of {len(keyed)} flows with AS numbers as mmdblookup '
          f'gives them; ARP/ND replies sent {replies}, neighbours resolved {resolved}')
    return problems


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--enricher', required=True)
    ap.add_argument('--db-dir', required=True)
    ap.add_argument('--mmdblookup', required=True)
    ap.add_argument('--softflowd', default='softflowd')
    ap.add_argument('--nfcapd', default='nfcapd')
    ap.add_argument('--nfdump', default='nfdump')
    ap.add_argument('--families', default='4,6', help='IP families to run over: 4, 6 or 4,6')
    ap.add_argument('--layouts', default='fused,rss,split,keep-source,exception', help='of: ' + ', '.join(LAYOUTS))
    a = ap.parse_args()
    try:
        if not make_network():
            print('SKIP: cannot create network namespaces (needs root)')
            return 77
        failed = False
        with tempfile.TemporaryDirectory(prefix='ipfix-dpdk-') as tmp:
            work = pathlib.Path(tmp)
            runs = [(v, int(f), 'fused') for f in a.families.split(',') for v in (9, 10)]
            runs += [(10, 4, layout) for layout in a.layouts.split(',') if layout != 'fused']
            for version, family, layout in runs:
                problems = run(a, work, version, family, layout)
                for p in problems:
                    print('FAIL:', p)
                failed |= bool(problems)
        return 1 if failed else 0
    finally:
        remove_network()


if __name__ == '__main__':
    sys.exit(main())
