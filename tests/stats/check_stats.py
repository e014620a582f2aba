#!/usr/bin/env python3
"""The daemon's stats port, driven for real: softflowd exports NetFlow v5 for a capture of known
flows (its datagrams are caught once and then sent to ipfix-enricher, so their number, bytes and
records are known exactly), plus two malformed datagrams, forwarded to two collectors: one
listening (what it receives is what the daemon says it sent) and one on a closed port (every
datagram for it counted lost, as refused); then every telnet command, every HTTP
endpoint (Prometheus text judged by promtool, JSON parsed) and the port's limits are checked:
too many connections, a 1 MiB line, a client that stalls half-way through a line, and a second
daemon on the same stats port (exit 1 with the reason).

  check_stats.py --enricher E --db-dir DIR --mmdblookup M --softflowd S --promtool P

Helpers (free ports, captures, waits, softflowd) come from tests/live/check_live.py.
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
import check_traffic  # noqa: E402
import json_schema  # noqa: E402

IO_TIMEOUT_S = 20      # any one socket operation (a hang guard, not a measurement)
MAX_CONNECTIONS = 3
IDLE_TIMEOUT_S = 5
TOKEN = 'tok-3f9a1c'


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


def catch_softflowd(a, traffic):
    """softflowd's v5 export of the capture, caught on a loopback socket: the datagrams."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(('127.0.0.1', 0))
        s.settimeout(2.0)
        p = subprocess.run([a.softflowd, '-d', '-r', traffic, '-n', f'127.0.0.1:{s.getsockname()[1]}', '-v', '5'],
                           capture_output=True, text=True, timeout=60)
        if p.returncode != 0:
            raise RuntimeError(f'softflowd exit {p.returncode}: {p.stderr.strip()[:300]}')
        out = []
        try:
            while len(out) < 1000:
                out.append(s.recv(65535))
        except socket.timeout:
            pass  # softflowd has exited: everything it sent is in the buffer already
    if not out:
        raise RuntimeError('softflowd sent nothing')
    return out


def v5_records(datagram):
    """(src, dst) of each record of a NetFlow v5 datagram."""
    count = struct.unpack_from('!H', datagram, 2)[0]
    return [(socket.inet_ntoa(datagram[24 + 48 * i:28 + 48 * i]), socket.inet_ntoa(datagram[28 + 48 * i:32 + 48 * i]))
            for i in range(count)]


def http_get(port, path, method='GET', headers=None):
    c = http.client.HTTPConnection('127.0.0.1', port, timeout=IO_TIMEOUT_S)
    try:
        c.request(method, path, headers=headers or {})
        r = c.getresponse()
        return r.status, dict(r.getheaders()), r.read()
    finally:
        c.close()


def raw_exchange(port, data, shut=True):
    """Sends `data`, reads until the server closes; returns what came back."""
    with socket.create_connection(('127.0.0.1', port), timeout=IO_TIMEOUT_S) as s:
        s.sendall(data)
        if shut:
            s.shutdown(socket.SHUT_WR)
        return read_to_eof(s)


def read_to_eof(s):
    out = b''
    while True:
        chunk = s.recv(65536)
        if not chunk:
            return out
        out += chunk


def telnet(port, *commands):
    """Runs commands then quit; returns the text before the final 'bye'."""
    text = raw_exchange(port, ''.join(c + '\r\n' for c in commands + ('quit',)).encode(), shut=False).decode()
    if not text.endswith('bye\n'):
        raise RuntimeError(f'no bye after {commands}: {text[-200:]!r}')
    return text[:-len('bye\n')]


def row(text, label):
    """The cells after `label` of the table row that starts with it."""
    m = re.search(rf'^{re.escape(label)}  +(\S.*)$', text, re.M)
    return m.group(1).split() if m else None


def metric(text, name):
    m = re.search(rf'^{re.escape(name)} (\S+)$', text, re.M)
    return float(m.group(1)) if m else None


