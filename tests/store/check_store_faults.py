#!/usr/bin/env python3
"""The store on a full disk: the daemon keeps its whole store (templates, the TCP collector's
spool, record retention) on a small tmpfs mounted for the test, and forwards to a UDP collector
(the test's own, counting records by the templates it receives) and a TCP one (tcp_collector.py,
its own decoder). Records flow in, are forwarded and retained. Then the TCP collector stops and
the filesystem is filled to the last byte while records keep coming, then come with a template
the store has never held. Expected: a clear error in the log for each part (naming the store
and the reason), the stats port showing it (failing 1, write errors, lost records and spooled
messages), every record still at the UDP collector. When the filler is removed the log says each
part writes again, the stats port shows failing 0 and no new errors, the TCP collector (back)
gets what the spool kept, which is a prefix of the records sent while it was down, each once,
and everything sent after. After the daemon stops, --list-templates shows both templates: the
one first seen while the disk was full has been written once there was room.

  check_store_faults.py --enricher E --db-dir DIR

Needs root (mount); without it the test is skipped (exit 77). The mount is removed in every case.
Every wait is bounded; the daemon and collectors are stopped (SIGKILL if SIGTERM fails).
"""
import argparse
import json
import os
import pathlib
import re
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / 'live'))
import check_live as live  # noqa: E402
from proc_util import kill_leftovers  # noqa: E402
import check_tcp_spool as tcp  # noqa: E402

TEMPLATE_ID = 256
# source/destination IPv4, ports, protocol, octets, packets: 29 bytes a record
FIELDS = [(8, 4), (12, 4), (7, 2), (11, 2), (4, 1), (1, 8), (2, 8)]
RECORDS_PER_MESSAGE = 20
SO_RCVBUFFORCE = 33  # Linux; Python names only SO_RCVBUF


def message(sequence, first, tid=TEMPLATE_ID):
    """An IPFIX message: template `tid`, then RECORDS_PER_MESSAGE records numbered from `first`
    (record n has n + 1000 octets)."""
    tmpl = struct.pack('!HH', tid, len(FIELDS)) + b''.join(struct.pack('!HH', i, n) for i, n in FIELDS)
    tset = struct.pack('!HH', 2, 4 + len(tmpl)) + tmpl
    recs = b''
    for n in range(first, first + RECORDS_PER_MESSAGE):
        # 10.0.x.y -> 192.0.2.z: addresses the test databases know or not, either is fine here
        recs += struct.pack('!4s4sHHBQQ', bytes([10, 0, (n >> 8) & 255, n & 255]), bytes([192, 0, 2, n % 250 + 1]),
                            1024 + n % 60000, 443, 6, 1000 + n, 1 + n % 7)
    dset = struct.pack('!HH', tid, 4 + len(recs)) + recs
    body = tset + dset
    return struct.pack('!HHIII', 10, 16 + len(body), int(time.time()), sequence, 1) + body


