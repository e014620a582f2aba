#!/usr/bin/env python3
"""The live tail (GET /api/v1/tail and ipfix-tail) driven for real: IPFIX records of known values
(built here, sent from two exporter sockets) go through ipfix-enricher, and every tail client
must see exactly the records its filter selects, in order, each field equal to what was sent,
the AS numbers and countries equal to what mmdblookup finds in the test databases. Each filter
alone and combined, bad filters (400 with the reason), since= without a retention store, the
tail client limit, a client that stops reading (its drops counted and told, exactly: what it got
plus what it was told it lost is what a reading client got), ipfix-tail --json (byte for byte the
HTTP lines) and ipfix-tail in tmux (the screen shows the records, AS colours via capture-pane -e).

  check_tail.py --enricher E --tail T --db-dir DIR --mmdblookup M [--tmux X]

A sentinel record that every round's filters select ends each round: what a client reads up to
it is everything it will get, so "nothing else" is checked without waiting.
"""
import argparse
import json
import os
import pathlib
import re
import shutil
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

IO_TIMEOUT_S = 20
MAX_CONNECTIONS = 12  # so 11 tail clients
TEMPLATE = 256
DOMAIN = 7
SENTINEL_BYTES = 987654321
PROBE_BYTES = 77777  # records sent until the taps are on (they turn on within ~100 ms of a client)
# (id, length): source/destination IPv4, ports, protocol, octets, packets, ingress, egress,
# flowStart/EndMilliseconds, bgpSource/DestinationAsNumber.
FIELDS = [(8, 4), (12, 4), (7, 2), (11, 2), (4, 1), (1, 8), (2, 8), (10, 4), (14, 4), (152, 8), (153, 8), (16, 4),
          (17, 4)]
RECORD_FORMAT = '!4s4sHHBQQIIQQII'

# Addresses of tests/offline's databases (make_test_dbs.py): some known, some not.
ADDRESSES = ['8.8.8.8', '1.1.1.1', '93.184.216.34', '150.1.2.3', '92.1.2.3', '5.6.7.8', '94.0.0.1', '8.8.4.4',
             '200.1.1.1', '180.2.2.2', '12.0.0.1', '95.5.5.5']


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


def make_records(t0):
    """Known records: every pair of test addresses, several protocols and ports, AS 0 (to be
    filled) except a few a router "knew" (kept as sent)."""
    out = []
    protocols = [6, 17, 1]
    for i in range(len(ADDRESSES)):
        src, dst = ADDRESSES[i], ADDRESSES[(i * 5 + 3) % len(ADDRESSES)]
        out.append(dict(source=src, destination=dst, source_port=40000 + i, destination_port=[53, 443, 80][i % 3],
                        protocol=protocols[i % 3], bytes=1000 + i, packets=10 + i, input_interface=i + 1,
                        output_interface=100 + i, flow_start_ms=t0 + i, flow_end_ms=t0 + 1000 + i,
                        sent_source_as=3356 if i % 4 == 1 else 0, sent_destination_as=0))
    return out


def sentinel(t0):
    return dict(source='8.8.8.8', destination='1.1.1.1', source_port=9, destination_port=53, protocol=17,
                bytes=SENTINEL_BYTES, packets=1, input_interface=0, output_interface=0, flow_start_ms=t0,
                flow_end_ms=t0, sent_source_as=0, sent_destination_as=0)


def ipfix_message(records, sequence, with_template=True):
    sets = b''
    if with_template:
        body = struct.pack('!HH', TEMPLATE, len(FIELDS)) + b''.join(struct.pack('!HH', i, n) for i, n in FIELDS)
        sets += struct.pack('!HH', 2, 4 + len(body)) + body
    data = b''.join(struct.pack(RECORD_FORMAT, socket.inet_aton(r['source']), socket.inet_aton(r['destination']),
                                r['source_port'], r['destination_port'], r['protocol'], r['bytes'], r['packets'],
                                r['input_interface'], r['output_interface'], r['flow_start_ms'], r['flow_end_ms'],
                                r['sent_source_as'], r['sent_destination_as']) for r in records)
    sets += struct.pack('!HH', TEMPLATE, 4 + len(data)) + data
    return struct.pack('!HHIII', 10, 16 + len(sets), int(time.time()), sequence, DOMAIN) + sets


