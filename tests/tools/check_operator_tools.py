#!/usr/bin/env python3
"""The operator's tools against a live daemon: ipfix-enricher on loopback gets a bounded,
known stream of NetFlow v5 (built here: every datagram, record and byte counted exactly) plus
one malformed datagram; then

  check_operator_tools.py tui --enricher E --db-dir DIR --stats ipfix-stats
      ipfix-stats in tmux (120x40): the Overview shows the totals the daemon counted, keys 1-5
      and Tab switch views (each view's heading and numbers, or its n/a line for what the daemon
      does not serve), p pauses, a resize redraws, the daemon stopping turns the screen to
      UNREACHABLE while the tool keeps retrying, q quits; a dashboard started on a dead port
      says so; --once prints the same totals.
  check_operator_tools.py status --enricher E --db-dir DIR --status ipfix-status
      exit 0 and its --json fields while healthy, 1 while malformed input keeps arriving, 2 once
      the daemon is stopped.
  check_operator_tools.py page --enricher E --db-dir DIR --chromium C
      the dashboard page at / in headless Chromium: the DOM shows the numbers /api/v1/stats
      gives, the collectors, the errors, and n/a for what is not served; a screenshot is taken.

Every wait is bounded; the daemon and the tmux sessions are stopped on every path.
"""
import argparse
import http.client
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

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / 'live'))
import check_live as live  # noqa: E402

WAIT_S = 30          # any one wait for a screen or a counter (a hang guard, not a measurement)
DATAGRAMS = 40       # v5 datagrams sent, RECORDS_EACH records each
RECORDS_EACH = 6


class Failures:
    def __init__(self):
        self.items = []

    def check(self, ok, what):
        if not ok:
            self.items.append(what)
            print('FAIL:', what)
        return ok

    def equal(self, got, want, what):
        return self.check(got == want, f'{what}: got {got!r}, want {want!r}')


def v5_datagram(seq, flows):
    header = struct.pack('!HHIIIIBBH', 5, len(flows), 1000, 1_700_000_000, 0, seq, 0, 0, 0)
    body = b''
    for i, (src, dst) in enumerate(flows):
        body += struct.pack('!4s4s4sHHIIIIHHBBBBHHBBH', socket.inet_aton(src), socket.inet_aton(dst), bytes(4), 1, 2,
                            3, 300 + i, 500, 900, 40000 + i, 53, 0, 0, 17, 0, 0, 0, 24, 24, 0)
    return header + body


def traffic():
    """The datagrams sent: DATAGRAMS v5 datagrams, then one with version 7 (malformed)."""
    flows = live.V4_FLOWS[:RECORDS_EACH]
    out = [v5_datagram(i * RECORDS_EACH, flows) for i in range(DATAGRAMS)]
    return out + [struct.pack('!HH', 7, 0) + bytes(20)]


def http_get(port, path):
    c = http.client.HTTPConnection('127.0.0.1', port, timeout=WAIT_S)
    try:
        c.request('GET', path)
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


class Daemon:
    """ipfix-enricher on loopback with a kernel-picked stats port and one collector socket."""

    def __init__(self, a, work):
        self.collector = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.collector.bind(('127.0.0.1', 0))
        self.cport = self.collector.getsockname()[1]
        self.dport = live.free_udp_port()
        cfg = work / 'daemon.yaml'
        cfg.write_text(f"""
general:
  listen_address: 127.0.0.1
  listen_port: {self.dport}
  stats_address: 127.0.0.1
  stats_port: 0
enrichment:
  asn_database: {a.db_dir}/asn.mmdb
  country_database: {a.db_dir}/country.mmdb
forwarding:
  collectors: [{{host: 127.0.0.1, port: {self.cport}}}]
store: {{path: {work}/store}}
""")
        self.log = work / 'daemon.log'
        self.proc = subprocess.Popen([a.enricher, '-c', cfg], stdout=open(self.log, 'w'), stderr=subprocess.STDOUT,
                                     start_new_session=True)
        live.wait_for(self.log, 'stats port on', self.proc, 'ipfix-enricher')
        self.port = int(re.search(r'stats port on 127\.0\.0\.1:(\d+) ', self.log.read_text()).group(1))

    def stats(self):
        return json.loads(http_get(self.port, '/api/v1/stats')[1])

    def send(self, datagrams):
        before = self.stats()['traffic']['received_datagrams']
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            for d in datagrams:
                s.sendto(d, ('127.0.0.1', self.dport))
        deadline = time.monotonic() + WAIT_S
        while self.stats()['traffic']['received_datagrams'] < before + len(datagrams):
            if time.monotonic() > deadline:
                raise RuntimeError('the daemon did not count every datagram')
            time.sleep(0.1)

    def stop(self):
        if self.proc.poll() is None:
            try:
                live.stop(self.proc)
            finally:
                if self.proc.poll() is None:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                    self.proc.wait(timeout=live.STOP_TIMEOUT_S)
        self.collector.close()


