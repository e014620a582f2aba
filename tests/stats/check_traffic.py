"""The stats port's traffic answers (check_stats.py drives the daemon): exporters, templates,
as_stats / top and their JSON, the per-exporter Prometheus families, and reset with its token,
all against what was sent: the softflowd v5 datagrams (and two malformed ones) from one socket,
then one hand-built IPFIX datagram with a template from another. AS numbers and names are what
mmdblookup says for each address in the test database.
"""
import collections
import json
import re
import socket
import struct
import subprocess
import time

import json_schema

WAIT_S = 20  # for the daemon to count a datagram (a hang guard, not a measurement)


def v5_flows(datagram):
    """(src, dst, octets) of each record of a NetFlow v5 datagram."""
    count = struct.unpack_from('!H', datagram, 2)[0]
    out = []
    for i in range(count):
        at = 24 + 48 * i
        out.append((socket.inet_ntoa(datagram[at:at + 4]), socket.inet_ntoa(datagram[at + 4:at + 8]),
                    struct.unpack_from('!I', datagram, at + 20)[0]))
    return out


def ipfix_datagram(src, dst, octets, domain=7, template=256):
    """An IPFIX message: template (sourceIPv4Address, destinationIPv4Address, octetDeltaCount) and one record."""
    tset = struct.pack('!HHHH', 2, 20, template, 3) + struct.pack('!HHHHHH', 8, 4, 12, 4, 1, 8)
    dset = struct.pack('!HH', template, 20) + socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack('!Q', octets)
    body = tset + dset
    return struct.pack('!HHIII', 10, 16 + len(body), int(time.time()), 0, domain) + body


class Lookups:
    def __init__(self, a):
        self.a, self.asn, self.org = a, {}, {}

    def as_of(self, address):
        if address not in self.asn:
            db = f'{self.a.db_dir}/asn.mmdb'
            n = _mmdb(self.a.mmdblookup, db, address, 'autonomous_system_number', r'(\d+) <uint32>')
            n = int(n) if n else 0
            self.asn[address] = n
            if n and n not in self.org:
                self.org[n] = _mmdb(self.a.mmdblookup, db, address, 'autonomous_system_organization',
                                    r'"(.*)" <utf8_string>') or ''
        return self.asn[address]


def _mmdb(mmdblookup, db, address, field, pattern):
    p = subprocess.run([mmdblookup, '--file', db, '--ip', address, field], capture_output=True, text=True, timeout=30)
    m = re.search(pattern, p.stdout)
    return m.group(1) if m else None


def get_json(http_get, port, path):
    status, _, body = http_get(port, path)
    if status != 200:
        raise RuntimeError(f'{path}: status {status}: {body[:200]!r}')
    return json.loads(body)


def wait_exporters(http_get, port, want):
    deadline = time.monotonic() + WAIT_S
    while True:
        e = get_json(http_get, port, '/api/v1/exporters')['exporters']
        if len(e) == want or time.monotonic() > deadline:
            return e
        time.sleep(0.1)


def table_row(text, first):
    m = re.search(rf'^{re.escape(first)}  +(\S.*)$', text, re.M)
    return m.group(1).split() if m else None