def start_daemon(a, work, tag, stats_port, dport, cports):
    cfg = work / f'{tag}.yaml'
    cfg.write_text(f"""
general:
  listen_address: 127.0.0.1
  listen_port: {dport}
  stats_address: 127.0.0.1
  stats_port: {stats_port}
  stats_max_connections: {MAX_CONNECTIONS}
  stats_idle_timeout_seconds: {IDLE_TIMEOUT_S}
  stats_token: {TOKEN}
enrichment:
  asn_database: {a.db_dir}/asn.mmdb
  country_database: {a.db_dir}/country.mmdb
forwarding:
  collectors: [{', '.join(f'{{host: 127.0.0.1, port: {c}}}' for c in cports)}]
store: {{path: {work}/store-{tag}}}
""")
    log = work / f'{tag}.log'
    proc = subprocess.Popen([a.enricher, '-c', cfg], stdout=open(log, 'w'), stderr=subprocess.STDOUT,
                            start_new_session=True)
    return proc, log


def check_counters(f, port, sent, records, lookups, found, collector, refused, got, sent_by_refused):
    """Every telnet command and HTTP endpoint against the numbers sent; `got`: the datagrams the
    listening collector received; `refused`: the collector on a closed port, which the daemon
    handed `sent_by_refused` datagrams to the kernel for, every one of them lost (refused at once,
    or by ICMP port unreachable after it was sent)."""
    n, nbytes = len(sent), sum(len(d) for d in sent)
    out, out_bytes = len(got), sum(len(d) for d in got)
    lost = n - 2

    text = telnet(port, 'stats')
    f.check(re.match(r'uptime \S+, pipeline running, ', text) is not None, f'stats: first line {text[:80]!r}')
    for label, want in [('datagrams in', n), ('bytes in', nbytes), ('records', records), ('messages', n),
                        ('messages clean', n - 2), ('unsupported_version', 1), ('truncated_header', 1),
                        ('length_mismatch', 0), ('socket buffer full (kernel)', 0), ('send failed', lost),
                        ('datagrams out', out + sent_by_refused),
                        ('lookups', lookups), ('lookups not found', lookups - found), ('AS filled', found)]:
        cells = row(text, label)
        f.check(cells is not None and cells[0] == str(want), f'stats: row {label!r}: {cells}, want total {want}')
    cells = row(text, collector)
    f.check(cells is not None and cells[:3] == [str(n - 2), str(n - 2), str(records)],
            f'stats: collector row {cells}, want messages in/out {n - 2}, records {records}')

    # Per collector, what the TX side did: sent, bytes sent, dropped (buffer full, unreachable,
    # no neighbour, other), against what the listening collector received; no stream left unshared.
    # The refused collector's bytes sent depend on which datagrams got through: not compared.
    written = [str(n - 2), str(n - 2), str(records), str(out_bytes), '0', '0', '0', '0', '0']
    want = {collector: written + [str(out), str(out_bytes), '0', '0', '0', '0', '0'],
            refused: written + [str(sent_by_refused), '?', '0', str(lost), '0', '0', '0']}
    f.check(0 < lost and sent_by_refused <= lost, f'{sent_by_refused} datagrams sent to the closed port of {lost}')

    def same(cells, c):
        return cells is not None and len(cells) > len(want[c]) and \
            [x if w != '?' else '?' for x, w in zip(cells, want[c])] == want[c]
    for c in (collector, refused):
        cells = row(text, c)
        f.check(same(cells, c), f'stats: collector row {cells}, want {want[c]}')

    text = telnet(port, 'collectors')
    lines = text.splitlines()
    f.equal(lines[0].split('  ')[0], 'collector', 'collectors: header')
    f.check(lines[0].startswith('collector') and
            lines[0].endswith('records too big  datagrams sent  bytes sent  dropped: buffer full  '
                              'dropped: unreachable  dropped: no neighbour  dropped: other  unshared streams  '
                              'records/s'),
            f'collectors: header {lines[0]!r}')
    f.equal(len(lines), 3, 'collectors: lines')
    for c in (collector, refused):
        cells = row(text, c)
        f.check(same(cells, c), f'collectors: row {cells}, want {want[c]}')

    text = telnet(port, 'help', 'frobnicate', '')
    for word in ('stats', 'collectors', 'exporters', 'templates', 'as_stats', 'top', 'reset', 'help', 'quit'):
        f.check(re.search(rf'^  {word} ', text, re.M) is not None, f'help: no line for {word}')
    f.check("error: unknown command 'frobnicate' (try help)\n" in text, 'unknown command: no error')

    status, headers, body = http_get(port, '/metrics')
    f.equal(status, 200, '/metrics status')
    f.equal(headers.get('Content-Type'), 'text/plain; version=0.0.4; charset=utf-8', '/metrics type')
    prom = body.decode()
    p = subprocess.run([a_promtool, 'check', 'metrics'], input=prom, capture_output=True, text=True, timeout=60)
    f.check(p.returncode == 0 and not (p.stdout + p.stderr).strip(),
            f'promtool check metrics: exit {p.returncode}: {(p.stdout + p.stderr).strip()[:500]}')
    for name, want in [('ipfix_enricher_up', 1), ('ipfix_enricher_received_datagrams_total', n),
                       ('ipfix_enricher_received_bytes_total', nbytes), ('ipfix_enricher_records_total', records),
                       ('ipfix_enricher_malformed_total{reason="unsupported_version"}', 1),
                       ('ipfix_enricher_malformed_total{reason="truncated_header"}', 1),
                       ('ipfix_enricher_dropped_datagrams_total{reason="socket_buffer_full"}', 0),
                       ('ipfix_enricher_as_lookups_total', lookups),
                       ('ipfix_enricher_as_written_total{kind="filled"}', found),
                       (f'ipfix_enricher_collector_records_out_total{{collector="{collector}"}}', records),
                       (f'ipfix_enricher_collector_sent_datagrams_total{{collector="{collector}"}}', out),
                       (f'ipfix_enricher_collector_sent_bytes_total{{collector="{collector}"}}', out_bytes),
                       (f'ipfix_enricher_collector_sent_datagrams_total{{collector="{refused}"}}', sent_by_refused),
                       ('ipfix_enricher_sent_datagrams_total', out + sent_by_refused)] + [
                           (f'ipfix_enricher_collector_dropped_datagrams_total{{collector="{c}",reason="{r}"}}',
                            lost if (c, r) == (refused, 'unreachable') else 0)
                           for c in (collector, refused) for r in ('buffer_full', 'unreachable', 'no_neighbour', 'other')]:
        f.equal(metric(prom, name), want, f'/metrics {name}')

    status, headers, body = http_get(port, '/api/v1/stats')
    f.equal((status, headers.get('Content-Type')), (200, 'application/json'), '/api/v1/stats status')
    j = json.loads(body)
    f.equal(json_schema.mismatches(j, json_schema.STATS), [], '/api/v1/stats schema')
    f.equal(j['running'], True, 'stats json running')
    f.equal(j['traffic']['received_datagrams'], n, 'stats json datagrams')
    f.equal(j['traffic']['received_bytes'], nbytes, 'stats json bytes')
    f.equal(j['decode']['records'], records, 'stats json records')
    f.equal(j['malformed']['unsupported_version'], 1, 'stats json malformed')
    f.equal(j['enrich']['lookups'], lookups, 'stats json lookups')
    f.equal([c['collector'] for c in j['collectors']], [collector, refused], 'stats json collectors')
    status, _, body = http_get(port, '/api/v1/collectors')
    f.equal(json_schema.mismatches(json.loads(body), json_schema.COLLECTORS), [], '/api/v1/collectors schema')
    c = json.loads(body)['collectors']
    f.equal((status, len(c), c[0]['collector'], c[0]['records_out'], c[0]['messages_in']),
            (200, 2, collector, records, n - 2), '/api/v1/collectors')
    tx_keys = ('sent_datagrams', 'sent_bytes', 'dropped_buffer_full', 'dropped_unreachable', 'dropped_no_neighbour',
               'dropped_other')
    f.equal([c[0][k] for k in tx_keys], [out, out_bytes, 0, 0, 0, 0], '/api/v1/collectors: listening collector sent')
    f.equal([c[1][k] for k in tx_keys], [sent_by_refused, c[1]['sent_bytes'], 0, lost, 0, 0],
            '/api/v1/collectors: refused collector sent')
    f.equal(c[0]['bytes_out'], out_bytes, '/api/v1/collectors: bytes written = bytes the collector received')

    f.equal(http_get(port, '/healthz')[::2], (200, b'ok\n'), '/healthz')
    f.equal(http_get(port, '/nope')[0], 404, '/nope')
    f.equal(http_get(port, '/metrics', 'POST')[0], 405, 'POST /metrics')
    head = http_get(port, '/healthz', 'HEAD')
    f.equal((head[0], head[1].get('Content-Length'), head[2]), (200, '3', b''), 'HEAD /healthz')
    for request, status in [(b'GET / HTTP/1.1\r\nno colon here\r\n\r\n', 400),
                            (b'GET /' + b'a' * 5000 + b' HTTP/1.1\r\n\r\n', 414),
                            (b'GET / HTTP/1.1\r\n' + b'X-Big: ' + b'b' * 9000 + b'\r\n\r\n', 431),
                            (b'GET / HTTP/3.0\r\n\r\n', 505)]:
        reply = raw_exchange(port, request)
        f.check(reply.startswith(f'HTTP/1.1 {status} '.encode()), f'{request[:30]!r}...: {reply[:60]!r}')


