#!/usr/bin/env python3
"""A TCP collector stopped mid-stream loses nothing: this script exports 30000 numbered IPFIX
records (ports carry the number) to ipfix-enricher on loopback, which forwards to two
collectors: tcp_collector.py over TCP (IPFIX, spool in the store) and nfcapd over UDP. A third
of the way in, the TCP collector is stopped (it closes its side and reads what was already
sent), stays down for a few seconds while the stream goes on, and is started again. Then:
every record reached the TCP collector exactly once (README: across a close by the collector
nothing is sent twice), each connection had the templates before any data, the stats port
showed the link down with a backlog while it was down and an empty backlog at the end, and
nfcapd got every record exactly once all along (the UDP collector is never slowed).

  check_tcp_spool.py --enricher E [--nfcapd N] [--nfdump N]

Every process is stopped and every wait bounded.
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
from check_live import free_udp_port, stop, wait_for  # noqa: E402
from check_reload import message, RECORDS_PER_MESSAGE  # noqa: E402

MESSAGES = 3000
MESSAGES_PER_TICK = 10        # then 10 ms: about 1000 messages/s
TEMPLATE_EVERY = 100
STOP_AT = 1000                # message at which the TCP collector is stopped
DOWN_S = 3                    # how long it stays down
SEND_LIMIT_S = 90
SETTLE_S = 40                 # for the backlog to drain after the stream (reconnect backoff included)
KILL_MESSAGES = 500           # phase 2: sent while the collector is down, then kill -9


def free_tcp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def collectors_json(stats_port):
    with urllib.request.urlopen(f'http://127.0.0.1:{stats_port}/api/v1/collectors', timeout=5) as r:
        return json.loads(r.read())['collectors']


def start_collector(a, port, out, first_conn, log):
    p = subprocess.Popen([sys.executable, str(pathlib.Path(__file__).with_name('tcp_collector.py')), '--port', str(port),
                          '--out', str(out), '--first-conn', str(first_conn)],
                         stdout=open(log, 'w'), stderr=subprocess.STDOUT, start_new_session=True)
    wait_for(log, 'listening', p, 'tcp_collector')
    return p


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--enricher', required=True)
    ap.add_argument('--nfcapd', default='nfcapd')
    ap.add_argument('--nfdump', default='nfdump')
    a = ap.parse_args()
    problems = []
    sent = MESSAGES * RECORDS_PER_MESSAGE
    total = (MESSAGES + KILL_MESSAGES) * RECORDS_PER_MESSAGE
    with tempfile.TemporaryDirectory(prefix='ipfix-tcp-spool-') as tmp:
        work = pathlib.Path(tmp)
        tport, uport, dport = free_tcp_port(), free_udp_port(), free_udp_port()
        flowdir = work / 'flows'
        flowdir.mkdir()
        records = work / 'tcp-records.jsonl'
        cfg = work / 'tcp.yaml'
        cfg.write_text(f"""
general: {{listen_address: 127.0.0.1, listen_port: {dport}, stats_port: 0}}
enrichment: {{as_extraction: false}}
forwarding:
  collectors:
    - {{host: 127.0.0.1, port: {tport}, version: ipfix, transport: tcp}}
    - {{host: 127.0.0.1, port: {uport}}}
