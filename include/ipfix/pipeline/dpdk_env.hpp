// The process's DPDK environment: the EAL, initialised once from the configured arguments,
// and the packet buffer pool every stage takes its mbufs from. Cleaned up on destruction.
//
//   std::string error;
//   auto env = dpdk_env::start(config.io.eal_args, 8192, error);   // null + error on failure
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

struct rte_mempool;

namespace ipfix::pipeline {

class dpdk_env {
public:
    // `mbufs`: the pool size. Each mbuf holds one datagram of up to data_room bytes (jumbo
    // frames); longer ones arrive truncated and are counted by the receiver.
    static std::unique_ptr<dpdk_env> start(const std::vector<std::string>& eal_args, uint32_t mbufs,
                                           std::string& error);
    ~dpdk_env();
    dpdk_env(const dpdk_env&) = delete;
    dpdk_env& operator=(const dpdk_env&) = delete;

    rte_mempool* pool() const { return pool_; }
    // Lcores the EAL gave us beside the main one (which stays the control thread).
    unsigned worker_lcores() const;

    static constexpr uint16_t data_room = 9216;

private:
    dpdk_env() = default;
    rte_mempool* pool_ = nullptr;
};

}  // namespace ipfix::pipeline
