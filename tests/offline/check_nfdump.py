#!/usr/bin/env python3
"""The offline path's output judged by a real collector: nfcapd receives what ipfix-enricher
writes for each collector, and nfdump must show every flow with the AS numbers we sent.

  check_nfdump.py --enricher E --dump D --db-dir DIR --corpus C [--nfcapd N] [--nfdump N] CAPTURE...

Per capture and collector (2056: the input's version, 4739: IPFIX): ipfix-enricher --offline;
nfcapd is started on a free loopback port with a temporary directory; the collector's output
datagrams are sent to it over UDP (bounded count, small pacing); nfcapd is stopped (SIGTERM,
bounded wait) and must report no bad packet and, on streams without options records, no
sequence error; then `nfdump -R DIR -o json`
must list the same flows (addresses, ports, protocol) with the same src/dst AS as the records
ipfix-dump decodes from our output. Exits 1 on any difference.
"""
import argparse
import collections
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_capture import CONFIG, COLLECTORS, EXTRA_PORTS  # noqa: E402
from offline_lib import PEN_NAMES, read_pcap, run, write_pcap  # noqa: E402

MAX_DATAGRAMS = 2000      # bound on what one replay sends
PACING_S = 0.002          # between datagrams: nfcapd's socket buffer is never the limit
START_TIMEOUT_S = 10
STOP_TIMEOUT_S = 10


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def flow_key(src, dst, sport, dport, proto, src_as, dst_as):
    proto = int(proto or 0)
    if proto in (1, 58):
        sport = dport = 0  # ICMP type/code: nfdump shows them apart, exporters put them in a port
    return (src, dst, int(sport or 0), int(dport or 0), proto, int(src_as), int(dst_as))


def our_flows(records):
    """Flows as nfdump will show them, from ipfix-dump's records of our output."""
    flows = collections.Counter()
    for r in records:
        if r.get('options'):
            continue
        src = r.get('sourceIPv4Address', r.get('sourceIPv6Address'))
        dst = r.get('destinationIPv4Address', r.get('destinationIPv6Address'))
        if src is None or dst is None:
            continue
        flows[flow_key(src, dst, r.get('sourceTransportPort'), r.get('destinationTransportPort'),
                       r.get('protocolIdentifier'), r.get('bgpSourceAsNumber', 0),
                       r.get('bgpDestinationAsNumber', 0))] += 1
    return flows


def nfdump_flows(nfdump, directory):
    p = run([nfdump, '-R', directory, '-o', 'json'])
    if p.returncode != 0:
        raise RuntimeError(f'nfdump exit {p.returncode}: {p.stderr.strip()}')
    text = p.stdout.strip()
    items = json.loads(text) if text.startswith('[') else []
    flows = collections.Counter()
    for f in items:
        if f.get('type') != 'FLOW':
            continue
        src = f.get('src4_addr', f.get('src6_addr'))
        dst = f.get('dst4_addr', f.get('dst6_addr'))
        flows[flow_key(src, dst, f.get('src_port'), f.get('dst_port'), f.get('proto'), f.get('src_as', 0),
                       f.get('dst_as', 0))] += 1
    return flows


def replay_to_nfcapd(nfcapd, payloads, workdir):
    """Runs nfcapd for the replay; returns (flow directory, nfcapd's output)."""
    flowdir = workdir / 'flows'
    flowdir.mkdir()
    port = free_udp_port()
    log = open(workdir / 'nfcapd.log', 'w+')
    proc = subprocess.Popen([nfcapd, '-b', '127.0.0.1', '-p', str(port), '-w', str(flowdir), '-t', '3600'],
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while 'Startup' not in (workdir / 'nfcapd.log').read_text():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f'nfcapd did not start: {(workdir / "nfcapd.log").read_text()}')
            time.sleep(0.05)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            for d in payloads[:MAX_DATAGRAMS]:
                s.sendto(d, ('127.0.0.1', port))
                time.sleep(PACING_S)
        time.sleep(0.5)  # let nfcapd read its socket dry
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=STOP_TIMEOUT_S)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=STOP_TIMEOUT_S)
        log.close()
    return flowdir, (workdir / 'nfcapd.log').read_text()


