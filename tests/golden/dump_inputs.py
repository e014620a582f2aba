#!/usr/bin/env python3
"""Checks that ipfix-dump finds the same export datagrams whatever carries them: every link type
it reads (Ethernet with and without VLAN tags, Linux cooked SLL/SLL2, raw IP, BSD loopback),
IPv4 and IPv6 (with extension headers), pcap and pcapng; that it skips and counts what it cannot
use (fragments, other ports, other protocols, short captures) without trimming or padding
payloads wrongly; and that --listen receives on a UDP socket until SIGINT.

  dump_inputs.py --dump PATH/ipfix-dump --corpus tests/corpus
"""
import argparse
import json
import select
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_pcap import split_messages  # noqa: E402

SRC4, DST4 = bytes([192, 0, 2, 1]), bytes([192, 0, 2, 2])
SRC6 = socket.inet_pton(socket.AF_INET6, '2001:db8::1')
DST6 = socket.inet_pton(socket.AF_INET6, '2001:db8::2')
SPORT = 49152

# Link types (pcap LINKTYPE_ values)
EN10MB, RAW, LINUX_SLL, LOOP, LINUX_SLL2, IPV4, IPV6, NULL = 1, 101, 113, 108, 276, 228, 229, 0


def udp(payload, dport, sport=SPORT):
    return struct.pack('>HHHH', sport, dport, 8 + len(payload), 0) + payload


def ipv4(l4, proto=17, flags_fragment=0, total=None):
    total = 20 + len(l4) if total is None else total
    return struct.pack('>BBHHHBBH4s4s', 0x45, 0, total, 1, flags_fragment, 64, proto, 0, SRC4, DST4) + l4


def ipv6(l4, next_header=17, extensions=b''):
    body = extensions + l4
    return struct.pack('>IHBB16s16s', 6 << 28, len(body), next_header, 64, SRC6, DST6) + body


def ether(l3, ethertype, tags=()):
    head = bytes.fromhex('020000000002020000000001')
    for tpid, vid in tags:
        head += struct.pack('>HH', tpid, vid)
    return head + struct.pack('>H', ethertype) + l3


def sll(l3, ethertype):
    return struct.pack('>HHH8sH', 0, 1, 6, bytes(8), ethertype) + l3


def sll2(l3, ethertype):
    return struct.pack('>HHIHBB8s', ethertype, 0, 1, 1, 0, 6, bytes(8)) + l3


def write_pcap(path, link_type, frames, snaplen=65535):
    """frames: [bytes] or [(bytes, wire length)]."""
    with open(path, 'wb') as f:
        f.write(struct.pack('<IHHiIII', 0xA1B2C3D4, 2, 4, 0, 0, snaplen, link_type))
        for i, fr in enumerate(frames):
            data, wire = fr if isinstance(fr, tuple) else (fr, len(fr))
            f.write(struct.pack('<IIII', 1500000000 + i, 0, len(data), wire) + data)


def write_pcapng(path, link_type, frames):
    def block(kind, body):
        body += bytes(-len(body) % 4)
        return struct.pack('<II', kind, 12 + len(body)) + body + struct.pack('<I', 12 + len(body))
    out = block(0x0A0D0D0A, struct.pack('<IHHq', 0x1A2B3C4D, 1, 0, -1))
    out += block(0x00000001, struct.pack('<HHI', link_type, 0, 65535))
    for i, data in enumerate(frames):
        ts = (1500000000 + i) * 1000000  # default resolution: microseconds
        out += block(0x00000006, struct.pack('<IIIII', 0, ts >> 32, ts & 0xFFFFFFFF, len(data), len(data)) + data)
    Path(path).write_bytes(out)


def run(dump, args):
    proc = subprocess.run([dump, '--json'] + args, capture_output=True, text=True, timeout=60)
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    counters = {}
    for line in proc.stderr.splitlines():
        name, _, value = line.rpartition(' ')
        if value.isdigit():
            counters[name.strip()] = int(value)
    return proc.returncode, records, counters


