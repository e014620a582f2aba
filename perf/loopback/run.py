#!/usr/bin/env python3
"""Loopback throughput of ipfix-enricher beside the kernel limit and two other middle boxes.

For each middle box in turn, (a) none (generator -> sink: the kernel limit), (b) ipfix-enricher
(socket backend, fused layout, enrichment on with the real default AS databases), (c) pmacct's
nfacctd with the tee plugin, (d) nfcapd -R repeating, finds the highest packets/s it carries at
< 0.1% loss by a bounded search (doubling, then bisection), each trial a fresh sink, a fresh
middle box and udp_replay sending the capture for --trial-seconds. Prints a table, the ratios
and targets of issue 4 (>= 90% of direct, >= 1.5x nfacctd tee), and one JSON line per box.

  run.py --replay udp_replay --sink udp_sink --enricher ipfix-enricher --capture CAPTURE.pcap
         [--make-capture make_capture] [--nfacctd PATH] [--nfcapd PATH] [--db-dir DIR]
         [--boxes none,enricher,nfacctd,nfcapd] [--trial-seconds 2.5] [--time-cap-s 1500]

A box may be given twice with other settings: enricher/mtu=1500/workers=1/burst=64/lcores=float
(collector MTU, else the shipped auto: 9216 on loopback; performance.workers, io.burst, EAL lcore
threads floating over every CPU instead of pinned one per CPU); enricher/retention=off turns the
store's record history off; the ratios are always those of the plain 'enricher'. Two more measure the
stats port under load (issue 6): enricher/scrape=100 (a client GETs /metrics and /api/v1/stats
every 100 ms during each trial) and enricher/tail=1 (a client follows GET /api/v1/tail; tail=QUERY
gives it a filter, e.g. tail=protocol:udp for protocol=udp); each variant is printed against the
plain 'enricher' of the same run.

Loss: datagrams at the sink against datagrams sent; for ipfix-enricher (which re-encodes, so
its datagrams are not the generator's) records decoded at the sink against records sent, and
datagrams over both hops (its received count against sent, the sink's against its sent count).
Traffic goes to 127.0.0.1 only; every server is started in a session of its own and stopped
(SIGTERM, then SIGKILL); every wait is bounded.
"""
import argparse
import json
import os
import pathlib
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

LOSS_LIMIT = 0.001
START_TIMEOUT_S = 30
STOP_TIMEOUT_S = 15
SINK_IDLE_MS = 800
TARGET_OF_DIRECT = 0.90
TARGET_OF_NFACCTD = 1.5
BOX_NAMES = {'none': 'direct (no middle box)', 'enricher': 'ipfix-enricher', 'nfacctd': 'nfacctd tee',
             'nfcapd': 'nfcapd -R'}
ENRICHER_OPTIONS = ('mtu', 'workers', 'burst', 'lcores', 'scrape', 'tail', 'retention')  # enricher/mtu=1500/retention=off


def split_box(spec):
    """'enricher/mtu=9000/workers=2' -> ('enricher', {'mtu': '9000', 'workers': '2'})."""
    base, *opts = spec.split('/')
    return base, dict(o.split('=', 1) for o in opts if '=' in o)


def box_title(spec):
    base, opts = split_box(spec)
    title = BOX_NAMES.get(base, base)
    return title + (' (' + ', '.join(f'{k} {v}' for k, v in opts.items()) + ')' if opts else '')

started = []  # every process we started and have not seen stop


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def free_tcp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def udp_port_bound(port):
    """True when some socket is bound to UDP `port` (any address), from /proc/net/udp{,6}."""
    for table in ('/proc/net/udp', '/proc/net/udp6'):
        try:
            lines = pathlib.Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local = line.split()[1]
            if int(local.rsplit(':', 1)[1], 16) == port:
                return True
    return False


def start(cmd, out_path, err_path=None, stop_signal=signal.SIGTERM):
    out = open(out_path, 'w')
    err = open(err_path, 'w') if err_path else subprocess.STDOUT
    proc = subprocess.Popen([str(c) for c in cmd], stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                            start_new_session=True)
    proc.stop_signal = stop_signal
    out.close()
    if err_path:
        err.close()
    started.append(proc)
    return proc