def expected(sent):
    n = len(sent)
    records = (n - 1) * RECORDS_EACH
    return n, records, sum(len(d) for d in sent)


# ---------------------------------------------------------------------------------------- tmux

class Tmux:
    def __init__(self, name, command, width=120, height=40):
        self.name = name
        self.sock = f'ipfix-tools-{os.getpid()}'
        self.run('new-session', '-d', '-s', name, '-x', str(width), '-y', str(height), command)

    def run(self, *args, check=True):
        return subprocess.run(['tmux', '-L', self.sock, *args], capture_output=True, text=True, timeout=WAIT_S,
                              check=check)

    def screen(self):
        p = self.run('capture-pane', '-p', '-t', self.name, check=False)
        return p.stdout if p.returncode == 0 else None

    def keys(self, *keys):
        self.run('send-keys', '-t', self.name, *keys)

    def wait(self, pred, what):
        """The screen once pred(screen) holds; raises with the last screen after WAIT_S."""
        deadline = time.monotonic() + WAIT_S
        text = ''
        while time.monotonic() < deadline:
            text = self.screen()
            if text is None:
                raise RuntimeError(f'{what}: the tmux session ended')
            if pred(text):
                return text
            time.sleep(0.1)
        raise RuntimeError(f'{what}: not on screen after {WAIT_S}s:\n{text}')

    def alive(self):
        return self.run('has-session', '-t', self.name, check=False).returncode == 0

    def wait_gone(self):
        deadline = time.monotonic() + WAIT_S
        while self.alive() and time.monotonic() < deadline:
            time.sleep(0.1)
        return not self.alive()

    def kill(self):
        self.run('kill-server', check=False)


def cells(screen, label):
    """The cells after `label` on the screen's row that starts with it."""
    m = re.search(rf'^{re.escape(label)}  +(\S.*)$', screen, re.M)
    return m.group(1).split() if m else None


def view_check(f, d, screen, view, path, daemon_lines):
    """A view shows either the daemon's n/a answer or its data (whichever the daemon serves)."""
    status, body = http_get(d.port, path)
    if status != 200:
        f.check(f'n/a (the daemon does not serve {path.split("?")[0]}: HTTP {status})' in screen,
                f'{view}: no n/a line for HTTP {status}:\n{screen}')
        return
    for line in daemon_lines(json.loads(body)):
        f.check(re.search(line, screen, re.M) is not None, f'{view}: no line /{line}/ on screen:\n{screen}')


def check_help(f, tool, *sections):
    p = subprocess.run([tool, '--help'], capture_output=True, text=True, timeout=WAIT_S)
    f.equal(p.returncode, 0, f'{tool} --help exit status')
    for section in ('SYNOPSIS', 'DESCRIPTION', 'EXIT STATUS', 'EXAMPLES') + sections:
        f.check(f'\n{section}\n' in p.stdout, f'{tool} --help: no {section} section')
    bad = subprocess.run([tool, '--no-such-option'], capture_output=True, text=True, timeout=WAIT_S)
    f.equal(bad.returncode, 64, f'{tool} with a bad option: exit status')


