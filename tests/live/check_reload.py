#!/usr/bin/env python3
"""A reload under load loses nothing: an IPFIX exporter (this script) sends a bounded stream of
numbered records to ipfix-enricher on loopback while the daemon is sent SIGHUP several times
(each reload re-reads the configuration and rebuilds the AS table beside the running one);
nfcapd collects, and nfdump must then show every record exactly once, with the AS numbers
mmdblookup gives, and the daemon must report one completed reload per SIGHUP, no drops and no
sequence gaps.

  check_reload.py --enricher E --db-dir DIR --mmdblookup M [--nfcapd N] [--nfdump N]
"""
import argparse
import json
import pathlib
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

from check_live import V4_FLOWS, config_head, free_udp_port, mmdb_asn, stop, wait_for
from proc_util import kill_leftovers

MESSAGES = 3000
RECORDS_PER_MESSAGE = 10
MESSAGES_PER_TICK = 10       # then a 10 ms pause: about 1000 messages/s, 10000 records/s
HUP_EVERY = 500              # messages between SIGHUPs: 5 reloads over the stream
RELOAD_LINE = 'reload: AS databases loaded'
RELOAD_WAIT_S = 20           # for the last reload to finish after the stream
TEMPLATE_EVERY = 100         # messages between template re-sends
SEND_LIMIT_S = 60            # the stream is bounded in time as well as in count
TEMPLATE_ID = 256
# (IANA id, length): addresses, ports, protocol, counters, start and end in milliseconds.
FIELDS = [(8, 4), (12, 4), (7, 2), (11, 2), (4, 1), (1, 8), (2, 8), (152, 8), (153, 8)]


def template_set():
    body = struct.pack('!HH', TEMPLATE_ID, len(FIELDS)) + b''.join(struct.pack('!HH', i, n) for i, n in FIELDS)
    return struct.pack('!HH', 2, 4 + len(body)) + body