def check_limits(f, port):
    """Connection limit, a 1 MiB line, a stalled client; the port keeps serving throughout."""
    idle = [socket.create_connection(('127.0.0.1', port), timeout=IO_TIMEOUT_S) for _ in range(MAX_CONNECTIONS)]
    try:
        # The server has taken the first ones when it answers one of them.
        idle[0].sendall(b'help\r\n')
        f.check(idle[0].recv(4096).startswith(b'commands:\n'), 'limit: first connection not served')
        extra = raw_exchange(port, b'', shut=False)
        f.equal(extra, f'error: too many connections (limit {MAX_CONNECTIONS}), closing\n'.encode(), 'limit: extra')
    finally:
        for s in idle:
            s.close()

    # The server learns of the closes above on its next poll: until then a new connection may
    # still find the port full (seen under ASan), so that answer is retried, briefly.
    too_many = f'error: too many connections (limit {MAX_CONNECTIONS}), closing\n'.encode()
    deadline = time.monotonic() + IO_TIMEOUT_S
    while True:
        with socket.create_connection(('127.0.0.1', port), timeout=IO_TIMEOUT_S) as s:
            sender = threading.Thread(target=lambda: _send_quietly(s, b'x' * (1 << 20)))
            sender.start()
            reply = read_to_eof(s)
            sender.join(IO_TIMEOUT_S)
        if reply != too_many or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    f.equal(reply, b'error: line longer than 4096 bytes, closing\n', '1 MiB line')
    f.equal(http_get(port, '/healthz')[::2], (200, b'ok\n'), '/healthz after the 1 MiB line')

    with socket.create_connection(('127.0.0.1', port), timeout=IO_TIMEOUT_S) as slow:
        slow.sendall(b'sta')  # and stalls
        text = telnet(port, 'stats')
        f.check(row(text, 'datagrams in') is not None, 'stalled client: another was not served')
        f.equal(http_get(port, '/healthz')[::2], (200, b'ok\n'), 'stalled client: /healthz')
        f.equal(read_to_eof(slow), b'error: idle timeout, closing\n', 'stalled client at the idle timeout')


