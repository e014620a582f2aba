// The dpdk backend: DPDK ethdev ports (NICs, or virtual devices such as
// "net_af_packet0,iface=veth0", net_tap, net_pcap, net_ring) with our own IPv4 address on each
// (config io.dpdk.ports). Takes the UDP datagrams to our address and listen port, answers ARP
// for our address, resolves the collectors' next hops by ARP (or static neighbours) and builds
// Ethernet/IPv4/UDP around every output datagram; every other frame is counted and dropped.
#pragma once

#include <memory>

#include "ipfix/config/config.hpp"
#include "ipfix/pipeline/dpdk_env.hpp"
#include "ipfix/pipeline/io_backend.hpp"

namespace ipfix::io {

// `split`: one source (RX queue 0 of every port) feeds the workers; otherwise a queue per worker.
std::unique_ptr<pipeline::io_backend> make_dpdk_backend(const config::daemon_config& c, pipeline::dpdk_env& env,
                                                        bool split);

}  // namespace ipfix::io
