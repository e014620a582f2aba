#!/usr/bin/env python3
"""Asserts decoded values that the corpus' source projects state in their own tests, against
ipfix-dump --json. The upstream test files are not copied into this repository; each case cites
the file (upstream path, commit as in /work/shared/corpus/INDEX.md) and the lines that state the
values. Record numbers below are 0-based positions in ipfix-dump's output for the capture, which
follow the upstream tests' own numbering where they decode the same datagrams.

  expected_values.py --dump PATH/ipfix-dump --corpus tests/corpus
"""
import argparse
import json
import subprocess
import sys
from pathlib import Path

LOGSTASH = 'logstash-plugins/logstash-codec-netflow spec/codecs/netflow_spec.rb @a4e9621385e8'
GRAYLOG_V5 = 'Graylog2/graylog-plugin-netflow src/test/java/.../NetFlowV5ParserTest.java @752c5ebfd288'
GRAYLOG_V9 = 'Graylog2/graylog-plugin-netflow src/test/java/.../NetFlowV9ParserTest.java @752c5ebfd288'
GOFLOW2 = 'netsampler/goflow2 decoders/netflow/netflow_test.go @6d92c9e4b9ff'
GOFLOW2_V5 = 'netsampler/goflow2 decoders/netflowlegacy/netflow_test.go @6d92c9e4b9ff'
FLUENT = 'repeatedly/fluent-plugin-netflow test/test_parser_netflow9.rb @a12092128406'


def text(s):
    """An element our registry does not name is printed as hex: the bytes of this text."""
    return s.encode().hex()


def mpls_label(label):
    """An MPLS label stack entry (3 bytes: label, exp, bottom-of-stack) holding `label`."""
    return lambda v: isinstance(v, str) and len(v) == 6 and int(v, 16) >> 4 == label


