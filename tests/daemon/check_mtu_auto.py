#!/usr/bin/env python3
"""forwarding.collectors[].mtu: auto is the MTU of the route toward each collector, at most 9216
(what one mbuf holds), and output is split at it; a reload asks again and applies a changed one.

1. Bad values stop --check-config with exit status 2 and one clear line.
2. Loopback: a collector on 127.0.0.1 with mtu auto gets 9216 (IPv4 loopback routes say 65535),
   one with mtu 1500 keeps it; IPFIX messages of ~1,400 bytes sent in a burst leave packed in
   datagrams over 1,472 bytes and never over 9,188 (9216 less IPv4 and UDP headers) toward the
   first, never over 1,472 toward the second; every record arrives at both. The stats port's
   /api/v1/collectors shows 9216 and 1500.
3. A route with a smaller MTU (needs root and `ip netns`; skipped with the reason otherwise):
   two network namespaces joined by a veth pair at MTU 1280, the daemon in one, the collector
   in the other: auto gives 1280 and no datagram is over 1,252; then the link goes to MTU 1400
   and a SIGHUP makes it 1400 (datagrams up to 1,372, some over 1,252; the stats port says
   1400), nothing lost.
4. The dpdk backend (as root, in the same kind of namespaces): a net_af_packet port with
   `mtu: 1280` sets its interface to 1280 and the collector's auto takes it (40-record messages
   of 1,216 bytes arrive; none over 1,252 leaves, every record arrives); a port mtu the device cannot take (9000: the PMD takes 1518-byte
   frames) stops the daemon at start with a line saying what it takes.

  check_mtu_auto.py --enricher E --db-dir DIR
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
import time
import urllib.request

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / 'live'))
import check_live  # noqa: E402  (free_udp_port, config_head)

START_TIMEOUT_S = 30
STOP_TIMEOUT_S = 30
SINK_IDLE_S = 1.5
RECORDS_PER_MESSAGE = 45   # 29-byte records: 1,325-byte messages, over 1,500 once enriched
MESSAGES = 24
JUMBO_RECORDS = 300        # an 8,720-byte message: over 9,188 bytes once enriched

# sourceIPv4Address, destinationIPv4Address, octetDeltaCount, packetDeltaCount,
# protocolIdentifier, sourceTransportPort, destinationTransportPort
FIELDS = [(8, 4), (12, 4), (1, 8), (2, 8), (4, 1), (7, 2), (11, 2)]


def ipfix_message(sequence, records, with_template):
    sets = b''
    if with_template:
        body = struct.pack('!HH', 256, len(FIELDS)) + b''.join(struct.pack('!HH', i, n) for i, n in FIELDS)
        sets += struct.pack('!HH', 2, 4 + len(body)) + body
    data = b''
    for r in range(records):
        n = sequence + r
        data += struct.pack('!4s4sQQBHH', bytes([10, 1, n >> 8 & 255, n & 255]), bytes([192, 0, 2, n & 255]),
                            1000 + n, 1 + n % 7, 6, 1024 + n % 5000, 443)
    sets += struct.pack('!HH', 256, 4 + len(data)) + data
    return struct.pack('!HHIII', 10, 16 + len(sets), 1_700_000_000, sequence, 7) + sets


def send_traffic(port, messages, records, jumbo=0, host='127.0.0.1'):
    """`messages` IPFIX messages from one socket to host:port, as fast as they go, then one of
    `jumbo` records when not 0."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for i in range(messages):
            s.sendto(ipfix_message(i * records, records, i % 8 == 0), (host, port))
        if jumbo:
            s.sendto(ipfix_message(messages * records, jumbo, True), (host, port))


def count_records(datagram, lengths):
    """Data records in one IPFIX message (every template field fixed-length, as ours are)."""
    at, n = 16, 0
    while at + 4 <= len(datagram):
        set_id, length = struct.unpack_from('!HH', datagram, at)
        if length < 4:
            break
        if set_id == 2:
            p = at + 4
            while p + 4 <= at + length:
                tid, count = struct.unpack_from('!HH', datagram, p)
                p += 4
                total = 0
                for _ in range(count):
                    fid, flen = struct.unpack_from('!HH', datagram, p)
                    p += 4 + (4 if fid & 0x8000 else 0)
                    total += flen
                lengths[tid] = total
        elif set_id >= 256 and lengths.get(set_id):
            n += (length - 4) // lengths[set_id]
        at += length
    return n


