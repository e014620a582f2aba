#include "value_render.hpp"

#include <arpa/inet.h>

#include <bit>
#include <cmath>
#include <cstring>

#include "ipfix/proto/byte_order.hpp"

namespace ipfix::dump {
namespace {

using proto::ie_type;

constexpr char hex_digits[] = "0123456789abcdef";

void append(fmt::memory_buffer& out, std::string_view s) { out.append(s.data(), s.data() + s.size()); }

void render_hex(std::span<const uint8_t> v, fmt::memory_buffer& out) {
    out.push_back('"');
    for (uint8_t b : v) {
        out.push_back(hex_digits[b >> 4]);
        out.push_back(hex_digits[b & 0x0F]);
    }
    out.push_back('"');
}

void render_unsigned(std::span<const uint8_t> v, fmt::memory_buffer& out) {
    fmt::format_to(std::back_inserter(out), "{}", proto::load_uint(v.data(), v.size()));
}

void render_signed(std::span<const uint8_t> v, fmt::memory_buffer& out) {
    uint64_t u = proto::load_uint(v.data(), v.size());
    // Reduced-size encoding keeps the low-order bytes: extend the sign of the top one.
    const unsigned bits = static_cast<unsigned>(v.size() * 8);
    if (bits < 64 && (u >> (bits - 1)) != 0) u |= ~uint64_t{0} << bits;
    fmt::format_to(std::back_inserter(out), "{}", static_cast<int64_t>(u));
}

template <class F>
void render_float(F f, std::span<const uint8_t> v, fmt::memory_buffer& out) {
    if (!std::isfinite(f)) {
        render_hex(v, out);  // JSON has no NaN or infinity
        return;
    }
    fmt::format_to(std::back_inserter(out), "{}", f);
}

void render_address(int family, std::span<const uint8_t> v, fmt::memory_buffer& out) {
    char text[INET6_ADDRSTRLEN] = {};
    inet_ntop(family, v.data(), text, sizeof text);
    out.push_back('"');
    append(out, text);
    out.push_back('"');
}

void render_mac(std::span<const uint8_t> v, fmt::memory_buffer& out) {
    out.push_back('"');
    for (size_t i = 0; i < v.size(); ++i) {
        if (i != 0) out.push_back(':');
        out.push_back(hex_digits[v[i] >> 4]);
        out.push_back(hex_digits[v[i] & 0x0F]);
    }
    out.push_back('"');
}

void escape_byte(uint8_t b, fmt::memory_buffer& out) {
    append(out, "\\u00");
    out.push_back(hex_digits[b >> 4]);
    out.push_back(hex_digits[b & 0x0F]);
}

// Length of the well-formed UTF-8 sequence at p (RFC 3629: no overlongs, no surrogates,
// nothing above U+10FFFF), or 0.
size_t utf8_sequence(const uint8_t* p, size_t n) {
    const uint8_t b = p[0];
    auto cont = [&](size_t i) { return i < n && (p[i] & 0xC0) == 0x80; };
    if (b >= 0xC2 && b <= 0xDF) return cont(1) ? 2 : 0;
    if (b >= 0xE0 && b <= 0xEF) {
        if (!cont(1) || !cont(2)) return 0;
        if (b == 0xE0 && p[1] < 0xA0) return 0;   // overlong
        if (b == 0xED && p[1] >= 0xA0) return 0;  // surrogate
        return 3;
    }
    if (b >= 0xF0 && b <= 0xF4) {
        if (!cont(1) || !cont(2) || !cont(3)) return 0;
        if (b == 0xF0 && p[1] < 0x90) return 0;   // overlong
        if (b == 0xF4 && p[1] >= 0x90) return 0;  // above U+10FFFF
        return 4;
    }
    return 0;
}

}  // namespace

void render_json_string(std::span<const uint8_t> bytes, fmt::memory_buffer& out) {
    out.push_back('"');
    const uint8_t* p = bytes.data();
    const size_t n = bytes.size();
    for (size_t i = 0; i < n;) {
        const uint8_t b = p[i];
        if (b >= 0x80) {
            const size_t len = utf8_sequence(p + i, n - i);
            if (len == 0) {
                escape_byte(b, out);
                ++i;
            } else {
                out.append(p + i, p + i + len);
                i += len;
            }
            continue;
        }
        switch (b) {
            case '"': append(out, "\\\""); break;
            case '\\': append(out, "\\\\"); break;
            case '\n': append(out, "\\n"); break;
            case '\r': append(out, "\\r"); break;
            case '\t': append(out, "\\t"); break;
            default:
                if (b < 0x20 || b == 0x7F) escape_byte(b, out);
                else out.push_back(static_cast<char>(b));
        }
        ++i;
    }
    out.push_back('"');
}

void render_json_string(std::string_view text, fmt::memory_buffer& out) {
    render_json_string(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()), text.size()), out);
}

void render_value(const field_label& label, std::span<const uint8_t> v, fmt::memory_buffer& out) {
    const size_t n = v.size();
    const bool int_size = n >= 1 && n <= 8;
    if (label.kind == value_kind::scope) {
        if (int_size) render_unsigned(v, out);
        else render_hex(v, out);
        return;
    }
    if (label.kind == value_kind::unknown) {
        render_hex(v, out);
        return;
    }
    switch (label.info->type) {
        case ie_type::unsigned8:
        case ie_type::unsigned16:
        case ie_type::unsigned32:
        case ie_type::unsigned64:
        case ie_type::date_time_seconds:
        case ie_type::date_time_milliseconds:
        case ie_type::date_time_microseconds:
        case ie_type::date_time_nanoseconds:
            if (int_size) return render_unsigned(v, out);
            break;
        case ie_type::signed8:
        case ie_type::signed16:
        case ie_type::signed32:
        case ie_type::signed64:
            if (int_size) return render_signed(v, out);
            break;
        case ie_type::float32:
        case ie_type::float64:
            // float64 may be sent in 4 bytes (reduced-size encoding, RFC 7011 §6.2).
            if (n == 4) return render_float(std::bit_cast<float>(proto::load_be32(v.data())), v, out);
            if (n == 8 && label.info->type == ie_type::float64) {
                return render_float(std::bit_cast<double>(proto::load_be64(v.data())), v, out);
            }
            break;
        case ie_type::boolean:
            if (n == 1) {
                if (v[0] == 1) return append(out, "true");
                if (v[0] == 2) return append(out, "false");
                return render_unsigned(v, out);
            }
            break;
        case ie_type::mac_address:
            if (n == 6) return render_mac(v, out);
            break;
        case ie_type::ipv4_address:
            if (n == 4) return render_address(AF_INET, v, out);
            break;
        case ie_type::ipv6_address:
            if (n == 16) return render_address(AF_INET6, v, out);
            break;
        case ie_type::string: {
            size_t len = n;
            while (len > 0 && v[len - 1] == 0) --len;
            return render_json_string(v.first(len), out);
        }
        case ie_type::octet_array:
        case ie_type::basic_list:
        case ie_type::sub_template_list:
        case ie_type::sub_template_multi_list: break;
    }
    render_hex(v, out);
}

}  // namespace ipfix::dump
