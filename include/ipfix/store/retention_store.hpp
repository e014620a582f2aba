// Enriched records kept for a while (store.retention): the control thread adds tapped datagrams
// (or flow summaries), their records are packed into blocks (up to `block_records`, or `block_ms` old) and each block is one
// RocksDB value keyed by big-endian (first seen ms, sequence), so keys run in time order. Blocks
// older than `max_age_ms` go by range delete; over `max_bytes` the oldest go, counted. A failed
// write loses that block (counted, the reason kept) and never stops the caller. Writes skip
// the WAL (memtables are flushed every 30 s and at close): a kill -9 loses at most that much.
//
//   auto r = store::retention_store::open(dir, options);   // throws store_error
//   control thread: r->add(datagram) for each drained datagram; r->tick(now_ms, log) every ~100 ms
//   any thread:     r->query(from_ms, to_ms, match, emit);
//
// Its own RocksDB directory (the template store's sits beside it; flushes bypass the page cache
// where the file system allows O_DIRECT): a column family "blocks"
// for the records (uncompressed: they are packed already) and, in the default one, a small index entry per block so opening
// never reads the blocks themselves.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>

#include "ipfix/config/config.hpp"
#include "ipfix/pipeline/flow_summary.hpp"
#include "ipfix/pipeline/live_pipeline.hpp"
#include "ipfix/store/retention_codec.hpp"
#include "ipfix/store/template_store.hpp"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
}  // namespace rocksdb

namespace ipfix::store {

struct retention_options {
    uint64_t max_age_ms = 3600 * 1000;
    uint64_t max_bytes = uint64_t{1} << 30;
    uint32_t block_records = 1000;
    uint64_t block_ms = 1000;
};

struct retention_counters {
    uint64_t records_written = 0;   // records in blocks written
    uint64_t blocks_written = 0;
    uint64_t records_held = 0;      // in the store now
    uint64_t bytes_held = 0;        // encoded bytes in the store now (keys and values)
    uint64_t disk_bytes = 0;        // RocksDB's SST files, as it reports them
    uint64_t expired_records = 0;   // removed at max_age
    uint64_t dropped_records = 0;   // removed, oldest first, to stay under max_bytes
    uint64_t write_errors = 0;      // writes RocksDB refused (disk full, I/O error)
    uint64_t lost_records = 0;      // records in blocks that could not be written
    uint64_t corrupt_blocks = 0;    // blocks a query could not decode (skipped)
};

class retention_store {
public:
    // Any record matching `match` is offered to `emit`; emit returns false to stop.
    using record_predicate = std::function<bool(const pipeline::flow_summary&)>;
    // What the stats port's tail calls: records seen since `from_ms` up to now, oldest first.
    using query_function = std::function<void(uint64_t from_ms, const record_predicate& match,
                                              const record_predicate& emit)>;

    // A block's records never span more than this: a query starting at t seeks to t minus it.
    static constexpr uint64_t max_block_span_ms = 10'000;

    // Creates the directory and an empty store when missing. A directory holding anything
    // other than a retention store of this format, or one RocksDB finds corrupted, is refused.
    static std::unique_ptr<retention_store> open(const std::string& path, const retention_options& o);
    // The daemon's: <store.path>/retention with store.retention's limits. Null, with the reason
    // in `log`, when retention is off or the directory is refused (forwarding goes on).
    static std::unique_ptr<retention_store> open_configured(const config::daemon_config& config, std::ostream& log);
    ~retention_store();
    retention_store(const retention_store&) = delete;
    retention_store& operator=(const retention_store&) = delete;

    // Control thread. Writes the open block when it is full.
    void add(const pipeline::flow_summary& s);
    // Control thread: the datagram's data records, encoded without building summaries (the
    // daemon's way; a block may then pass block_records by the datagram's last records).
    void add(const pipeline::tapped_datagram& d);
    // Control thread. Writes the open block when it is `block_ms` old, expires (once a second),
    // keeps the size under the cap. A write failure is logged once, and the recovery.
    void tick(uint64_t now_ms, std::ostream& log);
    // Control thread: writes the open block whatever its age (at shutdown, in tests).
    void flush(std::ostream& log);

    // Any thread, concurrently with the writer. Records with from_ms <= seen_ms <= to_ms that
    // are within max_age of `now_ms`, oldest block first. Returns how many were emitted.
    size_t query(uint64_t from_ms, uint64_t to_ms, uint64_t now_ms, const record_predicate& match,
                 const record_predicate& emit) const;
    // query() from `from_ms` to the wall clock now, as the stats port wants it.
    query_function query_since() const;

    // Any thread: a copy as of the last tick/flush, and the last write error ("" if none yet).
    retention_counters counters() const;
    // Adds these counters to the stats port's (any thread).
    void report(pipeline::store_stats& out) const;
    std::string last_error() const;
    const std::string& path() const { return path_; }

private:
    struct block_meta {
        std::string key;
        uint64_t last_seen_ms = 0;
        uint64_t bytes = 0;
        uint32_t records = 0;
    };
    retention_store(std::string path, const retention_options& o, std::unique_ptr<rocksdb::DB> db,
                    rocksdb::ColumnFamilyHandle* blocks, rocksdb::ColumnFamilyHandle* index);
    void load_index();
    // Writes the open block first when a record seen at `seen_ms` would stretch it too far.
    void make_room(uint64_t seen_ms);
    void write_block();
    // Removes blocks [0, n) of index_ in one batch; false (nothing changed) if the write fails.
    bool remove_front(size_t n, uint64_t& counter);
    void expire(uint64_t now_ms);
    void enforce_cap();
    void note_failure(const std::string& what);
    void publish();

    std::string path_;
    retention_options options_;
    std::unique_ptr<rocksdb::DB> db_;
    rocksdb::ColumnFamilyHandle* blocks_;
    rocksdb::ColumnFamilyHandle* index_cf_;
    std::deque<block_meta> index_;  // every block held, in key order
    block_encoder open_block_;
    uint64_t open_since_ms_ = 0;    // seen time of the open block's first record
    uint64_t sequence_ = 0;
    uint64_t last_expiry_ms_ = 0;
    uint64_t last_resume_ms_ = 0;
    uint64_t last_flush_ms_ = 0;
    uint64_t flushed_blocks_ = 0;   // blocks_written at the last periodic flush
    bool failing_ = false;
    bool reported_ = false;         // the current failure has been logged
    std::string pending_error_;
    retention_counters counters_;

    mutable std::mutex published_mutex_;
    retention_counters published_;
    std::string last_error_;
    bool failing_published_ = false;
    mutable std::atomic<uint64_t> corrupt_blocks_{0};  // found by queries, on any thread
};

}  // namespace ipfix::store
