#!/usr/bin/env python3
"""Golden test of the offline path (ipfix-enricher --offline) on one corpus capture, judged by
programs we did not write where possible.

  check_capture.py --enricher E --dump D --db-dir DIR --corpus C [--tshark T] [--ipfixdump I]
                   [--policy SOURCE,DESTINATION] CAPTURE...

The capture goes through decode, enrich and mediate to two collectors: 127.0.0.1:2056 in the
input's own version and 127.0.0.1:4739 as IPFIX, with AS names and countries on (enterprise
32473). The output capture is split per collector, and for each:
  - every output record (ipfix-dump) carries the input record's fields (ipfix-dump of the input)
    in order with equal values, then exactly the added fields (by IE, enterprise and length in
    the output template), nothing else;
  - bgpSource/DestinationAsNumber is what mmdblookup finds for the record's address where policy
    fills it (fill, the default: field absent or a bad value: 0, 23456, 64512-65534,
    4200000000-4294967295; override: whenever the database knows the address; never: not at all,
    nor is the field added), else the router's value; a field of 2 bytes gets 23456 (AS_TRANS)
    for an AS > 65535; names and countries are the databases' organisation and iso_code (empty
    for a direction whose policy is never);
  - sequence numbers: per output stream, IPFIX = data records sent before, v9 = packets sent before;
    ipfix-dump on the output sees no gap;
  - tshark decodes the output with no expert warning or error;
  - ipfixDump (libfixbuf) reads the IPFIX messages without a warning and counts the same records.
Where the input itself is broken, EXCEPTIONS says what is allowed instead and why.
Exits 1 on any failure, printing every problem found.
"""
import argparse
import json
import re
import sys
import tempfile
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, str(Path(__file__).resolve().parent))
from offline_lib import (PEN_NAMES, MmdbOracle, Message, address_of, read_pcap,  # noqa: E402
                         record_fields, run, write_pcap)

EXTRA_PORTS = (9991, 9992)  # pmacct's captures export to these
COLLECTORS = ((2056, 'same'), (4739, 'ipfix'))

# Known input defects (tests/corpus, INDEX.md), keyed by capture path relative to the corpus:
#   tshark: expert messages (substrings) that the output may show because the input has them;
#   unknown_sets: the input has data sets without a template, which we forward unchanged to the
#     collector of the same version (our own sequence numbers cannot count their records, and
#     judges report them as undecodable);
#   ipfixdump: warnings libfixbuf may print for the same reason.
EXCEPTIONS = {
    # H3C template 3281 gives ipv4RouterSc (IE 43) 2 bytes: tshark flags every record Malformed.
    'logstash-codec-netflow/netflow9_test_h3c.pcap': {
        'tshark': ['Trying to fetch an IPv4 address with length 2', 'Malformed'],
    },
    'logstash-codec-netflow/netflow9_test_h3c_netstream_varstring.pcap': {
        'tshark': ['Trying to fetch an IPv4 address with length 2', 'Malformed'],
    },
    # 6 data sets reference templates absent from the capture.
    'logstash-codec-netflow/netflow9_test_iptnetflow_reduced_size_encoding_tpldata260.pcap': {
        'unknown_sets': True,
    },
    # One data set references a template absent from the capture.
    'logstash-codec-netflow/ipfix_test_netscaler.pcap': {'unknown_sets': True},
    # Data sets of template 264 that no message defines (vflow's negative test); its header
    # length (1366) exceeds the 214-byte payload, so the decoder drops the message.
    'vflow/ipfix_decoder_test__unknownDatasetMessage.pcap': {'unknown_sets': True},
    # Data without any template (graylog's testParseIncomplete).
    'graylog-plugin-netflow/netflow-v9-3_incomplete.pcap': {'unknown_sets': True},
    # 2 data sets whose templates the capture never carries (graylog issue #16).
    'graylog-plugin-netflow/nprobe-netflow9-4.pcap': {'unknown_sets': True},
}

