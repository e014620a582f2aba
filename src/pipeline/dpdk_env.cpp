#include "ipfix/pipeline/dpdk_env.hpp"

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include <atomic>

#include "ipfix/io/socket_address.hpp"

namespace ipfix::pipeline {
namespace {

// The EAL can be initialised once per process, and not again after rte_eal_cleanup().
std::atomic<bool> eal_used{false};

}  // namespace

std::unique_ptr<dpdk_env> dpdk_env::start(const std::vector<std::string>& eal_args, uint32_t mbufs,
                                          std::string& error) {
    if (eal_used.exchange(true)) {
        error = "the DPDK EAL was already initialised in this process";
        return nullptr;
    }
    std::vector<std::string> args{"ipfix-enricher"};
    args.insert(args.end(), eal_args.begin(), eal_args.end());
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (rte_eal_init(static_cast<int>(args.size()), argv.data()) < 0) {
        error = std::string("DPDK EAL initialisation failed: ") + rte_strerror(rte_errno);
        return nullptr;
    }
    std::unique_ptr<dpdk_env> env(new dpdk_env());
    // The private area carries a datagram's exporter across a ring (split layout).
    const uint16_t priv = static_cast<uint16_t>(RTE_ALIGN(sizeof(io::socket_address), RTE_MBUF_PRIV_ALIGN));
    env->pool_ = rte_pktmbuf_pool_create("ipfix_mbufs", mbufs, 256, priv,
                                         static_cast<uint16_t>(RTE_PKTMBUF_HEADROOM + data_room),
                                         static_cast<int>(rte_socket_id()));
    if (env->pool_ == nullptr) {
        error = std::string("cannot create the mbuf pool: ") + rte_strerror(rte_errno) +
                " (give the EAL more memory with -m)";
        return nullptr;
    }
    return env;
}

dpdk_env::~dpdk_env() {
    if (pool_) rte_mempool_free(pool_);
    rte_eal_cleanup();
}

unsigned dpdk_env::worker_lcores() const { return rte_lcore_count() - 1; }

}  // namespace ipfix::pipeline