store: {{path: {work}/store}}
""")
        nlog, dlog = work / 'nfcapd.log', work / 'daemon.log'
        procs = {}
        during = []
        try:
            procs['nfcapd'] = subprocess.Popen([a.nfcapd, '-b', '127.0.0.1', '-p', str(uport), '-w', str(flowdir),
                                                '-t', '3600', '-B', str(8 << 20)],
                                               stdout=open(nlog, 'w'), stderr=subprocess.STDOUT, start_new_session=True)
            wait_for(nlog, 'Startup', procs['nfcapd'], 'nfcapd')
            procs['collector'] = start_collector(a, tport, records, 0, work / 'collector1.log')
            procs['daemon'] = subprocess.Popen([a.enricher, '-c', cfg], stdout=open(dlog, 'w'),
                                               stderr=subprocess.STDOUT, start_new_session=True)
            wait_for(dlog, 'stats port on', procs['daemon'], 'ipfix-enricher')
            stats_port = int(re.search(r'stats port on 127\.0\.0\.1:(\d+)', dlog.read_text()).group(1))

            def outage():
                stop(procs['collector'])
                end = time.monotonic() + DOWN_S
                while time.monotonic() < end:
                    during.append(collectors_json(stats_port)[0])
                    time.sleep(0.5)
                procs['collector'] = start_collector(a, tport, records, 100, work / 'collector2.log')

            bounce = threading.Thread(target=outage)
            # One exporter socket for both phases: one stream, one output domain at the collector.
            exporter = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            exporter.bind(('127.0.0.1', 0))
            exporter_port = exporter.getsockname()[1]
            with exporter as s:
                deadline = time.monotonic() + SEND_LIMIT_S
                for m in range(MESSAGES):
                    if time.monotonic() > deadline:
                        problems.append(f'the stream took over {SEND_LIMIT_S} s; stopped at message {m}')
                        break
                    if m == STOP_AT:
                        bounce.start()
                    first = m * RECORDS_PER_MESSAGE
                    s.sendto(message(first, first, m % TEMPLATE_EVERY == 0), ('127.0.0.1', dport))
                    if m % MESSAGES_PER_TICK == MESSAGES_PER_TICK - 1:
                        time.sleep(0.01)
            bounce.join(timeout=60)
            # The backlog drains once the collector is back (after the connect backoff).
            end = time.monotonic() + SETTLE_S
            final = collectors_json(stats_port)[0]
            while time.monotonic() < end and not (final.get('state') == 'connected' and final.get('backlog_messages') == 0):
                time.sleep(0.5)
                final = collectors_json(stats_port)[0]
            time.sleep(1.0)

            # Phase 2: the collector down, more records spooled, the daemon killed with SIGKILL
            # and started again: the spool opens and replays, templates first.
            # No template in this phase's input: after the restart the collector gets the
            # templates only from what the sender kept in the store.
            stop(procs['collector'])
            exporter = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            exporter.bind(('127.0.0.1', exporter_port))
            with exporter as s:
                for m in range(MESSAGES, MESSAGES + KILL_MESSAGES):
                    first = m * RECORDS_PER_MESSAGE
                    s.sendto(message(first, first, False), ('127.0.0.1', dport))
                    if m % MESSAGES_PER_TICK == MESSAGES_PER_TICK - 1:
                        time.sleep(0.01)
            end = time.monotonic() + SETTLE_S
            before_kill = collectors_json(stats_port)[0]
            while time.monotonic() < end and before_kill.get('records_out') != total:
                time.sleep(0.2)
                before_kill = collectors_json(stats_port)[0]
            time.sleep(0.5)  # the sender takes what the queues hold into the spool
            before_kill = collectors_json(stats_port)[0]
            os.killpg(procs['daemon'].pid, signal.SIGKILL)
            procs['daemon'].wait(timeout=20)
            dlog2 = work / 'daemon2.log'
            procs['daemon'] = subprocess.Popen([a.enricher, '-c', cfg], stdout=open(dlog2, 'w'),
                                               stderr=subprocess.STDOUT, start_new_session=True)
            wait_for(dlog2, 'stats port on', procs['daemon'], 'ipfix-enricher (after kill -9)')
            stats_port = int(re.search(r'stats port on 127\.0\.0\.1:(\d+)', dlog2.read_text()).group(1))
            after_restart = collectors_json(stats_port)[0]
            procs['collector'] = start_collector(a, tport, records, 200, work / 'collector3.log')
            end = time.monotonic() + SETTLE_S
            replayed = collectors_json(stats_port)[0]
            while time.monotonic() < end and not (replayed.get('state') == 'connected' and
                                                  replayed.get('backlog_messages') == 0):
                time.sleep(0.5)
                replayed = collectors_json(stats_port)[0]
            time.sleep(1.0)
            rc = stop(procs['daemon'])
            if rc != 0:
                problems.append(f'ipfix-enricher exit {rc} on SIGTERM')
            stop(procs['collector'])
            stop(procs['nfcapd'])
        finally:
            for p in procs.values():
                if p is not None and p.poll() is None:
                    p.kill()
                    p.wait(timeout=20)

        # The stats port while the collector was down, and at the end.
        if not any(d.get('state') in ('down', 'connecting') and d.get('backlog_messages', 0) > 0 for d in during):
            problems.append(f'the stats port never showed the TCP link down with a backlog: {during[:3]}')
        if final.get('state') != 'connected' or final.get('backlog_messages') != 0 or final.get('dropped') != 0:
            problems.append(f'TCP link at the end: {final}')
        if final.get('spooled', 0) == 0 or final.get('replayed') != final.get('spooled'):
            problems.append(f'spooled {final.get("spooled")} replayed {final.get("replayed")}: all spooled must replay')

        if before_kill.get('state') == 'connected' or before_kill.get('backlog_messages', 0) == 0:
            problems.append(f'before kill -9 the link should be down with a backlog: {before_kill}')
        if after_restart.get('backlog_messages') != before_kill.get('backlog_messages'):
            problems.append(f'the spool after kill -9 holds {after_restart.get("backlog_messages")} messages, '
                            f'{before_kill.get("backlog_messages")} before')
        if replayed.get('replayed') != before_kill.get('backlog_messages') or replayed.get('backlog_messages') != 0:
            problems.append(f'after the restart: {replayed}; {before_kill.get("backlog_messages")} to replay')
        conns_after = sum(1 for line in records.read_text().splitlines() if '"accepted"' in line and
                          json.loads(line)['conn'] >= 200)
        if conns_after < 1:
            problems.append('no connection after the restart')

        # The TCP collector: every record once, templates first on every connection.
        tcp_count = [0] * total
        conns = set()
        # IPFIX sequence numbers continue across connections: each message's is the previous
        # one's plus its record count (per domain), so a lost or repeated message shows.
        stream = {}   # domain -> [sequence of the current message, its records so far]
        seq_breaks = []
        firsts = {}
        for line in records.read_text().splitlines():
            r = json.loads(line)
            if 'problem' in r:
                problems.append(f'TCP collector, connection {r["conn"]}: {r["problem"]}')
                continue
            if 'first_sets' in r:
                # After the first connection the sender knows the templates: they come first, alone.
                if r['conn'] > 0 and (not r['first_sets'] or set(r['first_sets']) - {2, 3}):
                    problems.append(f'connection {r["conn"]} began with sets {r["first_sets"]}, not the templates')
                firsts[r['conn']] = r['first_sets']
                continue
            if r.get('accepted'):
                conns.add(r['conn'])
                continue
            cur = stream.get(r['domain'])
            if cur is None or cur[0] != r['seq']:
                if cur is not None and r['seq'] != (cur[0] + cur[1]) % (1 << 32):
                    seq_breaks.append((r['domain'], cur[0] + cur[1], r['seq']))
                cur = stream[r['domain']] = [r['seq'], 0]
            cur[1] += 1
            i = (r['src_port'] - 1024) + (r['dst_port'] - 1000) * 50000
            if 0 <= i < total:
                tcp_count[i] += 1
            else:
                problems.append(f'unexpected record at the TCP collector: {r}')
        if seq_breaks:
            problems.append(f'{len(seq_breaks)} IPFIX sequence breaks at the TCP collector (domain, expected, got): '
                            f'{seq_breaks[:5]}')
        if len(firsts) != len(conns):
            problems.append(f'{len(conns)} connections, {len(firsts)} with a first message')
        if len(conns) < 2:
            problems.append(f'{len(conns)} TCP connections seen; the outage needs a second one')
        missing = [i for i, c in enumerate(tcp_count) if c == 0]
        twice = [i for i, c in enumerate(tcp_count) if c > 1]
        if missing:
            problems.append(f'{len(missing)} of {total} records missing at the TCP collector (first: {missing[:5]})')
        if twice:
            problems.append(f'{len(twice)} records twice at the TCP collector (first: {twice[:5]})')

        # nfcapd over UDP, meanwhile.
        p = subprocess.run([a.nfdump, '-R', flowdir, '-o', 'json'], capture_output=True, text=True, timeout=120)
        text = p.stdout.strip()
        flows = [f for f in (json.loads(text) if text.startswith('[') else []) if f.get('type') == 'FLOW']
        udp_count = [0] * total
        for f in flows:
            i = (f['src_port'] - 1024) + (f['dst_port'] - 1000) * 50000
            if 0 <= i < total:
                udp_count[i] += 1
        udp_missing = sum(1 for c in udp_count if c == 0)
        udp_twice = sum(1 for c in udp_count if c > 1)
        if udp_missing or udp_twice:
            problems.append(f'nfcapd: {udp_missing} records missing, {udp_twice} twice')

        for problem in problems:
            print('FAIL:', problem)
        print(f'{"FAIL" if problems else "ok"}: {total} records ({total - sent} spooled before a kill -9 and replayed '
              f'after the restart: {before_kill.get("backlog_messages")} messages); TCP collector over {len(conns)} connections: '
              f'{total - len(missing)} arrived, {len(twice)} twice, {len(seq_breaks)} sequence breaks (spooled {final.get("spooled")} messages, '
              f'replayed {final.get("replayed")}); nfcapd: {total - udp_missing} arrived, {udp_twice} twice')
        if problems:
            print(dlog.read_text(errors='replace')[-1500:])
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
