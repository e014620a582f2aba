#include "ipfix/store/stream_state_sync.hpp"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "ipfix/log/leveled_log.hpp"

namespace ipfix::store {
namespace {

constexpr const char* family_name = "output_streams";

}  // namespace

std::unique_ptr<stream_state_sync> stream_state_sync::open(template_store& store, const config::daemon_config& config,
                                                           mediate::stream_registry& registry, uint64_t now_ms,
                                                           std::ostream& log) {
    std::string error;
    rocksdb::ColumnFamilyHandle* family = store.column_family(family_name, error);
    if (family == nullptr) {
        log << log::error << "ipfix-enricher: output domains and sequence numbers will not survive a restart: " << error
            << "\n";
        return nullptr;
    }
    std::vector<std::string> names;
    for (const config::collector_config& c : config.forwarding.collectors) names.push_back(stream_state_collector_name(c));
    std::unique_ptr<stream_state_sync> sync(new stream_state_sync(store, family, registry, std::move(names)));
    sync->restore(now_ms, uint64_t{config.templates.lifetime_seconds} * 1000);
    const stream_state_counters& c = sync->counters_;
    if (c.restored || c.expired || c.corrupt_skipped) {
        log << "ipfix-enricher: store: " << c.restored << " output stream(s) continue their domains and sequence numbers";
        if (c.expired) log << ", " << c.expired << " expired";
        if (c.corrupt_skipped) log << ", " << c.corrupt_skipped << " unreadable skipped";
        log << "\n";
    }
    return sync;
}

stream_state_sync::stream_state_sync(template_store& store, rocksdb::ColumnFamilyHandle* family,
                                     mediate::stream_registry& registry, std::vector<std::string> names)
    : store_(store), family_(family), registry_(registry), names_(std::move(names)) {}

void stream_state_sync::restore(uint64_t now_ms, uint64_t lifetime_ms) {
    rocksdb::WriteBatch removals;
    std::unique_ptr<rocksdb::Iterator> it(store_.db().NewIterator(rocksdb::ReadOptions(), family_));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
        const stream_state_decode_result r = decode_stream_state(it->key().ToStringView(), it->value().ToStringView());
        if (!r.value) {
            ++counters_.corrupt_skipped;
            removals.Delete(family_, it->key()).PermitUncheckedError();
            continue;
        }
        const stored_stream_state& s = *r.value;
        if (s.last_ms + lifetime_ms < now_ms) {
            ++counters_.expired;
            removals.Delete(family_, it->key()).PermitUncheckedError();
            continue;
        }
        written_state w{s.last_ms, std::vector<uint32_t>(names_.size(), 0)};
        for (size_t c = 0; c < names_.size(); ++c) {
            for (const auto& [name, sequence] : s.sequences) {
                if (name == names_[c]) w.sequences[c] = sequence;
            }
        }
        if (!registry_.restore(s.stream, s.domain, w.sequences, s.last_ms)) continue;
        written_.push_back(std::move(w));
        ++counters_.restored;
    }
    if (removals.Count() > 0) store_.db().Write(rocksdb::WriteOptions(), &removals).PermitUncheckedError();
}

void stream_state_sync::tick(std::ostream& log) {
    const size_t n = registry_.size();
    if (written_.size() < n) written_.resize(n, written_state{0, std::vector<uint32_t>(names_.size(), 0)});
    rocksdb::WriteBatch batch;
    std::vector<std::pair<size_t, written_state>> changed;
    reading_.resize(names_.size());
    for (size_t i = 0; i < n; ++i) {
        const mediate::stream_registry::entry& e = registry_.at(i);
        const uint64_t last_ms = e.last_ms.load(std::memory_order_relaxed);
        for (size_t c = 0; c < names_.size(); ++c) reading_[c] = e.sequences[c].load(std::memory_order_relaxed);
        if (last_ms == written_[i].last_ms && reading_ == written_[i].sequences) continue;
        stored_stream_state s{e.stream, e.domain, last_ms, {}};
        for (size_t c = 0; c < names_.size(); ++c) s.sequences.emplace_back(names_[c], reading_[c]);
        batch.Put(family_, encode_stream_state_key(e.stream), encode_stream_state_value(s)).PermitUncheckedError();
        changed.emplace_back(i, written_state{last_ms, reading_});
    }
    if (changed.empty()) return;
    const rocksdb::Status st = store_.db().Write(rocksdb::WriteOptions(), &batch);
    if (!st.ok()) {
        ++counters_.write_errors;
        if (!failing_) {
            log << log::error << "ipfix-enricher: store " << store_.path()
                << ": cannot write output sequence numbers (kept in memory, retried every second): " << st.ToString()
                << "\n";
        }
        failing_ = true;
        return;
    }
    if (failing_) log << "ipfix-enricher: store " << store_.path() << ": output sequence numbers written again\n";
    failing_ = false;
    counters_.written += changed.size();
    for (auto& [i, w] : changed) written_[i] = std::move(w);
}

}  // namespace ipfix::store
