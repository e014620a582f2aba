#include "ipfix/pipeline/record_tap.hpp"

namespace ipfix::pipeline {

size_t record_feed::poll(std::span<record_tap* const> taps) {
    wanting_.assign(consumers_.size(), false);
    bool any = false;
    for (size_t i = 0; i < consumers_.size(); ++i) {
        wanting_[i] = consumers_[i].wants();
        any = any || wanting_[i];
    }
    for (record_tap* t : taps) t->listen(any);
    // Drained even when nobody wants them any more: what the workers pushed before the taps went
    // off must not be handed to the next listener as if it were new.
    batch_.clear();
    for (record_tap* t : taps) t->drain([this](const flow_summary& s) { batch_.push_back(s); });
    if (batch_.empty()) return 0;
    for (size_t i = 0; i < consumers_.size(); ++i) {
        if (wanting_[i]) consumers_[i].take(batch_);
    }
    return batch_.size();
}

uint64_t record_feed::drops(std::span<record_tap* const> taps) {
    uint64_t n = 0;
    for (const record_tap* t : taps) n += t->drops();
    return n;
}

}  // namespace ipfix::pipeline