def group_alive(pgid):
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def stop(proc, timeout=STOP_TIMEOUT_S):
    """Its stop signal (SIGTERM; nfacctd: SIGINT) to the process's session group, SIGKILL after
    `timeout`; returns the exit status (None when it had to be killed)."""
    pgid = proc.pid  # start_new_session: the process leads its own group
    status = proc.poll()
    killed = False
    if status is None:
        try:
            os.killpg(pgid, proc.stop_signal)
        except ProcessLookupError:
            pass
        try:
            status = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            killed = True
            try:
                os.killpg(pgid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=timeout)
    # Children left in the group (nfacctd's plugin process): a bounded wait, then SIGKILL.
    deadline = time.monotonic() + 5
    while group_alive(pgid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if group_alive(pgid):
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    if proc in started:
        started.remove(proc)
    return None if killed else status


def stop_all(*_):
    for proc in list(started):
        stop(proc, timeout=5)


def on_signal(signum, _frame):
    stop_all()
    sys.exit(128 + signum)


def wait_ready(proc, port, log_path=None, text=None, what='server'):
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        ok = udp_port_bound(port)
        if ok and text and log_path:
            ok = text in pathlib.Path(log_path).read_text(errors='replace')
        if ok:
            return
        if proc.poll() is not None or time.monotonic() > deadline:
            tail = pathlib.Path(log_path).read_text(errors='replace')[-2000:] if log_path else ''
            raise RuntimeError(f'{what} did not start (exit {proc.poll()}): {tail}')
        time.sleep(0.05)


def group_cpu_s(pgid):
    """User + system CPU seconds of the processes in group `pgid` (threads included)."""
    total = 0
    tick = os.sysconf('SC_CLK_TCK')
    for d in pathlib.Path('/proc').iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / 'stat').read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(')') + 2:].split()
        if int(fields[2]) == pgid:  # pgrp
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


# ---- middle boxes: each starts listening on `port` and forwards to 127.0.0.1:`sink_port` ----

class box:
    name = ''
    ready_text = None
    stop_signal = signal.SIGTERM

    def __init__(self, args, work, options=None):
        self.args, self.work = args, work
        self.options = options or {}
        self.proc = None
        self.log_path = None

    def available(self):
        return None  # or why not

    def command(self, port, sink_port, trial_dir):
        raise NotImplementedError

    def start(self, port, sink_port, trial_dir):
        self.log_path = trial_dir / f'{self.name}.log'
        self.proc = start(self.command(port, sink_port, trial_dir), self.log_path, stop_signal=self.stop_signal)
        wait_ready(self.proc, port, self.log_path, self.ready_text, self.name)
        if self.settle_s:
            time.sleep(self.settle_s)
        self.cpu_ready = group_cpu_s(self.proc.pid)

    settle_s = 0.0

    def stop(self):
        cpu = group_cpu_s(self.proc.pid) - self.cpu_ready
        status = stop(self.proc)
        return {'exit': status, 'cpu_s': round(cpu, 3)}


class scraper:
    """GET /metrics and /api/v1/stats every `period_ms` (an absolute schedule, each request on a
    new connection, 2 s timeout) until stopped; counts answers, failures and bytes."""

    def __init__(self, port, period_ms):
        self.port, self.period = port, period_ms / 1000
        self.stopping = threading.Event()
        self.result = {'scrapes': 0, 'failures': 0, 'bytes': 0, 'errors': []}
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        due = time.monotonic()
        while not self.stopping.is_set():
            for path in ('/metrics', '/api/v1/stats'):
                try:
                    with urllib.request.urlopen(f'http://127.0.0.1:{self.port}{path}', timeout=2) as r:
                        self.result['bytes'] += len(r.read())
                        self.result['scrapes'] += 1
                except OSError as e:
                    self.result['failures'] += 1
                    if len(self.result['errors']) < 3:
                        self.result['errors'].append(f'{path}: {e}')
            due += self.period
            self.stopping.wait(max(0.0, due - time.monotonic()))

    def stop(self):
        self.stopping.set()
        self.thread.join(timeout=10)
        return self.result


