#!/usr/bin/env python3
"""Templates survive a restart: softflowd exports IPFIX for flows between addresses of the test
AS database; its datagrams are split into their template sets and their data sets. The live
daemon (store in a temp dir) gets the templates only, is stopped and started again, and then
gets the data only, from the same exporter address and port: nfcapd must receive every flow
once, enriched with the AS numbers mmdblookup gives. `--list-templates` must show exactly the
templates softflowd sent, also after a kill -9. The same data after a restart with an empty
store must not decode (nothing at the collector): the check can fail. Output sequence numbers
continue across a clean restart and a kill -9 (nfcapd counts no sequence failure over four
runs), where a fresh store per run makes nfcapd count them.

  check_restart.py --enricher E --db-dir DIR --mmdblookup M --softflowd S --nfcapd N --nfdump N

Helpers come from tests/live/check_live.py. Every process is stopped and every wait bounded.
"""
import argparse
import ipaddress
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

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / 'live'))
import check_live as live  # noqa: E402
from proc_util import kill_leftovers  # noqa: E402

RECV_IDLE_S = 1.0
RECV_TOTAL_S = 20


def capture_softflowd(a, traffic):
    """softflowd's IPFIX datagrams for the capture, received on a loopback socket."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
        p = subprocess.run([a.softflowd, '-d', '-r', traffic, '-n', f'127.0.0.1:{port}', '-v', '10'],
                           capture_output=True, text=True, timeout=60)
        if p.returncode != 0:
            raise RuntimeError(f'softflowd exit {p.returncode}: {p.stderr.strip()[:300]}')
        out = []
        s.settimeout(RECV_IDLE_S)
        deadline = time.monotonic() + RECV_TOTAL_S
        while time.monotonic() < deadline:
            try:
                out.append(s.recv(65535))
            except socket.timeout:
                break
        return out


def split_sets(message):
    """(templates-only, data-only) IPFIX messages from one message; None where it has none."""
    version, _, export_time, sequence, domain = struct.unpack('!HHIII', message[:16])
    assert version == 10, f'not IPFIX: version {version}'
    templates, data = [], []
    pos = 16
    while pos + 4 <= len(message):
        set_id, length = struct.unpack('!HH', message[pos:pos + 4])
        if length < 4:
            break
        (templates if set_id in (2, 3) else data).append(message[pos:pos + length])
        pos += length

    def build(sets):
        if not sets:
            return None
        body = b''.join(sets)
        return struct.pack('!HHIII', 10, 16 + len(body), export_time, sequence, domain) + body
    return build(templates), build(data)


def without_sets(message, set_ids):
    """The IPFIX message without the sets whose id is in `set_ids`."""
    kept = []
    pos = 16
    while pos + 4 <= len(message):
        set_id, length = struct.unpack('!HH', message[pos:pos + 4])
        if length < 4:
            break
        if set_id not in set_ids:
            kept.append(message[pos:pos + length])
        pos += length
    body = b''.join(kept)
    return message[:2] + struct.pack('!H', 16 + len(body)) + message[4:16] + body


def template_ids(message):
    """[(domain, template id, kind, field count)] of the template records in an IPFIX message."""
    domain = struct.unpack('!I', message[12:16])[0]
    out = []
    pos = 16
    while pos + 4 <= len(message):
        set_id, length = struct.unpack('!HH', message[pos:pos + 4])
        body, pos = message[pos + 4:pos + length], pos + length
        r = 0
        while set_id in (2, 3) and r + 4 <= len(body):
            tid, count = struct.unpack('!HH', body[r:r + 4])
            r += 6 if set_id == 3 else 4
            for _ in range(count):
                ie = struct.unpack('!H', body[r:r + 2])[0]
                r += 8 if ie & 0x8000 else 4
            out.append((domain, tid, 'options' if set_id == 3 else 'data', count))
    return out


def write_config(a, work, name, dport, cport, store):
    cfg = work / f'{name}.yaml'
    cfg.write_text(f"""
{live.config_head(a.db_dir, dport)}forwarding:
  collectors: [{{host: 127.0.0.1, port: {cport}}}]
