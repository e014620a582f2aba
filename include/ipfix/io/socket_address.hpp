// An IP address and UDP port as a value, and its conversions to and from the kernel's
// sockaddr forms and "host:port" text. Converting to and from sockaddr never allocates, so it
// is fit for the data path; parse and to_string are for configuration and logs.
//
//   auto a = socket_address::parse("[2001:db8::1]:2055");  // or "192.0.2.1:2055"
//   sockaddr_storage ss;
//   socklen_t len = a->to_sockaddr(ss);                    // 0 when the address is empty
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ipfix/proto/ip_address.hpp"
#include "ipfix/proto/stream_key.hpp"

namespace ipfix::io {

struct socket_address {
    proto::ip_address address;  // family 0: no address
    uint16_t port = 0;          // host order

    // The wildcard address of a family (0.0.0.0 or ::) with a port; family is 4 or 6.
    static socket_address any(uint8_t family, uint16_t port = 0);
    static socket_address from(const proto::exporter_endpoint& e) { return {e.address, e.port}; }
    proto::exporter_endpoint endpoint() const { return {address, port}; }

    // Fills `out` as sockaddr_in or sockaddr_in6 and returns its length; 0 (and `out` untouched)
    // when the address is empty.
    socklen_t to_sockaddr(sockaddr_storage& out) const;
    // AF_INET or AF_INET6 only; nullopt for other families or a too-short length. An IPv4-mapped
    // IPv6 address stays IPv6: our IPv6 sockets are V6ONLY, so it only comes from a real IPv6 peer.
    static std::optional<socket_address> from_sockaddr(const sockaddr* sa, socklen_t length);

    // "192.0.2.1:2055" or "[2001:db8::1]:2055": a literal address (no name lookup) and a decimal
    // port 0..65535. On failure returns nullopt and, when `why` is given, says what is wrong.
    static std::optional<socket_address> parse(std::string_view text, std::string* why = nullptr);
    // The form parse reads back: IPv6 in brackets; "-" for an empty address.
    std::string to_string() const;

    friend bool operator==(const socket_address&, const socket_address&) = default;
};

}  // namespace ipfix::io
