// The current AS table, replaced atomically on reload (read-copy-update).
//
// The control thread builds a new table beside the old one (load_table(), seconds) and publishes
// it; readers keep whatever table they hold until they ask again, so a lookup never sees a
// half-built table and never waits. A data-path worker owns one `reader` and calls current()
// once per burst: that is one atomic load of the generation counter (a read-mostly cache line);
// only after a publish does it take the new snapshot, and if the control thread holds the lock at
// that moment it keeps the previous table for one more burst instead of waiting.
// Old tables are freed by the control thread (reclaim()), never on the data path.
//
//   as_database db;                                  // empty: every lookup misses
//   db.reload({asn_path, country_path});             // control thread; throws load_error
//   as_database::reader r(db);                       // per worker
//   for (;;) { const prefix_table& t = r.current(); /* burst of lookups on t */ }
#pragma once

#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "ipfix/enrich/prefix_table.hpp"

namespace ipfix::enrich {

class as_database {
public:
    as_database();
    explicit as_database(std::shared_ptr<const prefix_table> initial);
    as_database(const as_database&) = delete;
    as_database& operator=(const as_database&) = delete;

    // The current table (control plane, tools, tests). Never null.
    std::shared_ptr<const prefix_table> snapshot() const;

    // Bumped by every publish.
    uint64_t generation() const noexcept { return generation_.load(std::memory_order_acquire); }

    // Makes `next` current; the previous table is freed once no reader holds it (see reclaim).
    void publish(std::shared_ptr<const prefix_table> next);

    // load_table(paths) then publish. On load_error the current table stays and the error is rethrown.
    void reload(std::span<const std::string> paths);
    void reload(std::initializer_list<std::string> paths) {
        reload(std::span<const std::string>(paths.begin(), paths.size()));
    }

    // Frees the replaced tables no reader holds any more; returns how many are still held.
    // Call from the control thread (publish calls it too).
    size_t reclaim();

    // A worker's view: the table it uses until its next current() call. Not thread-safe itself
    // (one per thread); must not outlive the database.
    class reader {
    public:
        explicit reader(const as_database& db);

        const prefix_table& current() noexcept {
            const uint64_t g = db_->generation_.load(std::memory_order_acquire);
            if (g != generation_) [[unlikely]]
                refresh();
            return *table_;
        }

        uint64_t generation() const noexcept { return generation_; }

    private:
        void refresh() noexcept;

        const as_database* db_;
        uint64_t generation_;
        std::shared_ptr<const prefix_table> table_;
    };

private:
    mutable std::mutex mutex_;  // guards current_, retired_ and publishing
    std::shared_ptr<const prefix_table> current_;
    std::vector<std::shared_ptr<const prefix_table>> retired_;
    alignas(64) std::atomic<uint64_t> generation_{0};
};

}  // namespace ipfix::enrich
