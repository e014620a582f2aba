// A TCP collector's backlog in the store's RocksDB database (its own column family): the
// messages that could not be written to the collector, in order, under a byte cap. Each message
// keeps the number it was given when it left the workers' queue, so messages taken back from a
// broken connection go before later ones. At the cap the oldest are dropped (counted) and handed
// to the caller (their templates must still be learnt). One thread (the collector's sender).
//
//   store::spool s(db, family, "192.0.2.9:4739", 256 << 20);
//   s.append(seq, message, on_drop);  s.commit(error);
//   for (auto& e : s.read(from_seq, 64)) write(e.bytes);   s.remove_through(acked_seq);
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "ipfix/io/template_memory.hpp"

namespace rocksdb {
class ColumnFamilyHandle;
class DB;
class WriteBatch;
}  // namespace rocksdb

namespace ipfix::store {

struct spooled_message {
    uint64_t seq = 0;
    std::vector<uint8_t> bytes;
};

class spool {
public:
    using drop_fn = std::function<void(std::span<const uint8_t>)>;

    // Picks up what the family holds for `name` from an earlier run.
    spool(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* family, std::string name, uint64_t max_bytes);
    ~spool();
    spool(const spool&) = delete;
    spool& operator=(const spool&) = delete;

    // Adds a message (into the pending batch). Beyond the cap the oldest go first, each given
    // to `dropped`; a message over the cap alone is dropped itself.
    void append(uint64_t seq, std::span<const uint8_t> message, const drop_fn& dropped);
    // Writes the pending batch; false with `error` when RocksDB refuses (disk full, I/O error):
    // the messages in it are lost (counted in lost(), each given to the on_lost function), the
    // spool is failing() until a write goes through, and the removals in it are written again
    // with the next batch.
    bool commit(std::string& error);
    // Who learns the templates of messages a refused write lost (as of those `dropped` at the cap).
    void on_lost(drop_fn f) { on_lost_ = std::move(f); }

    // Up to `max_count` messages with seq >= `from`, in order (committed ones only).
    std::vector<spooled_message> read(uint64_t from, size_t max_count);
    // Removes every message with seq <= `seq` (delivered).
    void remove_through(uint64_t seq);

    // The templates the collector must get on a new connection, kept beside the messages (in
    // the pending batch) so that spooled data replayed after a restart has them.
    void save_templates(const std::vector<io::template_memory::entry>& templates);
    std::vector<io::template_memory::entry> load_templates();
    // While failing(): saves the templates and commits, a refusal not counted in write_errors()
    // unless the batch held messages. True when the spool writes again.
    bool retry(const std::vector<io::template_memory::entry>& templates, std::string& error);

    bool empty() const { return index_.empty(); }
    uint64_t messages() const { return index_.size(); }
    uint64_t bytes() const { return bytes_; }
    // The number after the highest held (0 when empty): where a restarted sender continues.
    uint64_t next_seq() const { return index_.empty() ? 0 : index_.rbegin()->first + 1; }
    uint64_t dropped() const { return dropped_; }
    uint64_t write_errors() const { return write_errors_; }  // batches refused
    uint64_t lost() const { return lost_; }                  // messages in them
    bool failing() const { return failing_; }

private:
    std::string key(uint64_t seq) const;
    void drop_front(const drop_fn& dropped);

    rocksdb::DB& db_;
    rocksdb::ColumnFamilyHandle* family_;
    std::string prefix_;
    uint64_t max_bytes_;
    std::unique_ptr<rocksdb::WriteBatch> batch_;
    std::map<uint64_t, uint32_t> index_;  // seq -> size of what the family holds (or will)
    std::map<uint64_t, uint32_t> pending_;  // appended since the last commit
    uint64_t bytes_ = 0;
    uint64_t dropped_ = 0;
    uint64_t write_errors_ = 0;
    uint64_t lost_ = 0;
    bool failing_ = false;
    bool retrying_ = false;
    drop_fn on_lost_;
    std::vector<uint64_t> removed_;   // seqs whose deletion is in the pending batch
    std::vector<uint64_t> unremoved_; // ... or was in a refused one
};

}  // namespace ipfix::store