class Exporter:
    """One exporter socket: its own sequence numbers, the template in every message."""

    def __init__(self, dport):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.bind(('127.0.0.1', 0))
        self.port = self.s.getsockname()[1]
        self.dport = dport
        self.sequence = 0

    def send(self, records, per_message=20):
        for k in range(0, len(records), per_message):
            chunk = records[k:k + per_message]
            self.s.sendto(ipfix_message(chunk, self.sequence), ('127.0.0.1', self.dport))
            self.sequence += len(chunk)


class Databases:
    def __init__(self, a):
        self.a = a
        self.asn = {}
        self.country = {}

    def as_of(self, address):
        if address not in self.asn:
            self.asn[address] = live.mmdb_asn(self.a.mmdblookup, f'{self.a.db_dir}/asn.mmdb', address)
        return self.asn[address]

    def country_of(self, address):
        if address not in self.country:
            p = subprocess.run([self.a.mmdblookup, '--file', f'{self.a.db_dir}/country.mmdb', '--ip', address,
                                'country', 'iso_code'], capture_output=True, text=True, timeout=30)
            m = re.search(r'"([A-Z]{2})"', p.stdout)
            self.country[address] = m.group(1) if m else ''
        return self.country[address]


def expected_line(r, exporter_port, db):
    """The record as the tail must show it (time_ms aside): enrichment 'fill' writes the
    database's AS where the router sent 0 and the database knows one, keeps what it sent else."""
    out = {}
    for side in ('source', 'destination'):
        sent = r[f'sent_{side}_as']
        found = db.as_of(r[side])
        filled = sent == 0 and found != 0
        out[f'{side}_as'] = found if filled else sent
        out[f'{side}_as_filled'] = filled
        out[f'{side}_country'] = db.country_of(r[side])
    return {'exporter': f'127.0.0.1:{exporter_port}', 'version': 10, 'domain': DOMAIN, 'template': TEMPLATE,
            'source': r['source'], 'destination': r['destination'], 'source_port': r['source_port'],
            'destination_port': r['destination_port'], 'protocol': r['protocol'],
            'source_as': out['source_as'], 'destination_as': out['destination_as'],
            'source_as_filled': out['source_as_filled'], 'destination_as_filled': out['destination_as_filled'],
            'source_country': out['source_country'], 'destination_country': out['destination_country'],
            'bytes': r['bytes'], 'packets': r['packets'], 'input_interface': r['input_interface'],
            'output_interface': r['output_interface'], 'flow_start_ms': r['flow_start_ms'],
            'flow_end_ms': r['flow_end_ms']}


KEYS = ['time_ms', 'exporter', 'version', 'domain', 'template', 'source', 'destination', 'source_port',
        'destination_port', 'protocol', 'source_as', 'destination_as', 'source_as_filled', 'destination_as_filled',
        'source_country', 'destination_country', 'bytes', 'packets', 'input_interface', 'output_interface',
        'flow_start_ms', 'flow_end_ms']


class TailClient:
    """GET /api/v1/tail over a raw socket (HTTP/1.1: chunked framing decoded here)."""

    def __init__(self, port, query='', rcvbuf=None):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.s.settimeout(IO_TIMEOUT_S)
        self.s.connect(('127.0.0.1', port))
        target = '/api/v1/tail' + (f'?{query}' if query else '')
        self.s.sendall(f'GET {target} HTTP/1.1\r\nHost: test\r\n\r\n'.encode())
        self.buf = b''
        while b'\r\n\r\n' not in self.buf:
            try:
                chunk = self.s.recv(65536)
            except ConnectionResetError:
                chunk = b''  # refused at the connection limit (a client just gone not yet reaped)
            if not chunk:
                break
            self.buf += chunk
        head, _, self.buf = self.buf.partition(b'\r\n\r\n')
        self.head = head.decode(errors='replace')
        self.status = int(self.head.split(' ')[1]) if self.head.startswith('HTTP/1.1 ') else 0
        self.body = b''  # de-chunked, not yet split into lines
        self.lines = []  # every line read

    def _more(self):
        chunk = self.s.recv(65536)
        if not chunk:
            raise RuntimeError('tail stream closed')
        self.buf += chunk

    def _dechunk(self):
        while True:
            end = self.buf.find(b'\r\n')
            if end < 0:
                return
            size = int(self.buf[:end], 16)
            if len(self.buf) < end + 2 + size + 2:
                return
            if self.buf[end + 2 + size:end + 4 + size] != b'\r\n':
                raise RuntimeError(f'bad chunk framing: {self.buf[:80]!r}')
            self.body += self.buf[end + 2:end + 2 + size]
            self.buf = self.buf[end + 4 + size:]

    def read_until(self, last):
        """Lines up to and including the first one `last` accepts (bounded by the socket timeout)."""
        got = []
        while True:
            self._dechunk()
            while b'\n' in self.body:
                line, _, self.body = self.body.partition(b'\n')
                got.append(line.decode())
                self.lines.append(got[-1])
                if last(line):
                    return got
            self._more()

    def read_until_probe(self):
        return self.read_until(lambda line: f'"bytes":{PROBE_BYTES},'.encode() in line)

    def read_until_sentinel(self):
        return self.read_until(lambda line: f'"bytes":{SENTINEL_BYTES},'.encode() in line)

    def rest_of_error(self):
        while True:
            try:
                chunk = self.s.recv(65536)
            except OSError:
                break
            if not chunk:
                break
            self.buf += chunk
        return self.buf

    def close(self):
        self.s.close()


