#!/usr/bin/env python3
"""ipfix-monitor judged by tshark, and live on loopback.

  check_monitor.py captures --monitor M --corpus DIR [--tshark T]
      every export packet of every corpus capture: ipfix-monitor --json -r must give, per frame,
      the exporter, the payload length, the version, sequence number, domain and the distinct
      source and destination AS numbers in the order tshark's NetFlow/IPFIX dissector shows them.
  check_monitor.py live --monitor M
      ipfix-monitor -i lo while this script sends three IPFIX packets to a loopback port: the
      three lines must describe exactly what was sent. Exit 77 (skipped) without the right to
      capture.
"""
import argparse
import json
import pathlib
import socket
import struct
import subprocess
import sys
import time

TIMEOUT_S = 60


def tshark_packets(tshark, capture):
    """The capture's UDP destination ports, and its export packets by frame number, with every
    UDP port decoded as NetFlow/IPFIX (corpus captures hold little else; what is not a v5, v9 or
    IPFIX header is left out)."""
    fields = ['frame.number', 'udp.dstport', 'ip.src', 'ipv6.src', 'udp.srcport', 'udp.length', 'cflow.version', 'cflow.sequence',
              'cflow.od_id', 'cflow.source_id', 'cflow.engine_type', 'cflow.engine_id', 'cflow.srcas', 'cflow.dstas',
              'ip.flags.mf', 'ip.frag_offset']
    args = [tshark, '-r', capture, '-T', 'fields', '-E', 'separator=|', '-E', 'occurrence=a', '-E', 'aggregator=,']
    for f in fields:
        args += ['-e', f]
    args += ['-d', 'udp.port==1-65535,cflow']
    out = subprocess.run(args, capture_output=True, text=True, timeout=TIMEOUT_S).stdout
    ports, packets = set(), {}
    for line in out.splitlines():
        v = dict(zip(fields, line.split('|')))
        if v.get('udp.dstport', '').isdigit():
            ports.add(int(v['udp.dstport']))
        if v.get('cflow.version') not in ('5', '9', '10') or v.get('ip.flags.mf') in ('1', 'True') or \
                v.get('ip.frag_offset', '0') not in ('', '0'):
            continue  # not a flow export header, or a fragment tshark reassembled
        packets[int(v['frame.number'])] = v
    return sorted(ports), packets


def distinct(csv):
    out = []
    for x in csv.split(',') if csv else []:
        if x and int(x) not in out:
            out.append(int(x))
    return out


def first(csv):
    return int(csv.split(',')[0]) if csv else None


def check_captures(a):
    problems = []
    compared = 0
    captures = sorted(pathlib.Path(a.corpus).rglob('*.pcap*'))
    for capture in captures:
        ports, want = tshark_packets(a.tshark, capture)
        if not want:
            continue
        args = [a.monitor, '--json', '-r', str(capture)]
        for p in ports:
            args += ['--port', str(p)]
        p = subprocess.run(args, capture_output=True, text=True, timeout=TIMEOUT_S)
        if p.returncode != 0:
            problems.append(f'{capture.name}: ipfix-monitor exit {p.returncode}: {p.stderr.strip()[:200]}')
            continue
        got = {}
        for line in p.stdout.splitlines():
            j = json.loads(line)
            got[j['frame']] = j
        for frame, v in want.items():
            g = got.get(frame)
            where = f'{capture.name} frame {frame}'
            if g is None:
                problems.append(f'{where}: tshark shows a v{v["cflow.version"]} packet, ipfix-monitor nothing')
                continue
            if not g['decoded']:
                problems.append(f'{where}: ipfix-monitor could not decode what tshark decodes')
                continue
            src = v['ip.src'] or v['ipv6.src']
            exporter = f'[{src}]:{v["udp.srcport"]}' if ':' in src else f'{src}:{v["udp.srcport"]}'
            version = first(v['cflow.version'])
            if version == 5:
                domain = (first(v['cflow.engine_type']) << 8) | first(v['cflow.engine_id'])
            else:
                domain = first(v['cflow.od_id'] or v['cflow.source_id'])
            expected = {'exporter': exporter, 'length': int(first(v['udp.length'])) - 8, 'version': version,
                        'sequence': first(v['cflow.sequence']), 'domain': domain,
                        'source_as': distinct(v['cflow.srcas']), 'destination_as': distinct(v['cflow.dstas'])}
            for key, value in expected.items():
                if g[key] != value:
                    problems.append(f'{where}: {key} {g[key]!r}, tshark {value!r}')
            compared += 1
        for frame, g in got.items():
            if frame not in want and g['decoded']:
                problems.append(f'{capture.name} frame {frame}: ipfix-monitor shows a packet tshark does not decode')
    for problem in problems[:40]:
        print('FAIL:', problem)
    if compared == 0:
        problems.append('nothing compared')
        print('FAIL: no packet compared')
    print(f'{"FAIL" if problems else "ok"}: {compared} export packets of {len(captures)} captures as tshark shows '
          f'them ({len(problems)} differences)')
    return 1 if problems else 0


