#!/usr/bin/env python3
"""A test IPFIX collector over TCP (RFC 7011 §10.4), with its own decoder (independent of the
daemon's): accepts connections one after the other, decodes every message, and writes one JSON
line per data record: {"conn", "domain", "seq", "src_port", "dst_port", "octets"}, and one per problem
{"conn", "problem"} (data before its template on that connection, bad framing). On SIGTERM it
closes its side of the connection and reads on until the sender closes too (at most 10 s), so
nothing the sender wrote before it saw the close is lost, then exits.

  tcp_collector.py --port P --out FILE
"""
import argparse
import json
import select
import signal
import socket
import struct
import sys
import time

stopping = False


def on_term(*_):
    global stopping
    stopping = True


def parse_template_set(set_id, body, templates):
    pos = 0
    while pos + 4 <= len(body):
        tid, count = struct.unpack('!HH', body[pos:pos + 4])
        if tid == 0:
            break
        pos += 4
        if count == 0:
            templates.pop(tid, None)
            continue
        if set_id == 3:
            pos += 2
        fields = []
        for _ in range(count):
            ie, length = struct.unpack('!HH', body[pos:pos + 4])
            pos += 4
            if ie & 0x8000:
                pos += 4
            fields.append((ie & 0x7FFF, length))
        templates[tid] = fields


def data_records(body, fields):
    pos = 0
    while pos < len(body):
        values = {}
        start = pos
        for ie, length in fields:
            if length == 65535:
                if pos >= len(body):
                    return
                length = body[pos]
                pos += 1
                if length == 255:
                    length = struct.unpack('!H', body[pos:pos + 2])[0]
                    pos += 2
            if pos + length > len(body):
                return
            values[ie] = body[pos:pos + length]
            pos += length
        if pos == start:
            return
        yield values


def set_ids(msg):
    ids, pos = [], 16
    while pos + 4 <= len(msg):
        set_id, set_len = struct.unpack('!HH', msg[pos:pos + 4])
        if set_len < 4:
            break
        ids.append(set_id)
        pos += set_len
    return ids


def handle_message(msg, conn, templates, out):
    _, length, _, seq, domain = struct.unpack('!HHIII', msg[:16])
    t = templates.setdefault(domain, {})
    pos = 16
    while pos + 4 <= length:
        set_id, set_len = struct.unpack('!HH', msg[pos:pos + 4])
        if set_len < 4:
            out.write(json.dumps({'conn': conn, 'problem': 'set length below 4'}) + '\n')
            return
        body = msg[pos + 4:pos + set_len]
        pos += set_len
        if set_id in (2, 3):
            parse_template_set(set_id, body, t)
        elif set_id >= 256:
            if set_id not in t:
                out.write(json.dumps({'conn': conn, 'problem': f'data set {set_id} before its template',
                                      'domain': domain, 'seq': seq}) + '\n')
                continue
            for v in data_records(body, t[set_id]):
                out.write(json.dumps({'conn': conn, 'domain': domain, 'seq': seq,
                                      'src_port': int.from_bytes(v.get(7, b''), 'big'),
                                      'dst_port': int.from_bytes(v.get(11, b''), 'big'),
                                      'octets': int.from_bytes(v.get(1, b''), 'big')}) + '\n')


def serve(conn_sock, conn, out, ls):
    templates = {}  # per connection: RFC 7011 §10.4 templates are per connection
    buf = b''
    first = True
    closed_at = None
    while True:
        if stopping and closed_at is None:
            # No new connection may wait in the backlog (the kernel would take data for it that
            # nobody reads), then our side of this one.
            ls.close()
            conn_sock.shutdown(socket.SHUT_WR)
            closed_at = time.monotonic()
        if closed_at is not None and time.monotonic() - closed_at > 10:
            return
        r, _, _ = select.select([conn_sock], [], [], 0.1)
        if not r:
            continue
        chunk = conn_sock.recv(1 << 16)
        if not chunk:
            return
        buf += chunk
        while len(buf) >= 16:
            version, length = struct.unpack('!HH', buf[:4])
            if version != 10 or length < 16:
                out.write(json.dumps({'conn': conn, 'problem': f'bad framing: version {version} length {length}'}) + '\n')
                return
            if len(buf) < length:
                break
            if first:
                # What a connection begins with: the sender's template message on a reconnect.
                out.write(json.dumps({'conn': conn, 'first_sets': set_ids(buf[:length])}) + '\n')
                first = False
            handle_message(buf[:length], conn, templates, out)
            buf = buf[length:]
        out.flush()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--port', type=int, required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--first-conn', type=int, default=0)
    a = ap.parse_args()
    signal.signal(signal.SIGTERM, on_term)
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(('127.0.0.1', a.port))
    ls.listen(4)
    print('listening', flush=True)
    conn = a.first_conn
    with open(a.out, 'a') as out:
        while not stopping:
            r, _, _ = select.select([ls], [], [], 0.1)
            if not r:
                continue
            s, _ = ls.accept()
            out.write(json.dumps({'conn': conn, 'accepted': True}) + '\n')
            serve(s, conn, out, ls)
            s.close()
            conn += 1
    ls.close()
    return 0


if __name__ == '__main__':
    sys.exit(main())
