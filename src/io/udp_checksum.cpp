#include "ipfix/io/udp_checksum.hpp"

#include <bit>
#include <cstring>

namespace ipfix::io {
namespace {

uint16_t fold(uint64_t sum) {
    while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
    return static_cast<uint16_t>(sum);
}

}  // namespace

uint16_t ones_complement_sum(std::span<const uint8_t> bytes, uint16_t sum) {
    // Words are added in host order, four bytes at a time into 64 bits (no carry is lost below
    // 2^32 words), and the folded result swapped to network order once: the one's-complement sum
    // is byte-order independent (RFC 1071 §2(B)) and 2^16 = 1 modulo 0xFFFF.
    const uint8_t* p = bytes.data();
    size_t n = bytes.size();
    uint64_t acc = 0;
    for (; n >= 4; p += 4, n -= 4) {
        uint32_t w;
        std::memcpy(&w, p, 4);
        acc += w;
    }
    uint8_t tail[4] = {};
    if (n) std::memcpy(tail, p, n);
    uint32_t w;
    std::memcpy(&w, tail, 4);
    acc += w;
    uint16_t s = fold(acc);
    if constexpr (std::endian::native == std::endian::little) s = static_cast<uint16_t>((s >> 8) | (s << 8));
    return fold(uint64_t{s} + sum);
}

uint16_t udp_checksum(const proto::ip_address& source, uint16_t source_port,
                      const proto::ip_address& destination, uint16_t destination_port,
                      std::span<const uint8_t> payload) {
    const size_t address_length = source.size();
    const uint32_t udp_length = static_cast<uint32_t>(8 + payload.size());
    // Pseudo-header: addresses, then protocol and UDP length (as words; for IPv6 they are 32-bit
    // fields, whose upper halves are zero and add nothing). Then the UDP header, checksum zero.
    uint64_t sum = uint64_t{17} + (udp_length & 0xFFFF) + (udp_length >> 16);
    sum += ones_complement_sum({source.bytes.data(), address_length});
    sum += ones_complement_sum({destination.bytes.data(), address_length});
    sum += uint64_t{source_port} + destination_port + (udp_length & 0xFFFF);
    const uint16_t total = ones_complement_sum(payload, fold(sum));
    const uint16_t field = static_cast<uint16_t>(~total);
    return field == 0 ? 0xFFFF : field;
}

}  // namespace ipfix::io
