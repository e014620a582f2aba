// Frames for the tests, built by an independent writer (Python struct, RFC 1071 checksum; the
// script is in the comment at the end) and kept as hex: peer 02:00:00:00:00:02 at 10.77.0.2 /
// 2001:db8:77::2, us 02:00:00:00:00:01 at 10.77.0.1 / 2001:db8:77::1, UDP port 2055.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace test_frames {

inline std::vector<uint8_t> bytes(std::string_view hex) {
    std::vector<uint8_t> out;
    for (size_t i = 0; i + 1 < hex.size(); i += 2) {
        auto nibble = [](char c) { return static_cast<uint8_t>(c <= '9' ? c - '0' : c - 'a' + 10); };
        out.push_back(static_cast<uint8_t>(nibble(hex[i]) << 4 | nibble(hex[i + 1])));
    }
    return out;
}

inline const std::vector<uint8_t> udp4_frame = bytes("0200000000010200000000020800450000270000400040116e71c00002070a4d00019c4108070013035e68656c6c6f206970666978");
inline const std::vector<uint8_t> udp4_out = bytes("02000000000202000000000108004500002700074000401126230a4d00010a4d00020807080800134f5068656c6c6f206970666978");
inline const std::vector<uint8_t> udp6_frame = bytes("02000000000102000000000286dd600000000013114020010db800770000000000000000000220010db80077000000000000000000019c4108070013735068656c6c6f206970666978");
inline const std::vector<uint8_t> udp6_out = bytes("02000000000202000000000186dd600000000013114020010db800770000000000000000000120010db8007700000000000000000002080708080013078a68656c6c6f206970666978");
inline const std::vector<uint8_t> arp_request_for_us = bytes("ffffffffffff020000000002080600010800060400010200000000020a4d00020000000000000a4d0001");
inline const std::vector<uint8_t> arp_reply_expected = bytes("020000000002020000000001080600010800060400020200000000010a4d00010200000000020a4d0002");
inline const std::vector<uint8_t> arp_request_expected = bytes("ffffffffffff020000000001080600010800060400010200000000010a4d00010000000000000a4d0002");
inline const std::vector<uint8_t> ns_for_us = bytes("3333ff00000102000000000286dd6000000000203aff20010db8007700000000000000000002ff0200000000000000000001ff00000187001b390000000020010db80077000000000000000000010101020000000002");
inline const std::vector<uint8_t> na_expected = bytes("02000000000202000000000186dd6000000000203aff20010db800770000000000000000000120010db80077000000000000000000028800890e6000000020010db80077000000000000000000010201020000000001");
inline const std::vector<uint8_t> ns_expected = bytes("3333ff00000202000000000186dd6000000000203aff20010db8007700000000000000000001ff0200000000000000000001ff00000287001b390000000020010db80077000000000000000000020101020000000001");

}  // namespace test_frames

/* The generator (python3):
import struct, ipaddress
def cs(data):
    if len(data)%2: data+=b'\0'
    s=sum(struct.unpack(f'!{len(data)//2}H',data))
    while s>>16: s=(s&0xFFFF)+(s>>16)
    return ~s&0xFFFF
OUR=bytes.fromhex('020000000001'); PEER=bytes.fromhex('020000000002')
def udp4(src,dst,sp,dp,payload,ident=0,flags=0x4000,ttl=64,dmac=OUR,smac=PEER):
    s,d=ipaddress.ip_address(src).packed,ipaddress.ip_address(dst).packed
    ul=8+len(payload)
    u=struct.pack('!HHHH',sp,dp,ul,0)+payload
    c=cs(s+d+struct.pack('!BBH',0,17,ul)+u) or 0xFFFF
    u=u[:6]+struct.pack('!H',c)+u[8:]
    ip=struct.pack('!BBHHHBBH4s4s',0x45,0,20+ul,ident,flags,ttl,17,0,s,d)
    ip=ip[:10]+struct.pack('!H',cs(ip))+ip[12:]
    return dmac+smac+b'\x08\x00'+ip+u
def udp6(src,dst,sp,dp,payload,dmac=OUR,smac=PEER):
    s,d=ipaddress.ip_address(src).packed,ipaddress.ip_address(dst).packed
    ul=8+len(payload)
    u=struct.pack('!HHHH',sp,dp,ul,0)+payload
    c=cs(s+d+struct.pack('!IxxxB',ul,17)+u) or 0xFFFF
    u=u[:6]+struct.pack('!H',c)+u[8:]
    ip=struct.pack('!IHBB16s16s',0x60000000,ul,17,64,s,d)
    return dmac+smac+b'\x86\xdd'+ip+u
def arp(op,smac,sip,tmac,tip,edst):
    return edst+smac+b'\x08\x06'+struct.pack('!HHBBH6s4s6s4s',1,0x0800,6,4,op,smac,ipaddress.ip_address(sip).packed,tmac,ipaddress.ip_address(tip).packed)
def nd(typ,smac,sip,dip,target,edst,opt,flags=0):
    s,d=ipaddress.ip_address(sip).packed,ipaddress.ip_address(dip).packed
    body=struct.pack('!BBHI16s',typ,0,0,flags,ipaddress.ip_address(target).packed)+struct.pack('!BB6s',opt,1,smac)
    c=cs(s+d+struct.pack('!IxxxB',len(body),58)+body)
    body=body[:2]+struct.pack('!H',c)+body[4:]
    ip=struct.pack('!IHBB16s16s',0x60000000,len(body),58,255,s,d)
    return edst+smac+b'\x86\xdd'+ip+body
def h(b): return ''.join(f'\\x{x:02x}' for x in b)
def arr(name,b):
    print(f'const std::vector<uint8_t> {name} = bytes("{b.hex()}");')
arr('udp4_frame', udp4('192.0.2.7','10.77.0.1',40001,2055,b'hello ipfix'))
arr('udp4_out', udp4('10.77.0.1','10.77.0.2',2055,2056,b'hello ipfix',ident=7,dmac=PEER,smac=OUR))
arr('udp6_frame', udp6('2001:db8:77::2','2001:db8:77::1',40001,2055,b'hello ipfix'))
arr('udp6_out', udp6('2001:db8:77::1','2001:db8:77::2',2055,2056,b'hello ipfix',dmac=PEER,smac=OUR))
arr('arp_request_for_us', arp(1,PEER,'10.77.0.2',b'\0'*6,'10.77.0.1',b'\xff'*6))
arr('arp_reply_expected', arp(2,OUR,'10.77.0.1',PEER,'10.77.0.2',PEER))
arr('arp_request_expected', arp(1,OUR,'10.77.0.1',b'\0'*6,'10.77.0.2',b'\xff'*6))
arr('ns_for_us', nd(135,PEER,'2001:db8:77::2','ff02::1:ff00:1','2001:db8:77::1',bytes.fromhex('3333ff000001'),1))
arr('na_expected', nd(136,OUR,'2001:db8:77::1','2001:db8:77::2','2001:db8:77::1',PEER,2,0x60000000))
arr('ns_expected', nd(135,OUR,'2001:db8:77::1','ff02::1:ff00:2','2001:db8:77::2',bytes.fromhex('3333ff000002'),1))
*/
