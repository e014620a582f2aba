#include "ipfix/io/dpdk_port.hpp"

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace ipfix::io {
namespace {

std::string errno_text(int rc) { return rte_strerror(rc < 0 ? -rc : rc); }

// Probes (unless the EAL has it already), configures and starts one ethdev; false with `error`.
bool start_device(const std::string& devargs, const config::dpdk_config& d, uint16_t rx_queues, uint16_t tx_queues,
                  uint16_t mtu, rte_mempool* pool, uint16_t& id, bool& attached, std::string& error) {
    const std::string name = devargs.substr(0, devargs.find(','));
    const std::string what = "port " + devargs + ": ";
    if (rte_eth_dev_get_port_by_name(name.c_str(), &id) != 0) {
        const int rc = rte_dev_probe(devargs.c_str());
        if (rc < 0 || rte_eth_dev_get_port_by_name(name.c_str(), &id) != 0) {
            error = what + "cannot probe the device: " + errno_text(rc);
            return false;
        }
    }
    attached = true;
    rte_eth_dev_info info{};
    if (int rc = rte_eth_dev_info_get(id, &info); rc != 0) {
        error = what + "no device information: " + errno_text(rc);
        return false;
    }
    if (info.max_rx_queues < rx_queues || info.max_tx_queues < tx_queues) {
        error = what + "needs " + std::to_string(rx_queues) + " RX and " + std::to_string(tx_queues) +
                " TX queues, the device has " + std::to_string(info.max_rx_queues) + " and " +
                std::to_string(info.max_tx_queues) + " (net_af_packet: qpairs=N)";
        return false;
    }
    rte_eth_conf conf{};
    if (rx_queues > 1) {
        // RSS on the IP addresses: one exporter's datagrams stay on one queue, hence one worker.
        conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
        conf.rx_adv_conf.rss_conf.rss_hf = RTE_ETH_RSS_IP & info.flow_type_rss_offloads;
    }
    // Where the NIC can check UDP checksums, it does (classify then skips summing the payload).
    conf.rxmode.offloads = RTE_ETH_RX_OFFLOAD_UDP_CKSUM & info.rx_offload_capa;
    if (int rc = rte_eth_dev_configure(id, rx_queues, tx_queues, &conf); rc != 0) {
        error = what + "cannot configure: " + errno_text(rc);
        return false;
    }
    // What the collectors' mtu: auto reads back; a PMD over a kernel interface (net_af_packet,
    // net_tap) sets the interface's MTU too.
    if (mtu != 0) {
        // The largest MTU as ethdev works it out (the frame's overhead: what the device says,
        // else an Ethernet header and CRC), so the refusal says what would be taken.
        const uint32_t overhead = info.max_mtu != UINT16_MAX && info.max_rx_pktlen > info.max_mtu
                                      ? info.max_rx_pktlen - info.max_mtu
                                      : RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN;
        const uint32_t largest = std::min<uint32_t>(info.max_mtu, info.max_rx_pktlen - overhead);
        if (mtu > largest || mtu < info.min_mtu) {
            error = what + "mtu " + std::to_string(mtu) + " is not one the device takes: " +
                    std::to_string(info.min_mtu) + " to " + std::to_string(largest) + " (frames of at most " +
                    std::to_string(info.max_rx_pktlen) + " bytes)";
            return false;
        }
        if (int rc = rte_eth_dev_set_mtu(id, mtu); rc != 0) {
            error = what + "cannot set mtu " + std::to_string(mtu) + ": " + errno_text(rc);
            return false;
        }
    }
    uint16_t nrx = d.rx_descriptors, ntx = d.tx_descriptors;
    rte_eth_dev_adjust_nb_rx_tx_desc(id, &nrx, &ntx);
    const int socket = rte_eth_dev_socket_id(id);
    const unsigned sock = static_cast<unsigned>(socket < 0 ? 0 : socket);
    for (uint16_t q = 0; q < rx_queues; ++q) {
        if (int rc = rte_eth_rx_queue_setup(id, q, nrx, sock, nullptr, pool); rc != 0) {
            error = what + "cannot set up RX queue " + std::to_string(q) + ": " + errno_text(rc);
            return false;
        }
    }
    for (uint16_t q = 0; q < tx_queues; ++q) {
        if (int rc = rte_eth_tx_queue_setup(id, q, ntx, sock, nullptr); rc != 0) {
            error = what + "cannot set up TX queue " + std::to_string(q) + ": " + errno_text(rc);
            return false;
        }
    }
    if (int rc = rte_eth_dev_start(id); rc != 0) {
        error = what + "cannot start: " + errno_text(rc);
        return false;
    }
    return true;
}

}  // namespace

std::unique_ptr<dpdk_port> dpdk_port::open(const config::dpdk_port_config& c, const config::dpdk_config& d,
                                           uint16_t listen_port, uint16_t rx_queues, uint16_t tx_queues,
                                           rte_mempool* pool, std::string& error) {
    eth::neighbour_table::options o;
    o.lifetime_ms = d.neighbour_lifetime_seconds * 1000u;
    std::unique_ptr<dpdk_port> p(new dpdk_port(c, o));
    p->name_ = c.device.substr(0, c.device.find(','));
    if (!start_device(c.device, d, rx_queues, tx_queues, c.mtu, pool, p->id_, p->attached_, error)) return nullptr;
    p->started_ = true;
    // Neighbour solicitations go to a multicast group; NICs filter multicast otherwise.
    rte_eth_allmulticast_enable(p->id_);
    rte_ether_addr mac{};
    rte_eth_macaddr_get(p->id_, &mac);
    std::memcpy(p->local_.mac.data(), mac.addr_bytes, 6);
    p->local_.ipv4 = c.address.address;
    p->local_.ipv6 = c.address6.address;
    p->local_.udp_port = listen_port;
    p->local_.vlan = c.vlan;
    for (const config::neighbour_config& n : c.neighbours) p->neighbours_.add_static(n.address, n.mac);
    if (!c.exception.empty()) {
        // The host's side of the port: one RX queue (polled by the first source), a TX queue per
        // source; the kernel interface gets the port's MAC, so what it sends looks like ours.
        if (!start_device(c.exception, d, 1, rx_queues, 0, pool, p->exception_id_, p->exception_attached_, error))
            return nullptr;
        p->exception_started_ = true;
        rte_eth_dev_default_mac_addr_set(p->exception_id_, &mac);
    }
    return p;
}

dpdk_port::~dpdk_port() {
    if (started_) rte_eth_dev_stop(id_);
    if (attached_) rte_eth_dev_close(id_);
    if (exception_started_) rte_eth_dev_stop(exception_id_);
    if (exception_attached_) rte_eth_dev_close(exception_id_);
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