class tail_client:
    """Follows GET /api/v1/tail?QUERY, reading as fast as it can until stopped; counts lines."""

    def __init__(self, port, query):
        self.stopping = threading.Event()
        self.result = {'tail_lines': 0, 'tail_bytes': 0, 'tail_error': None}
        self.sock = socket.create_connection(('127.0.0.1', port), timeout=2)
        self.sock.sendall(f'GET /api/v1/tail{"?" + query if query else ""} HTTP/1.1\r\nHost: bench\r\n\r\n'.encode())
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        self.sock.settimeout(0.2)
        while not self.stopping.is_set():
            try:
                data = self.sock.recv(1 << 16)
            except socket.timeout:
                continue
            except OSError as e:
                self.result['tail_error'] = str(e)
                break
            if not data:
                self.result['tail_error'] = 'closed by the daemon'
                break
            self.result['tail_bytes'] += len(data)
            self.result['tail_lines'] += data.count(b'\n')

    def stop(self):
        self.stopping.set()
        self.thread.join(timeout=10)
        self.sock.close()
        return self.result


class enricher_box(box):
    name = 'enricher'
    ready_text = 'listening on'

    def available(self):
        if not os.access(self.args.enricher, os.X_OK):
            return f'{self.args.enricher} not built'
        for f in ('asn.mmdb', 'country.mmdb'):
            if not (pathlib.Path(self.args.db_dir) / f).is_file():
                return f'no {f} in {self.args.db_dir} (tools/fetch-asdb)'
        return None

    def command(self, port, sink_port, trial_dir):
        db = pathlib.Path(self.args.db_dir)
        cfg = trial_dir / 'enricher.yaml'
        eal_args = self.args.eal_args.split()
        if self.options.get('lcores') == 'float':  # every lcore thread free to run on any CPU
            n = os.cpu_count() or 2
            eal_args.append(f'--lcores=(0-{n - 1})@(0-{n - 1})')
        eal = ', '.join(json.dumps(a) for a in eal_args)
        workers = int(self.options.get('workers', self.args.workers))
        # No mtu key: the shipped default (auto: 9216 toward 127.0.0.1); enricher/mtu=1500 as before.
        mtu = self.options.get('mtu', '')
        mtu_key = f', mtu: {int(mtu) if mtu != "auto" else "auto"}' if mtu else ''
        burst = int(self.options.get('burst', 32))
        # retention=off: the store's record history off (the shipped config has it on).
        retention = ', retention: {enabled: false}' if self.options.get('retention') == 'off' else ''
        self.stats_port = free_tcp_port() if 'scrape' in self.options or 'tail' in self.options else 0
        cfg.write_text(f"""general: {{listen_address: 127.0.0.1, listen_port: {port}, stats_port: {self.stats_port}}}
enrichment:
  asn_database: {db / 'asn.mmdb'}
  country_database: {db / 'country.mmdb'}
forwarding:
  collectors: [{{host: 127.0.0.1, port: {sink_port}{mtu_key}}}]
performance: {{workers: {workers}}}
store: {{path: {cfg.parent / 'store'}{retention}}}
io:
  backend: socket
  layout: fused
  burst: {burst}
  eal_args: [{eal}]
""")
        return [self.args.enricher, '-c', cfg]

    def start(self, port, sink_port, trial_dir):
        super().start(port, sink_port, trial_dir)
        self.clients = []
        if 'tail' in self.options:  # attached before the traffic, as an operator's would be
            q = self.options['tail']
            self.clients.append(tail_client(self.stats_port, '' if q == '1' else q.replace(':', '=')))
        if 'scrape' in self.options:
            self.clients.append(scraper(self.stats_port, float(self.options['scrape'])))

    def stop(self):
        extra = {}
        for c in self.clients:
            extra.update(c.stop())
        r = super().stop()
        r.update(extra)
        text = pathlib.Path(self.log_path).read_text(errors='replace')
        m = re.search(r'received (\d+) datagrams .*?(\d+) dropped by the kernel.*?records (\d+).*?'
                      r'sent (\d+) datagrams \(\d+ bytes\), (\d+) dropped', text)
        if m:
            r.update(received=int(m[1]), kernel_drops=int(m[2]), records=int(m[3]), sent=int(m[4]),
                     tx_dropped=int(m[5]))
        else:
            r['summary_missing'] = text[-500:]
        return r


