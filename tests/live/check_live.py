#!/usr/bin/env python3
"""The live daemon between real exporters and a real collector: softflowd and pmacctd (nfprobe)
read a capture of traffic between addresses of the test AS database and export NetFlow v5, v9
and IPFIX to
ipfix-enricher (socket backend, DPDK EAL without hugepages) on loopback, which forwards to
nfcapd; nfdump must then show every flow once, with the AS numbers mmdblookup gives for its
addresses (v5: AS_TRANS for a 4-byte AS), and the daemon must stop cleanly on SIGTERM. IPFIX runs
once more with the split layout (RX lcore, ring, worker lcore) and a SIGHUP reload while running.

  check_live.py --enricher E --db-dir DIR --mmdblookup M [--softflowd S] [--pmacctd P]
                [--nfcapd N] [--nfdump N]

Every server is started on a free loopback port and stopped, all waits are bounded.
"""
import argparse
import ipaddress
import json
import os
import pathlib
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

from proc_util import kill_leftovers

START_TIMEOUT_S = 20
STOP_TIMEOUT_S = 20

# Flows between addresses of tests/offline's AS database (make_test_dbs.py), some the
# database does not know (0), one 4-byte AS (200000); IPv6 only where the version can carry it.
V4_FLOWS = [('8.8.8.8', '1.1.1.1'), ('93.184.216.34', '150.1.2.3'), ('92.1.2.3', '5.6.7.8'),
            ('94.0.0.1', '8.8.4.4'), ('200.1.1.1', '180.2.2.2'), ('12.0.0.1', '95.5.5.5')]
