#!/usr/bin/env python3
"""The store on a full disk: the daemon keeps its store (templates and record retention) on a
small tmpfs mounted for the test. Records flow in and are retained; then the filesystem is
filled to the last byte while records keep coming. Expected: a clear error in the log naming
the store, the stats port's store counters showing it (failing 1, write errors, lost records),
and every record still forwarded (the test's own collector counts them, decoding the output
templates it receives). When the filler is removed the log says the store writes again, the
stats port shows failing 0, and the records sent after that are all retained.

  check_store_faults.py --enricher E --db-dir DIR

Needs root (mount); without it the test is skipped (exit 77). The mount is removed in every case.
Every wait is bounded; the daemon is stopped (SIGKILL if SIGTERM fails).
"""
import argparse
import json
import os
import pathlib
import re
import signal
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

TEMPLATE_ID = 256
# source/destination IPv4, ports, protocol, octets, packets: 29 bytes a record
FIELDS = [(8, 4), (12, 4), (7, 2), (11, 2), (4, 1), (1, 8), (2, 8)]
RECORDS_PER_MESSAGE = 20
SO_RCVBUFFORCE = 33  # Linux; Python names only SO_RCVBUF


def message(sequence, first):
    """An IPFIX message: the template, then RECORDS_PER_MESSAGE records numbered from `first`."""
    tmpl = struct.pack('!HH', TEMPLATE_ID, len(FIELDS)) + b''.join(struct.pack('!HH', i, n) for i, n in FIELDS)
    tset = struct.pack('!HH', 2, 4 + len(tmpl)) + tmpl
    recs = b''
    for n in range(first, first + RECORDS_PER_MESSAGE):
        # 10.0.x.y -> 192.0.2.z: addresses the test databases know or not, either is fine here
        recs += struct.pack('!4s4sHHBQQ', bytes([10, 0, (n >> 8) & 255, n & 255]), bytes([192, 0, 2, n % 250 + 1]),
                            1024 + n % 60000, 443, 6, 1000 + n, 1 + n % 7)
    dset = struct.pack('!HH', TEMPLATE_ID, 4 + len(recs)) + recs
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


def send(sender, dport, sequence, first, count):
    """Sends `count` records, paced so no socket buffer overflows."""
    for i in range(count // RECORDS_PER_MESSAGE):
        sender.sendto(message(sequence + i, first + i * RECORDS_PER_MESSAGE), ('127.0.0.1', dport))
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--enricher', required=True)
    ap.add_argument('--db-dir', required=True)
    a = ap.parse_args()
    if os.geteuid() != 0:
        print('SKIP: needs root to mount a tmpfs')
        return 77
    problems = []
    with tempfile.TemporaryDirectory(prefix='ipfix-faults-') as tmp:
        work = pathlib.Path(tmp)
        fs = work / 'fs'
        fs.mkdir()
        subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=24m', 'tmpfs', str(fs)], check=True, timeout=30)
        daemon = None
        col = None
        try:
            col = collector()
            dport = live.free_udp_port()
            cfg = work / 'faults.yaml'
            cfg.write_text(f"""
general: {{listen_address: 127.0.0.1, listen_port: {dport}, stats_port: 0}}
enrichment:
  asn_database: {a.db_dir}/asn.mmdb
  country_database: {a.db_dir}/country.mmdb
forwarding:
  collectors: [{{host: 127.0.0.1, port: {col.port}}}]
store:
  path: {fs}/store
  retention: {{max_age_seconds: 3600, max_bytes: 16777216}}
""")
            dlog = work / 'daemon.log'
            daemon = subprocess.Popen([a.enricher, '-c', cfg], stdout=open(dlog, 'w'), stderr=subprocess.STDOUT,
                                      start_new_session=True)
            live.wait_for(dlog, 'stats port on', daemon, 'ipfix-enricher')
            sport = int(re.search(r'stats port on \S+:(\d+)', dlog.read_text()).group(1))
            time.sleep(0.5)  # the record taps listen from the control thread's first drain on
            sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sender.bind(('127.0.0.1', 0))

            # 1. Room on the disk: records are forwarded and retained.
            seq, n = send(sender, dport, 0, 0, 4000)
            col.settle(n)
            time.sleep(1.5)  # a block is written when a second old
            s = stats(sport)
            if s['retention_records_written'] != 4000 or s['failing'] != 0 or s['retention_write_errors'] != 0:
                problems.append(f'with room: store stats {s}')

            # 2. Disk full, records keep coming until the store reports a failure (bounded).
            filler = fs / 'filler'
            fill(filler)
            for _ in range(40):
                seq, n = send(sender, dport, seq, n, 4000)
                time.sleep(0.3)
                s = stats(sport)
                if s['retention_write_errors'] > 0:
                    break
            time.sleep(1.5)
            s = stats(sport)
            text = dlog.read_text(errors='replace')
            if not re.search(r'retention store \S+: (write failed|removing old blocks failed): .*forwarding goes on', text):
                problems.append(f'disk full: no clear error in the log: {text[-600:]}')
            if s['failing'] != 1 or s['retention_write_errors'] == 0 or s['retention_lost_records'] == 0:
                problems.append(f'disk full: store stats {s}')
            full_errors = s['retention_write_errors']
            # Forwarding went on: every record sent so far reached the collector.
            col.settle(n)
            if col.records != n or col.unknown:
                problems.append(f'disk full: the collector got {col.records} of {n} records ({col.unknown} unknown sets)')

            # 3. Space back: the store writes again and retains what comes next.
            filler.unlink()
            # RocksDB's own recovery and our Resume() (once a second) find the space; bounded.
            for _ in range(60):
                time.sleep(0.5)
                if stats(sport)['failing'] == 0:
                    break
            before = stats(sport)['retention_records_written']
            seq, n = send(sender, dport, seq, n, 2000)
            col.settle(n)
            time.sleep(1.5)
            s = stats(sport)
            text = dlog.read_text(errors='replace')
            if 'writing again' not in text:
                problems.append(f'space back: no recovery in the log: {text[-600:]}')
            if s['failing'] != 0 or s['retention_records_written'] - before != 2000:
                problems.append(f'space back: store stats {s} (written before: {before})')
            if s['retention_write_errors'] != full_errors and s['retention_write_errors'] - full_errors > 3:
                problems.append(f'space back: still failing: {s}')
            if col.records != n:
                problems.append(f'space back: the collector got {col.records} of {n} records')
            rc = live.stop(daemon)
            if rc != 0:
                problems.append(f'ipfix-enricher exit {rc}')
            print(f'sent {n} records; collector {col.records}; write errors while full {full_errors}; '
                  f'final store stats {s}')
        except Exception:
            log = work / 'daemon.log'
            print('daemon log:', log.read_text(errors='replace')[-6000:] if log.exists() else '(none)')
            raise
        finally:
            if daemon is not None and daemon.poll() is None:
                os.killpg(daemon.pid, signal.SIGKILL)
                daemon.wait(timeout=live.STOP_TIMEOUT_S)
            if col is not None:
                col.close()
            subprocess.run(['umount', str(fs)], timeout=60)
    for p in problems:
        print('FAIL:', p)
    if not problems:
        print('OK: disk full -> clear error in the log and stats, forwarding goes on, the store recovers')
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
