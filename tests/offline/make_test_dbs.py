#!/usr/bin/env python3
"""Builds the databases of the offline golden tests into a directory:

  make_test_dbs.py --asdb PATH/ipfix-asdb --country-writer write_country_mmdb.pl --out DIR

asn.csv -> asn.mmdb with ipfix-asdb (the tool operators use), and country.mmdb with MaxMind's
Perl writer. The ranges cover the corpus' addresses with a handful of ASes: 16-bit and 32-bit
(> 65535, so that v5 and 2-byte fields get AS_TRANS), more-specific prefixes inside ranges,
an organisation with non-ASCII UTF-8, an AS without an organisation, and gaps (not found).
Country prefixes cut across the AS ranges, with gaps of their own.
"""
import argparse
import subprocess
import sys
from pathlib import Path

# first_ip,last_ip,asn[,org]  or  prefix,asn[,org]  (ipfix-asdb input, range_input.hpp)
ASN_CSV = """\
# offline golden tests: AS ranges (see make_test_dbs.py)
1.0.0.0,9.255.255.255,3356,Level 3 Parent LLC
8.8.8.0/24,15169,Google LLC
10.0.0.0,10.127.255.255,396982,Google Cloud 32-bit
11.0.0.0,90.255.255.255,3320,Deutsche Telekom AG
91.0.0.0,93.255.255.255,200000,Thirty-Two Bit Networks Ltd
93.184.216.0/24,15133,Edgecast Inc.
128.0.0.0,171.255.255.255,2914,NTT America Inc.
172.16.0.0,172.31.255.255,263075,Télécom Réseau Ünïcode
172.32.0.0,191.255.255.255,7018,AT&T Services Inc.
192.0.0.0,192.167.255.255,13335,Cloudflare Inc.
192.168.0.0,192.168.255.255,131072,APNIC 32-bit Test
200.0.0.0,223.255.255.255,174
2000::,2001:fff:ffff:ffff:ffff:ffff:ffff:ffff,6939,Hurricane Electric LLC
2001:1000::,2001:4fff:ffff:ffff:ffff:ffff:ffff:ffff,3303,Swisscom (Schweiz) AG
2001:4d98::/32,327680,Init7 32-bit
2a00::,2a0f:ffff:ffff:ffff:ffff:ffff:ffff:ffff,4199999999,Edge Of Range Networks
"""
# Gaps (not found): 0/8, 10.128/9, 94-127, 172.0/12, 192.169-199, 224-255, ::/3 except the
# IPv4 subtree, 2001:5000::-1fff:..., 2a10::-, fe80::/10, ff00::/8.

COUNTRIES = [  # cidr, iso code; shorter prefixes first
    ('0.0.0.0/2', 'US'),
    ('64.0.0.0/2', 'GB'),
    ('128.0.0.0/2', 'DE'),
    ('192.0.0.0/8', 'FR'),
    ('192.168.0.0/16', 'CH'),
    ('200.0.0.0/5', 'BR'),
    ('2000::/3', 'NL'),
    ('2001:4d98::/32', 'CH'),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--asdb', required=True)
    ap.add_argument('--country-writer', required=True)
    ap.add_argument('--out', required=True)
    a = ap.parse_args()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / 'asn.csv').write_text(ASN_CSV, encoding='utf-8')
    p = subprocess.run([a.asdb, 'build', str(out / 'asn.mmdb'), str(out / 'asn.csv')], capture_output=True,
                       text=True, timeout=120)
    if p.returncode != 0:
        sys.exit(f'ipfix-asdb build failed ({p.returncode}): {p.stderr}')
    text = ''.join(f'{cidr}\t{iso}\n' for cidr, iso in COUNTRIES)
    p = subprocess.run(['perl', a.country_writer, str(out / 'country.mmdb')], input=text, capture_output=True,
                       text=True, timeout=120)
    if p.returncode != 0:
        sys.exit(f'country database writer failed ({p.returncode}): {p.stderr}')
    print(f'wrote {out / "asn.mmdb"} and {out / "country.mmdb"}')


if __name__ == '__main__':
    main()
