// Keeps the stream registry (each stream's output domain and next sequence number per
// collector) in the store across restarts, in a column family of the template store. Made
// before the workers run, it restores what the last run left of streams sent within the
// template lifetime; tick() writes what changed, every second and once more after the workers
// have stopped. So a clean restart continues every stream's domain and sequence exactly; after
// a crash the sequences are at most a second behind. Control thread only.
//
//   mediate::stream_registry registry(collectors, capacity);
//   auto sync = store::stream_state_sync::open(templates.store(), config, registry, now_ms, log);
//   every second: sync->tick(log);   after stopping the pipeline: sync->tick(log)
#pragma once

#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "ipfix/config/config.hpp"
#include "ipfix/mediate/stream_registry.hpp"
#include "ipfix/store/stream_state_codec.hpp"
#include "ipfix/store/template_store.hpp"

namespace ipfix::store {

struct stream_state_counters {
    uint64_t restored = 0;
    uint64_t expired = 0;          // stored streams older than the lifetime, removed
    uint64_t corrupt_skipped = 0;  // stored entries that did not decode
    uint64_t written = 0;          // stream states put
    uint64_t write_errors = 0;     // batches RocksDB refused
};

class stream_state_sync {
public:
    // Null, with the reason in `log`, when the store cannot give it a column family.
    static std::unique_ptr<stream_state_sync> open(template_store& store, const config::daemon_config& config,
                                                   mediate::stream_registry& registry, uint64_t now_ms, std::ostream& log);

    // Writes the states that changed since the last tick; logs a failure once, and the recovery.
    void tick(std::ostream& log);

    const stream_state_counters& counters() const { return counters_; }

private:
    struct written_state {
        uint64_t last_ms = 0;
        std::vector<uint32_t> sequences;
    };
    stream_state_sync(template_store& store, rocksdb::ColumnFamilyHandle* family, mediate::stream_registry& registry,
                      std::vector<std::string> names);
    void restore(uint64_t now_ms, uint64_t lifetime_ms);

    template_store& store_;
    rocksdb::ColumnFamilyHandle* family_;
    mediate::stream_registry& registry_;
    std::vector<std::string> names_;       // per collector index
    std::vector<written_state> written_;   // per registry entry: as last stored
    std::vector<uint32_t> reading_;        // one entry's sequences as read now (no allocation per entry)
    stream_state_counters counters_;
    bool failing_ = false;
};

}  // namespace ipfix::store
