#!/usr/bin/env python3
"""Golden comparison of ipfix-dump against tshark's NetFlow/IPFIX dissector (an independent
judge) over every capture of the corpus.

  compare_tshark.py --dump PATH/ipfix-dump --corpus tests/corpus [--registry CSV] [CAPTURE...]

For each capture: ipfix-dump --json --frame-numbers, and tshark -T json -x with the cflow
dissector on the capture's UDP ports. Per frame, both must find the same number of records;
per record, the same export header (version, domain, sequence, export time), exporter and
template id, the same number of fields, and each of our values, re-encoded by its element's
type to the length tshark gives the field, must equal the bytes tshark shows for it.
Where tshark itself cannot decode a frame the way the standard says, EXCEPTIONS below says
which frames and why; nothing is skipped silently. Exits 1 on any difference.
"""
import argparse
import codecs
import csv
import json
import math
import re
import socket
import struct
import subprocess
import sys
from pathlib import Path

DEFAULT_PORTS = (2055, 4739, 9995, 9996)
HEADER_KEYS = ('frame', 'exporter', 'version', 'domain', 'template', 'export_time', 'sequence', 'options')
# tshark puts a variable-length field's length prefix beside its value; it is not a field.
LENGTH_PREFIX_FIELDS = {'cflow.string_len_short', 'cflow.string_len_long'}
# How tshark shows some fields (see field_spans).
COMPOSITES = {'cflow.timedelta'}
SPLIT_FIELDS = {
    'applicationId': ('cflow.appl_id.classification_engine_id', 'cflow.appl_id.selector_id'),
    'icmpTypeCodeIPv6': ('cflow.icmp_ipv6_type', 'cflow.icmp_ipv6_code'),
}
SHORT_RAW = {'cflow.abstimestart', 'cflow.abstimeend'}


class Exception_:
    """A documented frame where tshark and we decode a different number of records.

    frames: {frame number: {'tshark': records tshark shows, 'ours': records we print,
                            'partial': the 1-based record tshark stops inside, if it does}}
    Both counts are checked exactly (a change on either side shows up as a difference), and
    the first min(tshark, ours) records are compared as usual. `why` is printed."""

    def __init__(self, why, frames):
        self.why = why
        self.frames = frames


_V9_COUNT = ('the v9 header count is smaller than the records sent (softflowd counts data records only); '
             'tshark stops after `count` records, so it misses templates and data we decode by walking '
             'flowsets to the end of the datagram, as RFC 3954 §5.1 allows')
_H3C = ('template 3281 gives ipv4RouterSc (IE 43) 2 bytes and IE 0 1 byte; tshark 4.0 aborts the record '
        '("Trying to fetch an IPv4 address with length 2", Malformed) after 21 fields; we print the odd-sized '
        'address as hex and decode all records (INDEX.md: "decoders must accept non-standard field lengths")')
# Per capture (relative to the corpus). Counts are what tshark 4.0.17 and our decoder show.
EXCEPTIONS = {
    'logstash-codec-netflow/netflow9_test_invalid01.pcap': Exception_(
        _V9_COUNT + ' (count 2: tshark decodes the two templates only)', {1: {'tshark': 0, 'ours': 3}}),
    'graylog-plugin-netflow/netflow-v9-1.pcap': Exception_(
        _V9_COUNT + ' (count 2: tshark decodes the two templates only)', {1: {'tshark': 0, 'ours': 2}}),
    'graylog-plugin-netflow/netflow9.pcap': Exception_(
        _V9_COUNT + ' (frame 1 count 1: tshark learns template 1024 only, so the data sets for 2048 in '
        'frames 7 and 9 are "no template found" for it)',
        {1: {'tshark': 0, 'ours': 2}, 7: {'tshark': 2, 'ours': 3}, 9: {'tshark': 0, 'ours': 1}}),
    'logstash-codec-netflow/netflow9_test_h3c.pcap': Exception_(
        _H3C, {2: {'tshark': 1, 'ours': 16, 'partial': 1}}),
    'logstash-codec-netflow/netflow9_test_h3c_netstream_varstring.pcap': Exception_(
        _H3C, {2: {'tshark': 1, 'ours': 1, 'partial': 1}}),
    'vflow/ipfix_decoder_test__multiMessage.pcap': Exception_(
        'hand-assembled negative case (INDEX.md): header length 1366 for 1409 bytes and an options set '
        'whose bytes after template 512 are no template; tshark gives up at that set (Malformed), we '
        'count template_truncated and go on with the next set by its length, decoding its 2 records, '
        'then stop at the set that runs past the header length (set_past_message)',
        {1: {'tshark': 0, 'ours': 2}}),
}