def sink(bind, port, out_path, deadline_s, idle_s):
    """Receives until idle_s after the last datagram (or the deadline) and writes one line per
    datagram: its size and its record count."""
    family = socket.AF_INET6 if ':' in bind else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as s, open(out_path, 'w') as out:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        s.bind((bind, port))
        out.write('ready\n')
        out.flush()
        lengths, last, end = {}, None, time.monotonic() + deadline_s
        while time.monotonic() < end and (last is None or time.monotonic() - last < idle_s):
            s.settimeout(0.2)
            try:
                d = s.recv(65535)
            except socket.timeout:
                continue
            last = time.monotonic()
            out.write(f'{len(d)} {count_records(d, lengths)}\n')
            out.flush()


class collector:
    """A sink in a process of its own (in network namespace `netns` when given)."""

    def __init__(self, work, name, bind, netns=None, deadline_s=60, idle_s=SINK_IDLE_S):
        self.port = check_live.free_udp_port()
        self.path = work / f'{name}.txt'
        cmd = [sys.executable, __file__, '--sink', bind, str(self.port), str(self.path), str(deadline_s), str(idle_s)]
        if netns:
            cmd = ['ip', 'netns', 'exec', netns] + cmd
        self.proc = subprocess.Popen(cmd, start_new_session=True)
        wait_for(lambda: self.path.exists() and self.path.read_text().startswith('ready'), 'the sink ready')

    def results(self):
        self.proc.wait(timeout=STOP_TIMEOUT_S + 60)
        return [tuple(map(int, l.split())) for l in self.path.read_text().splitlines()[1:]]


def wait_for(check, what, timeout=START_TIMEOUT_S):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return
        time.sleep(0.05)
    raise RuntimeError(f'timed out waiting for {what}')


def ours(path):
    return [l for l in pathlib.Path(path).read_text(errors='replace').splitlines() if 'ipfix-enricher: ' in l]


def write_config(path, a, listen_port, collectors):
    lines = '\n'.join(f'    - {{host: "{h}", port: {p}, mtu: {m}}}' for h, p, m in collectors)
    path.write_text(check_live.config_head(a.db_dir, listen_port) + f"""forwarding:
  collectors:
{lines}
store: {{path: {path.parent}/store-{path.stem}}}
""")


class daemon:
    def __init__(self, a, cfg, log_path, netns=None):
        self.log_path = log_path
        cmd = [a.enricher, '-c', str(cfg)]
        if netns:
            cmd = ['ip', 'netns', 'exec', netns] + cmd
        self.out = open(log_path, 'w')
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=self.out, start_new_session=True)
        wait_for(lambda: any('listening on' in l for l in ours(log_path)) or self.proc.poll() is not None,
                 'the daemon to listen')
        if self.proc.poll() is not None:
            raise RuntimeError(f'the daemon stopped: {ours(log_path)}')

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=STOP_TIMEOUT_S)
        finally:
            self.kill()

    def kill(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=STOP_TIMEOUT_S)
        self.out.close()


def check_config(a, work, problems):
    for value in ('575', '9217', 'Auto', '1500b'):
        cfg = work / 'bad.yaml'
        write_config(cfg, a, 2055, [('127.0.0.1', 2056, value)])
        r = subprocess.run([a.enricher, '--check-config', '-c', str(cfg)], capture_output=True, text=True,
                           timeout=STOP_TIMEOUT_S)
        want = f"{cfg}:7: forwarding.collectors[0].mtu: must be auto or a number between 576 and 9216, not '{value}'"
        if r.returncode != 2 or want not in r.stderr:
            problems.append(f'mtu: {value}: exit {r.returncode}, stderr {r.stderr.strip()!r}, want {want!r}')
    cfg = work / 'good.yaml'
    write_config(cfg, a, 2055, [('127.0.0.1', 2056, 'auto'), ('127.0.0.1', 2057, '576'), ('127.0.0.1', 2058, '9216')])
    r = subprocess.run([a.enricher, '--check-config', '-c', str(cfg)], capture_output=True, text=True,
                       timeout=STOP_TIMEOUT_S)
    if r.returncode != 0:
        problems.append(f'mtu auto, 576, 9216: --check-config exit {r.returncode}: {r.stderr.strip()!r}')


def summary_of(results):
    return {'datagrams': len(results), 'largest': max((s for s, _ in results), default=0),
            'records': sum(n for _, n in results)}


