// The MTU of the kernel's route toward a peer: a UDP socket connect()ed to it (a route lookup,
// nothing is sent) and asked with IP_MTU / IPV6_MTU. That is the route's `mtu` attribute, else
// its device's MTU, or a smaller path MTU the kernel learnt from ICMP. For the collectors'
// `mtu: auto` (socket backend), asked at start and on reload by the control thread.
//
//   std::string error;
//   if (auto mtu = io::route_mtu(collector, error)) ...     // 65536 toward 127.0.0.1
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "ipfix/io/socket_address.hpp"

namespace ipfix::io {

// Nullopt with `error` (no route, no socket) when the kernel cannot say.
std::optional<uint32_t> route_mtu(const socket_address& to, std::string& error);

}  // namespace ipfix::io