# ---------------------------------------------------------------------------------------------
# Our values, re-encoded

def _latin1_fallback(err):
    # ipfix-dump escapes a byte that is not UTF-8 as \u00XX: the same character here.
    return ''.join(chr(b) for b in err.object[err.start:err.end]), err.end


codecs.register_error('ipfix_dump_bytes', _latin1_fallback)


def load_registry(path):
    types = {}
    with open(path, newline='') as f:
        for row in csv.DictReader(f):
            # IANA's names win over an enterprise's reuse of the same name (as in the registry).
            if row['name'] not in types or row['pen'] == '0':
                types[row['name']] = row['dataType'].replace('ipv6address', 'ipv6Address')
    return types


def element_type(name, registry):
    base = name.split('#', 1)[0]
    if re.fullmatch(r'\d+/\d+', base):
        return 'unknown'
    if base.startswith('scope'):
        return 'scope'
    return registry.get(base, 'missing')


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def check_value(value, etype, raw):
    """None when `value` is the rendering of `raw` (bytes) for type `etype`, else a reason."""
    n = len(raw)
    fits_int = 1 <= n <= 8

    def hex_value():
        if not isinstance(value, str) or re.fullmatch(r'(?:[0-9a-f]{2})*', value) is None:
            return f'expected lowercase hex, got {value!r}'
        return None if bytes.fromhex(value) == raw else f'hex {value} != {raw.hex()}'

    if etype in ('unsigned8', 'unsigned16', 'unsigned32', 'unsigned64', 'dateTimeSeconds',
                 'dateTimeMilliseconds', 'dateTimeMicroseconds', 'dateTimeNanoseconds', 'scope'):
        if not fits_int:
            return hex_value()
        if not _is_int(value) or not 0 <= value < 1 << (8 * n):
            return f'expected an unsigned number of {n} bytes, got {value!r}'
        return None if value.to_bytes(n, 'big') == raw else f'{value} != 0x{raw.hex()}'
    if etype in ('signed8', 'signed16', 'signed32', 'signed64'):
        if not fits_int:
            return hex_value()
        if not _is_int(value) or not -(1 << (8 * n - 1)) <= value < 1 << (8 * n - 1):
            return f'expected a signed number of {n} bytes, got {value!r}'
        return None if value.to_bytes(n, 'big', signed=True) == raw else f'{value} != 0x{raw.hex()}'
    if etype in ('float32', 'float64'):
        fmt = '>f' if n == 4 else '>d' if n == 8 and etype == 'float64' else None
        if fmt is None or not math.isfinite(struct.unpack(fmt, raw)[0]):
            return hex_value()
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            return f'expected a number, got {value!r}'
        return None if struct.pack(fmt, value) == raw else f'{value} != 0x{raw.hex()}'
    if etype == 'boolean':
        if n != 1:
            return hex_value()
        if value is True:
            return None if raw == b'\x01' else f'true != 0x{raw.hex()}'
        if value is False:
            return None if raw == b'\x02' else f'false != 0x{raw.hex()}'
        if not _is_int(value) or value in (1, 2):
            return f'expected true/false or another number, got {value!r}'
        return None if bytes([value]) == raw else f'{value} != 0x{raw.hex()}'
    if etype == 'macAddress':
        if n != 6:
            return hex_value()
        if not isinstance(value, str) or re.fullmatch(r'[0-9a-f]{2}(?::[0-9a-f]{2}){5}', value) is None:
            return f'expected aa:bb:cc:dd:ee:ff, got {value!r}'
        return None if bytes.fromhex(value.replace(':', '')) == raw else f'{value} != {raw.hex()}'
    if etype in ('ipv4Address', 'ipv6Address'):
        family, size = (socket.AF_INET, 4) if etype == 'ipv4Address' else (socket.AF_INET6, 16)
        if n != size:
            return hex_value()
        try:
            packed = socket.inet_pton(family, value)
        except (OSError, TypeError):
            return f'expected an address, got {value!r}'
        return None if packed == raw else f'{value} != {raw.hex()}'
    if etype == 'string':
        if not isinstance(value, str):
            return f'expected a string, got {value!r}'
        expected = raw.rstrip(b'\x00').decode('utf-8', 'ipfix_dump_bytes')
        return None if value == expected else f'{value!r} != {expected!r}'
    if etype == 'missing':
        return f'name not in the registry'
    return hex_value()  # octetArray, lists, unknown elements