def without_exporter(records):
    return [{k: v for k, v in r.items() if k != 'exporter'} for r in records]


class Checker:
    def __init__(self):
        self.failures = 0

    def check(self, name, ok, detail=''):
        print(f'{"ok  " if ok else "FAIL"} {name}{"" if ok else ": " + detail}')
        self.failures += not ok


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--dump', required=True)
    ap.add_argument('--corpus', required=True, type=Path)
    args = ap.parse_args()
    dump = args.dump
    c = Checker()

    raw = args.corpus / 'logstash-codec-netflow' / 'raw'
    payloads = split_messages((raw / 'netflow9_test_valid01.dat').read_bytes()) + \
        split_messages((raw / 'ipfix.dat').read_bytes())
    ports = [2055] + [4739] * (len(payloads) - 1)
    v4 = [ipv4(udp(p, port)) for p, port in zip(payloads, ports)]
    v6 = [ipv6(udp(p, port)) for p, port in zip(payloads, ports)]

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        base_pcap = tmp / 'ether.pcap'
        write_pcap(base_pcap, EN10MB, [ether(p, 0x0800) for p in v4])
        rc, base, counters = run(dump, [str(base_pcap)])
        c.check('ethernet baseline', rc == 0 and len(base) == 7 + 13 and counters.get('udp payloads decoded') == 4,
                f'rc {rc}, {len(base)} records, {counters}')
        c.check('ethernet baseline exporter', all(r['exporter'] == '192.0.2.1:49152' for r in base))

        variants = {
            'vlan': (EN10MB, [ether(p, 0x0800, [(0x8100, 10)]) for p in v4], False),
            'qinq': (EN10MB, [ether(p, 0x0800, [(0x88A8, 100), (0x8100, 10)]) for p in v4], False),
            'sll': (LINUX_SLL, [sll(p, 0x0800) for p in v4], False),
            'sll2': (LINUX_SLL2, [sll2(p, 0x0800) for p in v4], False),
            'raw': (RAW, v4, False),
            'ipv4': (IPV4, v4, False),
            'null': (NULL, [struct.pack('<I', 2) + p for p in v4], False),
            'loop': (LOOP, [struct.pack('>I', 2) + p for p in v4], False),
            'ethernet ipv6': (EN10MB, [ether(p, 0x86DD) for p in v6], True),
            'raw ipv6': (RAW, v6, True),
            'ipv6': (IPV6, v6, True),
            'null ipv6': (NULL, [struct.pack('<I', 30) + p for p in v6], True),
            'sll2 ipv6': (LINUX_SLL2, [sll2(p, 0x86DD) for p in v6], True),
        }
        for name, (link, frames, is6) in variants.items():
            path = tmp / f'{name.replace(" ", "_")}.pcap'
            write_pcap(path, link, frames)
            rc, records, _ = run(dump, [str(path)])
            same = without_exporter(records) == without_exporter(base) if is6 else records == base
            exporter = '[2001:db8::1]:49152' if is6 else '192.0.2.1:49152'
            c.check(f'{name}: same records as over Ethernet', rc == 0 and same and
                    all(r['exporter'] == exporter for r in records), f'rc {rc}, {len(records)} records')

        path = tmp / 'ether.pcapng'
        write_pcapng(path, EN10MB, [ether(p, 0x0800) for p in v4])
        rc, records, _ = run(dump, [str(path)])
        c.check('pcapng: same records', rc == 0 and records == base, f'rc {rc}, {len(records)} records')

        # IPv6 extension headers before UDP: hop-by-hop, then a fragment header of an unfragmented
        # ("atomic") datagram.
        hop = struct.pack('>BB6s', 44, 0, bytes(6))
        frag = struct.pack('>BBHI', 17, 0, 0, 1)
        path = tmp / 'ipv6_ext.pcap'
        write_pcap(path, RAW, [ipv6(udp(p, port), next_header=0, extensions=hop + frag)
                               for p, port in zip(payloads, ports)])
        rc, records, _ = run(dump, [str(path)])
        c.check('ipv6 extension headers', rc == 0 and without_exporter(records) == without_exporter(base),
                f'rc {rc}, {len(records)} records')

        # What is skipped, and why. The first frame is the v9 message with its templates.
        tiny_ipfix = struct.pack('>HHIII', 10, 16, 1500000000, 0, 7)  # a header-only message
        frames = [
            ether(v4[0], 0x0800),
            ether(ipv4(udp(payloads[1], 4739), flags_fragment=0x2000), 0x0800),  # first fragment (MF)
            ether(ipv4(b'\x00' * 40, flags_fragment=0x0010), 0x0800),  # a later fragment
            ether(ipv4(udp(payloads[1], 5000)), 0x0800),  # another port
            ether(ipv4(b'\x00' * 20, proto=6), 0x0800),  # TCP
            ether(bytes(28), 0x0806),  # ARP
            (ether(v4[2], 0x0800)[:60], len(ether(v4[2], 0x0800))),  # cut by the snap length
            ether(ipv4(udp(tiny_ipfix, 4739)), 0x0800) + bytes(2),  # padded to 60 bytes
        ]
        path = tmp / 'skips.pcap'
        write_pcap(path, EN10MB, frames)
        rc, records, counters = run(dump, [str(path)])
        expected = {'packets read': 8, 'udp payloads decoded': 3, 'skipped ip_fragment': 1,
                    'skipped other_port': 1, 'skipped not_udp': 1, 'skipped not_ip': 1, 'skipped snaplen': 1,
                    'partial first fragments': 1}
        got = {k: counters.get(k) for k in expected}
        c.check('skipped frames counted by reason', rc == 0 and got == expected, f'{got}')
        c.check('ethernet padding not taken as payload', 'malformed length_mismatch' not in counters,
                f'{counters}')
        rc, records, counters = run(dump, ['--port', '5000', str(path)])
        c.check('--port adds a port', counters.get('udp payloads decoded') == 4 and 'skipped other_port' not in counters,
                f'{counters}')

        rc, _, _ = run(dump, [str(tmp / 'missing.pcap')])
        c.check('unreadable capture: exit 2', rc == 2, f'rc {rc}')
        (tmp / 'not_a_capture.pcap').write_bytes(b'hello, world\n' * 10)
        rc, _, _ = run(dump, [str(tmp / 'not_a_capture.pcap')])
        c.check('not a capture: exit 2', rc == 2, f'rc {rc}')
        rc, _, _ = run(dump, [])
        c.check('no capture: usage, exit 2', rc == 2, f'rc {rc}')
        rc, _, _ = run(dump, ['--listen', '[192.0.2.1]:2055'])
        c.check('bad --listen address: exit 2', rc == 2, f'rc {rc}')

    # Live: a UDP socket on loopback, datagrams from a Python socket, stopped by SIGINT.
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.bind(('127.0.0.1', 0))
    port = probe.getsockname()[1]
    probe.close()
    proc = subprocess.Popen([dump, '--json', '--listen', f'127.0.0.1:{port}'], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sender.bind(('127.0.0.1', 0))
        # Send until the listener is up and has printed the records of the first message.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and proc.poll() is None:
            sender.sendto(payloads[0], ('127.0.0.1', port))
            if select.select([proc.stdout], [], [], 0.2)[0]:
                break
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
        records = [json.loads(line) for line in out.splitlines()]
        sender_port = sender.getsockname()[1]
        sender.close()
        c.check('--listen: records received until SIGINT', proc.returncode == 0 and len(records) >= 7 and len(records) % 7 == 0 and
                all(r['exporter'] == f'127.0.0.1:{sender_port}' for r in records) and 'packets read' in err,
                f'rc {proc.returncode}, {len(records)} records, stderr {err[:200]!r}')
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

    print(f'{c.failures} failed')
    return 1 if c.failures else 0


if __name__ == '__main__':
    sys.exit(main())