def check_loopback(a, work, problems):
    big, fixed = collector(work, 'loopback-auto', '127.0.0.1'), collector(work, 'loopback-1500', '127.0.0.1')
    listen = check_live.free_udp_port()
    cfg = work / 'loopback.yaml'
    write_config(cfg, a, listen, [('127.0.0.1', big.port, 'auto'), ('127.0.0.1', fixed.port, '1500')])
    d = daemon(a, cfg, work / 'loopback.log')
    try:
        lines = ours(work / 'loopback.log')
        for want in (f'ipfix-enricher: collector 127.0.0.1:{big.port}: mtu auto -> 9216 (route mtu 65535)',
                     f'ipfix-enricher: collector 127.0.0.1:{fixed.port}: mtu 1500 (configured)'):
            if want not in lines:
                problems.append(f'loopback: no line {want!r} in {lines}')
        # The stats port (its port the kernel's pick) shows the MTU each collector's output is split at.
        port = next(int(re.search(r':(\d+) ', l)[1]) for l in lines if 'stats port on 127.0.0.1:' in l)
        with urllib.request.urlopen(f'http://127.0.0.1:{port}/api/v1/collectors', timeout=10) as r:
            shown = [c.get('mtu') for c in json.load(r)['collectors']]
        if shown != [9216, 1500]:
            problems.append(f'loopback: /api/v1/collectors shows mtu {shown}, want [9216, 1500]')
        send_traffic(listen, MESSAGES, RECORDS_PER_MESSAGE, JUMBO_RECORDS)
        got_big, got_fixed = summary_of(big.results()), summary_of(fixed.results())
        rc = d.stop()
    finally:
        d.kill()
    sent = MESSAGES * RECORDS_PER_MESSAGE + JUMBO_RECORDS
    if rc != 0:
        problems.append(f'loopback: exit {rc}')
    # The jumbo message's first part fills the datagram to within a record (< 64 bytes here).
    if got_big['records'] != sent or not 9188 - 64 < got_big['largest'] <= 9188:
        problems.append(f'loopback, mtu auto: {got_big}; want {sent} records, largest datagram 9125..9188')
    if got_fixed['records'] != sent or not 0 < got_fixed['largest'] <= 1472:
        problems.append(f'loopback, mtu 1500: {got_fixed}; want {sent} records, largest datagram <= 1472')
    print(f'loopback: mtu auto {got_big}, mtu 1500 {got_fixed}')


def ip(*args):
    subprocess.run(['ip', *args], check=True, capture_output=True, timeout=30)


def netns_usable():
    """None when network namespaces with a veth pair can be made here, else why not."""
    if os.geteuid() != 0:
        return 'not root'
    if shutil.which('ip') is None:
        return 'no ip command (iproute2)'
    name = f'ipfix-mtu-probe-{os.getpid()}'
    try:
        ip('netns', 'add', name)
    except (subprocess.CalledProcessError, OSError) as e:
        return f'ip netns add failed: {getattr(e, "stderr", b"").decode(errors="replace").strip() or e}'
    try:
        ip('-n', name, 'link', 'add', 'p0', 'type', 'veth', 'peer', 'name', 'p1')
    except subprocess.CalledProcessError as e:
        return f'no veth pair in a namespace: {e.stderr.decode(errors="replace").strip()}'
    finally:
        subprocess.run(['ip', 'netns', 'del', name], capture_output=True, timeout=30)
    return None


def veth_pair(here, there, mtu=None):
    """Network namespaces `here` and `there` joined by a veth pair, v0 in `here` and v1 in
    `there`, both ends up (and at `mtu` when given)."""
    ip('netns', 'add', here)
    ip('netns', 'add', there)
    for ns in (here, there):
        ip('-n', ns, 'link', 'set', 'lo', 'up')
    ip('-n', here, 'link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1', 'netns', there)
    for ns, end in ((here, 'v0'), (there, 'v1')):
        if mtu:
            ip('-n', ns, 'link', 'set', end, 'mtu', str(mtu))
        ip('-n', ns, 'link', 'set', end, 'up')