def check_tui(a, f, d, work, sent):
    check_help(f, a.stats, 'KEYS')
    n, records, nbytes = expected(sent)
    collector = f'127.0.0.1:{d.cport}'
    t = Tmux('stats', f'{a.stats} 127.0.0.1:{d.port} --interval 1')
    try:
        # Until the frame is drawn down to its footer: a capture taken mid-redraw has the totals
        # and nothing below them.
        s = t.wait(lambda s: (cells(s, 'datagrams in') or [''])[0] == str(n) and
                   s.rstrip('\n').splitlines()[-1].startswith('1-5/Tab'), 'Overview totals, drawn to the footer')
        f.check(s.splitlines()[0].startswith(f'ipfix-enricher 127.0.0.1:{d.port}  running  up '), f'header: {s[:120]!r}')
        f.check('[1 Overview]  2 AS  3 Talkers  4 Exporters  5 Errors' in s, 'tabs line')
        f.equal(cells(s, 'records')[0], str(records), 'Overview records')
        f.equal(cells(s, 'bytes in')[0], str(nbytes), 'Overview bytes in')
        f.check(f'drops 0 (' in s and 'malformed 1 (' in s, f'Overview drops/malformed line:\n{s}')
        f.check('\n  malformed: unsupported_version 1\n' in s and '  drops: ' not in s, f'Overview reasons:\n{s}')
        row = cells(s, collector)
        f.check(row is not None and row[:3] == [str(n - 1), str(n - 1), str(records)],
                f'Overview collector row {row}, want messages {n - 1}/{n - 1}, records {records}')
        f.check(s.rstrip('\n').splitlines()[-1].startswith('1-5/Tab: view  p: pause  q: quit'), 'footer on the last line')

        t.keys('2')
        s = t.wait(lambda s: '[2 AS]' in s, 'AS view')
        view_check(f, d, s, 'AS', '/api/v1/as?n=10',
                   lambda j: ['^top source AS$'] + [rf'^{e["as"]}  .*  {e["records"]}  +{e["bytes"]}$' for e in j['source']])
        t.keys('3')
        s = t.wait(lambda s: '[3 Talkers]' in s, 'Talkers view')
        view_check(f, d, s, 'Talkers', '/api/v1/top?n=10',
                   lambda j: [rf'^{re.escape(x["address"])}  +{x["records"]}  +{x["bytes"]}$' for x in j['talkers']])
        t.keys('4')
        s = t.wait(lambda s: '[4 Exporters]' in s, 'Exporters view')
        view_check(f, d, s, 'Exporters', '/api/v1/exporters',
                   lambda j: [rf'^{re.escape(e["address"])}:{e["port"]}  +{e["version"]}  +{e["datagrams"]}  +{e["records"]}  +{e["bytes"]}  '
                              for e in j['exporters']])
        t.keys('5')
        s = t.wait(lambda s: '[5 Errors]' in s and (cells(s, 'socket_buffer_full') or ['', '-'])[1] != '-',
                   'Errors view with rates')
        f.equal(cells(s, 'unsupported_version'), ['1', '0.0'], 'Errors: unsupported_version row')
        f.equal(cells(s, 'socket_buffer_full'), ['0', '0.0'], 'Errors: socket_buffer_full row')
        t.keys('Tab')
        s = t.wait(lambda s: '[1 Overview]' in s, 'Tab from Errors back to Overview')

        t.keys('p')
        s = t.wait(lambda s: 'PAUSED' in s.splitlines()[0], 'p: paused')
        t.keys('p')
        s = t.wait(lambda s: 'PAUSED' not in s.splitlines()[0], 'p again: running')

        t.run('resize-window', '-t', 'stats', '-x', '70', '-y', '12')
        s = t.wait(lambda s: len(s.rstrip('\n').splitlines()) == 12 and s.rstrip('\n').splitlines()[-1].startswith('1-5/Tab'),
                   'redrawn at 70x12')
        f.check(all(len(line) <= 70 for line in s.splitlines()), 'lines within 70 columns')
        f.check(s.splitlines()[0].startswith('ipfix-enricher 127.0.0.1:'), f'header after resize: {s.splitlines()[0]!r}')
        f.check('Up/Down: scroll' in s, 'a cut view offers scrolling')
        t.run('resize-window', '-t', 'stats', '-x', '120', '-y', '40')

        # --once: the same totals, plain text.
        p = subprocess.run([a.stats, '--once', '--interval', '0', f'127.0.0.1:{d.port}'], capture_output=True,
                           text=True, timeout=WAIT_S)
        f.equal(p.returncode, 0, '--once exit status')
        f.equal(cells(p.stdout, 'datagrams in'), [str(n), '-'], '--once: datagrams in (no rates with --interval 0)')
        f.equal(cells(p.stdout, 'records'), [str(records), '-'], '--once: records')
        for view in ('Overview', 'AS', 'Talkers', 'Exporters', 'Errors'):
            f.check(f'\n== {view} ==\n' in p.stdout, f'--once: no {view} section')

        # The daemon goes away: the dashboard says so and keeps retrying.
        d.stop()
        s = t.wait(lambda s: 'UNREACHABLE' in s and '(2 failed polls)' in s, 'daemon stopped: UNREACHABLE')
        f.check(f'cannot reach the daemon at 127.0.0.1:{d.port}: connect: Connection refused' in s,
                f'unreachable reason:\n{s}')
        f.check(t.alive(), 'ipfix-stats still running with the daemon gone')
        t.keys('q')
        f.check(t.wait_gone(), 'q: ipfix-stats did not quit')
    finally:
        t.kill()

    # Started on a dead port: says so, retries, quits.
    dead = live.free_udp_port()  # nothing listens on TCP there either in practice: checked below
    t = Tmux('dead', f'{a.stats} 127.0.0.1:{dead} --interval 1')
    try:
        s = t.wait(lambda s: '(2 failed polls)' in s, 'dead port: retried')
        f.check(s.splitlines()[0] == f'ipfix-enricher 127.0.0.1:{dead}  UNREACHABLE, retrying every 1s (2 failed polls)',
                f'dead port header: {s.splitlines()[0]!r}')
        f.check(f'cannot reach the daemon at 127.0.0.1:{dead}: connect: Connection refused' in s, f'dead port:\n{s}')
        t.keys('q')
        f.check(t.wait_gone(), 'q on the unreachable screen')
    finally:
        t.kill()
    p = subprocess.run([a.stats, '--once', f'127.0.0.1:{dead}'], capture_output=True, text=True, timeout=WAIT_S)
    f.equal((p.returncode, p.stdout), (2, f'ipfix-enricher 127.0.0.1:{dead}  UNREACHABLE\n'
                                          f'cannot reach the daemon at 127.0.0.1:{dead}: connect: Connection refused\n'),
            '--once on a dead port')