def check_traffic(f, a, port, dport, exporter_port, sent, token, http_get, telnet):
    start_ms = int(time.time() * 1000) - 600_000
    v5 = sent[:-2]  # the last two are the malformed ones
    flows = [x for d in v5 for x in v5_flows(d)]
    b_flow = (flows[0][0], flows[0][1], 5000)
    b_datagram = ipfix_datagram(*b_flow)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as b:
        b.bind(('127.0.0.1', 0))
        b_port = b.getsockname()[1]
        b.sendto(b_datagram, ('127.0.0.1', dport))
    got = wait_exporters(http_get, port, 2)
    now_ms = int(time.time() * 1000)
    # Key sets and types of every traffic answer, before their values.
    for path, shape in (('/api/v1/exporters', json_schema.EXPORTERS), ('/api/v1/templates', json_schema.TEMPLATES),
                        ('/api/v1/as', json_schema.AS), ('/api/v1/top', json_schema.TOP)):
        f.equal(json_schema.mismatches(get_json(http_get, port, path), shape), [], f'{path} schema')

    # Exporters: exact counters (last seen within the run).
    want = [
        {'address': '127.0.0.1', 'port': exporter_port, 'version': 5, 'datagrams': len(sent), 'records': len(flows),
         'bytes': sum(len(d) for d in sent), 'sequence_gaps': 0, 'malformed': 2},
        {'address': '127.0.0.1', 'port': b_port, 'version': 10, 'datagrams': 1, 'records': 1,
         'bytes': len(b_datagram), 'sequence_gaps': 0, 'malformed': 0},
    ]
    f.equal([{k: v for k, v in e.items() if k != 'last_seen_ms'} for e in got], want, '/api/v1/exporters')
    f.check(all(start_ms <= e['last_seen_ms'] <= now_ms for e in got), f'/api/v1/exporters last_seen_ms: {got}')
    text = telnet(port, 'exporters')
    f.check(text.startswith('exporter '), f'exporters: header {text[:80]!r}')
    for w in want:
        cells = table_row(text, f"127.0.0.1:{w['port']}")
        f.equal(cells and cells[:6], [str(w[k]) for k in ('version', 'datagrams', 'records', 'bytes',
                                                            'sequence_gaps', 'malformed')], f"exporters row {w['port']}")

    # Templates: the IPFIX exporter's one.
    t = get_json(http_get, port, '/api/v1/templates')['templates']
    f.equal([{k: v for k, v in x.items() if k != 'last_seen_ms'} for x in t],
            [{'exporter': f'127.0.0.1:{b_port}', 'domain': 7, 'template': 256, 'fields': 3, 'options': False}],
            '/api/v1/templates')
    text = telnet(port, 'templates')
    f.equal(table_row(text, f'127.0.0.1:{b_port}') and table_row(text, f'127.0.0.1:{b_port}')[:5],
            ['10', '7', '256', 'data', '3'], f'templates row: {text!r}')

    # AS numbers by records (bytes beside), as mmdblookup finds them; talkers by bytes.
    look = Lookups(a)
    src_as, dst_as, talkers = collections.Counter(), collections.Counter(), collections.Counter()
    src_bytes, dst_bytes, talker_records = collections.Counter(), collections.Counter(), collections.Counter()
    for src, dst, octets in flows + [b_flow]:
        s, d = look.as_of(src), look.as_of(dst)
        src_as[s] += 1
        src_bytes[s] += octets
        dst_as[d] += 1
        dst_bytes[d] += octets
        talkers[src] += octets
        talker_records[src] += 1
    f.check(any(look.asn.values()), 'the test database knows none of the addresses')
    j = get_json(http_get, port, '/api/v1/as?n=1000')
    for side, counts, nbytes in (('source', src_as, src_bytes), ('destination', dst_as, dst_bytes)):
        got = j[side]
        f.equal({e['as']: (e['records'], e['bytes']) for e in got}, {k: (counts[k], nbytes[k]) for k in counts},
                f'/api/v1/as {side}')
        f.equal([e['name'] for e in got], [look.org.get(e['as'], '') for e in got], f'/api/v1/as {side} names')
        f.equal([e['records'] for e in got], sorted((e['records'] for e in got), reverse=True), f'/api/v1/as {side} order')
    one = get_json(http_get, port, '/api/v1/as?n=1')
    f.equal((len(one['source']), len(one['destination'])), (1, 1), '/api/v1/as?n=1')
    for bad in ('/api/v1/as?n=0', '/api/v1/as?n=x', '/api/v1/top?n=1001'):
        f.equal(http_get(port, bad)[0], 400, bad)
    top_src = j['source'][0]
    text = telnet(port, 'as_stats 3')
    lines = text.splitlines()
    f.check(lines[0].startswith('source AS by records'), f'as_stats: {lines[:2]}')
    cells = lines[2].split() if len(lines) > 2 else []
    f.equal(cells and (cells[0], cells[-3], cells[-1]), (str(top_src['as']), str(top_src['records']),
                                                         str(top_src['bytes'])), 'as_stats first source row')

    tj = get_json(http_get, port, '/api/v1/top?n=1000')['talkers']
    f.equal({e['address']: (e['records'], e['bytes']) for e in tj},
            {k: (talker_records[k], talkers[k]) for k in talkers}, '/api/v1/top')
    f.equal([e['bytes'] for e in tj], sorted((e['bytes'] for e in tj), reverse=True), '/api/v1/top order')
    text = telnet(port, 'top 2')
    cells = table_row(text, tj[0]['address'])
    f.equal(cells and (cells[0], cells[-1]), (str(tj[0]['bytes']), str(tj[0]['records'])), f'top: {text!r}')

    # Per exporter in /metrics, still clean for promtool.
    prom = http_get(port, '/metrics')[2].decode()
    p = subprocess.run([a.promtool, 'check', 'metrics'], input=prom, capture_output=True, text=True, timeout=60)
    f.check(p.returncode == 0 and not (p.stdout + p.stderr).strip(), f'promtool: {(p.stdout + p.stderr)[:300]}')
    for w in want:
        m = re.search(rf'^ipfix_enricher_exporter_records_total{{exporter="127\.0\.0\.1:{w["port"]}"}} (\d+)$', prom, re.M)
        f.equal(m and int(m.group(1)), w['records'], f"/metrics exporter_records_total {w['port']}")

    # Reset: never without the token.
    f.equal(telnet(port, 'reset'), 'error: reset needs the token: reset TOKEN\n', 'reset without a token')
    f.equal(telnet(port, 'reset wrong'), 'error: wrong token, nothing reset\n', 'reset with a wrong token')
    f.equal(http_get(port, '/api/v1/reset')[0], 405, 'GET /api/v1/reset')
    f.equal(http_get(port, '/api/v1/reset', 'POST')[0], 401, 'POST /api/v1/reset without Authorization')
    f.equal(http_get(port, '/api/v1/reset', 'POST', {'Authorization': 'Bearer wrong'})[0], 403,
            'POST /api/v1/reset with a wrong token')
    f.equal(len(get_json(http_get, port, '/api/v1/exporters')['exporters']), 2, 'exporters after refused resets')
    status, _, body = http_get(port, '/api/v1/reset', 'POST', {'Authorization': f'Bearer {token}'})
    f.equal((status, body), (200, b'{"reset": true}\n'), 'POST /api/v1/reset with the token')
    f.equal(get_json(http_get, port, '/api/v1/exporters'), {'exporters': []}, 'exporters after the reset')
    f.equal(get_json(http_get, port, '/api/v1/as'), {'source': [], 'destination': []}, 'as after the reset')
    f.equal(get_json(http_get, port, '/api/v1/top'), {'talkers': []}, 'top after the reset')
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as b:
        b.sendto(b_datagram, ('127.0.0.1', dport))
    f.equal(len(wait_exporters(http_get, port, 1)), 1, 'exporters after a datagram')
    f.equal(telnet(port, f'reset {token}'), 'ok: reset the exporters, templates, top AS and talkers\n', 'reset TOKEN')
    f.equal(telnet(port, 'exporters'), 'no exporters seen yet\n', 'exporters after reset TOKEN')
