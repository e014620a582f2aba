#include "ipfix/enrich/as_database.hpp"

#include <stdexcept>

#include "ipfix/enrich/table_loader.hpp"

namespace ipfix::enrich {

as_database::as_database() : as_database(std::make_shared<const prefix_table>()) {}

as_database::as_database(std::shared_ptr<const prefix_table> initial) : current_(std::move(initial)) {
    if (!current_) throw std::invalid_argument("as_database: null table");
}

std::shared_ptr<const prefix_table> as_database::snapshot() const {
    std::lock_guard lock(mutex_);
    return current_;
}

void as_database::publish(std::shared_ptr<const prefix_table> next) {
    if (!next) throw std::invalid_argument("as_database: null table");
    {
        std::lock_guard lock(mutex_);
        retired_.push_back(std::move(current_));
        current_ = std::move(next);
        generation_.fetch_add(1, std::memory_order_release);
    }
    reclaim();
}

void as_database::reload(std::span<const std::string> paths) { publish(load_table(paths)); }

size_t as_database::reclaim() {
    std::vector<std::shared_ptr<const prefix_table>> unused;
    size_t held;
    {
        std::lock_guard lock(mutex_);
        // A retired table can no longer be handed out, so a count of 1 (ours) stays 1.
        for (auto it = retired_.begin(); it != retired_.end();) {
            if (it->use_count() == 1) {
                unused.push_back(std::move(*it));
                it = retired_.erase(it);
            } else {
                ++it;
            }
        }
        held = retired_.size();
    }
    return held;  // `unused` is destroyed here, outside the lock
}

as_database::reader::reader(const as_database& db) : db_(&db) {
    std::lock_guard lock(db.mutex_);
    table_ = db.current_;
    generation_ = db.generation_.load(std::memory_order_relaxed);
}

void as_database::reader::refresh() noexcept {
    std::unique_lock lock(db_->mutex_, std::try_to_lock);
    if (!lock) return;  // the control thread is publishing: keep the previous table one more burst
    table_ = db_->current_;  // the old table's count drops; the database still holds it (retired)
    generation_ = db_->generation_.load(std::memory_order_relaxed);
}

}  // namespace ipfix::enrich
