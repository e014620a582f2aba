#include "ipfix/io/dpdk_port.hpp"

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>

#include <cerrno>
#include <cstring>

namespace ipfix::io {
namespace {

std::string errno_text(int rc) { return rte_strerror(rc < 0 ? -rc : rc); }

}  // namespace

std::unique_ptr<dpdk_port> dpdk_port::open(const config::dpdk_port_config& c, const config::dpdk_config& d,
                                           uint16_t listen_port, uint16_t rx_queues, uint16_t tx_queues,
                                           rte_mempool* pool, std::string& error) {
    eth::neighbour_table::options o;
    o.lifetime_ms = d.neighbour_lifetime_seconds * 1000u;
    std::unique_ptr<dpdk_port> p(new dpdk_port(c, o));
    p->name_ = c.device.substr(0, c.device.find(','));
    const std::string what = "port " + c.device + ": ";
    // A device given to the EAL (--vdev, -a) exists already; anything else is probed here.
    if (rte_eth_dev_get_port_by_name(p->name_.c_str(), &p->id_) != 0) {
        const int rc = rte_dev_probe(c.device.c_str());
        if (rc < 0 || rte_eth_dev_get_port_by_name(p->name_.c_str(), &p->id_) != 0) {
            error = what + "cannot probe the device: " + errno_text(rc);
            return nullptr;
        }
    }
    p->attached_ = true;
    rte_eth_dev_info info{};
    if (int rc = rte_eth_dev_info_get(p->id_, &info); rc != 0) {
        error = what + "no device information: " + errno_text(rc);
        return nullptr;
    }
    if (info.max_rx_queues < rx_queues || info.max_tx_queues < tx_queues) {
        error = what + "needs " + std::to_string(rx_queues) + " RX and " + std::to_string(tx_queues) +
                " TX queues, the device has " + std::to_string(info.max_rx_queues) + " and " +
                std::to_string(info.max_tx_queues) + " (net_af_packet: qpairs=N)";
        return nullptr;
    }
    rte_eth_conf conf{};
    if (rx_queues > 1) {
        // RSS on the IP addresses: one exporter's datagrams stay on one queue, hence one worker.
        conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
        conf.rx_adv_conf.rss_conf.rss_hf = RTE_ETH_RSS_IP & info.flow_type_rss_offloads;
    }
    if (int rc = rte_eth_dev_configure(p->id_, rx_queues, tx_queues, &conf); rc != 0) {
        error = what + "cannot configure: " + errno_text(rc);
        return nullptr;
    }
    uint16_t nrx = d.rx_descriptors, ntx = d.tx_descriptors;
    rte_eth_dev_adjust_nb_rx_tx_desc(p->id_, &nrx, &ntx);
    const int socket = rte_eth_dev_socket_id(p->id_);
    const unsigned sock = static_cast<unsigned>(socket < 0 ? 0 : socket);
    for (uint16_t q = 0; q < rx_queues; ++q) {
        if (int rc = rte_eth_rx_queue_setup(p->id_, q, nrx, sock, nullptr, pool); rc != 0) {
            error = what + "cannot set up RX queue " + std::to_string(q) + ": " + errno_text(rc);
            return nullptr;
        }
    }
    for (uint16_t q = 0; q < tx_queues; ++q) {
        if (int rc = rte_eth_tx_queue_setup(p->id_, q, ntx, sock, nullptr); rc != 0) {
            error = what + "cannot set up TX queue " + std::to_string(q) + ": " + errno_text(rc);
            return nullptr;
        }
    }
    if (int rc = rte_eth_dev_start(p->id_); rc != 0) {
        error = what + "cannot start: " + errno_text(rc);
        return nullptr;
    }
    p->started_ = true;
    // Neighbour solicitations go to a multicast group; NICs filter multicast otherwise.
    rte_eth_allmulticast_enable(p->id_);
    rte_ether_addr mac{};
    rte_eth_macaddr_get(p->id_, &mac);
    std::memcpy(p->local_.mac.data(), mac.addr_bytes, 6);
    p->local_.ipv4 = c.address.address;
    p->local_.ipv6 = c.address6.address;
    p->local_.udp_port = listen_port;
    for (const config::neighbour_config& n : c.neighbours) p->neighbours_.add_static(n.address, n.mac);
    return p;
}

dpdk_port::~dpdk_port() {
    if (started_) rte_eth_dev_stop(id_);
    if (attached_) rte_eth_dev_close(id_);
}

std::string dpdk_port::describe() const {
    // Appended piece by piece: GCC 12 at -O3 warns falsely (-Wrestrict) on `" " + std::string`.
    std::string s = name_;
    s += ' ';
    s += eth::to_string(local_.mac);
    if (!local_.ipv4.empty()) {
        s += ' ';
        s += local_.ipv4.to_string();
        s += '/';
        s += std::to_string(config_.address.length);
    }
    if (!local_.ipv6.empty()) {
        s += ' ';
        s += local_.ipv6.to_string();
        s += '/';
        s += std::to_string(config_.address6.length);
    }
    return s;
}

}  // namespace ipfix::io