V6_FLOWS = [('2001:1000::1', '2001:4d98::2'), ('2a00::5', '2001:db8::9'), ('2001:4d98::7', '2000::1')]


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def checksum(data):
    if len(data) % 2:
        data += b'\0'
    s = sum(struct.unpack(f'!{len(data) // 2}H', data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def udp_frame(src, dst, sport, dport, payload):
    s, d = ipaddress.ip_address(src), ipaddress.ip_address(dst)
    udp_len = 8 + len(payload)
    if s.version == 4:
        pseudo = s.packed + d.packed + struct.pack('!BBH', 0, 17, udp_len)
        udp = struct.pack('!HHHH', sport, dport, udp_len, 0) + payload
        udp = udp[:6] + struct.pack('!H', checksum(pseudo + udp) or 0xFFFF) + udp[8:]
        ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + udp_len, 1, 0, 64, 17, 0, s.packed, d.packed)
        ip = ip[:10] + struct.pack('!H', checksum(ip)) + ip[12:]
        return b'\x02' * 6 + b'\x04' * 6 + b'\x08\x00' + ip + udp
    pseudo = s.packed + d.packed + struct.pack('!IxxxB', udp_len, 17)
    udp = struct.pack('!HHHH', sport, dport, udp_len, 0) + payload
    udp = udp[:6] + struct.pack('!H', checksum(pseudo + udp) or 0xFFFF) + udp[8:]
    ip = struct.pack('!IHBB16s16s', 0x60000000, udp_len, 17, 64, s.packed, d.packed)
    return b'\x02' * 6 + b'\x04' * 6 + b'\x86\xdd' + ip + udp


def write_traffic(path, flows):
    """Three packets per flow, a second apart; returns the flows as (src, dst, sport, dport)."""
    out = [struct.pack('<IHHiIII', 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
    keyed = []
    t = 1_700_000_000
    for i, (src, dst) in enumerate(flows):
        sport, dport = 40000 + i, 53
        keyed.append((src, dst, sport, dport))
        for k in range(3):
            f = udp_frame(src, dst, sport, dport, bytes([i]) * (50 + k))
            out.append(struct.pack('<IIII', t + k, 0, len(f), len(f)) + f)
    pathlib.Path(path).write_bytes(b''.join(out))
    return keyed


def config_head(db_dir, dport):
    """The start of a test daemon's YAML: listening on 127.0.0.1 port `dport`, the stats port on
    a port the kernel picks, and the test databases in `db_dir`."""
    return (f'general: {{listen_address: 127.0.0.1, listen_port: {dport}, stats_port: 0}}\n'
            f'enrichment:\n  asn_database: {db_dir}/asn.mmdb\n  country_database: {db_dir}/country.mmdb\n')


def mmdb_asn(mmdblookup, db, address):
    p = subprocess.run([mmdblookup, '--file', db, '--ip', address, 'autonomous_system_number'],
                       capture_output=True, text=True, timeout=30)
    for word in p.stdout.split():
        if word.isdigit():
            return int(word)
    return 0


def wait_for(path, text, proc, what):
    deadline = time.monotonic() + START_TIMEOUT_S
    while text not in pathlib.Path(path).read_text(errors='replace'):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f'{what} did not start: {pathlib.Path(path).read_text(errors="replace")}')
        time.sleep(0.05)


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=STOP_TIMEOUT_S)
            raise RuntimeError('did not stop on SIGTERM')
    return proc.returncode


def export(a, work, exporter, version, traffic, port, tag):
    """Runs the exporter over the capture to 127.0.0.1:port; returns a problem or None."""
    if exporter == 'softflowd':
        p = subprocess.run([a.softflowd, '-d', '-r', traffic, '-n', f'127.0.0.1:{port}', '-v', str(version)],
                           capture_output=True, text=True, timeout=60)
        return None if p.returncode == 0 else f'softflowd exit {p.returncode}: {p.stderr.strip()[:300]}'
    conf = work / f'pmacctd-{tag}.conf'
    conf.write_text(f'daemonize: false\npcap_savefile: {traffic}\nplugins: nfprobe\n'
                    f'nfprobe_receiver: 127.0.0.1:{port}\nnfprobe_version: {version}\n')
    p = subprocess.run([a.pmacctd, '-f', conf], capture_output=True, text=True, timeout=60)
    # pmacctd ends a savefile with "no more plugins active" and status 1 once nfprobe has flushed.
    out = p.stdout + p.stderr
    if p.returncode not in (0, 1) or 'Exporting flows' not in out:
        return f'pmacctd exit {p.returncode}: {out.strip()[-300:]}'
    return None


def run_version(a, work, version, traffic, flows, layout='fused', reload=False, exporter='softflowd'):
    """One exporter version through the daemon; with `reload`, a SIGHUP while it runs."""
    problems = []
    tag = f'{exporter}-v{version}-{layout}'
    cport, dport = free_udp_port(), free_udp_port()
    flowdir = work / f'flows-{tag}'
    flowdir.mkdir()
    cfg = work / f'live-{tag}.yaml'
    # split: an RX lcore and a worker lcore beside the main one, floating over the first two CPUs
    # (CI machines have two).
    io = ('io: {layout: split, eal_args: ["--no-huge", "--no-pci", "--no-shconf", "-m", "256", '
          '"--lcores=(0-2)@(0-1)", "--log-level=lib.*:error"]}' if layout == 'split' else '')
    cfg.write_text(f"""
{config_head(a.db_dir, dport)}forwarding:
  collectors: [{{host: 127.0.0.1, port: {cport}}}]
store: {{path: {work}/store-{tag}}}
{io}
""")
    nlog, dlog = work / f'nfcapd-{tag}.log', work / f'daemon-{tag}.log'
    nfcapd = subprocess.Popen([a.nfcapd, '-b', '127.0.0.1', '-p', str(cport), '-w', str(flowdir), '-t', '3600'],
                              stdout=open(nlog, 'w'), stderr=subprocess.STDOUT, start_new_session=True)
    daemon = None
    try:
        wait_for(nlog, 'Startup', nfcapd, 'nfcapd')
        daemon = subprocess.Popen([a.enricher, '-c', cfg], stdout=open(dlog, 'w'), stderr=subprocess.STDOUT,
                                  start_new_session=True)
        wait_for(dlog, 'listening on', daemon, 'ipfix-enricher')
        if reload:
            daemon.send_signal(signal.SIGHUP)
            wait_for(dlog, 'AS databases loaded', daemon, 'the reload')
        problem = export(a, work, exporter, version, traffic, dport, tag)
        if problem:
            problems.append(problem)
        time.sleep(1.0)  # the daemon's bursts out, nfcapd's socket read dry
        rc = stop(daemon)
        if rc != 0:
            problems.append(f'ipfix-enricher exit {rc} on SIGTERM')
        stop(nfcapd)
    finally:
        kill_leftovers(daemon, nfcapd, timeout=STOP_TIMEOUT_S)
    log = dlog.read_text(errors='replace')
    if 'received' not in log or ' 0 dropped' not in log:
        problems.append(f'daemon summary missing or drops: {log.strip()[-400:]}')

    p = subprocess.run([a.nfdump, '-R', flowdir, '-o', 'json'], capture_output=True, text=True, timeout=60)
    text = p.stdout.strip()
    seen = {}
    for f in (json.loads(text) if text.startswith('[') else []):
        if f.get('type') != 'FLOW':
            continue
        src = f.get('src4_addr', f.get('src6_addr'))
        dst = f.get('dst4_addr', f.get('dst6_addr'))
        key = (str(ipaddress.ip_address(src)), str(ipaddress.ip_address(dst)), f.get('src_port'), f.get('dst_port'))
        seen.setdefault(key, []).append((f.get('src_as', 0), f.get('dst_as', 0)))
    checked = 0
    for src, dst, sport, dport_ in flows:
        key = (src, dst, sport, dport_)
        got = seen.pop(key, None)
        if got is None:
            problems.append(f'{tag}: flow {src}:{sport} -> {dst}:{dport_} missing at the collector')
            continue
        if len(got) != 1:
            problems.append(f'{tag}: flow {src} -> {dst} arrived {len(got)} times')
        want = []
        for address in (src, dst):
            asn = mmdb_asn(a.mmdblookup, f'{a.db_dir}/asn.mmdb', address)
            want.append(23456 if version == 5 and asn > 65535 else asn)
        if list(got[0]) != want:
            problems.append(f'{tag}: flow {src} -> {dst}: AS {list(got[0])} at the collector, mmdblookup {want}')
        checked += 1
    # softflowd's own flows (none expected: it reads a file) and anything unexplained.
    for key in seen:
        problems.append(f'{tag}: unexpected flow at the collector: {key}')
    return checked, problems


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--enricher', required=True)
    ap.add_argument('--db-dir', required=True)
    ap.add_argument('--mmdblookup', required=True)
    ap.add_argument('--softflowd', default='softflowd')
    ap.add_argument('--pmacctd', default='')
    ap.add_argument('--nfcapd', default='nfcapd')
    ap.add_argument('--nfdump', default='nfdump')
    a = ap.parse_args()
    failed = False
    with tempfile.TemporaryDirectory(prefix='ipfix-live-') as tmp:
        work = pathlib.Path(tmp)
        runs = [('softflowd', 5, 'fused', False), ('softflowd', 9, 'fused', False),
                ('softflowd', 10, 'fused', False), ('softflowd', 10, 'split', True)]
        if a.pmacctd:
            runs += [('pmacctd', v, 'fused', False) for v in (5, 9, 10)]
        for exporter, version, layout, reload in runs:
            flows = V4_FLOWS + (V6_FLOWS if version != 5 else [])
            traffic = work / f'traffic{version}.pcap'
            keyed = write_traffic(traffic, flows)
            checked, problems = run_version(a, work, version, traffic, keyed, layout, reload, exporter)
            for p in problems:
                print('FAIL:', p)
            failed |= bool(problems)
            print(f'{"FAIL" if problems else "ok"}: NetFlow v{version} via {exporter} -> ipfix-enricher ({layout} '
                  f'layout{", reloaded by SIGHUP" if reload else ""}) -> nfcapd: {checked} of {len(keyed)} flows '
                  f'with AS numbers as mmdblookup gives them')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
