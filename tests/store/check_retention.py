#!/usr/bin/env python3
"""Retention through the live daemon: IPFIX records with known addresses and AS numbers go in
(the daemon only fills AS numbers that are 0, and these are not), their blocks are written, and
the stats port's GET /api/v1/tail?since= (served from the retention store) gives back exactly
the records each filter asks for: all of them, one AS, one address. With max_age_seconds 8, a
first batch is no longer served once it is older than that, the second still is, and the stats
port counts the first as expired.

  check_retention.py --enricher E --db-dir DIR

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
import time
import urllib.request

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / 'live'))
import check_live as live  # noqa: E402

# source/destination IPv4, ports, protocol, octets, packets, source/destination AS
FIELDS = [(8, 4), (12, 4), (7, 2), (11, 2), (4, 1), (1, 8), (2, 8), (16, 4), (17, 4)]
PER_MESSAGE = 20


def record(i):
    return {'source': f'10.1.{i >> 8}.{i & 255}', 'destination': f'198.51.100.{i % 200 + 1}',
            'source_port': 1024 + i, 'destination_port': 443, 'protocol': 6, 'bytes': 1000 + i,
            'packets': 1 + i % 7, 'source_as': 64500 + i % 3, 'destination_as': 65000}


def message(sequence, first, count):
    tmpl = struct.pack('!HH', 256, len(FIELDS)) + b''.join(struct.pack('!HH', e, n) for e, n in FIELDS)
    body = struct.pack('!HH', 2, 4 + len(tmpl)) + tmpl
    recs = b''
    for i in range(first, first + count):
        r = record(i)
        recs += struct.pack('!4s4sHHBQQII', socket.inet_aton(r['source']), socket.inet_aton(r['destination']),
                            r['source_port'], r['destination_port'], r['protocol'], r['bytes'], r['packets'],
                            r['source_as'], r['destination_as'])
    body += struct.pack('!HH', 256, 4 + len(recs)) + recs
    return struct.pack('!HHIII', 10, 16 + len(body), int(time.time()), sequence, 7) + body


def send(sender, dport, first, count):
    for k in range(0, count, PER_MESSAGE):
        sender.sendto(message(first // PER_MESSAGE + k // PER_MESSAGE, first + k, PER_MESSAGE), ('127.0.0.1', dport))
        time.sleep(0.002)


def tail(port, query, idle_s=1.5, total_s=15):
    """The records the tail sends for `query` until it has been idle for `idle_s` (it stays open)."""
    s = socket.create_connection(('127.0.0.1', port), timeout=5)
    s.sendall(f'GET /api/v1/tail?{query} HTTP/1.0\r\n\r\n'.encode())
    s.settimeout(idle_s)
    data = b''
    deadline = time.monotonic() + total_s
    while time.monotonic() < deadline:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            break
        data += chunk
    s.close()
    head, _, body = data.partition(b'\r\n\r\n')
    if b' 200 ' not in head.split(b'\r\n')[0]:
        raise RuntimeError(f'tail {query}: {data[:300]!r}')
    out = []
    for line in body.decode().splitlines():
        j = json.loads(line)
        if 'source' in j:
            out.append(j)
    return out


def key(j):
    return (j['source'], j['destination'], j['source_port'], j['destination_port'], j['protocol'], j['bytes'],
            j['packets'], j['source_as'], j['destination_as'])


def expected(indices):
    return sorted(key(record(i)) for i in indices)


def store_stats(port):
    with urllib.request.urlopen(f'http://127.0.0.1:{port}/api/v1/stats', timeout=5) as r:
        return json.loads(r.read())['store']


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--enricher', required=True)
    ap.add_argument('--db-dir', required=True)
    a = ap.parse_args()
    problems = []
    with tempfile.TemporaryDirectory(prefix='ipfix-retention-') as tmp:
        work = pathlib.Path(tmp)
        dport = live.free_udp_port()
        cfg = work / 'retention.yaml'
        cfg.write_text(f"""
{live.config_head(a.db_dir, dport)}forwarding:
  collectors: [{{host: 127.0.0.1, port: {live.free_udp_port()}}}]
store:
  path: {work}/store
  retention: {{max_age_seconds: 8}}
""")
        dlog = work / 'daemon.log'
        daemon = subprocess.Popen([a.enricher, '-c', cfg], stdout=open(dlog, 'w'), stderr=subprocess.STDOUT,
                                  start_new_session=True)
        try:
            live.wait_for(dlog, 'stats port on', daemon, 'ipfix-enricher')
            sport = int(re.search(r'stats port on \S+:(\d+)', dlog.read_text()).group(1))
            time.sleep(0.5)  # the taps listen from the control thread's first drain on
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
                sender.bind(('127.0.0.1', 0))
                send(sender, dport, 0, 600)
                sent = time.monotonic()
                time.sleep(1.5)  # blocks are written when a second old
                got = sorted(key(j) for j in tail(sport, 'since=60'))
                if got != expected(range(600)):
                    problems.append(f'since=60: {len(got)} records, want the 600 sent')
                got = sorted(key(j) for j in tail(sport, 'since=60&address=10.1.1.44'))
                if got != expected([300]):
                    problems.append(f'address=10.1.1.44: {got}')
                got = sorted(key(j) for j in tail(sport, 'since=60&as=64501'))
                if got != expected(i for i in range(600) if i % 3 == 1):
                    problems.append(f'as=64501: {len(got)} records, want 200')
                # Age: the first batch is past max_age 8 s, the second not.
                send(sender, dport, 600, 200)
                time.sleep(max(1.5, sent + 8.8 - time.monotonic()))
                got = sorted(key(j) for j in tail(sport, 'since=60'))
                if got != expected(range(600, 800)):
                    problems.append(f'after max_age: {len(got)} records served, want the 200 of the second batch')
            s = store_stats(sport)
            if s['retention_records_written'] != 800 or s['retention_expired_records'] != 600 or \
                    s['retention_records'] != 200 or s['failing'] != 0:
                problems.append(f'store stats {s}')
            print(f'store stats {s}')
            rc = live.stop(daemon)
            if rc != 0:
                problems.append(f'ipfix-enricher exit {rc}')
        except Exception:
            print('daemon log:', dlog.read_text(errors='replace')[-2000:])
            raise
        finally:
            if daemon.poll() is None:
                os.killpg(daemon.pid, signal.SIGKILL)
                daemon.wait(timeout=live.STOP_TIMEOUT_S)
    for p in problems:
        print('FAIL:', p)
    if not problems:
        print('OK: retained records served by time, AS and address; past max_age gone and counted')
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