class collector:
    """Counts the data records of every IPFIX message it receives (lengths from the templates),
    on its own thread so the socket never fills while the test waits."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 16 << 20)
        self.sock.bind(('127.0.0.1', 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.lengths = {}
        self.records = 0
        self.unknown = 0
        self.last = time.monotonic()
        self.running = True
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while self.running:
            try:
                data = self.sock.recv(65535)
            except socket.timeout:
                continue
            self.last = time.monotonic()
            self.take(data)

    def take(self, data):
        pos = 16
        while pos + 4 <= len(data):
            set_id, length = struct.unpack('!HH', data[pos:pos + 4])
            if length < 4:
                break
            body = data[pos + 4:pos + length]
            pos += length
            if set_id == 2:
                r = 0
                while r + 4 <= len(body):
                    tid, count = struct.unpack('!HH', body[r:r + 4])
                    r += 4
                    size = 0
                    for _ in range(count):
                        ie, n = struct.unpack('!HH', body[r:r + 4])
                        r += 8 if ie & 0x8000 else 4
                        size += n
                    self.lengths[tid] = size
            elif set_id >= 256:
                if set_id in self.lengths and self.lengths[set_id] > 0:
                    self.records += len(body) // self.lengths[set_id]
                else:
                    self.unknown += 1

    def settle(self, want, total_s=20):
        """Waits until `want` records are in, or nothing has come for two seconds (bounded)."""
        start = time.monotonic()
        while self.records < want and time.monotonic() < start + total_s:
            if time.monotonic() - max(self.last, start) > 2.0:
                return
            time.sleep(0.05)

    def close(self):
        self.running = False
        self.thread.join(timeout=5)
        self.sock.close()


def stats(port):
    with urllib.request.urlopen(f'http://127.0.0.1:{port}/api/v1/stats', timeout=5) as r:
        return json.loads(r.read())['store']


def send(sender, dport, sequence, first, count, tid=TEMPLATE_ID):
    """Sends `count` records, paced so no socket buffer overflows."""
    for i in range(count // RECORDS_PER_MESSAGE):
        sender.sendto(message(sequence + i, first + i * RECORDS_PER_MESSAGE, tid), ('127.0.0.1', dport))
        if i % 50 == 49:
            time.sleep(0.01)
    return sequence + count // RECORDS_PER_MESSAGE, first + count


def fill(path):
    """Writes until the filesystem is full; returns the filler's size."""
    chunk = b'\0' * (64 << 10)
    size = 0
    with open(path, 'wb', buffering=0) as f:
        try:
            while size < (1 << 30):
                size += f.write(chunk)
        except OSError:
            pass
        try:  # the last partial pages
            while True:
                size += f.write(b'\0' * 512)
        except OSError:
            pass
    return size


NEW_TEMPLATE_ID = 257
LIFETIME_S = 40  # templates.lifetime_seconds: a template's refresh reaches the store every 10 s
SPOOL_LOST = ('template_write_errors', 'spool_write_errors', 'spool_lost_messages')


def tcp_records(path):
    """The TCP collector's data records so far (record numbers, from the octets) and its problems."""
    got, bad = [], []
    if path.exists():
        for line in path.read_text().splitlines():
            try:
                j = json.loads(line)
            except ValueError:
                continue  # the line being written
            if 'problem' in j:
                bad.append(j)
            elif 'octets' in j:
                got.append(j['octets'] - 1000)
    return got, bad


def wait_until(cond, limit_s):
    """Polls `cond` until it is true or `limit_s` have passed; returns its last value."""
    end = time.monotonic() + limit_s
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.25)
    return cond()