class nfacctd_box(box):
    name = 'nfacctd'
    settle_s = 0.5  # the core binds before the tee plugin process is up
    stop_signal = signal.SIGINT  # its core process keeps SIGTERM blocked (pmacct 1.7.7)

    def available(self):
        return None if self.args.nfacctd else 'nfacctd not found (apt-get install pmacct)'

    def command(self, port, sink_port, trial_dir):
        receivers = trial_dir / 'receivers.lst'
        receivers.write_text(f'id=1\tip=127.0.0.1:{sink_port}\n')
        cfg = trial_dir / 'nfacctd.conf'
        # Buffers as ipfix-enricher's default (8 MiB socket buffers), and the core -> plugin
        # queue batched as pmacct's QUICKSTART advises for tee (buffer:pipe 1:100).
        cfg.write_text(f"""daemonize: false
nfacctd_ip: 127.0.0.1
nfacctd_port: {port}
nfacctd_pipe_size: 8388608
plugins: tee[fwd]
tee_receivers[fwd]: {receivers}
tee_transparent[fwd]: false
tee_pipe_size[fwd]: 8388608
plugin_buffer_size[fwd]: 102400
plugin_pipe_size[fwd]: 10240000
""")
        return [self.args.nfacctd, '-f', cfg]


class nfcapd_box(box):
    name = 'nfcapd'
    ready_text = 'Startup'

    def available(self):
        return None if self.args.nfcapd else 'nfcapd not found (apt-get install nfdump)'

    def command(self, port, sink_port, trial_dir):
        flows = trial_dir / 'flows'
        flows.mkdir(exist_ok=True)
        return [self.args.nfcapd, '-b', '127.0.0.1', '-p', port, '-w', flows, '-t', '3600', '-B', '8388608',
                '-R', f'127.0.0.1/{sink_port}']


BOXES = {'enricher': enricher_box, 'nfacctd': nfacctd_box, 'nfcapd': nfcapd_box}


# ---- one trial: fresh sink, fresh middle box, a paced replay -----------------------------------

def trial(args, work, name, rate, index):
    d = work / f'{name.replace("/", "_").replace("=", "")}-{index:02d}-{int(rate)}'
    d.mkdir()
    sink_port = free_udp_port()
    base, options = split_box(name)
    b = BOXES[base](args, work, options) if base != 'none' else None
    port = free_udp_port() if b else sink_port
    limit_s = START_TIMEOUT_S + args.trial_seconds * 2 + 60
    sink = start([args.sink, '--bind', f'127.0.0.1:{sink_port}', '--idle-ms', SINK_IDLE_MS,
                  '--start-timeout-s', limit_s, '--deadline-s', limit_s], d / 'sink.json', d / 'sink.log')
    box_result = {}
    try:
        wait_ready(sink, sink_port, d / 'sink.log', 'listening on', 'udp_sink')
        if b:
            b.start(port, sink_port, d)
        count = max(1, int(rate * args.trial_seconds))
        gen = subprocess.run([str(args.replay), str(args.capture), '--to', f'127.0.0.1:{port}', '--rate', str(rate),
                              '--seconds', str(args.trial_seconds * 1.5), '--count', str(count)],
                             capture_output=True, text=True, timeout=args.trial_seconds * 1.5 + 60)
        if gen.returncode != 0:
            raise RuntimeError(f'udp_replay failed ({gen.returncode}): {gen.stderr[-1000:]}')
        sent = json.loads(gen.stdout)
        try:  # the sink stops by itself once the middle box has been quiet for SINK_IDLE_MS
            sink.wait(timeout=SINK_IDLE_MS / 1000 + 20)
        except subprocess.TimeoutExpired:
            pass
        if b:
            box_result = b.stop()
    finally:
        stop(sink)
        if b and b.proc and b.proc in started:
            stop(b.proc)
    got = json.loads((d / 'sink.json').read_text())
    r = {'box': name, 'target_packets_per_s': rate, 'packets_per_s': sent['packets_per_s'],
         'seconds': sent['seconds'], 'sent': sent['sent'], 'records_sent': sent['records'],
         'errors': sent['errors'], 'sink_datagrams': got['datagrams'], 'sink_records': got['records'],
         'sink_kernel_drops': got['kernel_drops'], 'sink_unknown_template': got['unknown_template']}
    if b:
        r['box_result'] = box_result
        if 'cpu_s' in box_result and sent['sent']:
            r['box_cpu_us_per_packet'] = round(box_result['cpu_s'] * 1e6 / sent['sent'], 2)
    if base == 'enricher':
        rx, tx = box_result.get('received', 0), box_result.get('sent', 0)
        record_loss = 1 - got['records'] / sent['records'] if sent['records'] else 1
        hops = (rx / sent['sent'] if sent['sent'] else 0) * (got['datagrams'] / tx if tx else 0)
        r['record_loss'] = record_loss
        r['loss'] = max(record_loss, 1 - hops)
    else:
        r['loss'] = 1 - got['datagrams'] / sent['sent'] if sent['sent'] else 1
    r['records_per_s'] = sent['records'] / sent['seconds'] if sent['seconds'] else 0
    r['out_datagrams_per_in'] = round(got['datagrams'] / sent['sent'], 3) if sent['sent'] else 0
    r['passed'] = r['loss'] < LOSS_LIMIT and sent['errors'] == 0
    if not args.keep:
        for f in d.glob('flows/*'):
            f.unlink()
    return r