# ---------------------------------------------------------------------------------------------
# tshark's view

def _pairs(v):
    return isinstance(v, list) and (not v or isinstance(v[0], tuple))


def _is_raw(key, value):
    return key.endswith('_raw') and isinstance(value, list) and len(value) == 5 and isinstance(value[1], int)


def _raw_entries(pairs, out):
    """(offset, length) of every raw entry below `pairs`."""
    for key, value in pairs:
        if key.startswith('_ws.'):
            continue
        if _is_raw(key, value):
            if key[:-4] not in LENGTH_PREFIX_FIELDS:
                out.append((value[1], value[2]))
        elif _pairs(value):
            _raw_entries(value, out)


def field_spans(record_pairs, limit):
    """The record's fields as tshark delimits them: [(offset, length, tshark name)] in frame order.
    `limit` is where the next record (or the set) begins.

    tshark does not show every field as one entry of its own; the cases handled here:
    - COMPOSITES: start and end times shown as one "timedelta" entry over two template fields,
      with a tree that holds the two fields (a "timedelta" entry without such a tree is a field:
      flowDurationMilliseconds);
    - a field shown only as a subtree of bit fields (MPLS label/exp/bottom-of-stack, forwarding
      status): the bytes its bit fields cover;
    - SHORT_RAW: a start/end time shown without its partner, at the end of the record, whose raw
      length tshark 4.0 cuts to 4 bytes although the template gives 8: widened when the next 4
      bytes belong to no other field.
    SPLIT_FIELDS (one field shown as consecutive parts) are joined in align(); fields of length
    0 (empty variable-length values) are not shown at all, see align()."""
    spans = []
    pairs = [(k, v) for k, v in record_pairs if not k.startswith('_ws.')]
    for i, (key, value) in enumerate(pairs):
        if _is_raw(key, value):
            name = key[:-4]
            if name in COMPOSITES:
                rest = [k for k, v in pairs[i + 1:] if _is_raw(k, v) or k == name + '_tree']
                if rest and rest[0] == name + '_tree':
                    continue  # the composite: its tree holds the fields
            spans.append([value[1], value[2], name])
        elif key.endswith('_tree') and _pairs(value):
            if key[:-5] in COMPOSITES:
                spans.extend([v[1], v[2], k[:-4]] for k, v in value if _is_raw(k, v))
            # else: parts of the field before it (bits, a length prefix): not fields themselves
        elif _pairs(value):
            entries = []
            _raw_entries(value, entries)
            if entries:
                start = min(o for o, _ in entries)
                spans.append([start, max(o + n for o, n in entries) - start, key])
    spans.sort()
    for k, this in enumerate(spans):
        end = spans[k + 1][0] if k + 1 < len(spans) else limit
        if this[2] in SHORT_RAW and this[1] == 4 and end is not None and end >= this[0] + 8 and \
                not any(o < this[0] + 8 and o + n > this[0] + 4 for o, n, _ in spans):
            this[1] = 8
    return [tuple(s) for s in spans]


def _field(pairs, name):
    for k, v in pairs:
        if k == name:
            return v
        if _pairs(v) and k.endswith('_tree'):
            found = _field(v, name)
            if found is not None:
                return found
    return None