# -------------------------------------------------------------------------------------- status

def run_status(a, *args):
    p = subprocess.run([a.status, *args], capture_output=True, text=True, timeout=WAIT_S)
    return p.returncode, p.stdout


def check_status(a, f, d, work, sent):
    check_help(f, a.status)
    n, records, _ = expected(sent)
    collector = f'127.0.0.1:{d.cport}'
    log = work / 'with-errors.log'
    log.write_text(d.log.read_text() + 'ipfix-enricher: reload refused, the running configuration stays: bad key\n'
                   'ipfix-enricher: reload: AS databases loaded (7 rows)\n')
    rc, out = run_status(a, f'127.0.0.1:{d.port}', '--json', '--sample', '0.5', '--log', str(log))
    f.equal(rc, 0, 'healthy: exit status')
    j = json.loads(out)
    f.equal((j['status'], j['exit_status'], j['reasons'], j['reachable'], j['running']),
            ('healthy', 0, [], True, True), 'healthy: verdict')
    f.equal(j['drops'], {'total': 0, 'in_sample': 0}, 'healthy: drops')
    f.equal(j['malformed'], {'total': 1, 'in_sample': 0}, 'healthy: malformed')
    f.equal(j['collectors'], [{'collector': collector, 'state': 'idle', 'messages_in': n - 1, 'messages_out': n - 1,
                               'records_out': records}], 'healthy: collectors')
    f.equal(j['rates_per_second']['datagrams'], 0.0, 'healthy: no traffic in the sample')
    f.check(j['uptime_seconds'] > 0, 'uptime')
    f.equal((j['recent_errors_source'], j['recent_errors']),
            (str(log), ['ipfix-enricher: reload refused, the running configuration stays: bad key']),
            'recent errors from --log')
    if os.path.isdir('/run/systemd/system'):
        f.check(j['service']['unit'] == 'ipfix-enricher', 'service unit')
    else:
        f.equal(j['service'], {'systemd': False, 'unit': 'ipfix-enricher', 'note': 'this host does not run systemd'},
                'service without systemd')
    rc, out = run_status(a, f'127.0.0.1:{d.port}', '--sample', '0.2')
    f.equal((rc, out.splitlines()[0]), (0, 'ipfix-enricher: healthy'), 'healthy: text')
    f.check(f'collector   {collector} idle (messages in {n - 1}, out {n - 1}, records out {records})' in out,
            f'healthy text collector line:\n{out}')

    # Malformed datagrams keep arriving while it samples: degraded.
    stop = threading.Event()

    def feed():
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            for _ in range(2000):
                if stop.is_set():
                    return
                s.sendto(struct.pack('!HH', 7, 0) + bytes(20), ('127.0.0.1', d.dport))
                time.sleep(0.02)

    feeder = threading.Thread(target=feed)
    feeder.start()
    try:
        rc, out = run_status(a, f'127.0.0.1:{d.port}', '--json', '--sample', '1')
    finally:
        stop.set()
        feeder.join(WAIT_S)
    j = json.loads(out)
    f.equal((rc, j['status']), (1, 'degraded'), 'malformed input rising: exit status')
    f.check(j['malformed']['in_sample'] > 0 and any('malformed inputs in the sample' in r for r in j['reasons']),
            f'degraded reasons: {j["reasons"]}')

    d.stop()
    rc, out = run_status(a, f'127.0.0.1:{d.port}', '--json')
    j = json.loads(out)
    f.equal((rc, j['status'], j['exit_status'], j['reachable']), (2, 'down', 2, False), 'daemon stopped: down')
    f.equal(j['unreachable'], 'connect: Connection refused', 'daemon stopped: why')
    rc, out = run_status(a, f'127.0.0.1:{d.port}')
    f.equal((rc, out.splitlines()[0]), (2, 'ipfix-enricher: down'), 'daemon stopped: text')