def search(args, work, name, budget_s):
    """Doubling from --start-rate until a trial fails, then bisection until the bracket is within
    --precision; a failed trial is tried once more (a shared machine has hiccups). Stops early
    when the generator cannot reach the target (the pass is then the limit), or when the time
    budget is spent."""
    t0 = time.monotonic()
    best, low, high = None, None, None
    generator_bound = False
    rate = float(args.start_rate)
    trials = []
    index = 0
    while time.monotonic() - t0 < budget_s and index < args.max_trials:
        r = None
        for attempt in range(1 + args.retries):
            index += 1
            r = trial(args, work, name, rate, index)
            trials.append(r)
            log(f'  {name:9} target {rate:>10,.0f}/s sent {r["packets_per_s"]:>10,.0f}/s loss {r["loss"] * 100:7.3f}% '
                f'{"pass" if r["passed"] else "FAIL"}' +
                (f'  cpu {r["box_cpu_us_per_packet"]:.2f} us/pkt' if 'box_cpu_us_per_packet' in r else ''))
            if r['passed'] or time.monotonic() - t0 >= budget_s:
                break
        if r['passed']:
            before = best['packets_per_s'] if best else 0
            if best is None or r['packets_per_s'] > best['packets_per_s']:
                best = r
            low = rate
            # Short of the target and no faster than before: the generator (and the kernel
            # under it) is the limit, asking more is no use.
            if r['packets_per_s'] < 0.97 * rate and r['packets_per_s'] < 1.03 * before:
                generator_bound = True
                break
        else:
            high = rate
        if high is None:
            if rate >= args.max_rate:
                break
            rate = min(rate * 2, args.max_rate)
        elif low is None:
            if rate <= args.min_rate:
                break
            rate = max(rate / 2, args.min_rate)
        else:
            if (high - low) / low <= args.precision:
                break
            rate = (low + high) / 2
    return {'box': name, 'best': best, 'bracket': [low, high], 'generator_bound': generator_bound, 'trials': trials,
            'search_seconds': round(time.monotonic() - t0, 1)}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--replay', required=True)
    p.add_argument('--sink', required=True)
    p.add_argument('--enricher', required=True)
    p.add_argument('--capture', required=True, type=pathlib.Path)
    p.add_argument('--make-capture', help='makes --capture when it is missing')
    p.add_argument('--nfacctd', default='')
    p.add_argument('--nfcapd', default='')
    p.add_argument('--db-dir', default=os.environ.get('IPFIX_ASDB_DIR', '/var/lib/ipfix-enricher'))
    p.add_argument('--boxes', default='none,enricher,nfacctd,nfcapd')
    p.add_argument('--workers', type=int, default=1, help='ipfix-enricher performance.workers')
    p.add_argument('--eal-args', default='--no-huge --no-pci --no-shconf -m 256 --log-level=lib.*:error',
                   help="ipfix-enricher io.eal_args, space separated (the shipped default)")
    p.add_argument('--trial-seconds', type=float, default=2.5)
    p.add_argument('--start-rate', type=float, default=25_000)
    p.add_argument('--min-rate', type=float, default=1_000)
    p.add_argument('--max-rate', type=float, default=4_000_000)
    p.add_argument('--precision', type=float, default=0.05, help='bisection stops at this relative bracket')
    p.add_argument('--retries', type=int, default=1, help='a failed trial is run again this many times')
    p.add_argument('--max-trials', type=int, default=24, help='per box')
    p.add_argument('--time-cap-s', type=float, default=1500, help='for the whole run')
    p.add_argument('--json-out', type=pathlib.Path, help='also write the JSON lines here')
    p.add_argument('--keep', action='store_true', help='keep the work dir (logs, configs)')
    args = p.parse_args()
    if not 0.1 <= args.trial_seconds <= 60:
        p.error('--trial-seconds: 0.1 .. 60')

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    if not args.capture.is_file():
        if not args.make_capture:
            p.error(f'{args.capture} is missing and no --make-capture given')
        log(f'making {args.capture}')
        subprocess.run([args.make_capture, '--out', str(args.capture)], check=True, timeout=600,
                       stdout=subprocess.DEVNULL)

    names = [n.strip() for n in args.boxes.split(',') if n.strip()]
    if len(set(names)) != len(names):
        p.error('--boxes: each box once')
    for n in names:
        base, opts = split_box(n)
        if base != 'none' and base not in BOXES:
            p.error(f'unknown box {n}: none, enricher, nfacctd, nfcapd')
        if opts and (base != 'enricher' or any(k not in ENRICHER_OPTIONS for k in opts)):
            p.error(f'{n}: options are for the enricher only: ' + ', '.join(ENRICHER_OPTIONS))
    t0 = time.monotonic()
    results = {}
    work_dir = tempfile.mkdtemp(prefix='ipfix-loopback-')
    work = pathlib.Path(work_dir)
    try:
        for i, n in enumerate(names):
            base, _ = split_box(n)
            why = BOXES[base](args, work).available() if base != 'none' else None
            if why:
                log(f'{n}: skipped: {why}')
                results[n] = {'box': n, 'skipped': why}
                continue
            budget = (args.time_cap_s - (time.monotonic() - t0)) / (len(names) - i)
            log(f'{box_title(n)}: searching (budget {budget:.0f} s)')
            results[n] = search(args, work, n, budget)
    finally:
        stop_all()
        if not args.keep:
            subprocess.run(['rm', '-rf', '--', work_dir], timeout=60)
        else:
            log(f'work dir kept: {work_dir}')
    report(args, results, time.monotonic() - t0)
    return 0