def check_smaller_route(a, work, problems):
    here, there = f'ipfix-mtu-a-{os.getpid()}', f'ipfix-mtu-b-{os.getpid()}'
    try:
        veth_pair(here, there, mtu=1280)
        ip('-n', here, 'addr', 'add', '10.99.0.1/24', 'dev', 'v0')
        ip('-n', there, 'addr', 'add', '10.99.0.2/24', 'dev', 'v1')
        # Quiet for a while between the rounds (the reload): it waits for the second.
        far = collector(work, 'veth', '10.99.0.2', netns=there, idle_s=15)
        listen = check_live.free_udp_port()
        cfg = work / 'veth.yaml'
        write_config(cfg, a, listen, [('10.99.0.2', far.port, 'auto')])
        log_path = work / 'veth.log'
        d = daemon(a, cfg, log_path, netns=here)
        try:
            want = f'ipfix-enricher: collector 10.99.0.2:{far.port}: mtu auto -> 1280 (route mtu 1280)'
            if want not in ours(log_path):
                problems.append(f'veth: no line {want!r} in {ours(log_path)}')
            sender = [sys.executable, __file__, '--send', str(listen), str(MESSAGES), str(RECORDS_PER_MESSAGE)]
            subprocess.run(['ip', 'netns', 'exec', here] + sender, check=True, timeout=60)
            # The sink waits for the rest: SIGHUP once the first round is in, then the second.
            wait_for(lambda: sum(int(l.split()[1]) for l in far.path.read_text().splitlines()[1:])
                     >= MESSAGES * RECORDS_PER_MESSAGE, 'the first round at the sink')
            first = len(far.path.read_text().splitlines()) - 1
            ip('-n', here, 'link', 'set', 'v0', 'mtu', '1400')
            ip('-n', there, 'link', 'set', 'v1', 'mtu', '1400')
            d.proc.send_signal(signal.SIGHUP)
            want = f'ipfix-enricher: reload: collector 10.99.0.2:{far.port}: mtu auto -> 1400 (route mtu 1400)'
            wait_for(lambda: want in ours(log_path), f'{want!r} in the log')
            port = next(int(re.search(r':(\d+) ', l)[1]) for l in ours(log_path) if 'stats port on 127.0.0.1:' in l)
            fetch = ('import json, sys, urllib.request; print(json.dumps([c.get("mtu") for c in json.load(urllib.request'
                     f'.urlopen("http://127.0.0.1:{port}/api/v1/collectors", timeout=10))["collectors"]]))')
            shown = subprocess.run(['ip', 'netns', 'exec', here, sys.executable, '-c', fetch], capture_output=True,
                                   text=True, timeout=30).stdout.strip()
            if shown != '[1400]':
                problems.append(f'veth: /api/v1/collectors shows mtu {shown!r} after the reload, want [1400]')
            subprocess.run(['ip', 'netns', 'exec', here] + sender, check=True, timeout=60)
            results = far.results()
            rc = d.stop()
        finally:
            d.kill()
        before, after = summary_of(results[:first]), summary_of(results[first:])
        sent = MESSAGES * RECORDS_PER_MESSAGE
        if rc != 0:
            problems.append(f'veth: exit {rc}')
        if before['records'] != sent or not 0 < before['largest'] <= 1252:
            problems.append(f'veth at MTU 1280: {before}; want {sent} records, largest datagram <= 1252')
        if after['records'] != sent or not 1252 < after['largest'] <= 1372:
            problems.append(f'veth at MTU 1400 after the reload: {after}; want {sent} records, largest 1253..1372')
        print(f'veth: mtu 1280 {before}; after the reload at 1400 {after}')
    finally:
        for n in (here, there):
            subprocess.run(['ip', 'netns', 'del', n], capture_output=True, timeout=30)


DPDK_EAL = 'eal_args: ["--no-huge", "--no-pci", "--no-shconf", "-m", "256", "--log-level=lib.*:error"]'


def dpdk_config(path, a, port_mtu, collector_port, iface):
    path.write_text(check_live.config_head(a.db_dir, 2055) + f"""forwarding:
  collectors: [{{host: "10.98.0.2", port: {collector_port}, mtu: auto}}]
store: {{path: {path.parent}/store-{path.stem}}}
io:
  backend: dpdk
  {DPDK_EAL}
  dpdk:
    ports:
      - device: "net_af_packet0,iface={iface}"
        address: 10.98.0.1/24
        mtu: {port_mtu}
""")