# libfixbuf warns about a field longer than its type in its registry. The mediator keeps every
# input field as it came (values are never re-encoded), so such a field of the input shows up in
# the output; only these elements, each sent so by an exporter of the corpus and none of them
# a field we add, are accepted:
ILLEGAL_LENGTH_FROM_INPUT = {
    'samplerId',          # unsigned8; Cisco v9 FLOW_SAMPLER_ID (48) is sent in 2 or 4 bytes
    'forwardingStatus',   # unsigned8 in libfixbuf 2.4; Cisco IOS-XR sends 4 bytes
    'ipv4RouterSc',       # H3C sends this address in 2 bytes (INDEX.md: a known trap)
}

# Fields of length 0 come from the exporter (we never add one) and are kept as they came; the
# records are unchanged by them (they hold no bytes). libfixbuf warns about length 0 for an
# element of a fixed-size type. Per capture, the elements an exporter sends so:
ZERO_LENGTH_FROM_INPUT = {
    # Juniper SRX: v9 options template 256 with scope System (1) of length 0; in IPFIX output the
    # System scope is exportingProcessId.
    'logstash-codec-netflow/netflow9_test_juniper_srx_tplopt.pcap': {'exportingProcessId'},
}

NAME_IDS = {1: 'src_name', 2: 'dst_name', 3: 'src_country', 4: 'dst_country'}
ADDRESS_KEYS = {
    'src': ('sourceIPv4Address', 'sourceIPv6Address'),
    'dst': ('destinationIPv4Address', 'destinationIPv6Address'),
}
AS_KEYS = {'src': 'bgpSourceAsNumber', 'dst': 'bgpDestinationAsNumber'}
AS_TRANS = 23456
# NetFlow v9 scope types as the IPFIX elements our v9 -> IPFIX conversion maps them to.
V9_SCOPES = {'scopeSystem': 'exportingProcessId', 'scopeInterface': 'ingressInterface',
             'scopeLineCard': 'lineCardId', 'scopeCache': 'meteringProcessId', 'scopeTemplate': 'templateId'}


POLICIES = ('fill', 'override', 'never')


def is_bad_as(v):
    return v == 0 or v == AS_TRANS or 64512 <= v <= 65534 or v >= 4200000000


CONFIG = """\
general:
  listen_port: 2055
enrichment:
  asn_database: {asn}
  country_database: {country}
  source: {source}
  destination: {destination}
  names:
    enterprise_number: {pen}
  original_exporter: true
forwarding:
  collectors:
    - host: 127.0.0.1
      port: 2056
      version: same
    - host: 127.0.0.1
      port: 4739
      version: ipfix
"""