def prime(exporter, probe, clients):
    """Sends `probe` (a record every client selects) until each client has read one: the taps
    are on from then on. Its copies are left out of what is checked (not_probe)."""
    readers = [threading.Thread(target=c.read_until_probe) for c in clients]
    for r in readers:
        r.start()
    for _ in range(100):
        exporter.send([dict(probe, bytes=PROBE_BYTES)])
        for r in readers:
            r.join(0.1)
        if not any(r.is_alive() for r in readers):
            return
    raise RuntimeError('the tail clients never got a record: are the record taps on?')


def not_probe(lines):
    return [l for l in lines if f'"bytes":{PROBE_BYTES},' not in l]


def check_records(f, what, lines, want, t_from, t_to):
    """`lines` (before the sentinel, probes left out) against `want` [(record, exporter_port)],
    field by field."""
    lines = not_probe(lines)
    f.equal(len(lines), len(want), f'{what}: records')
    for k, (line, (r, eport)) in enumerate(zip(lines, want)):
        j = json.loads(line)
        if not f.equal(list(j.keys()), KEYS, f'{what}: line {k} keys'):
            continue
        f.check(t_from <= j['time_ms'] <= t_to, f'{what}: line {k} time_ms {j["time_ms"]} not in [{t_from}, {t_to}]')
        del j['time_ms']
        f.equal(j, r, f'{what}: line {k}')


def round_of(f, a, port, db, exporters, queries, records_by_exporter, t0):
    """Opens a client per query, sends every exporter's records then the sentinel from the
    first exporter, and checks what each client got; returns {query: lines}."""
    clients = {q: TailClient(port, q) for q in queries}
    for q, c in clients.items():
        f.equal(c.status, 200, f'tail?{q}: status')
        f.check('Transfer-Encoding: chunked' in c.head and 'Content-Type: application/x-ndjson' in c.head,
                f'tail?{q}: head {c.head!r}')
    prime(exporters[0], sentinel(t0), list(clients.values()))
    t_from = int(time.time() * 1000)
    sent = []  # (record, exporter_port) in the order the daemon gets them
    for e, records in zip(exporters, records_by_exporter):
        e.send(records)
        sent += [(r, e.port) for r in records]
    exporters[0].send([sentinel(t0)])
    out = {}
    for q, c in clients.items():
        lines = c.read_until_sentinel()
        t_to = int(time.time() * 1000)
        selected = [(expected_line(r, p, db), p) for r, p in sent if matches(q, expected_line(r, p, db))]
        check_records(f, f'tail?{q}', lines[:-1], [(e, p) for e, p in selected], t_from, t_to)
        out[q] = lines
        c.close()
    return out


def matches(query, e):
    """The filter semantics, independently: every condition holds, either side where it says so."""
    for part in filter(None, query.split('&')):
        k, v = part.split('=', 1)
        if k == 'exporter':
            host, _, p = v.rpartition(':')
            if e['exporter'] != v and not (not host and e['exporter'].startswith(v + ':')):
                return False
        elif k == 'address' and v not in (e['source'], e['destination']):
            return False
        elif k == 'prefix':
            import ipaddress
            n = ipaddress.ip_network(v, strict=False)
            if ipaddress.ip_address(e['source']) not in n and ipaddress.ip_address(e['destination']) not in n:
                return False
        elif k == 'as' and int(v) not in (e['source_as'], e['destination_as']):
            return False
        elif k == 'port' and int(v) not in (e['source_port'], e['destination_port']):
            return False
        elif k == 'protocol' and {'tcp': 6, 'udp': 17, 'icmp': 1}.get(v, v) not in (e['protocol'], str(e['protocol'])):
            return False
    return True