def tshark_frames(capture, ports, tshark):
    cmd = [tshark, '-r', str(capture), '-T', 'json', '-x', '-o', 'cflow.max_template_fields:0']
    for p in ports:
        cmd += ['-d', f'udp.port=={p},cflow']
    out = subprocess.run(cmd, check=True, capture_output=True).stdout
    frames = {}
    for packet in json.loads(out, object_pairs_hook=lambda p: p):
        layers = dict(dict(packet)['_source'])['layers']
        number = int(dict(dict(layers)['frame'])['frame.number'])
        data = bytes.fromhex(dict(layers)['frame_raw'][0])
        src = dict(layers).get('ip') or dict(layers).get('ipv6')
        udp = dict(layers).get('udp')
        for name, cflow in layers:
            if name != 'cflow':
                continue
            version = int(_field(cflow, 'cflow.version'))
            if version == 5:
                domain = (int(_field(cflow, 'cflow.engine_type')) << 8) | int(_field(cflow, 'cflow.engine_id'))
            elif version == 9:
                domain = int(_field(cflow, 'cflow.source_id'))
            else:
                domain = int(_field(cflow, 'cflow.od_id'))
            export_time = _field(cflow, 'cflow.unix_secs') or _field(cflow, 'cflow.exporttime')
            header = {'version': version, 'domain': domain, 'sequence': int(_field(cflow, 'cflow.sequence')),
                      'export_time': int(export_time)}
            if src is not None and udp is not None:
                address = _field(src, 'ip.src') or _field(src, 'ipv6.src')
                port = _field(udp, 'udp.srcport')
                header['exporter'] = f'[{address}]:{port}' if ':' in address else f'{address}:{port}'
            records = []
            for key, value in cflow:
                if key.startswith('pdu ') and _pairs(value):
                    records.append((0, field_spans(value, None)))
                elif (key.startswith('FlowSet ') or key.startswith('Set ')) and _pairs(value):
                    set_id = int(_field(value, 'cflow.flowset_id'))
                    set_end = dict(value)['cflow.flowset_id_raw'][1] + int(_field(value, 'cflow.flowset_length'))
                    flows = [v2 for k2, v2 in value if k2.startswith('Flow ') and _pairs(v2)]
                    for k, flow in enumerate(flows):
                        limit = set_end
                        if k + 1 < len(flows):
                            following = field_spans(flows[k + 1], None)
                            limit = following[0][0] if following else set_end
                        records.append((set_id, field_spans(flow, limit)))
            frames.setdefault(number, []).append({'header': header, 'records': records, 'data': data})
    return frames


def udp_ports(capture, tshark):
    out = subprocess.run([tshark, '-r', str(capture), '-T', 'fields', '-e', 'udp.dstport'],
                         check=True, capture_output=True, text=True).stdout
    return sorted({int(p) for p in out.split() if p})


# ---------------------------------------------------------------------------------------------