def record(index, now_ms):
    """Record `index`: a flow between a pair of addresses of the test database whose ports
    carry the index, so the collector's output names every record."""
    src, dst = V4_FLOWS[index % len(V4_FLOWS)]
    return (socket.inet_aton(src) + socket.inet_aton(dst) +
            struct.pack('!HHBQQQQ', 1024 + index % 50000, 1000 + index // 50000, 17, 1500, 1, now_ms - 1000, now_ms))


def message(seq_records, first, with_template):
    now_ms = int(time.time() * 1000)
    sets = template_set() if with_template else b''
    data = b''.join(record(first + k, now_ms) for k in range(RECORDS_PER_MESSAGE))
    sets += struct.pack('!HH', TEMPLATE_ID, 4 + len(data)) + data
    return struct.pack('!HHIII', 10, 16 + len(sets), now_ms // 1000, seq_records, 1) + sets


def record_index(flow):
    return (flow['src_port'] - 1024) + (flow['dst_port'] - 1000) * 50000


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--enricher', required=True)
    ap.add_argument('--db-dir', required=True)
    ap.add_argument('--mmdblookup', required=True)
    ap.add_argument('--nfcapd', default='nfcapd')
    ap.add_argument('--nfdump', default='nfdump')
    a = ap.parse_args()
    problems = []
    with tempfile.TemporaryDirectory(prefix='ipfix-reload-') as tmp:
        work = pathlib.Path(tmp)
        cport, dport = free_udp_port(), free_udp_port()
        flowdir = work / 'flows'
        flowdir.mkdir()
        cfg = work / 'reload.yaml'
        cfg.write_text(f"""
{config_head(a.db_dir, dport)}forwarding:
  collectors: [{{host: 127.0.0.1, port: {cport}}}]
store: {{path: {work}/store}}
""")
        nlog, dlog = work / 'nfcapd.log', work / 'daemon.log'
        nfcapd = subprocess.Popen([a.nfcapd, '-b', '127.0.0.1', '-p', str(cport), '-w', str(flowdir), '-t', '3600',
                                   '-B', str(8 << 20)],
                                  stdout=open(nlog, 'w'), stderr=subprocess.STDOUT, start_new_session=True)
        daemon = None
        hups = 0
        try:
            wait_for(nlog, 'Startup', nfcapd, 'nfcapd')
            daemon = subprocess.Popen([a.enricher, '-c', cfg], stdout=open(dlog, 'w'), stderr=subprocess.STDOUT,
                                      start_new_session=True)
            wait_for(dlog, 'listening on', daemon, 'ipfix-enricher')
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.bind(('127.0.0.1', 0))
                deadline = time.monotonic() + SEND_LIMIT_S
                for m in range(MESSAGES):
                    if time.monotonic() > deadline:
                        problems.append(f'the stream took over {SEND_LIMIT_S} s; stopped at message {m}')
                        break
                    # A SIGHUP goes only once the previous reload has finished: signals that arrive
                    # while one is pending merge into one (POSIX), and the count below is exact.
                    if m >= (hups + 1) * HUP_EVERY and m % 50 == 0 and \
                            dlog.read_text(errors='replace').count(RELOAD_LINE) == hups:
                        daemon.send_signal(signal.SIGHUP)
                        hups += 1
                    first = m * RECORDS_PER_MESSAGE
                    s.sendto(message(first, first, m % TEMPLATE_EVERY == 0), ('127.0.0.1', dport))
                    if m % MESSAGES_PER_TICK == MESSAGES_PER_TICK - 1:
                        time.sleep(0.01)
            wait_end = time.monotonic() + RELOAD_WAIT_S
            while dlog.read_text(errors='replace').count(RELOAD_LINE) < hups and time.monotonic() < wait_end:
                time.sleep(0.1)
            time.sleep(1.5)  # the daemon's last bursts out, nfcapd's socket read dry
            rc = stop(daemon)
            if rc != 0:
                problems.append(f'ipfix-enricher exit {rc} on SIGTERM')
            stop(nfcapd)
        finally:
            kill_leftovers(daemon, nfcapd, timeout=20)
        log = dlog.read_text(errors='replace')
        reloads = log.count(RELOAD_LINE)
        if hups < 3 or reloads != hups:
            problems.append(f'{hups} SIGHUPs sent, {reloads} reloads completed: {log.strip()[-600:]}')
        for must in (' 0 dropped by the kernel', ' 0 at full rings', 'sequence gaps 0', ' 0 dropped'):
            if must not in log:
                problems.append(f'daemon summary lacks "{must.strip()}": {log.strip()[-600:]}')

        p = subprocess.run([a.nfdump, '-R', flowdir, '-o', 'json'], capture_output=True, text=True, timeout=120)
        text = p.stdout.strip()
        flows = [f for f in (json.loads(text) if text.startswith('[') else []) if f.get('type') == 'FLOW']
        want_as = {addr: mmdb_asn(a.mmdblookup, f'{a.db_dir}/asn.mmdb', addr)
                   for pair in V4_FLOWS for addr in pair}
        sent = MESSAGES * RECORDS_PER_MESSAGE
        count = [0] * sent
        wrong_as = 0
        for f in flows:
            i = record_index(f)
            if not 0 <= i < sent:
                problems.append(f'unexpected flow at the collector: {f}')
                continue
            count[i] += 1
            src, dst = V4_FLOWS[i % len(V4_FLOWS)]
            if (f.get('src_as', 0), f.get('dst_as', 0)) != (want_as[src], want_as[dst]):
                wrong_as += 1
                if wrong_as <= 3:
                    problems.append(f'record {i}: AS {f.get("src_as")}/{f.get("dst_as")} at the collector, '
                                    f'mmdblookup {want_as[src]}/{want_as[dst]}')
        missing = [i for i, c in enumerate(count) if c == 0]
        repeated = [i for i, c in enumerate(count) if c > 1]
        if missing:
            problems.append(f'{len(missing)} of {sent} records missing at the collector (first: {missing[:5]})')
        if repeated:
            problems.append(f'{len(repeated)} records arrived more than once (first: {repeated[:5]})')
        if wrong_as:
            problems.append(f'{wrong_as} records with AS numbers other than mmdblookup gives')
        for problem in problems:
            print('FAIL:', problem)
        print(f'{"FAIL" if problems else "ok"}: {sent} records sent through {hups} SIGHUP reloads, '
              f'{sent - len(missing)} arrived, {len(repeated)} twice, {wrong_as} with a wrong AS')
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
