// Big-endian byte assembly for hand-made test messages. Deliberately shares no code with
// proto::message_writer or proto/byte_order.hpp, so tests of those can use it as the judge.
//
//   ipfix::test::byte_writer w;
//   w.u16(10).u32(0xC0000201).varlen("eth0");
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string_view>
#include <vector>

namespace ipfix::test {

// The address text as network-order bytes (4 or 16); throws std::invalid_argument on bad text.
std::vector<uint8_t> parse_ipv4(std::string_view text);
std::vector<uint8_t> parse_ipv6(std::string_view text);

// Appends values to a byte vector; every call returns the derived builder so calls chain.
template <class Self>
class basic_byte_writer {
public:
    Self& u8(uint8_t v) {
        bytes_.push_back(v);
        return self();
    }
    Self& u16(uint16_t v) { return uint(2, v); }
    Self& u32(uint32_t v) { return uint(4, v); }
    Self& u64(uint64_t v) { return uint(8, v); }
    // The low-order `len` bytes of v, most significant first (reduced-size encoding).
    Self& uint(size_t len, uint64_t v) {
        for (size_t i = len; i-- > 0;) bytes_.push_back(static_cast<uint8_t>(i >= 8 ? 0 : v >> (8 * i)));
        return self();
    }
    Self& bytes(std::span<const uint8_t> b) {
        bytes_.insert(bytes_.end(), b.begin(), b.end());
        return self();
    }
    Self& bytes(std::initializer_list<uint8_t> b) {
        bytes_.insert(bytes_.end(), b.begin(), b.end());
        return self();
    }
    Self& zeros(size_t n) {
        bytes_.insert(bytes_.end(), n, uint8_t{0});
        return self();
    }
    // Raw characters, no length prefix.
    Self& text(std::string_view s) {
        bytes_.insert(bytes_.end(), s.begin(), s.end());
        return self();
    }
    Self& ipv4(std::string_view a) { return bytes(parse_ipv4(a)); }
    Self& ipv6(std::string_view a) { return bytes(parse_ipv6(a)); }

    // A variable-length value (RFC 7011 §7): 1-byte length under 255, else 255 and a 2-byte length.
    Self& varlen(std::span<const uint8_t> v) {
        if (v.size() < 255) u8(static_cast<uint8_t>(v.size()));
        else u8(255).u16(static_cast<uint16_t>(v.size()));
        return bytes(v);
    }
    Self& varlen(std::string_view s) { return varlen(as_bytes(s)); }
    // The 3-byte length form even for a short value, which RFC 7011 §7 also allows.
    Self& varlen3(std::span<const uint8_t> v) {
        u8(255).u16(static_cast<uint16_t>(v.size()));
        return bytes(v);
    }
    Self& varlen3(std::string_view s) { return varlen3(as_bytes(s)); }

    size_t size() const { return bytes_.size(); }
    const std::vector<uint8_t>& buffer() const { return bytes_; }
    // Overwrites two bytes already written (lengths known only later, or deliberately wrong).
    void patch_u16(size_t at, uint16_t v) {
        bytes_.at(at) = static_cast<uint8_t>(v >> 8);
        bytes_.at(at + 1) = static_cast<uint8_t>(v);
    }
    void patch_u32(size_t at, uint32_t v) {
        patch_u16(at, static_cast<uint16_t>(v >> 16));
        patch_u16(at + 2, static_cast<uint16_t>(v));
    }

protected:
    static std::span<const uint8_t> as_bytes(std::string_view s) {
        return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
    }
    Self& self() { return static_cast<Self&>(*this); }

    std::vector<uint8_t> bytes_;
};

class byte_writer : public basic_byte_writer<byte_writer> {
public:
    std::vector<uint8_t> take() { return std::move(bytes_); }
};

}  // namespace ipfix::test
