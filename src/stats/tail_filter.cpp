#include "ipfix/stats/tail_filter.hpp"

#include <charconv>
#include <limits>

#include <fmt/format.h>

namespace ipfix::stats {
namespace {

// Seconds of history a client may ask for: ten years, so from_ms never wraps.
constexpr uint64_t max_since_seconds = 10ULL * 366 * 24 * 3600;

template <class T>
std::optional<T> parse_number(std::string_view text, uint64_t max = std::numeric_limits<T>::max()) {
    if (text.empty() || text.size() > 20) return std::nullopt;
    uint64_t v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || end != text.data() + text.size() || v > max) return std::nullopt;
    return static_cast<T>(v);
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::optional<std::string> percent_decode(std::string_view s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '+') {
            out += ' ';
        } else if (s[i] == '%') {
            if (i + 2 >= s.size()) return std::nullopt;
            const int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
            if (hi < 0 || lo < 0) return std::nullopt;
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

// A client's text echoed in an error: printable ASCII only, and short.
std::string printable(std::string_view s) {
    std::string out;
    for (char c : s.substr(0, 60)) out += (c >= ' ' && c <= '~' && c != '"' && c != '\\') ? c : '?';
    if (s.size() > 60) out += "...";
    return out;
}

bool either(const pipeline::flow_summary& s, const proto::ip_address& a) {
    return s.source == a || s.destination == a;
}

}  // namespace

bool ip_prefix::contains(const proto::ip_address& a) const {
    if (a.family != network.family) return false;
    const size_t whole = length / 8u;
    for (size_t i = 0; i < whole; ++i) {
        if (a.bytes[i] != network.bytes[i]) return false;
    }
    const unsigned rest = length % 8u;
    if (rest == 0) return true;
    const auto mask = static_cast<uint8_t>(0xffu << (8 - rest));
    return (a.bytes[whole] & mask) == network.bytes[whole];
}

std::optional<ip_prefix> parse_prefix(std::string_view text) {
    const size_t slash = text.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    const auto address = proto::ip_address::parse(text.substr(0, slash));
    if (!address) return std::nullopt;
    const auto length = parse_number<uint8_t>(text.substr(slash + 1), address->size() * 8);
    if (!length) return std::nullopt;
    ip_prefix p{*address, *length};
    // Host bits are cleared: 10.1.2.3/8 is 10.0.0.0/8, as routers read it.
    for (size_t bit = *length; bit < address->size() * 8; ++bit) {
        p.network.bytes[bit / 8] = static_cast<uint8_t>(p.network.bytes[bit / 8] & ~(0x80u >> (bit % 8)));
    }
    return p;
}

std::optional<uint8_t> parse_protocol(std::string_view text) {
    if (text == "tcp") return 6;
    if (text == "udp") return 17;
    if (text == "icmp") return 1;
    if (text == "icmpv6") return 58;
    if (text == "sctp") return 132;
    return parse_number<uint8_t>(text);
}

std::optional<std::pair<proto::ip_address, uint16_t>> parse_exporter(std::string_view text) {
    if (auto a = proto::ip_address::parse(text)) return std::pair{*a, uint16_t{0}};
    std::string_view host, port;
    if (text.starts_with('[')) {
        const size_t close = text.find(']');
        if (close == std::string_view::npos || text.substr(close + 1, 1) != ":") return std::nullopt;
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
        const auto a = proto::ip_address::parse(host);
        if (!a || a->family != 6) return std::nullopt;
    } else {
        const size_t colon = text.rfind(':');
        if (colon == std::string_view::npos) return std::nullopt;
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
        const auto a = proto::ip_address::parse(host);
        if (!a || a->family != 4) return std::nullopt;
    }
    const auto a = proto::ip_address::parse(host);
    const auto p = parse_number<uint16_t>(port);
    if (!a || !p || *p == 0) return std::nullopt;
    return std::pair{*a, *p};
}

tail_query parse_tail_query(std::string_view query) {
    tail_filter f;
    auto fail = [](std::string why) { return tail_query{std::nullopt, std::move(why)}; };
    while (!query.empty()) {
        const size_t amp = query.find('&');
        const std::string_view part = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        if (part.empty()) continue;
        const size_t eq = part.find('=');
        const auto key = percent_decode(part.substr(0, eq));
        if (!key) return fail(fmt::format("bad percent-encoding in '{}'", printable(part)));
        if (eq == std::string_view::npos || eq + 1 == part.size()) {
            return fail(fmt::format("parameter '{}' needs a value", printable(*key)));
        }
        const auto value_text = percent_decode(part.substr(eq + 1));
        if (!value_text) return fail(fmt::format("bad percent-encoding in '{}'", printable(part)));
        const std::string_view v = *value_text;
        const std::string_view k = *key;
        auto bad = [&](std::string_view expected) {
            return fail(fmt::format("{}='{}': expected {}", printable(k), printable(v), expected));
        };
        auto twice = [&] { return fail(fmt::format("{} given twice", printable(k))); };
        if (k == "exporter") {
            if (f.exporter) return twice();
            const auto e = parse_exporter(v);
            if (!e) return bad("IP, IPv4:PORT or [IPv6]:PORT (port 1-65535)");
            f.exporter = e->first;
            if (e->second != 0) f.exporter_port = e->second;
        } else if (k == "address") {
            if (f.address) return twice();
            f.address = proto::ip_address::parse(v);
            if (!f.address) return bad("an IPv4 or IPv6 address");
        } else if (k == "prefix") {
            if (f.prefix) return twice();
            f.prefix = parse_prefix(v);
            if (!f.prefix) return bad("ADDRESS/LENGTH (0-32 for IPv4, 0-128 for IPv6)");
        } else if (k == "as") {
            if (f.as) return twice();
            std::string_view digits = v;
            if (digits.starts_with("AS") || digits.starts_with("as")) digits.remove_prefix(2);
            f.as = parse_number<uint32_t>(digits);
            if (!f.as) return bad("an AS number 0-4294967295");
        } else if (k == "port") {
            if (f.port) return twice();
            f.port = parse_number<uint16_t>(v);
            if (!f.port) return bad("a port 0-65535");
        } else if (k == "protocol") {
            if (f.protocol) return twice();
            f.protocol = parse_protocol(v);
            if (!f.protocol) return bad("a protocol number 0-255 or tcp, udp, icmp, icmpv6, sctp");
        } else if (k == "since") {
            if (f.since_seconds) return twice();
            f.since_seconds = parse_number<uint64_t>(v, max_since_seconds);
            if (!f.since_seconds || *f.since_seconds == 0) return bad("seconds, 1 to 10 years");
        } else {
            return fail(fmt::format("unknown parameter '{}' (exporter, address, prefix, as, port, protocol, since)",
                                    printable(k)));
        }
    }
    return {f, {}};
}

bool tail_filter::matches(const pipeline::flow_summary& s) const {
    if (exporter && !(s.exporter == *exporter)) return false;
    if (exporter_port && s.exporter_port != *exporter_port) return false;
    if (address && !either(s, *address)) return false;
    if (prefix && !prefix->contains(s.source) && !prefix->contains(s.destination)) return false;
    if (as && s.source_as != *as && s.destination_as != *as) return false;
    if (port && s.source_port != *port && s.destination_port != *port) return false;
    if (protocol && s.protocol != *protocol) return false;
    return true;
}

}  // namespace ipfix::stats