def barrier(port):
    """Returns once the server has seen every close sent before it: it answers /healthz after
    handling the events that came before the new connection (tail clients just closed are gone
    from the hub then)."""
    status, _ = http_answer(port, '/healthz')
    if status not in (200, 503):
        raise RuntimeError(f'/healthz: {status}')


def http_answer(port, target):
    with socket.create_connection(('127.0.0.1', port), timeout=IO_TIMEOUT_S) as s:
        s.sendall(f'GET {target} HTTP/1.1\r\nHost: t\r\n\r\n'.encode())
        out = b''
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    head, _, body = out.partition(b'\r\n\r\n')
    return int(head.split(b' ')[1]), body.decode()


def check_bad_filters(f, a, port):
    for query, reason in [('as=x', "as='x': expected an AS number 0-4294967295"),
                          ('port=65536', "port='65536': expected a port 0-65535"),
                          ('prefix=10.0.0.0/33', "prefix='10.0.0.0/33': expected ADDRESS/LENGTH (0-32 for IPv4, 0-128 for IPv6)"),
                          ('protocol=gre', "protocol='gre': expected a protocol number 0-255 or tcp, udp, icmp, icmpv6, sctp"),
                          ('address=10.1', "address='10.1': expected an IPv4 or IPv6 address"),
                          ('exporter=host:1', "exporter='host:1': expected IP, IPv4:PORT or [IPv6]:PORT (port 1-65535)"),
                          ('colour=red', "unknown parameter 'colour' (exporter, address, prefix, as, port, protocol, since)"),
                          ('as=1&as=2', 'as given twice'),
                          ('since=0', "since='0': expected seconds, 1 to 10 years"),
                          ('since=600', 'since= needs the retention store, and this daemon keeps none (store.retention is off)')]:
        status, body = http_answer(port, f'/api/v1/tail?{query}')
        f.equal((status, body), (400, json.dumps({'error': reason}, separators=(',', ':')) + '\n'), f'tail?{query}')
    p = subprocess.run([a.tail, '--host', f'127.0.0.1:{port}', '--as', 'x'], capture_output=True, text=True,
                       timeout=IO_TIMEOUT_S)
    f.equal((p.returncode, p.stdout, p.stderr),
            (2, '', f"ipfix-tail: the daemon at 127.0.0.1:{port} refused: as='x': expected an AS number "
                    f"0-4294967295 (HTTP 400)\n"), 'ipfix-tail --as x')
    p = subprocess.run([a.tail, '--host', f'127.0.0.1:{port}', '--since', '10m'], capture_output=True, text=True,
                       timeout=IO_TIMEOUT_S)
    f.check(p.returncode == 2 and 'since= needs the retention store' in p.stderr, f'ipfix-tail --since: {p}')


def check_limit(f, port):
    """max_connections - 1 tail clients; the next one is told why; a scrape still gets in."""
    clients = [TailClient(port) for _ in range(MAX_CONNECTIONS - 1)]
    try:
        f.equal([c.status for c in clients], [200] * (MAX_CONNECTIONS - 1), 'limit: tail clients admitted')
        status, body = http_answer(port, '/api/v1/tail')
        f.equal((status, body), (503, f'{{"error":"too many tail clients (limit {MAX_CONNECTIONS - 1})"}}\n'),
                'limit: one tail client too many')
    finally:
        for c in clients:
            c.close()
    barrier(port)
    # The closed ones are gone from the hub: a new client is admitted again.
    deadline = time.monotonic() + IO_TIMEOUT_S
    while True:
        c = TailClient(port)
        c.close()
        if c.status == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    f.equal(c.status, 200, 'limit: a tail client after the others left')
    barrier(port)


