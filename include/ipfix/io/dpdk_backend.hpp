// The dpdk backend: DPDK ethdev ports (NICs, or virtual devices such as
// "net_af_packet0,iface=veth0", net_tap, net_pcap, net_ring) with our own IPv4 and/or IPv6
// address on each (config io.dpdk.ports). Takes the UDP datagrams to our address and listen
// port, answers ARP and neighbour solicitations for our addresses, resolves the collectors' next
// hops (on-link, else the gateway) by ARP / ND or static neighbours, holding a few datagrams per
// collector meanwhile, and builds Ethernet/IP/UDP with checksums around every output datagram
// (with the exporter's source address where a collector keeps it). Every other frame is counted
// by reason and dropped, or handed to the port's exception TAP when one is configured.
// Several sources (fused layout, several workers) each poll their own RX queue (RSS).
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