def report(args, results, elapsed):
    def best(n):
        r = results.get(n, {})
        return r.get('best')

    direct, ours, tee = best('none'), best('enricher'), best('nfacctd')
    rows = []
    for n in results:
        r = results[n]
        b = r.get('best')
        if r.get('skipped'):
            rows.append((box_title(n), 'skipped: ' + r['skipped'], '', '', '', ''))
            continue
        if not b:
            rows.append((box_title(n), 'no rate passed', '', '', '', ''))
            continue
        rpp = b['records_sent'] / b['sent'] if b['sent'] else 0
        cpu = f'{b["box_cpu_us_per_packet"]:.2f}' if 'box_cpu_us_per_packet' in b else '-'
        bound = ' (generator-bound)' if b['packets_per_s'] < 0.97 * b['target_packets_per_s'] else ''
        rows.append((box_title(n), f'{b["packets_per_s"]:,.0f}{bound}', f'{b["records_per_s"]:,.0f}',
                     f'{rpp:.1f}', f'{b["out_datagrams_per_in"]:.2f}', cpu))
    head = ('middle box', 'max packets/s (<0.1% loss)', 'records/s', 'rec/pkt', 'out/in pkts', 'box CPU us/pkt')
    widths = [max(len(str(x[i])) for x in rows + [head]) for i in range(len(head))]
    print()
    print('  '.join(h.ljust(w) for h, w in zip(head, widths)))
    print('  '.join('-' * w for w in widths))
    for row in rows:
        print('  '.join(str(c).ljust(w) for c, w in zip(row, widths)))
    print()
    ratios = {}
    if ours and direct:
        ratios['vs_direct'] = ours['packets_per_s'] / direct['packets_per_s']
    if ours and tee:
        ratios['vs_nfacctd_tee'] = ours['packets_per_s'] / tee['packets_per_s']
    if ours and best('nfcapd'):
        ratios['vs_nfcapd_repeat'] = ours['packets_per_s'] / best('nfcapd')['packets_per_s']
    for key, target, text in (('vs_direct', TARGET_OF_DIRECT, 'of direct'),
                              ('vs_nfacctd_tee', TARGET_OF_NFACCTD, 'x nfacctd tee'),
                              ('vs_nfcapd_repeat', None, 'x nfcapd -R')):
        if key not in ratios:
            if target is not None:
                print(f'ipfix-enricher {text}: not measured')
            continue
        v = ratios[key]
        shown = f'{v * 100:.0f}%' if key == 'vs_direct' else f'{v:.2f}'
        if target is None:
            print(f'ipfix-enricher {text}: {shown}')
        else:
            want = f'{target * 100:.0f}%' if key == 'vs_direct' else f'{target}'
            print(f'ipfix-enricher {text}: {shown} (target >= {want}: {"met" if v >= target else "NOT met"})')
    for n in results:  # enricher variants against the plain enricher of this run
        b = best(n)
        if n == 'enricher' or split_box(n)[0] != 'enricher' or not b or not ours:
            continue
        v = b['packets_per_s'] / ours['packets_per_s']
        ratios[n] = v
        cpu = ''
        if 'box_cpu_us_per_packet' in b and ours.get('box_cpu_us_per_packet'):
            cpu = f', CPU per packet {b["box_cpu_us_per_packet"] / ours["box_cpu_us_per_packet"]:.3f}x'
        extra = b.get('box_result', {})
        seen = ', '.join(f'{k} {extra[k]:,}' for k in ('scrapes', 'failures', 'tail_lines') if k in extra)
        target = ' (issue 6 target: >= 0.97)' if 'scrape' in n or 'tail' in n else ''
        print(f'{box_title(n)} x ipfix-enricher: {v:.3f}{target}{cpu}' + (f'; at its best rate: {seen}' if seen else ''))
    print(f'({elapsed:.0f} s; trials of {args.trial_seconds} s; loss limit {LOSS_LIMIT * 100}%; '
          f'a shared machine: figures move between runs)')
    print()
    lines = []
    for n, r in results.items():
        b = r.get('best')
        line = {'box': n, 'skipped': r.get('skipped')} if r.get('skipped') else {
            'box': n, 'max_packets_per_s': b['packets_per_s'] if b else None,
            'records_per_s': b['records_per_s'] if b else None,
            'target_packets_per_s': b['target_packets_per_s'] if b else None,
            'loss': b['loss'] if b else None, 'box_cpu_us_per_packet': b.get('box_cpu_us_per_packet') if b else None,
            'bracket': r['bracket'], 'generator_bound': r['generator_bound'], 'trials': len(r['trials']),
            'search_seconds': r['search_seconds'], 'best_trial': b}
        lines.append(json.dumps(line, sort_keys=True))
    lines.append(json.dumps({'ratios': ratios, 'targets': {'vs_direct': TARGET_OF_DIRECT,
                                                           'vs_nfacctd_tee': TARGET_OF_NFACCTD}}))
    for line in lines:
        print(line)
    if args.json_out:
        args.json_out.write_text('\n'.join(lines) + '\n')


if __name__ == '__main__':
    try:
        sys.exit(main())
    finally:
        stop_all()