def check_slow_client(f, port, exporter, t0):
    """A client that stops reading loses records, told; the reading one loses none. Exact: what
    the slow one got plus what it was told it lost is what the reader got (the copies of the
    second sentinel sent before the one it got are among its losses)."""
    barrier(port)
    slow = TailClient(port, rcvbuf=4096)
    fast = TailClient(port)
    wait_subscribed(port, 2)
    end_a = lambda l: f'"bytes":{SENTINEL_BYTES},'.encode() in l
    is_b = lambda l: SENTINEL_BYTES < json.loads(l).get('bytes', 0) <= SENTINEL_BYTES + 9  # + 1 + copy
    prime(exporter, sentinel(t0), [fast])
    fast_lines, slow_lines = list(fast.lines), []
    fast_reader = threading.Thread(target=lambda: fast_lines.extend(fast.read_until(end_a)))
    fast_reader.start()
    total = 12000
    base = make_records(t0)
    records = [dict(base[k % len(base)], bytes=k) for k in range(total)]
    for k in range(0, total, 400):
        exporter.send(records[k:k + 400])
        time.sleep(0.1)  # paced: the taps are drained every ~100 ms and their rings are bounded
    exporter.send([sentinel(t0)])
    fast_reader.join(IO_TIMEOUT_S * 3)
    f.check(not fast_reader.is_alive(), 'slow client: the reading client did not get the sentinel')
    slow_reader = threading.Thread(target=lambda: slow_lines.extend(slow.read_until(is_b)))
    slow_reader.start()
    for copy in range(9):
        exporter.send([dict(sentinel(t0), bytes=SENTINEL_BYTES + 1 + copy)])
        slow_reader.join(1)
        if not slow_reader.is_alive():
            break
    slow_reader.join(IO_TIMEOUT_S)
    f.check(not slow_reader.is_alive() and slow_lines, 'slow client: it never got the second sentinel')
    fast_records = [l for l in fast_lines if '"time_ms"' in l]
    f.equal(len(not_probe(fast_records)), total + 1, 'slow client: the reading client got every record')
    f.check(not any('"dropped"' in l for l in fast_lines), 'slow client: the reading client was told of drops')
    slow_records = [l for l in slow_lines[:-1] if '"time_ms"' in l]
    drops = [json.loads(l)['dropped'] for l in slow_lines if l.startswith('{"dropped":')]
    copy = json.loads(slow_lines[-1])['bytes'] - SENTINEL_BYTES - 1 if slow_lines else -1
    f.check(sum(drops) > 0, f'slow client: no drops told (it got {len(slow_records)} of {len(fast_records)})')
    f.equal(len(slow_records) + sum(drops), len(fast_records) + copy, 'slow client: records got + dropped')
    # What it got is a subsequence of what the reader got, in order.
    it = iter(fast_records)
    f.check(all(any(x == y for y in it) for x in slow_records), 'slow client: its records, in order')
    slow.close()
    fast.close()
    return len(fast_records), sum(drops)


def check_tool_json(f, a, port, exporter, db, t0):
    """ipfix-tail --json prints the HTTP lines byte for byte (probes included: both were
    subscribed before the first one)."""
    barrier(port)
    records = make_records(t0)
    client = TailClient(port, 'protocol=udp')
    proc = subprocess.Popen([a.tail, '--host', f'127.0.0.1:{port}', '--json', '--protocol', 'udp'],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out = []

    def read_tool():
        for line in proc.stdout:
            out.append(line.rstrip('\n'))
            if f'"bytes":{SENTINEL_BYTES},' in line:
                return
    try:
        try:
            wait_subscribed(port, 2)
        except RuntimeError:
            raise RuntimeError(f'ipfix-tail: exit {proc.poll()}, {proc.stderr.read() if proc.poll() is not None else ""}')
        prime(exporter, sentinel(t0), [client])
        reader = threading.Thread(target=read_tool)
        reader.start()
        exporter.send(records)
        exporter.send([sentinel(t0)])
        client.read_until_sentinel()
        reader.join(IO_TIMEOUT_S)
        f.check(not reader.is_alive(), 'ipfix-tail --json: no sentinel')
        f.equal(out, client.lines, 'ipfix-tail --json: lines')
        f.equal(len(not_probe(out)), sum(1 for r in records if r['protocol'] == 17) + 1, 'ipfix-tail --json: records')
    finally:
        proc.kill()
        proc.wait(timeout=IO_TIMEOUT_S)
        client.close()


def wait_subscribed(port, n):
    """Until the daemon has n tail clients: with the free tail slots filled but one, a further
    client is refused."""
    deadline = time.monotonic() + IO_TIMEOUT_S
    while True:
        extra = [TailClient(port) for _ in range(MAX_CONNECTIONS - 1 - n)]
        probe = TailClient(port)
        for c in extra + [probe]:
            c.close()
        barrier(port)
        if probe.status == 503:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f'{n} tail clients never subscribed')
        time.sleep(0.1)