def dump_records(dump, capture, ports):
    cmd = [dump, '--json', '--frame-numbers'] + [a for p in ports if p not in DEFAULT_PORTS for a in ('--port', str(p))]
    proc = subprocess.run(cmd + [str(capture)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f'ipfix-dump exited {proc.returncode}: {proc.stderr}')
    by_frame = {}
    for line in proc.stdout.splitlines():
        record = json.loads(line)
        by_frame.setdefault(record['frame'], []).append(record)
    return by_frame


def compare_capture(rel, capture, dump, tshark, registry, log):
    """Returns (records compared, fields compared, [differences])."""
    ports = udp_ports(capture, tshark)
    theirs = tshark_frames(capture, ports, tshark)
    ours = dump_records(dump, capture, ports)
    exception = EXCEPTIONS.get(rel)
    diffs, n_records, n_fields, n_empty = [], 0, 0, 0
    for frame in sorted(set(theirs) | set(ours)):
        dissections = theirs.get(frame, [])
        if len(dissections) > 1:
            diffs.append(f'frame {frame}: tshark shows {len(dissections)} cflow PDUs; not handled')
            continue
        t = dissections[0] if dissections else {'records': [], 'header': {}, 'data': b''}
        o = ours.get(frame, [])
        t_records = t['records']
        compared = len(t_records)
        if exception and frame in exception.frames:
            expect = exception.frames[frame]
            if (len(t_records), len(o)) != (expect['tshark'], expect['ours']):
                diffs.append(f'frame {frame}: exception expects tshark {expect["tshark"]} and ours '
                             f'{expect["ours"]} records, found {len(t_records)} and {len(o)}: update EXCEPTIONS')
            log(f'  frame {frame}: exception: tshark decodes {len(t_records)} records, we decode {len(o)}: '
                f'{exception.why}')
            compared = min(len(o), len(t_records))
        elif len(o) != len(t_records):
            diffs.append(f'frame {frame}: tshark decodes {len(t_records)} records, we decode {len(o)}')
            compared = min(len(o), len(t_records))
        for i in range(compared):
            mine, (set_id, spans) = o[i], t_records[i]
            where = f'frame {frame} record {i + 1}'
            for key in ('version', 'domain', 'sequence', 'export_time', 'exporter'):
                if key in t['header'] and mine.get(key) != t['header'][key]:
                    diffs.append(f'{where}: {key} {mine.get(key)!r} != tshark {t["header"][key]!r}')
            if mine['template'] != set_id:
                diffs.append(f'{where}: template {mine["template"]} != tshark set id {set_id}')
            fields = [(k, v) for k, v in mine.items() if k not in HEADER_KEYS]
            partial = exception is not None and exception.frames.get(frame, {}).get('partial') == i + 1
            matched, problems = align(fields, spans, partial)
            if problems:
                diffs.extend(f'{where}: {p}' for p in problems)
                continue
            for (name, value), (offset, length, _) in matched:
                raw = t['data'][offset:offset + length]
                problem = check_value(value, element_type(name, registry), raw)
                if problem:
                    diffs.append(f'{where} field {name} (offset {offset}, {length} bytes): {problem}')
            n_empty += len(fields) - len(matched) if not partial else 0
            n_fields += len(matched)
            n_records += 1
    if n_empty:
        log(f'  {n_empty} empty variable-length fields of ours have no tshark entry (it shows none for them)')
    return n_records, n_fields, diffs


def align(fields, spans, partial):
    """Pairs our fields with tshark's spans, in order. tshark shows nothing for a
    variable-length field of length 0: one of our empty values ("") may go without a span
    when tshark has fewer spans left than we have fields, and only where tshark's spans
    leave a gap (the zero length prefix byte). With `partial`, tshark stopped inside the
    record: the fields it shows are compared, the rest of ours are not.
    Returns ([((name, value), span)], [problems])."""
    matched, j = [], 0
    for k, (name, value) in enumerate(fields):
        if j == len(spans):
            if partial:
                break
            if value == '':
                continue
            return matched, [f'field {name} and {len(fields) - k - 1} more have no tshark counterpart '
                             f'(ours: {[n for n, _ in fields]}; tshark: {spans})']
        behind = len(fields) - k > len(spans) - j
        prev_end = matched[-1][1][0] + matched[-1][1][1] if matched else None
        gap = prev_end is None or spans[j][0] > prev_end
        if value == '' and behind and gap and not partial:
            continue
        parts = SPLIT_FIELDS.get(name.split('#', 1)[0])
        run = spans[j:j + len(parts)] if parts else []
        if parts and tuple(n for _, _, n in run) == parts and \
                all(a[0] + a[1] == b[0] for a, b in zip(run, run[1:])):
            matched.append(((name, value), (run[0][0], sum(n for _, n, _ in run), '+'.join(parts))))
            j += len(parts)
            continue
        matched.append(((name, value), spans[j]))
        j += 1
    if j != len(spans):
        return matched, [f'tshark shows {len(spans) - j} more fields than we have '
                         f'(ours: {[n for n, _ in fields]}; tshark: {spans})']
    return matched, []


def corpus_captures(corpus):
    captures = []
    for line in (corpus / 'manifest.tsv').read_text().splitlines():
        if line and not line.startswith('#'):
            captures.append(line.split('\t')[0])
    return captures


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--dump', required=True, help='the ipfix-dump executable')
    ap.add_argument('--corpus', required=True, type=Path, help='tests/corpus (holds manifest.tsv)')
    ap.add_argument('--registry', type=Path,
                    default=Path(__file__).resolve().parents[2] / 'src/proto/data/ipfix-elements.csv')
    ap.add_argument('--tshark', default='tshark')
    ap.add_argument('captures', nargs='*', help='captures relative to the corpus (default: all in the manifest)')
    args = ap.parse_args()

    registry = load_registry(args.registry)
    failed = 0
    total_records = total_fields = 0
    for rel in args.captures or corpus_captures(args.corpus):
        lines = []
        records, fields, diffs = compare_capture(rel, args.corpus / rel, args.dump, args.tshark, registry, lines.append)
        total_records += records
        total_fields += fields
        status = 'ok' if not diffs else f'{len(diffs)} DIFFERENCES'
        print(f'{rel}: {records} records, {fields} fields compared: {status}')
        for line in lines:
            print(line)
        for d in diffs[:40]:
            print(f'  DIFF {d}')
        if len(diffs) > 40:
            print(f'  ... {len(diffs) - 40} more')
        failed += bool(diffs)
    print(f'total: {total_records} records, {total_fields} fields compared; {failed} captures differ')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
