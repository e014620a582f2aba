"""Shared parts of the offline golden tests: the captures ipfix-enricher writes (read, split per
collector), the templates of our output messages, the test databases' answers (mmdblookup),
and running the tools with bounded time.

Only our own output captures are parsed here (classic pcap, Ethernet, IPv4/IPv6, UDP, written by
src/io/pcap_writer); input captures are read by ipfix-dump and tshark.
"""
import ipaddress
import re
import struct
import subprocess

TOOL_TIMEOUT = 120  # seconds for any one tool run

# ipfix-dump --json keys that describe the message, not a field of the record.
META_KEYS = ('frame', 'exporter', 'version', 'domain', 'template', 'export_time', 'sequence', 'options')

PEN_NAMES = 32473  # RFC 5612 documentation enterprise number, used for names and countries


def run(cmd, **kw):
    """Runs a tool, bounded in time; returns CompletedProcess with text output."""
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=TOOL_TIMEOUT, **kw)


# ---------------------------------------------------------------------------------------------
# Captures

class Frame:
    def __init__(self, header, data):
        self.header = header  # the 16-byte pcap record header
        self.data = data
        self.dst_port = None
        self.payload = None


def read_pcap(path):
    """Returns (global header bytes, [Frame]) of a classic Ethernet pcap; UDP frames get dst_port
    and payload."""
    raw = open(path, 'rb').read()
    if len(raw) < 24:
        raise ValueError(f'{path}: not a pcap')
    magic = raw[:4]
    if magic == b'\xd4\xc3\xb2\xa1' or magic == b'\x4d\x3c\xb2\xa1':
        endian = '<'
    elif magic == b'\xa1\xb2\xc3\xd4' or magic == b'\xa1\xb2\x3c\x4d':
        endian = '>'
    else:
        raise ValueError(f'{path}: not a classic pcap')
    link = struct.unpack(endian + 'I', raw[20:24])[0]
    if link != 1:
        raise ValueError(f'{path}: link type {link}, expected Ethernet')
    frames = []
    pos = 24
    while pos + 16 <= len(raw):
        hdr = raw[pos:pos + 16]
        incl = struct.unpack(endian + 'I', hdr[8:12])[0]
        data = raw[pos + 16:pos + 16 + incl]
        pos += 16 + incl
        f = Frame(hdr, data)
        _parse_udp(f)
        frames.append(f)
    return raw[:24], frames


def _parse_udp(f):
    d = f.data
    if len(d) < 14:
        return
    ethertype = struct.unpack('>H', d[12:14])[0]
    off = 14
    if ethertype == 0x0800:
        ihl = (d[off] & 0x0F) * 4
        if d[off + 9] != 17:
            return
        udp = off + ihl
    elif ethertype == 0x86DD:
        if d[off + 6] != 17:
            return
        udp = off + 40
    else:
        return
    f.dst_port = struct.unpack('>H', d[udp + 2:udp + 4])[0]
    length = struct.unpack('>H', d[udp + 4:udp + 6])[0]
    f.payload = d[udp + 8:udp + length]


def write_pcap(path, global_header, frames):
    with open(path, 'wb') as out:
        out.write(global_header)
        for f in frames:
            out.write(f.header)
            out.write(f.data)


# ---------------------------------------------------------------------------------------------
# Our output messages: headers and templates