def check_tool_tmux(f, a, port, exporter, db, t0, work):
    tmux = a.tmux
    sock = f'ipfix-tail-{os.getpid()}'
    run = lambda *args: subprocess.run([tmux, '-L', sock, *args], capture_output=True, text=True,
                                       timeout=IO_TIMEOUT_S)
    barrier(port)
    run('-f', '/dev/null', 'new-session', '-d', '-s', 'tail', '-x', '220', '-y', '40', '-c', str(work), 'sh')
    try:
        run('send-keys', '-t', 'tail',
            f'{os.path.abspath(a.tail)} --host 127.0.0.1:{port} --utc --address 8.8.8.8', 'Enter')
        helper = TailClient(port, 'address=8.8.8.8')
        try:
            wait_subscribed(port, 2)
        except RuntimeError:
            raise RuntimeError(f'ipfix-tail in tmux did not follow: {run("capture-pane", "-p", "-t", "tail").stdout!r}')
        prime(exporter, sentinel(t0), [helper])
        helper.close()
        records = make_records(t0)
        exporter.send(records)
        exporter.send([sentinel(t0)])
        want = [r for r in records if '8.8.8.8' in (r['source'], r['destination'])] + [sentinel(t0)]
        deadline = time.monotonic() + IO_TIMEOUT_S
        while True:
            screen = run('capture-pane', '-p', '-t', 'tail').stdout
            if f'{SENTINEL_BYTES}' in screen or f'{SENTINEL_BYTES // 1000}k' in screen or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        coloured = run('capture-pane', '-p', '-e', '-t', 'tail').stdout
        shown = [l for l in screen.splitlines() if ' -> ' in l and '77k B' not in l]
        f.equal(len(shown), len(want), f'tmux: record lines on the screen: {screen[-600:]!r}')
        for r, line in zip(want, shown):
            e = expected_line(r, exporter.port, db)
            proto = {6: 'tcp', 17: 'udp', 1: 'icmp'}[r['protocol']]
            f.check(re.search(rf'^\d\d:\d\d:\d\d\.\d\d\d 127\.0\.0\.1:{exporter.port} {proto} +'
                              rf'{re.escape(r["source"])}:{r["source_port"]} -> '
                              rf'{re.escape(r["destination"])}:{r["destination_port"]}  '
                              rf'AS{e["source_as"]} -> AS{e["destination_as"]}', line) is not None,
                    f'tmux: line {line!r} for {r["source"]} -> {r["destination"]}')
        # Colours: an AS we filled green, AS 0 red (tmux re-emits SGR as it stores it).
        filled = [expected_line(r, exporter.port, db) for r in want]
        green = {e['source_as'] for e in filled if e['source_as_filled']}
        for asn in green:
            f.check(re.search(rf'\x1b\[32mAS{asn}\x1b\[(0|39)?m', coloured) is not None, f'tmux: AS{asn} not green')
        if any(e['source_as'] == 0 or e['destination_as'] == 0 for e in filled):
            f.check(re.search(r'\x1b\[31mAS0\x1b\[(0|39)?m', coloured) is not None, 'tmux: AS0 not red')
    finally:
        run('kill-server')


