#!/usr/bin/env python3
"""Wraps raw NetFlow/IPFIX export payloads (.dat/.dump files: UDP payloads, sometimes several
back to back) into classic pcap captures of Ethernet/IPv4/UDP frames, so the corpus can be fed
to ipfix-dump and tshark alike.

  make_pcap.py OUT.pcap PAYLOAD...         one capture from payload files, in the given order
  make_pcap.py --manifest MANIFEST.tsv     every capture the manifest lists (paths relative to it)
  make_pcap.py --check MANIFEST.tsv        exit 1 unless every listed capture is what we would write

Each file is split into export messages: v5 by its count (24 + 48 * count), IPFIX by the header
length, v9 (no length field) by walking flowsets until something that is not a flowset, or a
v9 header (flowset id 9 is reserved, so "9" at a flowset boundary starts a new message).
Bytes that cannot be split (a broken length, trailing zeros, an unknown version) stay with the
message they follow: the negative cases must reach the decoder as they were.
Frames go 192.0.2.1:49152 -> 192.0.2.2:2055 (v5/v9) or :4739 (IPFIX), one second apart from a
fixed epoch, so the output is byte-for-byte reproducible.
"""
import struct
import sys
from pathlib import Path

V5_HEADER, V5_RECORD = 24, 48
V9_HEADER, IPFIX_HEADER = 20, 16
EXPORTER = bytes([192, 0, 2, 1])
COLLECTOR = bytes([192, 0, 2, 2])
SOURCE_PORT = 49152
EPOCH = 1500000000


def _be16(b, off):
    return struct.unpack_from('>H', b, off)[0]


def _v9_end(b, start):
    """End of the v9 message at `start`: after the last flowset that fits, or the data end."""
    pos = start + V9_HEADER
    while pos + 4 <= len(b):
        set_id, set_len = _be16(b, pos), _be16(b, pos + 2)
        if set_id == 9 and set_len != 0:
            return pos  # the next message's header
        if set_len < 4 or pos + set_len > len(b):
            return len(b)  # padding or a broken flowset: keep the rest with this message
        pos += set_len
    return len(b)


def split_messages(b):
    """Splits concatenated export messages; returns a list of bytes objects."""
    out, off = [], 0
    while off < len(b):
        rest = len(b) - off
        version = _be16(b, off) if rest >= 2 else 0
        end = len(b)
        if version == 5 and rest >= 4:
            need = V5_HEADER + V5_RECORD * _be16(b, off + 2)
            # A count larger than the data (a corrupt header) or a short tail: keep it all.
            if need <= rest and rest - need >= V5_HEADER:
                end = off + need
        elif version == 10 and rest >= 4:
            length = _be16(b, off + 2)
            if IPFIX_HEADER <= length < rest and _be16(b, off + length) == 10:
                end = off + length
        elif version == 9 and rest >= V9_HEADER:
            end = _v9_end(b, off)
        out.append(b[off:end])
        off = end
    return out


def _checksum(header):
    s = sum(struct.unpack('>%dH' % (len(header) // 2), header))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def frame(payload, dport, ident):
    udp = struct.pack('>HHHH', SOURCE_PORT, dport, 8 + len(payload), 0) + payload
    ip = bytearray(struct.pack('>BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), ident & 0xFFFF, 0, 64, 17, 0,
                               EXPORTER, COLLECTOR))
    struct.pack_into('>H', ip, 10, _checksum(bytes(ip)))
    ether = bytes.fromhex('020000000002' '020000000001' '0800')
    return ether + bytes(ip) + udp


def port_for(message):
    return 4739 if len(message) >= 2 and _be16(message, 0) == 10 else 2055


def pcap_bytes(inputs):
    """The capture of the payload files `inputs`, and its number of frames."""
    frames = []
    for path in inputs:
        for message in split_messages(Path(path).read_bytes()):
            frames.append(frame(message, port_for(message), len(frames) + 1))
    out = bytearray(struct.pack('<IHHiIII', 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))  # DLT_EN10MB
    for i, fr in enumerate(frames):
        out += struct.pack('<IIII', EPOCH + i, 0, len(fr), len(fr)) + fr
    return bytes(out), len(frames)


def write_pcap(out_path, inputs):
    """Writes one capture; returns the number of frames."""
    data, count = pcap_bytes(inputs)
    Path(out_path).write_bytes(data)
    return count


def read_manifest(path):
    """Yields (pcap, [payload files]) for every generated capture of the manifest."""
    base = Path(path).parent
    for line in Path(path).read_text().splitlines():
        cols = line.split('\t')
        if not line.strip() or line.startswith('#') or len(cols) < 3 or cols[1] != 'wrap':
            continue
        yield base / cols[0], [base / c for c in cols[2].split()]


def main(argv):
    if len(argv) == 3 and argv[1] == '--check':
        stale = [str(p) for p, inputs in read_manifest(argv[2])
                 if not p.exists() or p.read_bytes() != pcap_bytes(inputs)[0]]
        for p in stale:
            print(f'{p}: differs from its payload files; regenerate with --manifest', file=sys.stderr)
        print(f'{len(list(read_manifest(argv[2])))} wrapped captures checked, {len(stale)} stale')
        return 1 if stale else 0
    if len(argv) == 3 and argv[1] == '--manifest':
        for pcap, inputs in read_manifest(argv[2]):
            print(f'{pcap}: {write_pcap(pcap, inputs)} frames')
        return 0
    if len(argv) >= 3 and not argv[1].startswith('-'):
        print(f'{argv[1]}: {write_pcap(argv[1], argv[2:])} frames')
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv))