store: {{path: {store}}}
""")
    return cfg


def run_daemon(a, work, cfg, tag, sender, dport, messages, kill=False):
    """Starts the daemon, sends `messages` from the sender socket, stops it (SIGTERM, or with
    `kill` SIGKILL once its control thread has had two ticks); returns its log."""
    dlog = work / f'daemon-{tag}.log'
    daemon = subprocess.Popen([a.enricher, '-c', cfg], stdout=open(dlog, 'w'), stderr=subprocess.STDOUT,
                              start_new_session=True)
    try:
        live.wait_for(dlog, 'listening on', daemon, 'ipfix-enricher')
        for m in messages:
            sender.sendto(m, ('127.0.0.1', dport))
        time.sleep(1.0)  # the daemon's control thread ticks once a second; its bursts out
        if kill:
            time.sleep(1.0)
            os.killpg(daemon.pid, signal.SIGKILL)
            daemon.wait(timeout=live.STOP_TIMEOUT_S)
            return dlog.read_text(errors='replace')
        rc = live.stop(daemon)
    finally:
        kill_leftovers(daemon, timeout=live.STOP_TIMEOUT_S)
    text = dlog.read_text(errors='replace')
    if rc != 0:
        raise RuntimeError(f'ipfix-enricher exit {rc}: {text[-400:]}')
    return text


def collect(a, work, tag, run):
    """Runs `run()` with nfcapd listening; returns (its result, {flow key: [(src_as, dst_as)]}, port)."""
    cport = live.free_udp_port()
    flowdir = work / f'flows-{tag}'
    flowdir.mkdir()
    nlog = work / f'nfcapd-{tag}.log'
    nfcapd = subprocess.Popen([a.nfcapd, '-b', '127.0.0.1', '-p', str(cport), '-w', str(flowdir), '-t', '3600'],
                              stdout=open(nlog, 'w'), stderr=subprocess.STDOUT, start_new_session=True)
    try:
        live.wait_for(nlog, 'Startup', nfcapd, 'nfcapd')
        result = run(cport)
        live.stop(nfcapd)
    finally:
        kill_leftovers(nfcapd, timeout=live.STOP_TIMEOUT_S)
    p = subprocess.run([a.nfdump, '-R', flowdir, '-o', 'json'], capture_output=True, text=True, timeout=60)
    text = p.stdout.strip()
    # nfdump writes "[ No matching flows ]" (not JSON) when the files hold none.
    records = [] if 'No matching flows' in text else json.loads(text) if text.startswith('[') else None
    if records is None:
        raise RuntimeError(f'nfdump: {p.stdout[:300]} {p.stderr[:300]}')
    seen = {}
    for f in records:
        if f.get('type') != 'FLOW':
            continue
        src = str(ipaddress.ip_address(f.get('src4_addr', f.get('src6_addr'))))
        dst = str(ipaddress.ip_address(f.get('dst4_addr', f.get('dst6_addr'))))
        seen.setdefault((src, dst, f.get('src_port'), f.get('dst_port')), []).append((f.get('src_as', 0), f.get('dst_as', 0)))
    return result, seen


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--enricher', required=True)
    ap.add_argument('--db-dir', required=True)
    ap.add_argument('--mmdblookup', required=True)
    ap.add_argument('--softflowd', default='softflowd')
    ap.add_argument('--nfcapd', default='nfcapd')
    ap.add_argument('--nfdump', default='nfdump')
    a = ap.parse_args()
    problems = []
    with tempfile.TemporaryDirectory(prefix='ipfix-restart-') as tmp, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        work = pathlib.Path(tmp)
        sender.bind(('127.0.0.1', 0))  # one exporter address and port for every run
        exporter_port = sender.getsockname()[1]
        flows = live.V4_FLOWS + live.V6_FLOWS
        keyed = live.write_traffic(work / 'traffic.pcap', flows)
        exported = capture_softflowd(a, work / 'traffic.pcap')
        split = [split_sets(m) for m in exported]
        template_msgs = [t for t, _ in split if t]
        data_msgs = [d for _, d in split if d]
        sent_templates = sorted({t for m in template_msgs for t in template_ids(m)})
        if not template_msgs or not data_msgs:
            print(f'FAIL: softflowd sent {len(template_msgs)} template and {len(data_msgs)} data messages')
            return 1
        dport = live.free_udp_port()
        store = work / 'store'

        # 1. Templates only: learnt and stored; nothing for the collector to show yet.
        cfg = write_config(a, work, 'first', dport, live.free_udp_port(), store)
        first = run_daemon(a, work, cfg, 'first', sender, dport, template_msgs)
        if '0 templates loaded' not in first:
            problems.append(f'first start: store not opened empty: {first[:300]}')

        # 2. What --list-templates shows: exactly softflowd's templates, for our exporter port.
        p = subprocess.run([a.enricher, '--list-templates', '-c', cfg], capture_output=True, text=True, timeout=60)
        listed = []
        for line in p.stdout.splitlines()[1:-1]:
            f = line.split()
            if f[0] == '127.0.0.1' and f[1] == str(exporter_port) and f[3] == 'ipfix':
                listed.append((int(f[2]), int(f[4]), f[5], int(f[6])))
        if p.returncode != 0 or sorted(listed) != sent_templates or len(p.stdout.splitlines()) != len(sent_templates) + 2:
            problems.append(f'--list-templates: exit {p.returncode}, listed {sorted(listed)}, softflowd sent '
                            f'{sent_templates}: {p.stdout}{p.stderr}')

        # 3. Restart, data only: every flow decoded and enriched at the collector.
        def second_run(cport):
            return run_daemon(a, work, write_config(a, work, 'second', dport, cport, store), 'second', sender, dport,
                              data_msgs)
        second, seen = collect(a, work, 'second', second_run)
        m = re.search(r'(\d+) templates loaded', second)
        if not m or int(m.group(1)) != len(sent_templates):
            problems.append(f'restart: {len(sent_templates)} templates should load: {second[:300]}')
        checked = 0
        for src, dst, sport, dport_ in keyed:
            got = seen.pop((src, dst, sport, dport_), None)
            if got is None:
                problems.append(f'restart: flow {src}:{sport} -> {dst}:{dport_} missing at the collector')
                continue
            want = [live.mmdb_asn(a.mmdblookup, f'{a.db_dir}/asn.mmdb', x) for x in (src, dst)]
            if len(got) != 1 or list(got[0]) != want:
                problems.append(f'restart: flow {src} -> {dst}: {got} at the collector, mmdblookup {want}')
            checked += 1
        for key in seen:
            problems.append(f'restart: unexpected flow at the collector: {key}')
        print(f'{"FAIL" if problems else "ok"}: templates, restart, data only -> {checked} of {len(keyed)} flows '
              f'at nfcapd with the AS numbers mmdblookup gives; {len(sent_templates)} templates listed')

        # 4. kill -9 after the templates came: the store opens and holds them all.
        killed_store = work / 'killed-store'
        cfg = write_config(a, work, 'killed', dport, live.free_udp_port(), killed_store)
        run_daemon(a, work, cfg, 'killed', sender, dport, template_msgs, kill=True)
        p = subprocess.run([a.enricher, '--list-templates', '-c', cfg], capture_output=True, text=True, timeout=60)
        if p.returncode != 0 or len(p.stdout.splitlines()) != len(sent_templates) + 2:
            problems.append(f'after kill -9: exit {p.returncode}, want {len(sent_templates)} templates: {p.stdout}{p.stderr}')
        else:
            print(f'ok: kill -9 after the templates: the store opens with all {len(sent_templates)}')

        # 6. Sequence numbers across restarts, judged by nfcapd's own sequence check: one
        # collector sees a run with templates and data, a clean restart, and a kill -9 restart
        # (after the control thread's tick), each sending data only. With the store: no failure.
        # Control: a fresh store every run restarts the sequence, and nfcapd counts failures.
        # nfcapd 1.7 counts only flow records into the expected IPFIX sequence, not options
        # records as RFC 7011 §3.1 says (and we do), so these runs carry no options.
        options_ids = {tid for m in template_msgs for _, tid, kind, _ in template_ids(m) if kind == 'options'}
        flow_exported = [without_sets(m, options_ids | {3}) for m in exported]
        flow_data = [without_sets(m, options_ids | {2, 3}) for m in exported]
        flow_data = [m for m in flow_data if len(m) > 16]
        for fresh in (False, True):
            tag = 'seq-fresh' if fresh else 'seq'

            def store_for(run):
                return work / f'{tag}-store-{run}' if fresh else work / f'{tag}-store'

            def sequence_runs(cport):
                logs = []
                for run, msgs, kill in ((0, flow_exported, False), (1, flow_data, True), (2, flow_data, False),
                                        (3, flow_data, False)):
                    cfg = write_config(a, work, f'{tag}-{run}', dport, cport, store_for(run))
                    logs.append(run_daemon(a, work, cfg, f'{tag}-{run}', sender, dport, msgs, kill=kill))
                return logs

            logs, seen = collect(a, work, tag, sequence_runs)
            p = subprocess.run([a.nfdump, '-R', work / f'flows-{tag}', '-I'], capture_output=True, text=True, timeout=60)
            m = re.search(r'Sequence failures:\s*(\d+)', p.stdout)
            failures = int(m.group(1)) if m else None
            flows = sum(len(v) for v in seen.values())
            if fresh:
                if not failures:
                    problems.append(f'control with a fresh store per run: nfcapd should count sequence failures, '
                                    f'says {failures}: {p.stdout[-300:]}')
                else:
                    print(f'ok: control: a fresh store each run: nfcapd counts {failures} sequence failures')
            else:
                continued = [bool(re.search(r'1 output stream\(s\) continue', text)) for text in logs[1:]]
                if failures != 0 or flows != 4 * len(keyed) or not all(continued):
                    problems.append(f'sequence across restarts: nfcapd sequence failures {failures} (want 0), '
                                    f'{flows} flows (want {4 * len(keyed)}), restored per restart {continued}')
                else:
                    print(f'ok: sequence numbers continue across a clean restart and a kill -9: nfcapd counts 0 '
                          f'sequence failures over {flows} flows in 4 runs')

        # 5. Control: an empty store, the same data only: nothing decodes.
        def control_run(cport):
            return run_daemon(a, work, write_config(a, work, 'control', dport, cport, work / 'empty-store'), 'control',
                              sender, dport, data_msgs)
        control, seen = collect(a, work, 'control', control_run)
        if seen or 'records 0,' not in control:
            problems.append(f'control without stored templates: {len(seen)} flows at the collector (want 0): '
                            f'{control[-300:]}')
        else:
            print('ok: the same data after a restart with an empty store: 0 flows at nfcapd, 0 records decoded')
    for p in problems:
        print('FAIL:', p)
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
