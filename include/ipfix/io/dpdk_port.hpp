// One DPDK ethdev port of the dpdk backend: the device probed from its devargs (a vdev such as
// "net_af_packet0,iface=veth0" needs no PCI), RX queues on the EAL's mbuf pool (RSS on the IP
// addresses when there are several), TX queues, started; with our addresses on it and its
// neighbour table; optionally an exception TAP (net_tap) that takes the traffic that is not
// ours and whose frames (the host's answers) go out the port. Stopped and closed on destruction.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "ipfix/config/config.hpp"
#include "ipfix/io/eth/frame.hpp"
#include "ipfix/io/eth/neighbour_table.hpp"

struct rte_mempool;

namespace ipfix::io {

class dpdk_port {
public:
    // Null with `error` when the device cannot be probed, has too few queues or will not start.
    static std::unique_ptr<dpdk_port> open(const config::dpdk_port_config& c, const config::dpdk_config& d,
                                           uint16_t listen_port, uint16_t rx_queues, uint16_t tx_queues,
                                           rte_mempool* pool, std::string& error);
    ~dpdk_port();
    dpdk_port(const dpdk_port&) = delete;
    dpdk_port& operator=(const dpdk_port&) = delete;

    uint16_t id() const { return id_; }
    // The exception (TAP) port for other traffic, when configured.
    bool has_exception() const { return exception_started_; }
    uint16_t exception_id() const { return exception_id_; }
    const config::dpdk_port_config& config() const { return config_; }
    const eth::local_addresses& local() const { return local_; }
    eth::neighbour_table& neighbours() { return neighbours_; }
    const eth::neighbour_table& neighbours() const { return neighbours_; }
    // "net_af_packet0 02:00:00:00:00:01 10.77.0.1/24"
    std::string describe() const;

private:
    dpdk_port(const config::dpdk_port_config& c, eth::neighbour_table::options o) : config_(c), neighbours_(o) {}

    config::dpdk_port_config config_;
    std::string name_;
    uint16_t id_ = 0;
    bool attached_ = false;
    bool started_ = false;
    uint16_t exception_id_ = 0;
    bool exception_attached_ = false;
    bool exception_started_ = false;
    eth::local_addresses local_;
    eth::neighbour_table neighbours_;
};

}  // namespace ipfix::io
