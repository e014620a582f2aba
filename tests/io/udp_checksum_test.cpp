#include <catch2/catch.hpp>
#include <cstdint>
#include <random>
#include <vector>

#include "ipfix/io/udp_checksum.hpp"
#include "loopback.hpp"

using namespace ipfix::io;
using io_test::ip;

namespace {

// The plain definition, one big-endian word at a time, to judge the fast one.
uint16_t reference_sum(const std::vector<uint8_t>& bytes) {
    uint32_t sum = 0;
    for (size_t i = 0; i < bytes.size(); i += 2)
        sum += static_cast<uint32_t>(bytes[i] << 8) + (i + 1 < bytes.size() ? bytes[i + 1] : 0);
    while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
    return static_cast<uint16_t>(sum);
}

}  // namespace

TEST_CASE("RFC 1071 one's-complement sum", "[io][checksum]") {
    // RFC 1071 §3's example: 0001 + f203 + f4f5 + f6f7 = 2ddf0, folded ddf2.
    const std::vector<uint8_t> rfc = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    CHECK(ones_complement_sum(rfc) == 0xddf2);
    CHECK(internet_checksum(rfc) == 0x220d);
    // An odd last byte is the high byte of a word: 0001 + f200.
    const std::vector<uint8_t> odd = {0x00, 0x01, 0xf2};
    CHECK(ones_complement_sum(odd) == 0xf201);
    // End-around carry: ffff + 0001 = 1 0000 -> 0001.
    const std::vector<uint8_t> carry = {0xff, 0xff, 0x00, 0x01};
    CHECK(ones_complement_sum(carry) == 0x0001);
    CHECK(ones_complement_sum({}) == 0);
    // Chaining: the sum of two even pieces equals the sum of the whole.
    CHECK(ones_complement_sum(std::span(rfc).subspan(4), ones_complement_sum(std::span(rfc).first(4))) == 0xddf2);
}

TEST_CASE("IPv4 header checksum", "[io][checksum]") {
    // The usual worked example: 192.168.0.1 -> 192.168.0.199, UDP, total length 0x73, DF.
    std::vector<uint8_t> header = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                                   0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
    CHECK(internet_checksum(header) == 0xb861);
    header[10] = 0xb8;
    header[11] = 0x61;
    CHECK(internet_checksum(header) == 0);  // a header with its checksum sums to ffff
}

TEST_CASE("fast sum agrees with the word-by-word definition", "[io][checksum]") {
    std::mt19937 random(7);
    for (size_t length = 0; length < 300; ++length) {
        std::vector<uint8_t> bytes(length);
        for (auto& b : bytes) b = static_cast<uint8_t>(random());
        INFO("length " << length);
        CHECK(ones_complement_sum(bytes) == reference_sum(bytes));
    }
    std::vector<uint8_t> big(65507, 0xFF);  // the largest payload, all ones: carries everywhere
    CHECK(ones_complement_sum(big) == reference_sum(big));
}

TEST_CASE("UDP checksum over the pseudo-header", "[io][checksum]") {
    const std::vector<uint8_t> abc = {'a', 'b', 'c'};
    // By hand: pseudo-header c000 + 0201 + c633 + 6402 + 0011 + 000b, UDP header 04d2 + 0807 +
    // 000b + 0000, payload 6162 + 6300: 2bd98, folded bd9a, inverted 4265.
    CHECK(udp_checksum(ip("192.0.2.1"), 1234, ip("198.51.100.2"), 2055, abc) == 0x4265);
    // IPv6 (32-bit length and next header in the pseudo-header); checked with a Python script.
    CHECK(udp_checksum(ip("2001:db8::1"), 1234, ip("2001:db8::2"), 2055, abc) == 0xd327);
    // An empty datagram.
    CHECK(udp_checksum(ip("10.0.0.1"), 0, ip("10.0.0.2"), 0, {}) == 0xebdb);
    // 1281 bytes from 127.0.0.9:4321 (the raw sender test's endpoints); Python script.
    std::vector<uint8_t> long_payload;
    for (int r = 0; r < 5; ++r)
        for (int b = 0; b < 256; ++b) long_payload.push_back(static_cast<uint8_t>(b));
    long_payload.push_back('x');
    CHECK(udp_checksum(ip("127.0.0.9"), 4321, ip("127.0.0.1"), 2055, long_payload) == 0xa5aa);
    // Whose sum is ffff, so the computed checksum is 0: sent as ffff (0 means "none").
    const std::vector<uint8_t> zero_case = {0xeb, 0xd7};
    CHECK(udp_checksum(ip("10.0.0.1"), 0, ip("10.0.0.2"), 0, zero_case) == 0xFFFF);
}

TEST_CASE("a datagram with its UDP checksum sums to ffff", "[io][checksum]") {
    std::mt19937 random(11);
    for (const char* family : {"4", "6"}) {
        const bool v4 = family[0] == '4';
        const auto src = ip(v4 ? "203.0.113.77" : "2001:db8:1::77");
        const auto dst = ip(v4 ? "198.51.100.3" : "2001:db8:2::3");
        for (size_t length : {0u, 1u, 2u, 3u, 57u, 1400u, 1401u, 9000u}) {
            std::vector<uint8_t> p(length);
            for (auto& b : p) b = static_cast<uint8_t>(random());
            const uint16_t c = udp_checksum(src, 50000, dst, 4739, p);
            // Receiver's view: pseudo-header + header with checksum + payload.
            std::vector<uint8_t> all(src.bytes.begin(), src.bytes.begin() + static_cast<long>(src.size()));
            all.insert(all.end(), dst.bytes.begin(), dst.bytes.begin() + static_cast<long>(dst.size()));
            const auto udp_length = static_cast<uint16_t>(8 + length);
            const uint8_t tail[] = {0, 17, uint8_t(udp_length >> 8), uint8_t(udp_length), 0xc3, 0x50, 0x12, 0x83,
                                    uint8_t(udp_length >> 8), uint8_t(udp_length), uint8_t(c >> 8), uint8_t(c)};
            all.insert(all.end(), std::begin(tail), std::end(tail));
            all.insert(all.end(), p.begin(), p.end());
            INFO("IPv" << family << " length " << length);
            CHECK(reference_sum(all) == 0xFFFF);
        }
    }
}