def check_dpdk_port(a, work, problems):
    here, there = f'ipfix-mtu-c-{os.getpid()}', f'ipfix-mtu-d-{os.getpid()}'
    try:
        veth_pair(here, there)  # v0 at the kernel's 1500: the port's mtu is what sets it
        ip('-n', there, 'addr', 'add', '10.98.0.2/24', 'dev', 'v1')
        ip('-n', there, 'link', 'set', 'v1', 'mtu', '1280')  # the link's other end, as an operator would
        # Else the exporter's kernel leaves its UDP checksums to the "hardware" (veth), and the
        # port, reading frames off a packet socket, counts them bad.
        subprocess.run(['ip', 'netns', 'exec', there, 'ethtool', '-K', 'v1', 'tx', 'off'], check=True,
                       capture_output=True, timeout=30)
        far = collector(work, 'dpdk', '10.98.0.2', netns=there, idle_s=3)
        cfg = work / 'dpdk.yaml'
        dpdk_config(cfg, a, 1280, far.port, 'v0')
        log_path = work / 'dpdk.log'
        d = daemon(a, cfg, log_path, netns=here)
        try:
            want = f'ipfix-enricher: collector 10.98.0.2:{far.port}: mtu auto -> 1280 (port mtu 1280)'
            if want not in ours(log_path):
                problems.append(f'dpdk: no line {want!r} in {ours(log_path)}')
            shown = subprocess.run(['ip', '-n', here, '-o', 'link', 'show', 'v0'], capture_output=True, text=True,
                                   timeout=30).stdout
            if ' mtu 1280 ' not in shown:
                problems.append(f'dpdk: the port did not set its interface to mtu 1280: {shown.strip()}')
            # 40 records: 1,216-byte messages, unfragmented at 1280, over 1,252 once enriched.
            sender = [sys.executable, __file__, '--send', '2055', str(MESSAGES), '40', '10.98.0.1']
            subprocess.run(['ip', 'netns', 'exec', there] + sender, check=True, timeout=60)
            got = summary_of(far.results())
            rc = d.stop()
        finally:
            d.kill()
        sent = MESSAGES * 40
        if rc != 0:
            problems.append(f'dpdk: exit {rc}')
        # ~1,500-byte enriched messages split at the MTU: the first part within a record of it.
        if got['records'] != sent or not 1252 - 64 < got['largest'] <= 1252:
            problems.append(f'dpdk port mtu 1280: {got}; want {sent} records, largest datagram 1189..1252')
        print(f'dpdk: port mtu 1280 {got}')

        cfg = work / 'dpdk-too-large.yaml'
        dpdk_config(cfg, a, 9000, far.port, 'v0')
        r = subprocess.run(['ip', 'netns', 'exec', here, a.enricher, '-c', str(cfg)], capture_output=True, text=True,
                           timeout=STOP_TIMEOUT_S)
        want = re.compile(r'port net_af_packet0,iface=v0: mtu 9000 is not one the device takes: \d+ to 1500 '
                          r'\(frames of at most 1518 bytes\)')
        if r.returncode == 0 or not want.search(r.stderr):
            problems.append(f'dpdk port mtu 9000: exit {r.returncode}, stderr {r.stderr.strip()[-400:]!r}')
    finally:
        for n in (here, there):
            subprocess.run(['ip', 'netns', 'del', n], capture_output=True, timeout=30)


def main():
    if len(sys.argv) > 1 and sys.argv[1] == '--sink':
        sink(sys.argv[2], int(sys.argv[3]), sys.argv[4], float(sys.argv[5]), float(sys.argv[6]))
        return 0
    if len(sys.argv) > 1 and sys.argv[1] == '--send':
        send_traffic(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), host=sys.argv[5] if len(sys.argv) > 5 else '127.0.0.1')
        return 0
    ap = argparse.ArgumentParser()
    ap.add_argument('--enricher', required=True)
    ap.add_argument('--db-dir', required=True)
    a = ap.parse_args()
    problems = []
    with tempfile.TemporaryDirectory(prefix='ipfix-mtu-') as tmp:
        work = pathlib.Path(tmp)
        check_config(a, work, problems)
        check_loopback(a, work, problems)
        why = netns_usable()
        if why is None:
            check_smaller_route(a, work, problems)
            check_dpdk_port(a, work, problems)
        else:
            print(f'SKIPPED the smaller-route and dpdk parts (two network namespaces and a veth pair): {why}')
    for p in problems:
        print('FAIL:', p)
    print('FAIL' if problems else 'ok: mtu auto (config, loopback 9216, route MTU 1280 then 1400 on reload, dpdk port mtu)')
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