# ---------------------------------------------------------------------------------------- page

def chromium(a, work, *args):
    profile = work / 'chromium-profile'
    return subprocess.run([a.chromium, '--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run',
                           f'--user-data-dir={profile}', *args], capture_output=True, text=True, timeout=120)


def element_text(dom, ident):
    """The text of a cell or label, or of a section's content block (a table inside a div)."""
    m = re.search(rf'<div id="{re.escape(ident)}"[^>]*>(.*?)</div>\s*</section>', dom, re.S) or \
        re.search(rf'id="{re.escape(ident)}"[^>]*>(.*?)</(td|span|b)>', dom, re.S)
    return re.sub(r'<[^>]+>', ' ', m.group(1)).strip() if m else None


def check_page(a, f, d, work, sent):
    n, records, nbytes = expected(sent)
    status, body = http_get(d.port, '/')
    f.equal(status, 200, 'GET / status')
    page = body.decode()
    f.check(page.startswith('<!DOCTYPE html>'), 'GET / is the HTML page')
    f.check(re.search(r'(src|href)="(https?:)?//', page) is None, 'the page loads nothing from elsewhere')

    url = f'http://127.0.0.1:{d.port}/'
    p = chromium(a, work, '--virtual-time-budget=4000', '--dump-dom', url)
    f.equal(p.returncode, 0, f'chromium --dump-dom exit ({p.stderr.strip()[-300:]})')
    dom = p.stdout
    stats = d.stats()
    f.check(int(element_text(dom, 'polls') or 0) >= 2, f'polls shown: {element_text(dom, "polls")!r}')
    f.equal(element_text(dom, 'status'), 'running', 'status')
    for ident, want in [('total-datagrams', stats['traffic']['received_datagrams']),
                        ('total-records', stats['decode']['records']),
                        ('total-bytes-in', stats['traffic']['received_bytes']),
                        ('total-datagrams-out', stats['traffic']['sent_datagrams']),
                        ('total-bytes-out', stats['traffic']['sent_bytes'])]:
        f.equal(element_text(dom, ident), str(want), f'DOM {ident} against /api/v1/stats')
    f.equal((element_text(dom, 'total-datagrams'), element_text(dom, 'total-records'),
             element_text(dom, 'total-bytes-in')), (str(n), str(records), str(nbytes)), 'DOM totals against what was sent')
    f.equal(element_text(dom, 'rate-datagrams'), '0.0', 'datagrams/s with no traffic')
    collectors = element_text(dom, 'collectors') or ''
    f.equal(collectors.split()[-5:], [f'127.0.0.1:{d.cport}', str(n - 1), str(n - 1), str(records),
                                      str(stats['collectors'][0]['bytes_out'])], 'DOM collectors row')
    errors = element_text(dom, 'errors') or ''
    f.check(re.search(r'malformed: unsupported_version\s+1\b', errors) is not None, f'DOM errors: {errors[:300]!r}')
    for ident, path in [('as-source', '/api/v1/as'), ('talkers', '/api/v1/top')]:
        code, body = http_get(d.port, path + '?n=10')
        text = element_text(dom, ident) or ''
        if code != 200:
            f.equal(text, f'n/a ({path}: HTTP {code})', f'DOM {ident} for HTTP {code}')
        else:
            j = json.loads(body)
            first = (j.get('source') or j.get('talkers') or [{}])[0]
            want = [str(first[k]) for k in ('as', 'address', 'records', 'bytes') if k in first] or ['none', 'yet']
            f.check(text != '-' and 'n/a' not in text and all(w in text.split() for w in want),
                    f'DOM {ident}: {text[:200]!r}, want {want}')

    shot = work / 'dashboard.png'
    p = chromium(a, work, '--virtual-time-budget=3000', '--window-size=1280,900', f'--screenshot={shot}', url)
    data = shot.read_bytes() if shot.exists() else b''
    f.check(data[:8] == b'\x89PNG\r\n\x1a\n' and struct.unpack('!II', data[16:24]) == (1280, 900),
            f'screenshot 1280x900 PNG (chromium exit {p.returncode}, {len(data)} bytes)')
    if a.keep_screenshot:
        pathlib.Path(a.keep_screenshot).write_bytes(data)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('mode', choices=['tui', 'status', 'page'])
    ap.add_argument('--enricher', required=True)
    ap.add_argument('--db-dir', required=True)
    ap.add_argument('--stats')
    ap.add_argument('--status')
    ap.add_argument('--chromium')
    ap.add_argument('--keep-screenshot')
    a = ap.parse_args()
    f = Failures()
    with tempfile.TemporaryDirectory(prefix='ipfix-tools-') as tmp:
        work = pathlib.Path(tmp)
        d = Daemon(a, work)
        sent = traffic()
        try:
            d.send(sent)
            {'tui': check_tui, 'status': check_status, 'page': check_page}[a.mode](a, f, d, work, sent)
        finally:
            d.stop()
        if f.items:
            print(d.log.read_text(errors='replace')[-1500:])
    print(f'{"FAIL" if f.items else "ok"}: {a.mode}: {len(sent)} datagrams, {(len(sent) - 1) * RECORDS_EACH} records '
          f'({len(f.items)} failures)')
    return 1 if f.items else 0


if __name__ == '__main__':
    sys.exit(main())