def scenario(a, work, fs, col, procs, problems):
    """Runs the daemon and the TCP collector in `procs` (the caller kills what still runs)."""
    dport, tport = live.free_udp_port(), tcp.free_tcp_port()
    store = fs / 'store'
    records = work / 'tcp-records.jsonl'
    cfg = work / 'faults.yaml'
    cfg.write_text(f"""
{live.config_head(a.db_dir, dport)}forwarding:
  collectors:
    - {{host: 127.0.0.1, port: {col.port}}}
    - {{host: 127.0.0.1, port: {tport}, version: ipfix, transport: tcp}}
templates: {{lifetime_seconds: {LIFETIME_S}}}
store:
  path: {store}
  retention: {{max_age_seconds: 3600, max_bytes: 16777216}}
""")
    procs['collector'] = tcp.start_collector(a, tport, records, 0, work / 'collector1.log')
    dlog = work / 'daemon.log'
    procs['daemon'] = subprocess.Popen([a.enricher, '-c', cfg], stdout=open(dlog, 'w'), stderr=subprocess.STDOUT,
                                       start_new_session=True)
    live.wait_for(dlog, 'stats port on', procs['daemon'], 'ipfix-enricher')
    sport = int(re.search(r'stats port on \S+:(\d+)', dlog.read_text()).group(1))
    time.sleep(0.5)  # the record taps listen from the control thread's first drain on
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sender.bind(('127.0.0.1', 0))
    eport = sender.getsockname()[1]

    def link():
        return tcp.collectors_json(sport)[1]

    # 1. Room on the disk: records are forwarded to both collectors and retained.
    wait_until(lambda: link()['state'] == 'connected', 20)
    seq, n = send(sender, dport, 0, 0, 4000)
    col.settle(n)
    wait_until(lambda: len(tcp_records(records)[0]) >= n and link()['backlog_messages'] == 0, 30)
    time.sleep(1.5)  # a block is written when a second old
    s = stats(sport)
    got, bad = tcp_records(records)
    if s['retention_records_written'] != 4000 or s['failing'] != 0 or s['retention_write_errors'] != 0 or \
            any(s[k] != 0 for k in SPOOL_LOST):
        problems.append(f'with room: store stats {s}')
    if sorted(got) != list(range(n)) or bad or col.records != n:
        problems.append(f'with room: TCP collector {len(got)} records {bad[:3]}, UDP {col.records}, of {n}')

    # 2. The TCP collector stops, the disk fills; records keep coming until every part has
    # failed (bounded), then records with a template the store has never held.
    live.stop(procs['collector'])
    wait_until(lambda: link()['state'] != 'connected', 20)
    before = link()
    if before['backlog_messages'] != 0:
        problems.append(f'collector stopped: a backlog before the disk filled: {before}')
    down_first = n
    filler = fs / 'filler'
    fill(filler)
    for _ in range(100):
        seq, n = send(sender, dport, seq, n, 4000)
        time.sleep(0.3)
        s = stats(sport)
        if s['retention_write_errors'] > 0 and s['spool_write_errors'] > 0:
            break
    seq, n = send(sender, dport, seq, n, 200, NEW_TEMPLATE_ID)
    new_template_at = time.monotonic()
    time.sleep(2.5)  # two ticks of the template store: its write of the new template is refused
    col.settle(n)
    full, full_link = stats(sport), link()
    text = dlog.read_text(errors='replace')
    st = re.escape(str(store))
    expected_lines = {
        'templates': rf'template store {st}: write failed: .*No space left on device.*; forwarding goes on',
        'spool': rf'collector 127\.0\.0\.1:{tport}: template store {st}: spool 127\.0\.0\.1:{tport}: write failed: '
                 r'.*No space left on device.*; forwarding goes on',
        'retention': r'retention store \S+: (write failed|removing old blocks failed): .*forwarding goes on',
    }
    for part, pattern in expected_lines.items():
        if len(re.findall(pattern, text)) != 1:
            problems.append(f'disk full: not one clear {part} error in the log')
    if full['failing'] != 1 or full['retention_write_errors'] == 0 or full['retention_lost_records'] == 0 or \
            any(full[k] == 0 for k in SPOOL_LOST):
        problems.append(f'disk full: store stats {full}')
    spooled = full_link['spooled'] - before['spooled']
    if full_link['dropped'] != full['spool_lost_messages'] or \
            full_link['backlog_messages'] != spooled - full['spool_lost_messages']:
        problems.append(f'disk full: collector {full_link}, spooled {spooled}, store stats {full}')
    if col.records != n or col.unknown:
        problems.append(f'disk full: the UDP collector got {col.records} of {n} records ({col.unknown} unknown sets)')

    # 3. Space back, the TCP collector back: every part writes again, the spool replays what it kept.
    filler.unlink()
    if not wait_until(lambda: stats(sport)['failing'] == 0, 60):
        problems.append(f'space back: still failing after 60 s: {stats(sport)}')
    procs['collector'] = tcp.start_collector(a, tport, records, 100, work / 'collector2.log')
    wait_until(lambda: link()['state'] == 'connected' and link()['backlog_messages'] == 0, 60)
    back_first = n
    # Past a refresh interval (LIFETIME_S / 4) since the new template was first seen, so both
    # templates reach the store again (bounded).
    for i in range(30):
        if i >= 12 and time.monotonic() > new_template_at + LIFETIME_S / 4 + 2:
            break
        seq, n = send(sender, dport, seq, n, 500, NEW_TEMPLATE_ID if i % 2 == 0 else TEMPLATE_ID)
        time.sleep(1.0)
    col.settle(n)
    wait_until(lambda: sum(1 for r in tcp_records(records)[0] if r >= back_first) >= n - back_first, 30)
    time.sleep(1.5)
    s, last = stats(sport), link()
    got, bad = tcp_records(records)
    text = dlog.read_text(errors='replace')
    for line in (rf'template store {st}: writing again',
                 rf'collector 127\.0\.0\.1:{tport}: spool in template store {st}: writing again \(\d+ more messages lost meanwhile\)',
                 rf'retention store {st}/retention: writing again'):
        if len(re.findall(rf'^ipfix-enricher: {line}$', text, re.MULTILINE)) != 1:
            problems.append(f'space back: not once in the log: {line!r}')
    if s['failing'] != 0 or any(s[k] != full[k] for k in SPOOL_LOST):
        problems.append(f'space back: store stats {s}, while full {full}')
    if s['retention_write_errors'] - full['retention_write_errors'] > 3 or \
            s['retention_records_written'] - full['retention_records_written'] != n - back_first:
        problems.append(f'space back: retention {s}, while full {full}')
    kept = sorted(r for r in got if down_first <= r < back_first)
    after = sorted(r for r in got if r >= back_first)
    if len(got) != len(set(got)) or bad:
        problems.append(f'TCP collector: {len(got) - len(set(got))} duplicate records, problems {bad[:3]}')
    if not kept or kept != list(range(down_first, down_first + len(kept))) or len(kept) >= back_first - down_first:
        problems.append(f'TCP collector: kept records while down are not a proper prefix: {len(kept)} of '
                        f'{back_first - down_first} from {down_first}, first {kept[:3]}')
    if after != list(range(back_first, n)) or len(got) != down_first + len(kept) + len(after):
        problems.append(f'TCP collector: {len(after)} of {n - back_first} records after, {len(got)} in all')
    if last['replayed'] - before['replayed'] != spooled - full['spool_lost_messages'] or \
            last['backlog_messages'] != 0 or last['dropped'] != full['spool_lost_messages']:
        problems.append(f'TCP collector: link {last}, spooled while down {spooled}, lost {full["spool_lost_messages"]}')
    if col.records != n:
        problems.append(f'space back: the UDP collector got {col.records} of {n} records')
    rc = live.stop(procs['daemon'])
    if rc != 0:
        problems.append(f'ipfix-enricher exit {rc}')
    listing = subprocess.run([a.enricher, '--list-templates', '-c', cfg], capture_output=True, text=True, timeout=60)
    rows = [r.split() for r in listing.stdout.splitlines()[1:-1]]
    ids = sorted(int(r[4]) for r in rows if r[:2] == ['127.0.0.1', str(eport)])
    if listing.returncode != 0 or ids != [TEMPLATE_ID, NEW_TEMPLATE_ID] or len(rows) != 2:
        problems.append(f'--list-templates: exit {listing.returncode}: {listing.stdout}{listing.stderr}')
    print(listing.stdout)
    print(f'sent {n} records; UDP collector {col.records}; TCP collector {len(got)} ({len(kept)} of '
          f'{back_first - down_first} kept by the spool while down, lost messages {full["spool_lost_messages"]}); '
          f'store stats while full {full}; at the end {s}')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--enricher', required=True)
    ap.add_argument('--db-dir', required=True)
    a = ap.parse_args()
    if os.geteuid() != 0:
        print('SKIP: needs root to mount a tmpfs')
        return 77
    problems = []
    daemon_log = []
    with tempfile.TemporaryDirectory(prefix='ipfix-faults-') as tmp:
        work = pathlib.Path(tmp)
        fs = work / 'fs'
        fs.mkdir()
        subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=24m', 'tmpfs', str(fs)], check=True, timeout=30)
        col = None
        procs = {}
        try:
            col = collector()
            scenario(a, work, fs, col, procs, problems)
        except Exception:
            log = work / 'daemon.log'
            print('daemon log:', log.read_text(errors='replace')[-6000:] if log.exists() else '(none)')
            raise
        finally:
            kill_leftovers(*procs.values())
            if (work / 'daemon.log').exists():
                daemon_log.append((work / 'daemon.log').read_text(errors='replace')[-8000:])
            if col is not None:
                col.close()
            subprocess.run(['umount', str(fs)], timeout=60)
    for p in problems:
        print('FAIL:', p)
    if problems and daemon_log:
        print('the daemon\'s log:\n' + daemon_log[0])
    if not problems:
        print('OK: disk full -> clear errors in the log and stats for templates, spool and retention, forwarding '
              'goes on; space back -> each writes again, the spool replays what it kept, templates stored again')
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