class Checker:
    def __init__(self, args, capture, rel):
        self.a = args
        self.capture = capture
        self.rel = rel
        self.exc = EXCEPTIONS.get(rel, {})
        self.problems = []
        self.notes = []
        self.counts = {}  # what was checked, for the report
        db = Path(args.db_dir)
        self.asn_db = db / 'asn.mmdb'
        self.country_db = db / 'country.mmdb'
        self.oracle = MmdbOracle(args.mmdblookup, self.asn_db, self.country_db)
        self.policy = dict(zip(('src', 'dst'), args.policy.split(',')))

    def count(self, what, n=1):
        self.counts[what] = self.counts.get(what, 0) + n

    def fail(self, msg):
        if len(self.problems) < 60:
            self.problems.append(msg)
        elif len(self.problems) == 60:
            self.problems.append('... (more problems not shown)')

    # -- running the tools --------------------------------------------------------------------

    def dump(self, pcap, ports):
        args = [self.a.dump, '--json', '--frame-numbers']
        for p in ports:
            args += ['--port', p]
        p = run(args + [pcap])
        if p.returncode != 0:
            self.fail(f'ipfix-dump {pcap}: exit {p.returncode}: {p.stderr.strip()}')
        records = [json.loads(line) for line in p.stdout.splitlines() if line.strip()]
        summary = {}
        for line in p.stderr.splitlines():
            m = re.match(r'(\S.*?)\s{2,}(\d+)$', line)
            if m:
                summary[m.group(1)] = int(m.group(2))
        return records, summary

    def tshark(self, pcap, ports, header_fields=False):
        """tshark's expert warnings and errors on a capture (cflow on `ports`); with header_fields
        also frame number -> (sys uptime ms, unix secs, unix nsecs) of its v5/v9 headers."""
        args = [self.a.tshark, '-n', '-r', pcap, '-o', 'cflow.max_template_fields:0', '-z', 'expert,warn']
        for p in ports:
            args += ['-d', f'udp.port=={p},cflow']
        if header_fields:
            args += ['-T', 'fields', '-E', 'occurrence=f', '-e', 'frame.number', '-e', 'cflow.sysuptime',
                     '-e', 'cflow.unix_secs', '-e', 'cflow.unix_nsecs']
        else:
            args += ['-q']
        p = run(args)
        if p.returncode != 0:
            self.fail(f'tshark {pcap}: exit {p.returncode}: {p.stderr.strip()}')
            return [], {}
        expert, headers = [], {}
        for line in p.stdout.splitlines():
            cols = line.split('\t')
            if header_fields and len(cols) == 4 and cols[0].isdigit():
                if cols[1]:
                    headers[int(cols[0])] = (round(float(cols[1]) * 1000), cols[2], cols[3])
                continue
            # Lines of the "Errors (n)" / "Warns (n)" tables: frequency, group, protocol, summary.
            m = re.match(r'\s+(\d+)\s+(\S+)\s+(\S+)\s+(.*)$', line)
            if m:
                expert.append(f'{m.group(2)}/{m.group(3)}: {m.group(4).strip()} (x{m.group(1)})')
        return expert, headers

    # -- the test -----------------------------------------------------------------------------

    def check(self):
        with tempfile.TemporaryDirectory(prefix='offline-golden-') as tmp:
            tmp = Path(tmp)
            cfg = tmp / 'config.yaml'
            cfg.write_text(CONFIG.format(asn=self.asn_db, country=self.country_db, pen=PEN_NAMES,
                                         source=self.policy['src'], destination=self.policy['dst']))
            out = tmp / 'out.pcap'
            cmd = [self.a.enricher, '--offline', self.capture, '--write', out, '-c', cfg]
            for p in EXTRA_PORTS:
                cmd += ['--port', p]
            p = run(cmd)
            if p.returncode != 0:
                self.fail(f'ipfix-enricher exit {p.returncode}: {p.stderr.strip()}')
                return
            self.enricher_summary = p.stderr
            self.inputs, in_summary = self.dump(self.capture, EXTRA_PORTS)
            self.in_unknown = in_summary.get('malformed unknown_template', 0)
            if bool(self.in_unknown) != bool(self.exc.get('unknown_sets')):
                self.fail(f'input has {self.in_unknown} data sets without a template: EXCEPTIONS says otherwise')
            self.in_expert, self.in_headers = [], {}
            if self.a.tshark:
                self.in_expert, self.in_headers = self.tshark(self.capture, (2055, 4739, 9995, 9996) + EXTRA_PORTS,
                                                              header_fields=True)
                for a in self.exc.get('tshark', []):
                    if not any(a in e for e in self.in_expert):
                        self.fail(f'EXCEPTIONS: tshark shows no "{a}" on the input any more')

            ghdr, frames = read_pcap(out)
            per_port = {port: [] for port, _ in COLLECTORS}
            for f in frames:
                if f.dst_port not in per_port:
                    self.fail(f'output frame to an unexpected port {f.dst_port}')
                    continue
                per_port[f.dst_port].append(f)
            for port, mode in COLLECTORS:
                split = tmp / f'out-{port}.pcap'
                write_pcap(split, ghdr, per_port[port])
                self.check_collector(port, mode, split, per_port[port], tmp)
            n_in = len(self.inputs)
            self.notes.append(f'{n_in} input records, frames out: '
                              + ', '.join(f'{port}: {len(per_port[port])}' for port, _ in COLLECTORS))
            if self.counts:
                self.notes.append('checked ' + ', '.join(f'{k} {v}' for k, v in sorted(self.counts.items())))

    def check_collector(self, port, mode, split, frames, tmp):
        tag = f'[{port} {mode}]'
        outputs, summary = self.dump(split, [port])
        for key in ('sequence gaps', 'sequence reordered'):
            if summary.get(key, 0):
                self.fail(f'{tag} ipfix-dump of the output: {key} {summary[key]}')
        for key, n in summary.items():
            if key.startswith('malformed') and not (key == 'malformed unknown_template' and self.in_unknown):
                self.fail(f'{tag} ipfix-dump of the output: {key} {n}')
        if len(outputs) != len(self.inputs):
            self.fail(f'{tag} {len(outputs)} output records for {len(self.inputs)} input records')

        templates_at = self.check_messages(tag, frames, outputs)
        for i, (rin, rout) in enumerate(zip(self.inputs, outputs)):
            self.check_record(tag, i, rin, rout, templates_at)

        if self.a.tshark:
            self.check_tshark(tag, split, port)
        if self.a.ipfixdump and frames and all(f.payload[:2] == b'\x00\x0a' for f in frames):
            self.check_ipfixdump(tag, split, frames, outputs, tmp / f'ipfix-{port}.bin')

    def check_messages(self, tag, frames, outputs):
        """Sequence numbers per output stream, and the templates in force at each frame."""
        records_in_frame = {}
        for r in outputs:
            records_in_frame[r['frame']] = records_in_frame.get(r['frame'], 0) + 1
        templates = {}
        at = {}
        streams = {}  # (version, domain) -> [packets, data records, sequence exact]
        for n, f in enumerate(frames, 1):
            try:
                m = Message(f.payload)
            except ValueError as e:
                self.fail(f'{tag} frame {n}: cannot parse our own message: {e}')
                continue
            key = (m.version, m.domain)
            s = streams.setdefault(key, [0, 0, True])
            if m.version == 10:
                if s[2] and m.sequence != s[1]:
                    self.fail(f'{tag} frame {n}: IPFIX sequence {m.sequence}, expected {s[1]} '
                              f'(data records sent before in domain {m.domain})')
            elif m.version == 9:
                if m.sequence != s[0]:
                    self.fail(f'{tag} frame {n}: v9 sequence {m.sequence}, expected {s[0]} '
                              f'(packets sent before for source id {m.domain})')
            s[0] += 1
            s[1] += records_in_frame.get(n, 0)
            for tid, fields, scope in m.templates:
                templates[(m.version, m.domain, tid)] = (fields, scope)
            if m.version != 5:
                for set_id, _ in m.data_sets:
                    if (m.version, m.domain, set_id) not in templates:
                        if not self.in_unknown:
                            self.fail(f'{tag} frame {n}: data set {set_id} before its template')
                        s[2] = False  # forwarded sets: their records cannot be counted here
            at[n] = dict(templates)
        return at

    def check_record(self, tag, i, rin, rout, templates_at):
        where = f'{tag} record {i} (input frame {rin.get("frame")}, output frame {rout.get("frame")})'
        fin = record_fields(rin)
        fout = record_fields(rout)
        in_version = rin['version']
        out_version = rout['version']
        want_version = in_version if tag.endswith('same]') else 10
        if out_version != want_version:
            self.fail(f'{where}: version {out_version}, expected {want_version}')
            return
        converted = out_version == 10 and in_version != 10
        # The output template (v5 kept as v5 is rewritten in place: its fixed layout).
        if out_version == 5:
            spec = [(0, 0, 0)] * len(fout)
            as_len = {AS_KEYS['src']: 2, AS_KEYS['dst']: 2}
        else:
            t = templates_at.get(rout['frame'], {}).get((out_version, rout['domain'], rout['template']))
            if t is None:
                self.fail(f'{where}: no template {rout["template"]} before the record')
                return
            spec = t[0]
            if len(spec) != len(fout):
                self.fail(f'{where}: template has {len(spec)} fields, ipfix-dump shows {len(fout)}')
                return
            as_len = {}
            for (name, _), (_, _, length) in zip(fin, spec):
                if name in AS_KEYS.values() and name not in as_len:
                    as_len[name] = length

        options = bool(rin.get('options'))
        names = [n for n, _ in fin]
        has_address = any(k in names for keys in ADDRESS_KEYS.values() for k in keys)
        enriched = not options and has_address and out_version != 5

        # What enrichment found for each direction of this record.
        found = {}
        for side, keys in ADDRESS_KEYS.items():
            addr = None
            for k in keys:
                if k in names:
                    addr = address_of(fin[names.index(k)][1])  # the first such field, as the enricher
                    if addr:
                        break
            # policy never: no lookup at all, so no name or country either
            looked_up = addr and not options and self.policy[side] != 'never'
            found[side] = self.oracle.lookup(addr) if looked_up else (0, '', '')

        # The fields the input had, in order, with only a bad AS replaced.
        if len(fout) < len(fin):
            self.fail(f'{where}: {len(fout)} fields, fewer than the input\'s {len(fin)}')
            return
        seen_as = set()
        for j, ((n_in, v_in), (n_out, v_out)) in enumerate(zip(fin, fout)):
            want_name = n_in
            if converted:
                vendor = re.fullmatch(r'0/(\d+)', n_in)
                if n_in in V9_SCOPES:
                    want_name = V9_SCOPES[n_in]
                elif vendor and int(vendor.group(1)) >= 0x8000:
                    # v9 vendor field types (Cisco's) become IPFIX elements of Cisco's PEN 9
                    ie = int(vendor.group(1)) & 0x7FFF
                    want_name = f'9/{ie}'
                    if spec[j][:2] != (ie, 9):
                        self.fail(f'{where}: field {j} ({n_in}) sent as (ie, pen) {spec[j][:2]}, expected {(ie, 9)}')
                elif re.fullmatch(r'scope/\d+', n_in):
                    want_name = n_out  # an unnamed v9 scope type keeps its number: checked by IE
                    if spec[j][:2] != (int(n_in.split('/')[1]), 0):
                        self.fail(f'{where}: field {j} ({n_in}) sent as (ie, pen) {spec[j][:2]}')
            if n_out != want_name:
                self.fail(f'{where}: field {j} is {n_out}, input has {n_in}')
                continue
            want = v_in
            side = {AS_KEYS['src']: 'src', AS_KEYS['dst']: 'dst'}.get(n_in)
            if side and n_in not in seen_as and not options:
                seen_as.add(n_in)
                asn = found[side][0]
                policy = self.policy[side]
                if asn and isinstance(v_in, int) and (policy == 'override' or policy == 'fill' and is_bad_as(v_in)):
                    length = as_len.get(n_in, 4)
                    want = asn if asn < (1 << (8 * length)) else AS_TRANS
                    self.count('as written in place' if want == asn else 'as_trans written in place')
                else:
                    self.count('as kept')
            if v_out != want:
                self.fail(f'{where}: {n_in} = {v_out!r}, expected {want!r} (input {v_in!r}'
                          + (f', lookup {found[side]}' if side else '') + ')')

        # The added fields: exactly these, in this order.
        added = []
        if enriched:
            for side in ('src', 'dst'):
                if AS_KEYS[side] not in names and self.policy[side] != 'never':
                    added.append((AS_KEYS[side], (16 if side == 'src' else 17, 0, 4), found[side][0]))
            if out_version == 10:
                for ie, what in NAME_IDS.items():
                    side, kind = what.split('_')
                    if kind == 'name':
                        value = found[side][1].encode('utf-8').hex()
                        length = 65535
                    else:
                        value = (found[side][2].encode('ascii') if found[side][2] else b'\0\0').hex()
                        length = 2
                    added.append((f'{PEN_NAMES}/{ie}', (ie, PEN_NAMES, length), value))
            exporter = re.match(r'\[?(.*?)\]?:\d+$', rin['exporter']).group(1)
            if ':' in exporter:
                added.append(('originalExporterIPv6Address', (404, 0, 16), exporter))
            else:
                added.append(('originalExporterIPv4Address', (403, 0, 4), exporter))
            added.append(('originalObservationDomainId', (405, 0, 4), rin['domain']))
            if converted and ('flowStartSysUpTime' in names or 'flowEndSysUpTime' in names):
                added.append(('systemInitTimeMilliseconds', (160, 0, 8), self.system_init(rin)))
        tail = fout[len(fin):]
        if len(tail) != len(added):
            self.fail(f'{where}: added {[n for n, _ in tail]}, expected {[n for n, _, _ in added]}')
            return
        for k, ((n_out, v_out), (n_want, spec_want, v_want)) in enumerate(zip(tail, added)):
            if n_out != n_want:
                self.fail(f'{where}: added field {k} is {n_out}, expected {n_want}')
            if spec[len(fin) + k] != spec_want and out_version != 5:
                self.fail(f'{where}: added {n_want} sent as (ie, pen, length) {spec[len(fin) + k]}, '
                          f'expected {spec_want}')
            if v_want is None:
                self.count(f'unchecked {n_want}')
                continue
            self.count(f'added {n_want}' if not n_want.startswith('bgp') or v_want else f'added {n_want} (not found)')
            if v_out != v_want:
                self.fail(f'{where}: added {n_want} = {v_out!r}, expected {v_want!r}')

    def system_init(self, rin):
        """export time - sysUpTime of the input message (ms), from tshark's decode of its header."""
        h = self.in_headers.get(rin.get('frame'))
        if h is None:
            return None
        uptime_ms, secs, nsecs = h
        export_ms = rin['export_time'] * 1000
        if rin['version'] == 5 and nsecs:
            export_ms += int(nsecs) // 1000000
        return (export_ms - uptime_ms) % (1 << 64)

    def check_tshark(self, tag, split, port):
        allowed = self.exc.get('tshark', [])
        for e in self.tshark(split, [port])[0]:
            if any(a in e for a in allowed) and any(a in i for i in self.in_expert for a in allowed):
                continue
            if self.in_unknown and 'no template found' in e.lower():
                continue
            self.fail(f'{tag} tshark expert: {e}')

    def check_ipfixdump(self, tag, split, frames, outputs, path):
        path.write_bytes(b''.join(f.payload for f in frames))
        p = run([self.a.ipfixdump, '--in', path, '--out', '-'])
        if p.returncode != 0:
            self.fail(f'{tag} ipfixDump exit {p.returncode}: {p.stderr.strip()}')
        for line in p.stderr.splitlines():
            if not line.strip() or 'Running as user' in line:
                continue
            m = re.search(r'Illegal length \d+ for information element (\w+)', line)
            if m and m.group(1) in ILLEGAL_LENGTH_FROM_INPUT:
                continue
            m = re.search(r'Illegal length 0 for information element (\w+)', line)
            if m and m.group(1) in ZERO_LENGTH_FROM_INPUT.get(self.rel, ()):
                continue
            if self.in_unknown and 'Missing external template' in line:
                continue
            self.fail(f'{tag} ipfixDump: {line.strip()[:300]}')
        m = re.search(r'File Stats: (\d+) Messages, (\d+) Data Records', p.stdout)
        if not m:
            self.fail(f'{tag} ipfixDump printed no file statistics')
            return
        if int(m.group(1)) != len(frames) and not self.in_unknown:
            self.fail(f'{tag} ipfixDump read {m.group(1)} messages of {len(frames)}')
        if int(m.group(2)) != len(outputs) and not self.in_unknown:
            self.fail(f'{tag} ipfixDump counted {m.group(2)} data records, ipfix-dump {len(outputs)}')


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--enricher', required=True)
    ap.add_argument('--dump', required=True)
    ap.add_argument('--db-dir', required=True, help='asn.mmdb and country.mmdb (make_test_dbs.py)')
    ap.add_argument('--mmdblookup', default='mmdblookup')
    ap.add_argument('--tshark', default='')
    ap.add_argument('--ipfixdump', default='')
    ap.add_argument('--corpus', required=True)
    ap.add_argument('--policy', default='fill,fill', choices=[f'{s},{d}' for s in POLICIES for d in POLICIES],
                    help='enrichment source,destination policy (fill: missing or bad AS only)')
    ap.add_argument('captures', nargs='+', help='relative to --corpus')
    a = ap.parse_args()
    failed = 0
    for rel in a.captures:
        c = Checker(a, Path(a.corpus) / rel, rel)
        c.check()
        status = 'FAIL' if c.problems else 'ok'
        print(f'{status}: {rel}: ' + '; '.join(c.notes))
        for p in c.problems:
            print(f'  {p}')
        failed += bool(c.problems)
    print(f'{len(a.captures) - failed} passed, {failed} failed')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