class Message:
    """One NetFlow v5/v9 or IPFIX message as far as the checks need it."""

    def __init__(self, payload):
        self.version = struct.unpack('>H', payload[:2])[0]
        self.templates = []      # (id, [(ie, pen, length)], scope_count); IPFIX withdrawals have no fields
        self.data_sets = []      # (set id, body bytes)
        if self.version == 5:
            self.sequence = struct.unpack('>I', payload[16:20])[0]
            self.domain = struct.unpack('>H', payload[20:22])[0]
            return
        if self.version == 9:
            self.sys_uptime, self.export_time, self.sequence, self.domain = struct.unpack('>IIII', payload[4:20])
            self.length = len(payload)
            pos = 20
        elif self.version == 10:
            self.length, self.export_time, self.sequence, self.domain = struct.unpack('>HIII', payload[2:16])
            pos = 16
        else:
            raise ValueError(f'version {self.version}')
        while pos + 4 <= len(payload):
            set_id, set_len = struct.unpack('>HH', payload[pos:pos + 4])
            if set_len < 4 or pos + set_len > len(payload):
                raise ValueError(f'set {set_id} length {set_len} at {pos} runs past the message')
            body = payload[pos + 4:pos + set_len]
            if self.version == 9 and set_id == 0:
                self._v9_templates(body)
            elif self.version == 9 and set_id == 1:
                self._v9_options(body)
            elif self.version == 10 and set_id in (2, 3):
                self._ipfix_templates(body, set_id == 3)
            else:
                self.data_sets.append((set_id, body))
            pos += set_len
        if pos != len(payload):
            raise ValueError(f'{len(payload) - pos} bytes after the last set')

    def _v9_templates(self, b):
        pos = 0
        while pos + 4 <= len(b):
            tid, count = struct.unpack('>HH', b[pos:pos + 4])
            pos += 4
            fields = []
            for _ in range(count):
                ie, length = struct.unpack('>HH', b[pos:pos + 4])
                fields.append((ie, 0, length))
                pos += 4
            self.templates.append((tid, fields, 0))

    def _v9_options(self, b):
        pos = 0
        while pos + 6 <= len(b):
            tid, scope_len, opt_len = struct.unpack('>HHH', b[pos:pos + 6])
            if tid < 256:
                break  # padding
            pos += 6
            fields = []
            for _ in range((scope_len + opt_len) // 4):
                ie, length = struct.unpack('>HH', b[pos:pos + 4])
                fields.append((ie, 0, length))
                pos += 4
            self.templates.append((tid, fields, scope_len // 4))

    def _ipfix_templates(self, b, options):
        pos = 0
        while pos + 4 <= len(b):
            tid, count = struct.unpack('>HH', b[pos:pos + 4])
            pos += 4
            scope = 0
            if count and options:
                scope = struct.unpack('>H', b[pos:pos + 2])[0]
                pos += 2
            fields = []
            for _ in range(count):
                ie, length = struct.unpack('>HH', b[pos:pos + 4])
                pos += 4
                pen = 0
                if ie & 0x8000:
                    ie &= 0x7FFF
                    pen = struct.unpack('>I', b[pos:pos + 4])[0]
                    pos += 4
                fields.append((ie, pen, length))
            self.templates.append((tid, fields, scope))


# ---------------------------------------------------------------------------------------------
# The test databases' answers, from libmaxminddb's own command-line tool

_MMDB_ASN = re.compile(r'"autonomous_system_number":\s*(\d+) <uint(?:16|32|64)>')
_MMDB_ORG = re.compile(r'"autonomous_system_organization":\s*"((?:[^"\\]|\\.)*)" <utf8_string>')
_MMDB_ISO = re.compile(r'"iso_code":\s*"([A-Z]{2})" <utf8_string>')


class MmdbOracle:
    """What `mmdblookup` says about an address in the ASN and country databases; one call per
    distinct address and database."""

    def __init__(self, mmdblookup, asn_db, country_db=None):
        self.mmdblookup = mmdblookup
        self.asn_db = asn_db
        self.country_db = country_db
        self.cache = {}

    def _lookup(self, db, addr):
        p = subprocess.run([self.mmdblookup, '--file', str(db), '--ip', addr], capture_output=True,
                           timeout=TOOL_TIMEOUT)
        out = p.stdout.decode('utf-8')
        if 'Could not find an entry' in out + p.stderr.decode('utf-8', 'replace'):
            return None
        if p.returncode != 0:
            raise RuntimeError(f'mmdblookup {db} {addr}: exit {p.returncode}: {p.stderr!r}')
        return out

    def lookup(self, addr):
        """(asn or 0, org or '', country or '') for an address string."""
        if addr in self.cache:
            return self.cache[addr]
        asn, org, country = 0, '', ''
        out = self._lookup(self.asn_db, addr)
        if out:
            m = _MMDB_ASN.search(out)
            asn = int(m.group(1)) if m else 0
            m = _MMDB_ORG.search(out)
            org = m.group(1) if m else ''
        if self.country_db:
            out = self._lookup(self.country_db, addr)
            m = _MMDB_ISO.search(out) if out else None
            country = m.group(1) if m else ''
        self.cache[addr] = (asn, org, country)
        return self.cache[addr]


def address_of(value):
    """An address field's value as ipfix-dump prints it -> address text, or None when the field
    does not hold an IPv4/IPv6 address (odd size: printed as hex)."""
    if not isinstance(value, str):
        return None
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        pass
    if re.fullmatch(r'[0-9a-f]{8}|[0-9a-f]{32}', value):
        return str(ipaddress.ip_address(bytes.fromhex(value)))
    return None


def record_fields(rec):
    """[(name without its #n occurrence suffix, value)] of a record, in template order."""
    return [(re.sub(r'#\d+$', '', k), v) for k, v in rec.items() if k not in META_KEYS]
