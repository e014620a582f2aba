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
    // Writes the pending batch; false with `error` when RocksDB refuses (those messages are lost,
    // counted in write_errors).
    bool commit(std::string& error);

    // Up to `max_count` messages with seq >= `from`, in order (committed ones only).
    std::vector<spooled_message> read(uint64_t from, size_t max_count);
    // Removes every message with seq <= `seq` (delivered).
    void remove_through(uint64_t seq);

    // The templates the collector must get on a new connection, kept beside the messages (in
    // the pending batch) so that spooled data replayed after a restart has them.
    void save_templates(const std::vector<io::template_memory::entry>& templates);
    std::vector<io::template_memory::entry> load_templates();

    bool empty() const { return index_.empty(); }
    uint64_t messages() const { return index_.size(); }
    uint64_t bytes() const { return bytes_; }
    // The number after the highest held (0 when empty): where a restarted sender continues.
    uint64_t next_seq() const { return index_.empty() ? 0 : index_.rbegin()->first + 1; }
    uint64_t dropped() const { return dropped_; }
    uint64_t write_errors() const { return write_errors_; }

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
};

}  // namespace ipfix::store