def ipfix_packet(seq, domain, records):
    """IPFIX with template 256 (source/destination address, source/destination AS)."""
    tmpl = struct.pack('!HHHHHHHHHH', 256, 4, 8, 4, 12, 4, 16, 4, 17, 4)
    sets = struct.pack('!HH', 2, 4 + len(tmpl)) + tmpl
    data = b''.join(socket.inet_aton(s) + socket.inet_aton(d) + struct.pack('!II', sa, da) for s, d, sa, da in records)
    sets += struct.pack('!HH', 256, 4 + len(data)) + data
    return struct.pack('!HHIII', 10, 16 + len(sets), int(time.time()), seq, domain) + sets


def check_live(a):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(('127.0.0.1', 0))
        port = probe.getsockname()[1]
    mon = subprocess.Popen([a.monitor, '--json', '-i', 'lo', '--port', str(port), '--count', '3', '--seconds', '20'],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.0)  # the capture is open before the first packet
    if mon.poll() is not None:
        err = mon.stderr.read()
        if 'ermission' in err or 'not permitted' in err:
            print(f'SKIP: cannot capture on lo here: {err.strip()}')
            return 77
        print(f'FAIL: ipfix-monitor exited {mon.returncode}: {err.strip()}')
        return 1
    sent = [
        (100, 7, [('192.0.2.1', '198.51.100.1', 64500, 15169)]),
        (101, 7, [('192.0.2.2', '198.51.100.2', 64501, 15169), ('192.0.2.3', '198.51.100.3', 64500, 3356)]),
        (103, 9, []),
    ]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(('127.0.0.1', 0))
        sport = s.getsockname()[1]
        for seq, domain, records in sent:
            s.sendto(ipfix_packet(seq, domain, records), ('127.0.0.1', port))
            time.sleep(0.05)
    try:
        out, err = mon.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        mon.kill()
        out, err = mon.communicate()
    problems = []
    lines = [json.loads(x) for x in out.splitlines()]
    if len(lines) != 3:
        problems.append(f'{len(lines)} lines, not 3: {out.strip()[:500]} {err.strip()[:200]}')
    for g, (seq, domain, records) in zip(lines, sent):
        want = {'exporter': f'127.0.0.1:{sport}', 'destination': f'127.0.0.1:{port}',
                'length': len(ipfix_packet(seq, domain, records)), 'version': 10, 'sequence': seq, 'domain': domain,
                'records': len(records), 'templates': 1,
                'source_as': list(dict.fromkeys(r[2] for r in records)),
                'destination_as': list(dict.fromkeys(r[3] for r in records))}
        for key, value in want.items():
            if g.get(key) != value:
                problems.append(f'packet {seq}: {key} {g.get(key)!r}, sent {value!r}')
    for problem in problems:
        print('FAIL:', problem)
    print(f'{"FAIL" if problems else "ok"}: ipfix-monitor -i lo showed {len(lines)} of 3 packets as sent')
    return 1 if problems else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('mode', choices=['captures', 'live'])
    ap.add_argument('--monitor', required=True)
    ap.add_argument('--corpus')
    ap.add_argument('--tshark', default='tshark')
    a = ap.parse_args()
    return check_captures(a) if a.mode == 'captures' else check_live(a)


if __name__ == '__main__':
    sys.exit(main())
