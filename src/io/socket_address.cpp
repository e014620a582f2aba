#include "ipfix/io/socket_address.hpp"

#include <netinet/in.h>

#include <charconv>
#include <cstring>

namespace ipfix::io {

socket_address socket_address::any(uint8_t family, uint16_t port) {
    socket_address a;
    a.address.family = family == 6 ? 6 : 4;  // bytes stay zero: the wildcard
    a.port = port;
    return a;
}

socklen_t socket_address::to_sockaddr(sockaddr_storage& out) const {
    if (address.family == 4) {
        sockaddr_in sin{};
        sin.sin_family = AF_INET;
        sin.sin_port = htons(port);
        std::memcpy(&sin.sin_addr, address.bytes.data(), 4);
        std::memcpy(&out, &sin, sizeof sin);
        return sizeof sin;
    }
    if (address.family == 6) {
        sockaddr_in6 sin6{};
        sin6.sin6_family = AF_INET6;
        sin6.sin6_port = htons(port);
        std::memcpy(&sin6.sin6_addr, address.bytes.data(), 16);
        std::memcpy(&out, &sin6, sizeof sin6);
        return sizeof sin6;
    }
    return 0;
}

std::optional<socket_address> socket_address::from_sockaddr(const sockaddr* sa, socklen_t length) {
    if (sa == nullptr || length < static_cast<socklen_t>(sizeof(sa_family_t))) return std::nullopt;
    // memcpy rather than casts: the caller's storage need not be aligned for sockaddr_in6.
    if (sa->sa_family == AF_INET && length >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
        sockaddr_in sin;
        std::memcpy(&sin, sa, sizeof sin);
        return socket_address{proto::ip_address::v4(reinterpret_cast<const uint8_t*>(&sin.sin_addr)),
                              ntohs(sin.sin_port)};
    }
    if (sa->sa_family == AF_INET6 && length >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
        sockaddr_in6 sin6;
        std::memcpy(&sin6, sa, sizeof sin6);
        return socket_address{proto::ip_address::v6(reinterpret_cast<const uint8_t*>(&sin6.sin6_addr)),
                              ntohs(sin6.sin6_port)};
    }
    return std::nullopt;
}

namespace {

std::optional<socket_address> fail(std::string* why, std::string message) {
    if (why) *why = std::move(message);
    return std::nullopt;
}

}  // namespace

std::optional<socket_address> socket_address::parse(std::string_view text, std::string* why) {
    // Appended piecewise: GCC 12 warns falsely (-Wrestrict, at -O3) on "'" + std::string(...).
    std::string quoted(1, '\'');
    quoted.append(text).push_back('\'');
    std::string_view host;
    std::string_view port_text;
    if (!text.empty() && text.front() == '[') {
        const size_t close = text.find(']');
        if (close == std::string_view::npos) return fail(why, quoted + ": '[' without ']'");
        host = text.substr(1, close - 1);
        if (close + 1 >= text.size() || text[close + 1] != ':')
            return fail(why, quoted + ": expected ':port' after ']'");
        port_text = text.substr(close + 2);
    } else {
        const size_t colon = text.rfind(':');
        if (colon == std::string_view::npos) return fail(why, quoted + ": expected host:port");
        host = text.substr(0, colon);
        if (host.find(':') != std::string_view::npos)
            return fail(why, quoted + ": an IPv6 address with a port is written [address]:port");
        port_text = text.substr(colon + 1);
    }
    if (host.empty()) return fail(why, quoted + ": no address");
    const auto address = proto::ip_address::parse(host);
    if (!address) return fail(why, quoted + ": '" + std::string(host) + "' is not an IPv4 or IPv6 address");
    const bool bracketed = text.front() == '[';
    if (bracketed && address->family != 6)
        return fail(why, quoted + ": only IPv6 addresses are written in brackets");

    unsigned port = 0;
    const char* first = port_text.data();
    const char* last = first + port_text.size();
    const auto [end, ec] = std::from_chars(first, last, port);
    if (port_text.empty() || ec != std::errc{} || end != last || port > 65535)
        return fail(why, quoted + ": port '" + std::string(port_text) + "' is not a number 0..65535");
    return socket_address{*address, static_cast<uint16_t>(port)};
}

std::string socket_address::to_string() const {
    if (address.family == 6) {
        std::string s(1, '[');
        s.append(address.to_string()).append("]:").append(std::to_string(port));
        return s;
    }
    if (address.family == 4) return address.to_string() + ":" + std::to_string(port);
    return "-";
}

}  // namespace ipfix::io