def check_log(f, a, work):
    """ipfix-tail --log FILE: the last lines, then what is appended, highlighted."""
    path = work / 'daemon.log'
    path.write_text('old line 1\nipfix-enricher: listening on 127.0.0.1:2055\n')
    proc = subprocess.Popen([a.tail, '--log', str(path), '--color=always'], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    out = []

    def read():
        for line in proc.stdout:
            out.append(line.rstrip('\n'))
            if 'the end' in line:
                return
    reader = threading.Thread(target=read)
    reader.start()
    try:
        with open(path, 'a') as log:
            log.write('ipfix-enricher: cannot load the AS databases: gone\n'
                      'ipfix-enricher: reload: general.stats_* changed; takes effect after a restart\n'
                      'ipfix-enricher: reload: AS databases loaded (10 rows, 0 MiB)\n'
                      'plain\nthe end\n')
        reader.join(IO_TIMEOUT_S)
    finally:
        proc.kill()
        proc.wait(timeout=IO_TIMEOUT_S)
    f.equal(out, ['old line 1', '\x1b[1mipfix-enricher: listening on 127.0.0.1:2055\x1b[0m',
                  '\x1b[31mipfix-enricher: cannot load the AS databases: gone\x1b[0m',
                  '\x1b[33mipfix-enricher: reload: general.stats_* changed; takes effect after a restart\x1b[0m',
                  '\x1b[1mipfix-enricher: reload: AS databases loaded (10 rows, 0 MiB)\x1b[0m',
                  'plain', 'the end'], 'ipfix-tail --log')
    p = subprocess.run([a.tail, '--log', str(work / 'missing.log')], capture_output=True, text=True,
                       timeout=IO_TIMEOUT_S)
    f.equal((p.returncode, p.stderr), (1, f'ipfix-tail: cannot open the log {work}/missing.log: '
                                          'No such file or directory\n'), 'ipfix-tail --log missing')
    p = subprocess.run([a.tail, '--host', '127.0.0.1:1'], capture_output=True, text=True, timeout=IO_TIMEOUT_S)
    f.equal((p.returncode, p.stdout, p.stderr),
            (1, '', "ipfix-tail: cannot reach the daemon's stats port at 127.0.0.1:1: Connection refused\n"),
            'ipfix-tail with no daemon')


def config_text(a, work, dport, cport, retention):
    return f"""
general:
  listen_address: 127.0.0.1
  listen_port: {dport}
  stats_address: 127.0.0.1
  stats_port: 0
  stats_max_connections: {MAX_CONNECTIONS}
enrichment:
  asn_database: {a.db_dir}/asn.mmdb
  country_database: {a.db_dir}/country.mmdb
  names:
    enterprise_number: 32473
forwarding:
  collectors: [{{host: 127.0.0.1, port: {cport}}}]
performance:
  workers: 1
store:
  path: {work}/store-{'retention' if retention else 'none'}
  retention:
    enabled: {'true' if retention else 'false'}
"""


def check_since(f, a, work, db):
    """since= with the retention store on: the stored records of the last SECONDS first, field by
    field, then live ones; ipfix-tail --since 10m prints the same lines."""
    collector = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    collector.bind(('127.0.0.1', 0))
    dport = live.free_udp_port()
    cfg = work / 'since.yaml'
    cfg.write_text(config_text(a, work, dport, collector.getsockname()[1], retention=True))
    log = work / 'since.log'
    daemon = subprocess.Popen([a.enricher, '-c', cfg], stdout=open(log, 'w'), stderr=subprocess.STDOUT,
                              start_new_session=True)
    try:
        live.wait_for(log, 'stats port on', daemon, 'ipfix-enricher')
        port = int(re.search(r'stats port on 127\.0\.0\.1:(\d+) ', log.read_text()).group(1))
        t0 = int(time.time() * 1000) - 60_000
        one = Exporter(dport)
        records = make_records(t0)
        # The taps are on from the control thread's first turn: a tail client sees when.
        c = TailClient(port, 'port=9999')  # its records stay out of the port=53 history below
        prime(one, dict(sentinel(t0), destination_port=9999), [c])
        c.close()
        t_from = int(time.time() * 1000)
        one.send(records)  # nobody follows the tail now: only the store takes them
        # Once a later record came through, these have left the taps: the history below is the
        # store's, never records still on their way.
        c = TailClient(port, 'port=9999')
        prime(one, dict(sentinel(t0), destination_port=9999), [c])
        c.close()
        query = 'since=600&port=53'
        want = [(expected_line(r, one.port, db), one.port) for r in records
                if matches('port=53', expected_line(r, one.port, db))]
        # Blocks are written about a second after their first record: ask until all are there.
        for attempt in range(60):
            c = TailClient(port, query)
            if not f.equal(c.status, 200, f'tail?{query}: status'):
                return
            prime(one, sentinel(t0), [c])
            history = not_probe(c.lines)
            c.close()
            if len(history) >= len(want):
                break
            time.sleep(0.5)
        check_records(f, f'tail?{query} (history)', history, want, t_from, int(time.time() * 1000))
        # The tool: the same history, then live records after it.
        proc = subprocess.Popen([a.tail, '--host', f'127.0.0.1:{port}', '--json', '--since', '10m', '--port', '53'],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        out = []

        def read_tool():
            for line in proc.stdout:
                out.append(line.rstrip('\n'))
                if f'"bytes":{SENTINEL_BYTES},' in line:
                    return
        reader = threading.Thread(target=read_tool)
        reader.start()
        try:
            wait_subscribed(port, 1)
            one.send([sentinel(t0)])
            reader.join(IO_TIMEOUT_S)
        finally:
            proc.kill()
            proc.wait(timeout=IO_TIMEOUT_S)
        got = [l for l in not_probe(out)[:-1]]
        f.equal(got, history, f'ipfix-tail --since 10m --json: the stored lines (tool: {out[:3]}, {proc.stderr.read()[:300]})')
        f.equal(live.stop(daemon), 0, 'ipfix-enricher (retention) exit on SIGTERM')
    finally:
        if daemon.poll() is None:
            os.killpg(daemon.pid, signal.SIGKILL)
            daemon.wait(timeout=live.STOP_TIMEOUT_S)
        collector.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--enricher', required=True)
    ap.add_argument('--tail', required=True)
    ap.add_argument('--db-dir', required=True)
    ap.add_argument('--mmdblookup', required=True)
    ap.add_argument('--tmux', default=shutil.which('tmux'))
    a = ap.parse_args()
    f = Failures()
    db = Databases(a)
    with tempfile.TemporaryDirectory(prefix='ipfix-tail-') as tmp:
        work = pathlib.Path(tmp)
        collector = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        collector.bind(('127.0.0.1', 0))
        cport, dport = collector.getsockname()[1], live.free_udp_port()
        cfg = work / 'tail.yaml'
        cfg.write_text(config_text(a, work, dport, cport, retention=False))
        log = work / 'tail.log'
        daemon = subprocess.Popen([a.enricher, '-c', cfg], stdout=open(log, 'w'), stderr=subprocess.STDOUT,
                                  start_new_session=True)
        summary = ''
        try:
            live.wait_for(log, 'stats port on', daemon, 'ipfix-enricher')
            port = int(re.search(r'stats port on 127\.0\.0\.1:(\d+) ', log.read_text()).group(1))
            t0 = int(time.time() * 1000) - 60_000
            one, two = Exporter(dport), Exporter(dport)
            records = make_records(t0)
            first, second = records[:7], records[7:]
            sample = expected_line(records[2], one.port, db)
            queries = ['', f'exporter=127.0.0.1:{one.port}', 'exporter=127.0.0.1', 'address=8.8.8.8',
                       'prefix=92.0.0.0/6', f'as={db.as_of("8.8.8.8") or 15169}', 'port=53', 'protocol=udp',
                       'protocol=6', f'address=8.8.8.8&port=53&protocol=udp&exporter=127.0.0.1:{one.port}',
                       f'as={sample["source_as"]}&prefix={records[2]["source"]}/32']
            # Every query selects the sentinel (8.8.8.8:9 -> 1.1.1.1:53 udp from exporter one)
            # except the ones that must not: those are given their own rounds with a matching one.
            selecting = [q for q in queries if matches(q, expected_line(sentinel(t0), one.port, db))]
            others = [q for q in queries if q not in selecting]
            got = round_of(f, a, port, db, [one, two], selecting, [first, second], t0)
            for q in others:
                # Their sentinel: a copy of the first record they select, with the sentinel's bytes.
                pick = next(r for r in records if matches(q, expected_line(r, one.port, db)))
                special = dict(pick, bytes=SENTINEL_BYTES)
                c = TailClient(port, q)
                prime(one, special, [c])
                t_from = int(time.time() * 1000)
                one.send(records)
                one.send([special])
                lines = c.read_until_sentinel()
                want = [expected_line(r, one.port, db) for r in records if matches(q, expected_line(r, one.port, db))]
                check_records(f, f'tail?{q}', lines[:-1], [(w, one.port) for w in want], t_from,
                              int(time.time() * 1000))
                c.close()
            f.check(len(got[''][:-1]) == len(records), 'unfiltered client: every record')
            check_bad_filters(f, a, port)
            check_limit(f, port)
            check_tool_json(f, a, port, one, db, t0)
            if a.tmux:
                check_tool_tmux(f, a, port, one, db, t0, work)
            else:
                print('tmux not found: the screen check is skipped')
            n, dropped = check_slow_client(f, port, one, t0)
            summary = f'; slow client lost {dropped} of {n} records, told'
            f.equal(live.stop(daemon), 0, 'ipfix-enricher exit on SIGTERM')
            check_since(f, a, work, db)
            check_log(f, a, work)
        finally:
            if daemon.poll() is None:
                os.killpg(daemon.pid, signal.SIGKILL)
                daemon.wait(timeout=live.STOP_TIMEOUT_S)
            collector.close()
        if f.items:
            print(log.read_text(errors='replace')[-2000:])
    print(f'{"FAIL" if f.items else "ok"}: tail: {len(queries)} filters field by field, since= from the store, bad filters, limit, '
          f'ipfix-tail --json and in tmux{summary} ({len(f.items)} failures)')
    return 1 if f.items else 0


if __name__ == '__main__':
    sys.exit(main())