def _send_quietly(s, data):
    try:
        s.sendall(data)
    except OSError:
        pass  # the server may close before taking it all


a_promtool = 'promtool'


def main():
    global a_promtool
    ap = argparse.ArgumentParser()
    ap.add_argument('--enricher', required=True)
    ap.add_argument('--db-dir', required=True)
    ap.add_argument('--mmdblookup', required=True)
    ap.add_argument('--softflowd', required=True)
    ap.add_argument('--promtool', required=True)
    a = ap.parse_args()
    a_promtool = a.promtool
    f = Failures()
    with tempfile.TemporaryDirectory(prefix='ipfix-stats-') as tmp:
        work = pathlib.Path(tmp)
        traffic = work / 'traffic.pcap'
        live.write_traffic(traffic, live.V4_FLOWS)
        sent = catch_softflowd(a, traffic)
        pairs = [p for d in sent for p in v5_records(d)]
        records = len(pairs)
        addresses = [x for p in pairs for x in p]
        found = sum(1 for x in addresses if live.mmdb_asn(a.mmdblookup, f'{a.db_dir}/asn.mmdb', x) != 0)
        sent += [struct.pack('!HH', 7, 0) + bytes(20), struct.pack('!H', 5) + bytes(8)]  # version 7; v5 cut short

        collector = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        collector.bind(('127.0.0.1', 0))
        cport, dport = collector.getsockname()[1], live.free_udp_port()
        closed_port = next(p for p in (live.free_udp_port() for _ in range(10)) if p not in (cport, dport))
        # nobody listens there: the kernel refuses it (ICMP port unreachable)
        daemon, log = start_daemon(a, work, 'stats', 0, dport, [cport, closed_port])
        second = None
        try:
            live.wait_for(log, 'stats port on', daemon, 'ipfix-enricher')
            port = int(re.search(r'stats port on 127\.0\.0\.1:(\d+) ', log.read_text()).group(1))
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as exporter:
                exporter.bind(('127.0.0.1', 0))
                exporter_port = exporter.getsockname()[1]
                for d in sent:
                    exporter.sendto(d, ('127.0.0.1', dport))
            deadline = time.monotonic() + IO_TIMEOUT_S
            while json.loads(http_get(port, '/api/v1/stats')[2])['traffic']['received_datagrams'] < len(sent):
                if time.monotonic() > deadline:
                    raise RuntimeError('the daemon did not count every datagram')
                time.sleep(0.1)
            # The listening collector's datagrams, as many as the daemon says it sent, and no more.
            c = json.loads(http_get(port, '/api/v1/collectors')[2])['collectors']
            collector.settimeout(IO_TIMEOUT_S)
            got = [collector.recv(65536) for _ in range(c[0]['sent_datagrams'])]
            collector.setblocking(False)
            try:
                got.append(collector.recv(65536))
            except BlockingIOError:
                pass
            check_counters(f, port, sent, records, len(addresses), found, f'127.0.0.1:{cport}',
                           f'127.0.0.1:{closed_port}', got, c[1]['sent_datagrams'])
            # `stats` is per exporter too: the exporters table follows the counters.
            cells = row(telnet(port, 'stats'), f'127.0.0.1:{exporter_port}') or []
            f.equal(cells[:6], ['5', str(len(sent)), str(records), str(sum(len(d) for d in sent)), '0', '2'],
                    'stats: exporter row (version, datagrams, records, bytes, sequence gaps, malformed)')
            check_limits(f, port)
            # Nothing on the port changed the counters.
            f.equal(json.loads(http_get(port, '/api/v1/stats')[2])['traffic']['received_datagrams'], len(sent),
                    'datagrams after the port tests')
            check_traffic.check_traffic(f, a, port, dport, exporter_port, sent, TOKEN, http_get, telnet)

            second, second_log = start_daemon(a, work, 'second', port, live.free_udp_port(), [cport])
            try:
                rc = second.wait(timeout=60)
            except subprocess.TimeoutExpired:
                rc = None
            f.equal(rc, 1, 'second daemon on a stats port in use: exit status')
            f.check(f'stats port 127.0.0.1:{port}: cannot listen: Address already in use' in second_log.read_text(),
                    f'second daemon: {second_log.read_text().strip()[-300:]!r}')
            f.equal(http_get(port, '/healthz')[::2], (200, b'ok\n'), 'the first daemon after the second one')
            f.equal(live.stop(daemon), 0, 'ipfix-enricher exit on SIGTERM')
        finally:
            for proc in (daemon, second):
                if proc is not None and proc.poll() is None:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=live.STOP_TIMEOUT_S)
            collector.close()
        if f.items:
            print(log.read_text(errors='replace')[-2000:])
    print(f'{"FAIL" if f.items else "ok"}: stats port: {len(sent)} datagrams ({records} records from softflowd) '
          f'counted exactly over telnet, /metrics (promtool), JSON; limits held ({len(f.items)} failures)')
    return 1 if f.items else 0


if __name__ == '__main__':
    sys.exit(main())
