// A worker's sender that hands the datagrams of some collectors (TCP ones) to their queues and
// the rest to the backend's sender, so the lcore loops stay the same for every transport.
#pragma once

#include <memory>
#include <vector>

#include "ipfix/pipeline/io_backend.hpp"
#include "ipfix/pipeline/message_queue.hpp"

namespace ipfix::pipeline {

class diverting_sender : public datagram_sender {
public:
    // `queues[c]`: collector c's queue for this worker, or null (sent by `inner`).
    diverting_sender(std::unique_ptr<datagram_sender> inner, std::vector<message_queue*> queues)
        : inner_(std::move(inner)), queues_(std::move(queues)) {}

    void send(size_t collector, const io::socket_address& from, std::span<const uint8_t> datagram) override {
        if (collector < queues_.size() && queues_[collector] != nullptr) {
            queues_[collector]->push(datagram);  // a full queue counts its own drop
            return;
        }
        inner_->send(collector, from, datagram);
    }
    void flush() override { inner_->flush(); }
    live_counters counters() const override { return inner_->counters(); }
    // The TCP collectors' entries stay zero: their senders count what they send.
    std::span<const collector_tx_counters> collector_counters() const override { return inner_->collector_counters(); }

private:
    std::unique_ptr<datagram_sender> inner_;
    std::vector<message_queue*> queues_;
};

}  // namespace ipfix::pipeline