# (capture, citation, expected record count or None, [(record index, {field: value or predicate})])
CASES = [
    ('logstash-codec-netflow/netflow5.pcap',
     # The spec decodes the first of the 12 datagrams in the file: its 2 records.
     f'{LOGSTASH} L110-122 (context "Netflow 5 valid 01")', 30, [
         (0, {'version': 5, 'sourceIPv4Address': '10.0.2.2', 'destinationIPv4Address': '10.0.2.15',
              'sourceTransportPort': 54435, 'destinationTransportPort': 22, 'tcpControlBits': 16}),
         (1, {'sourceIPv4Address': '10.0.2.15', 'destinationIPv4Address': '10.0.2.2',
              'sourceTransportPort': 22, 'destinationTransportPort': 54435, 'tcpControlBits': 24}),
     ]),
    ('logstash-codec-netflow/netflow5.pcap',
     # graylog's netflow-v5-1.dat is byte-identical to logstash's netflow5.dat (INDEX.md row 158).
     f'{GRAYLOG_V5} L47 (unixSecs), L54-71 (record 1), L74-92 (record 2)', None, [
         (0, {'export_time': 1430591888, 'octetDeltaCount': 230, 'packetDeltaCount': 5,
              'flowStartSysUpTime': 4294967295, 'flowEndSysUpTime': 2577, 'ipNextHopIPv4Address': '0.0.0.0'}),
         (1, {'octetDeltaCount': 304, 'packetDeltaCount': 4, 'flowEndSysUpTime': 2577}),
     ]),
    ('graylog-plugin-netflow/netflow-v5-2.pcap',
     f'{GRAYLOG_V5} L102-105 (header), L108-127 (first record)', 30, [
         (0, {'export_time': 1369017138, 'destinationIPv4Address': '192.168.124.20',
              'sourceIPv4Address': '14.63.211.15', 'sourceTransportPort': 80, 'destinationTransportPort': 47994,
              'octetDeltaCount': 317221, 'packetDeltaCount': 110, 'tcpControlBits': 27,
              'flowStartSysUpTime': 202473, 'flowEndSysUpTime': 202992}),
     ]),
    ('logstash-codec-netflow/netflow9_test_valid01.pcap',
     f'{LOGSTASH} L171-190, L199 (context "Netflow 9 valid 01")', 7, [
         (0, {'version': 9, 'sequence': 1, 'template': 1024, 'sourceIPv4Address': '172.16.32.100',
              'destinationIPv4Address': '172.16.32.248', 'octetDeltaCount': 76, 'packetDeltaCount': 1,
              'sourceTransportPort': 123, 'destinationTransportPort': 123, 'protocolIdentifier': 17,
              'ipVersion': 4}),
     ]),
    ('logstash-codec-netflow/netflow9_test_cisco_asa_1.pcap',
     # Cisco's NSEL field types (40001 xlate_src_addr_ipv4, 40005 fw_event, 33002 fw_ext_event) are
     # not in our registry: printed as hex under "0/ID".
     f'{LOGSTASH} L311-335, L348-349 (context "Netflow 9 Cisco ASA")', 14, [
         (1, {'sequence': 662, 'template': 265, 'flowId': 8501, 'sourceIPv4Address': '192.168.23.22',
              'sourceTransportPort': 17549, 'destinationIPv4Address': '164.164.37.11', 'icmpTypeIPv4': 8,
              '0/40001': 'c0a81716', '0/40005': '02', '0/33002': '07e9', 'octetTotalCount': 56,
              'observationTimeMilliseconds': 1444384070179, 'flowStartMilliseconds': 1444384068169}),
     ]),
    ('logstash-codec-netflow/ipfix.pcap',
     # The spec decodes the first of the 3 IPFIX messages in the file: its 7 records.
     f'{LOGSTASH} L504-509, L675-698 (context "IPFIX")', 13, [
         (0, {'version': 10, 'options': True, 'meteringProcessId': 2679,
              'systemInitTimeMilliseconds': 1431516013506, 'selectorAlgorithm': 1, 'samplingPacketInterval': 1}),
         (1, {'sourceIPv4Address': '192.168.253.1', 'destinationIPv4Address': '192.168.253.128',
              'sourceTransportPort': 60560, 'destinationTransportPort': 22, 'protocolIdentifier': 6,
              'tcpControlBits': 16}),
         (3, {'sourceIPv4Address': '192.168.253.2', 'destinationIPv4Address': '192.168.253.132',
              'sourceTransportPort': 53, 'destinationTransportPort': 35262, 'protocolIdentifier': 17}),
         (5, {'sourceIPv4Address': '54.214.9.161', 'sourceTransportPort': 443, 'tcpControlBits': 26}),
     ]),
    ('logstash-codec-netflow/netflow9_test_h3c.pcap',
     f'{LOGSTASH} L1020-1051 (json_events[0] = decode[15]), L1061-1063 (context "Netflow 9 H3C")', 16, [
         (11, {'dstTrafficIndex': 4294967295, 'srcTrafficIndex': 0}),
         (15, {'sequence': 60342277, 'sourceIPv4Address': '10.22.166.36', 'destinationIPv4Address': '10.21.75.38',
               'ipNextHopIPv4Address': '10.21.17.78', 'octetDeltaCount': 5092, 'packetDeltaCount': 9,
               'ingressInterface': 2662, 'egressInterface': 1743, 'sourceIPv4PrefixLength': 24}),
     ]),
    ('logstash-codec-netflow/netflow9_test_iptnetflow_reduced_size_encoding_tpldata260.pcap',
     f'{LOGSTASH} L966-990, L1000-1002 (context "Netflow 9 ipt_netflow reduced size encoding")', 12, [
         (11, {'sequence': 344481, 'destinationMacAddress': '00:1b:21:bc:24:dd', 'sourceMacAddress': '90:e2:ba:23:09:fc',
               'sourceIPv4Address': '2.17.140.47', 'destinationIPv4Address': '10.233.150.21',
               'octetDeltaCount': 187, 'packetDeltaCount': 3, 'tcpOptions': 2164260864,
               'sourceTransportPort': 443, 'destinationTransportPort': 38164, 'ipNextHopIPv4Address': '10.232.5.1'}),
     ]),
    ('logstash-codec-netflow/ipfix_test_juniper_mx240_junos151r6s3.pcap',
     f'{LOGSTASH} L1405-1420, L1426-1427 (context "IPFIX options template from Juniper MX240")', 1, [
         (0, {'options': True, 'exporterIPv4Address': '10.0.0.1', 'samplingInterval': 1000,
              'flowActiveTimeout': 60, 'flowIdleTimeout': 60, 'exportedFlowRecordTotalCount': 76,
              'systemInitTimeMilliseconds': 1262761598000, 'exporterIPv6Address': '::'}),
     ]),
    ('logstash-codec-netflow/ipfix_test_procera.pcap',
     # PEN 15397 (Procera) is not in our registry: its strings are printed as hex.
     f'{LOGSTASH} L1494-1520, L1530-1532 (context "IPFIX Procera")', 8, [
         (7, {'sourceIPv4Address': '138.44.161.14', 'destinationIPv4Address': '138.44.161.13',
              'destinationTransportPort': 179, 'bgpSourceAsNumber': 7575, '15397/2': text('BGP-4'),
              '15397/15': text('INTERACTIVE,CLIENT_IS_LOCAL,INBOUND,ESTABLISHED,ACTIVE'),
              '15397/47': text('IPFIX')}),
     ]),
    ('logstash-codec-netflow/ipfix_test_netscaler.pcap',
     f'{LOGSTASH} L2097-2109, L2120-2129, L2133 (context "IPFIX Netscaler with variable length fields")', 3, [
         (0, {'sourceIPv4Address': '192.168.0.1', 'destinationIPv4Address': '10.0.0.1',
              'connectionId': 14460661, 'connectionChainID': '00e0ed1c9ca80300efb4255884850600'}),
         (1, {'flowId': 14460662, 'observationPointId': 167954698, 'flowFlags': 1157636096, 'roundTripTime': 83}),
         (2, {'appUnitNameAppId': 239927296, 'httpReqXForwardedFor': '11.222.33.255',
              'httpReqUrl': '/aa/bb/ccccc/ddddddddddddddddddddddddd', 'httpReqHost': 'www.kobo.com',
              'httpReqUserAgent': 'Mozilla/5.0 (Commodore 64;  kobo.com) Gecko/20100101 Firefox/75.0',
              # longer than 255 bytes: the 3-byte length prefix (L2128-2129)
              'httpReqCookie': lambda v: isinstance(v, str) and len(v) > 255 and v.startswith('beer=1234')
              and v.endswith('LastPadding=aaaaaaaaaaaaabbbbbbbbbbbbbbbbbbbbcccccccccccccccccccdddddddddddeeeeeeee')}),
     ]),
    ('goflow2/decoders_netflow_netflow_test.pcap',
     f'{GOFLOW2} L209-320 (header, first record of template 260)', 21, [
         (0, {'version': 9, 'export_time': 1636475816, 'sequence': 838987420, 'domain': 256, 'template': 260,
              'packetDeltaCount': 1, 'octetDeltaCount': 1500, 'sourceIPv4Address': '198.38.120.222',
              'destinationIPv4Address': '88.121.217.208', 'ingressInterface': 354, 'egressInterface': 304,
              'sourceTransportPort': 443, 'destinationTransportPort': 15184, 'bgpNextHopIPv4Address': '252.223.0.0',
              'sourceIPv4PrefixLength': 24, 'destinationIPv4PrefixLength': 14}),
     ]),
    ('goflow2/decoders_netflowlegacy_netflow_test__data.pcap',
     f'{GOFLOW2_V5} L36-37', 6, [
         (0, {'version': 5, 'ingressInterface': 9}),
     ]),
    ('graylog-plugin-netflow/netflow-v9-2.pcap',
     f'{GRAYLOG_V9} L55-60 (header of the first datagram), L93-99, L102 (context testParse)', 3, [
         (0, {'options': True, 'sequence': 0, 'export_time': 1369122709, 'domain': 106}),
         (1, {'octetDeltaCount': 2818, 'packetDeltaCount': 8, 'sourceIPv4Address': '192.168.124.1',
              'destinationIPv4Address': '239.255.255.250', 'sourceTransportPort': 3072,
              'destinationTransportPort': 1900, 'protocolIdentifier': 17}),
     ]),
    ('fluent-plugin-netflow/netflow.v9.pcap',
     f'{FLUENT} L72-102 (test "parse netflow v9 binary data")', 1, [
         (0, {'sequence': 4645895, 'template': 260, 'packetDeltaCount': 1, 'octetDeltaCount': 60,
              'sourceIPv4Address': '192.168.0.1', 'destinationIPv4Address': '192.168.0.2', 'ingressInterface': 54,
              'egressInterface': 29, 'sourceTransportPort': 80, 'destinationTransportPort': 32822,
              'bgpDestinationAsNumber': 65000, 'bgpNextHopIPv4Address': '192.168.0.3', 'tcpControlBits': 0x12,
              'forwardingStatus': 0b01000000, 'samplerId': 1, 'ingressVRFID': 1610612736}),
     ]),
    ('fluent-plugin-netflow/netflow.v9.sampler.pcap',
     # fluent's sampling_algorithm / sampling_interval are v9 fields 49 and 50 (IANA samplerMode,
     # samplerRandomInterval).
     f'{FLUENT} L161-162 (test "parse netflow v9 binary data after sampler data is cached")', 1, [
         (0, {'options': True, 'samplerMode': 2, 'samplerRandomInterval': 5000}),
     ]),
    ('fluent-plugin-netflow/netflow.v9.mpls.pcap',
     f'{FLUENT} L220-222 (test "parse netflow v9 binary data contains mpls information")', 1, [
         (0, {'mplsTopLabelStackSection': mpls_label(24002), 'sourceIPv4Address': '192.168.32.100',
              'destinationIPv4Address': '172.16.32.2'}),
     ]),
]


def records_of(dump, capture):
    proc = subprocess.run([dump, '--json', str(capture)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f'ipfix-dump exited {proc.returncode}: {proc.stderr}')
    return [json.loads(line) for line in proc.stdout.splitlines()]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--dump', required=True)
    ap.add_argument('--corpus', required=True, type=Path)
    args = ap.parse_args()

    failures, checked = 0, 0
    for capture, cite, count, expectations in CASES:
        records = records_of(args.dump, args.corpus / capture)
        problems = []
        if count is not None and len(records) != count:
            problems.append(f'{len(records)} records, expected {count}')
        for index, fields in expectations:
            if index >= len(records):
                problems.append(f'record {index} missing')
                continue
            for name, want in fields.items():
                got = records[index].get(name)
                ok = want(got) if callable(want) else (got == want and type(got) is type(want))
                checked += 1
                if not ok:
                    problems.append(f'record {index} {name}: {got!r}, expected {want if not callable(want) else "(see case)"}')
        print(f'{capture}: {"ok" if not problems else "FAILED"} ({cite})')
        for p in problems:
            print(f'  {p}')
        failures += bool(problems)
    print(f'{checked} values checked in {len(CASES)} cases; {failures} failed')
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
