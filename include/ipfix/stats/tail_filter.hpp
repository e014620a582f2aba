// Which enriched records a tail client wants: the query of GET /api/v1/tail parsed into a
// filter (every bad value rejected with the reason) and matched against flow summaries. All
// given conditions must hold; "either side" conditions hold when the source or the destination
// matches.
//
//   auto parsed = parse_tail_query("as=64500&protocol=tcp");
//   if (!parsed.filter) return bad_request(parsed.error);
//   if (parsed.filter->matches(summary)) send(summary);
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ipfix/pipeline/flow_summary.hpp"
#include "ipfix/proto/ip_address.hpp"

namespace ipfix::stats {

struct ip_prefix {
    proto::ip_address network;  // host bits cleared
    uint8_t length = 0;

    bool contains(const proto::ip_address& a) const;
};

struct tail_filter {
    std::optional<proto::ip_address> exporter;  // exporter=IP[:PORT]
    std::optional<uint16_t> exporter_port;
    std::optional<proto::ip_address> address;   // address=IP, source or destination
    std::optional<ip_prefix> prefix;            // prefix=CIDR, source or destination
    std::optional<uint32_t> as;                 // as=N, source or destination AS (as forwarded)
    std::optional<uint16_t> port;               // port=N, source or destination port
    std::optional<uint8_t> protocol;            // protocol=N or tcp, udp, icmp, icmpv6, sctp
    std::optional<uint64_t> since_seconds;      // since=SECONDS: history first (not a match condition)

    bool matches(const pipeline::flow_summary& s) const;
};

struct tail_query {
    std::optional<tail_filter> filter;  // none: `error` says why
    std::string error;
};

// The query string after '?' (percent-encoding decoded, '+' is a space). Unknown, repeated or
// empty parameters are errors.
tail_query parse_tail_query(std::string_view query);

// Each value parser alone (the ipfix-tail tool checks its options with them): nullopt when bad.
std::optional<ip_prefix> parse_prefix(std::string_view text);
std::optional<uint8_t> parse_protocol(std::string_view text);
// "IP", "IPv4:PORT" or "[IPv6]:PORT"; the port is 0 when absent.
std::optional<std::pair<proto::ip_address, uint16_t>> parse_exporter(std::string_view text);

}  // namespace ipfix::stats