def check(a, rel):
    problems = []
    notes = []
    with tempfile.TemporaryDirectory(prefix='offline-nfdump-') as tmp:
        tmp = Path(tmp)
        cfg = tmp / 'config.yaml'
        db = Path(a.db_dir)
        cfg.write_text(CONFIG.format(asn=db / 'asn.mmdb', country=db / 'country.mmdb', pen=PEN_NAMES,
                                     source='fill', destination='fill'))
        out = tmp / 'out.pcap'
        cmd = [a.enricher, '--offline', Path(a.corpus) / rel, '--write', out, '-c', cfg]
        for p in EXTRA_PORTS:
            cmd += ['--port', p]
        p = run(cmd)
        if p.returncode != 0:
            return [f'ipfix-enricher exit {p.returncode}: {p.stderr.strip()}'], notes
        ghdr, frames = read_pcap(out)
        for port, mode in COLLECTORS:
            tag = f'[{port} {mode}]'
            mine = [f for f in frames if f.dst_port == port]
            split = tmp / f'out-{port}.pcap'
            write_pcap(split, ghdr, mine)
            d = run([a.dump, '--json', '--frame-numbers', '--port', port, split])
            records = [json.loads(line) for line in d.stdout.splitlines() if line.strip()]
            want = our_flows(records)
            if len(mine) > MAX_DATAGRAMS:
                problems.append(f'{tag} {len(mine)} datagrams: more than a replay sends')
            work = tmp / f'nfcapd-{port}'
            work.mkdir()
            try:
                flowdir, log = replay_to_nfcapd(a.nfcapd, [f.payload for f in mine], work)
                got = nfdump_flows(a.nfdump, flowdir)
            except (RuntimeError, subprocess.TimeoutExpired) as e:
                problems.append(f'{tag} {e}')
                continue
            m = re.search(r'Flows: (\d+), Packets: \d+, Bytes: \d+, Sequence Errors: (\d+), Bad Packets: (\d+)', log)
            if not m:
                problems.append(f'{tag} nfcapd printed no summary: {log.strip()[-300:]}')
            else:
                # RFC 7011 §3.1 counts options data records in the IPFIX sequence (tshark and
                # libfixbuf agree, see check_capture.py); nfcapd 1.7 counts only those of option
                # templates it understands (samplers), so its count is judged only without them.
                options = sum(1 for r in records if r.get('options'))
                if int(m.group(3)) or (int(m.group(2)) and not options):
                    problems.append(f'{tag} nfcapd: sequence errors {m.group(2)}, bad packets {m.group(3)}')
                if int(m.group(1)) != sum(want.values()):
                    problems.append(f'{tag} nfcapd counted {m.group(1)} flows, we sent {sum(want.values())}')
            if got != want:
                missing = want - got
                extra = got - want
                problems.append(f'{tag} nfdump differs: {sum(missing.values())} of our flows missing, e.g. '
                                f'{list(missing)[:3]}; {sum(extra.values())} unexpected, e.g. {list(extra)[:3]}')
            with_as = sum(n for k, n in got.items() if k[5] or k[6])
            if not with_as:
                problems.append(f'{tag} no flow with an AS number: the capture tests nothing')
            notes.append(f'{tag} {sum(got.values())} flows, {with_as} with an AS, '
                         f'{len({k[5] for k in got} | {k[6] for k in got})} distinct AS values')
    return problems, notes


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--enricher', required=True)
    ap.add_argument('--dump', required=True)
    ap.add_argument('--db-dir', required=True)
    ap.add_argument('--corpus', required=True)
    ap.add_argument('--nfcapd', default='nfcapd')
    ap.add_argument('--nfdump', default='nfdump')
    ap.add_argument('captures', nargs='+')
    a = ap.parse_args()
    failed = 0
    for rel in a.captures:
        problems, notes = check(a, rel)
        print(f'{"FAIL" if problems else "ok"}: {rel}: ' + '; '.join(notes))
        for p in problems:
            print(f'  {p}')
        failed += bool(problems)
    print(f'{len(a.captures) - failed} passed, {failed} failed')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
