#!/usr/bin/env python3
"""general.log_level is real: lines below it are not written, a reload applies a new level at
once, and when stderr is the journal (JOURNAL_STREAM names it) each line carries its syslog
priority ("<6>" info, "<4>" warning) for `journalctl -p`. Readiness comes from sd_notify on a
socket of this test, since the "listening on" line is itself an info line.

  check_log_level.py --enricher E --db-dir DIR
"""
import argparse
import os
import pathlib
import signal
import socket
import subprocess
import sys
import tempfile

NOTIFY_TIMEOUT_S = 30
STOP_TIMEOUT_S = 30
RESTART_LINE = 'ipfix-enricher: reload: general.listen_* changed; takes effect after a restart'


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def write_config(path, a, level, listen_port, collector_port):
    path.write_text(f"""
general: {{listen_address: 127.0.0.1, listen_port: {listen_port}, stats_port: 0, log_level: {level}}}
enrichment:
  asn_database: {a.db_dir}/asn.mmdb
  country_database: {a.db_dir}/country.mmdb
forwarding:
  collectors: [{{host: 127.0.0.1, port: {collector_port}}}]
store: {{path: {path.parent}/store}}
""")


def wait_notify(sock, want, proc):
    """Reads sd_notify datagrams until one holds `want` (bounded by the socket's timeout)."""
    for _ in range(100):
        try:
            msg = sock.recv(4096).decode(errors='replace')
        except socket.timeout:
            raise RuntimeError(f'no {want} from ipfix-enricher (exit {proc.poll()})')
        if want in msg.split('\n'):
            return
    raise RuntimeError(f'no {want} among 100 notifications')


def run(a, work, first_level, second_level, journal):
    """Starts the daemon at first_level, reloads at second_level with the listen port changed
    (a warning), stops it; returns (exit status, log lines before the reload, after it)."""
    cfg, dlog = work / f'{first_level}.yaml', work / f'{first_level}-{journal}.log'
    listen, collector = free_udp_port(), free_udp_port()
    write_config(cfg, a, first_level, listen, collector)
    notify_path = str(work / 'notify.sock')
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as notify:
        notify.bind(notify_path)
        notify.settimeout(NOTIFY_TIMEOUT_S)
        env = dict(os.environ, NOTIFY_SOCKET=notify_path)
        env.pop('JOURNAL_STREAM', None)
        out = open(dlog, 'w')
        if journal:
            st = os.fstat(out.fileno())
            env['JOURNAL_STREAM'] = f'{st.st_dev}:{st.st_ino}'
        daemon = subprocess.Popen([a.enricher, '-c', cfg], stdout=subprocess.DEVNULL, stderr=out, env=env,
                                  start_new_session=True)
        try:
            wait_notify(notify, 'READY=1', daemon)
            before = ours(dlog)
            write_config(cfg, a, second_level, free_udp_port(), collector)
            daemon.send_signal(signal.SIGHUP)
            wait_notify(notify, 'RELOADING=1', daemon)
            wait_notify(notify, 'READY=1', daemon)
            daemon.send_signal(signal.SIGTERM)
            rc = daemon.wait(timeout=STOP_TIMEOUT_S)
        finally:
            if daemon.poll() is None:
                os.killpg(daemon.pid, signal.SIGKILL)
                daemon.wait(timeout=STOP_TIMEOUT_S)
            out.close()
        os.unlink(notify_path)
    lines = ours(dlog)
    return rc, before, lines[len(before):]


def ours(path):
    """The daemon's own lines (DPDK's EAL writes to stderr as well, outside our levels)."""
    return [l for l in pathlib.Path(path).read_text(errors='replace').splitlines() if 'ipfix-enricher: ' in l]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--enricher', required=True)
    ap.add_argument('--db-dir', required=True)
    a = ap.parse_args()
    problems = []
    with tempfile.TemporaryDirectory(prefix='ipfix-loglevel-') as tmp:
        work = pathlib.Path(tmp)
        # warning: nothing at start (the "listening on" line is info); after the reload to
        # error, the warning about the listen port is not written either, nor the stop's lines.
        rc, before, after = run(a, work, 'warning', 'error', False)
        if rc != 0 or before != [] or after != []:
            problems.append(f'warning -> error: exit {rc}, before the reload {before}, after {after}')
        # warning -> warning: only the warning, exactly.
        rc, before, after = run(a, work, 'warning', 'warning', False)
        if rc != 0 or before != [] or after != [RESTART_LINE]:
            problems.append(f'warning -> warning: exit {rc}, before the reload {before}, after {after}')
        # info in the journal: "<6>" lines at start; the reload to warning applies at once, so
        # its own warning is the one line after it, with "<4>".
        rc, before, after = run(a, work, 'info', 'warning', True)
        if rc != 0 or not before or not all(l.startswith('<6>ipfix-enricher: ') for l in before) or \
                not any(l.startswith('<6>ipfix-enricher: listening on ') for l in before) or \
                after != ['<4>' + RESTART_LINE]:
            problems.append(f'info -> warning in the journal: exit {rc}, before the reload {before}, after {after}')
        # info on a plain stderr (JOURNAL_STREAM not set): no prefixes, the reload's info line too.
        rc, before, after = run(a, work, 'info', 'info', False)
        if rc != 0 or not any(l.startswith('ipfix-enricher: listening on ') for l in before) or \
                any(l.startswith('<') for l in before + after) or after[:1] != [RESTART_LINE] or \
                not any(l.startswith('ipfix-enricher: reload: AS databases loaded (') for l in after) or \
                not any(l.startswith('ipfix-enricher: stopping: draining and flushing') for l in after):
            problems.append(f'info -> info: exit {rc}, before the reload {before}, after {after}')
    for p in problems:
        print('FAIL:', p)
    print('FAIL' if problems else 'ok: log levels (warning, error, info; journal prefixes; live reload)')
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
