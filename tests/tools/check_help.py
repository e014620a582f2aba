#!/usr/bin/env python3
"""Each operator tool's --help is a man-style usage: it exits 0 and has SYNOPSIS, DESCRIPTION,
EXIT STATUS and EXAMPLES sections, the tool's name in its synopsis, and the usage exit status
its EXIT STATUS section names for a bad option (which it then returns).

  check_help.py NAME=PATH...      e.g. ipfix-tail=build/tools/ipfix-tail
"""
import re
import subprocess
import sys

SECTIONS = ('SYNOPSIS', 'DESCRIPTION', 'EXIT STATUS', 'EXAMPLES')


def check(name, path):
    problems = []
    p = subprocess.run([path, '--help'], capture_output=True, text=True, timeout=30)
    text = p.stdout
    if p.returncode != 0:
        problems.append(f'--help: exit {p.returncode}')
    for section in SECTIONS:
        if f'\n{section}\n' not in text:
            problems.append(f'--help: no {section} section')
    synopsis = text.split('\nSYNOPSIS\n', 1)[-1].split('\n\n', 1)[0]
    if not re.search(rf'^  {re.escape(name)}( |$)', synopsis, re.M):
        problems.append(f'--help: SYNOPSIS does not start a line with {name}: {synopsis!r}')
    status = text.split('\nEXIT STATUS\n', 1)[-1].split('\n\n', 1)[0]
    m = re.search(r'(\d+)[^;,]*?\b(bad usage|bad options)', status)
    if not m:
        problems.append(f'--help: EXIT STATUS names no usage status: {status!r}')
    else:
        bad = subprocess.run([path, '--no-such-option'], capture_output=True, text=True, timeout=30)
        if bad.returncode != int(m.group(1)):
            problems.append(f'--no-such-option: exit {bad.returncode}, its EXIT STATUS says {m.group(1)}')
        if not bad.stderr.strip():
            problems.append('--no-such-option: nothing said on stderr')
    for line in problems:
        print(f'FAIL: {name} {line}')
    return not problems


def main():
    tools = [a.split('=', 1) for a in sys.argv[1:]]
    ok = all([check(name, path) for name, path in tools])
    print(f'{"ok" if ok else "FAIL"}: --help of {", ".join(n for n, _ in tools)}')
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
