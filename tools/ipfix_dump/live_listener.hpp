// Receives export datagrams on a UDP socket and feeds them to a session until SIGINT or
// SIGTERM. The address is "192.0.2.1:2055" or "[2001:db8::1]:2055".
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "dump_session.hpp"
#include "ipfix/proto/stream_key.hpp"

namespace ipfix::dump {

std::optional<proto::exporter_endpoint> parse_listen_address(std::string_view text);

// Returns false with `error` set when the socket cannot be opened; true after a signal.
bool run_live(const proto::exporter_endpoint& listen, dump_session& session, std::string& error);

}  // namespace ipfix::dump
