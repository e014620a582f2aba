#include "ipfix/log/leveled_log.hpp"
#include "ipfix/proto/byte_order.hpp"
#include "ipfix/store/retention_store.hpp"

#include <rocksdb/convenience.h>
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "be_append.hpp"
#include "rocksdb_open.hpp"

namespace ipfix::store {
namespace {

constexpr std::string_view retention_format_key = "format";
// Format 2: blocks of record groups (retention_codec). A format-1 store is taken over (its
// blocks still read) by rewriting the key, so a build that writes only format 1 refuses it.
constexpr std::string_view retention_format_value = "ipfix-enricher retention 2";
constexpr std::string_view retention_format_1 = "ipfix-enricher retention 1";
constexpr std::string_view blocks_family = "blocks";
constexpr char index_prefix = 'i';
// How often the memtables go to disk when nothing else flushes them: the records a kill -9
// can lose (the WAL is off, see writes()).
constexpr uint64_t flush_interval_ms = 30'000;

// No WAL for retention writes. What a crash can lose is bounded by the periodic flush, and
// RocksDB 7.8 (Debian 12) aborts on an assertion when a WAL write follows a failed one (fixed
// upstream in 9.x, PR 12448): with a full disk the daemon would die. Without the WAL a full disk
// fails the background flush instead, and later writes get that error until Resume().
rocksdb::WriteOptions writes() {
    rocksdb::WriteOptions w;
    w.disableWAL = true;
    return w;
}

std::string problem(const std::string& path, const std::string& what) {
    return store_problem("retention store", path, what);
}

uint64_t get_be64(std::string_view in, size_t at) {
    return proto::load_be64(reinterpret_cast<const uint8_t*>(in.data()) + at);
}

// Big-endian, so RocksDB's bytewise order is time order.
std::string block_key(uint64_t first_seen_ms, uint64_t sequence) {
    std::string k;
    k.reserve(16);
    append_be64(k, first_seen_ms);
    append_be64(k, sequence);
    return k;
}

std::string index_key(const std::string& block) {
    std::string k(1, index_prefix);
    return k += block;
}

std::string index_value(const block_info& info, uint64_t bytes) {
    std::string v;
    append_be64(v, info.last_seen_ms);
    append_be64(v, bytes);
    append_be64(v, info.records);
    return v;
}

// Whether the file system under `path` takes O_DIRECT writes (some FUSE and network file
// systems, and tmpfs before Linux 6.6, do not): one aligned block written beside the store, in
// the nearest directory that exists (never inside the store's own, which must stay empty).
bool direct_writes_work(const std::string& path) {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::path dir = fs::path(path).parent_path();
    while (!dir.empty() && !fs::is_directory(dir, ec)) dir = dir.parent_path();
    if (dir.empty()) dir = ".";
    const std::string probe = (dir / (".ipfix-direct-io-probe." + std::to_string(::getpid()))).string();
    const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_DIRECT | O_CLOEXEC, 0600);
    if (fd < 0) return false;
    constexpr size_t block = 4096;
    void* buffer = nullptr;
    bool ok = ::posix_memalign(&buffer, block, block) == 0;
    if (ok) {
        std::memset(buffer, 0, block);
        ok = ::pwrite(fd, buffer, block, 0) == static_cast<ssize_t>(block);
        std::free(buffer);
    }
    ::close(fd);
    ::unlink(probe.c_str());
    return ok;
}

// A format-1 store becomes a format-2 one: its blocks say which format they are in.
void upgrade_format(opened_db& d) {
    std::string format;
    const rocksdb::ReadOptions ro;
    if (!d.db->Get(ro, d.handles[0], std::string(retention_format_key), &format).ok() || format != retention_format_1) {
        return;
    }
    // Failing here leaves format 1 in place, and check_format refuses it with the reason.
    if (d.db->Put(writes(), d.handles[0], std::string(retention_format_key), std::string(retention_format_value)).ok()) {
        d.db->Flush(rocksdb::FlushOptions(), d.handles[0]).PermitUncheckedError();
    }
}

rocksdb::ColumnFamilyOptions blocks_options(const retention_options& o) {
    rocksdb::ColumnFamilyOptions c;
    // Blocks are written once, read rarely, and dropped in time order. They are packed already
    // (format 2's varints: LZ4 took 14% off them in retention_bench for as much CPU, in RocksDB's
    // flush thread, as the drain thread's encoding), so they are stored as they are. The memtable is
    // kept a small share of the cap so a tiny cap still holds.
    c.compression = rocksdb::kNoCompression;
    c.write_buffer_size = static_cast<size_t>(std::clamp<uint64_t>(o.max_bytes / 16, 256 << 10, 32 << 20));
    c.target_file_size_base = c.write_buffer_size * 2;
    return c;
}

}  // namespace

std::unique_ptr<retention_store> retention_store::open(const std::string& path, const retention_options& o) {
    db_request r;
    r.kind = "retention store";
    r.path = path;
    r.options.create_missing_column_families = true;
    r.options.max_open_files = 256;
    // Small preallocations: the store may sit on a small filesystem beside the template store.
    r.options.manifest_preallocation_size = 64 << 10;
    // Blocks and their index entries reach the disk together (no WAL to replay them).
    r.options.atomic_flush = true;
    // Flushes write past the page cache when the file system allows: the copy into it was
    // three quarters of RocksDB's CPU for retention, and its memory traffic the workers'.
    r.options.use_direct_io_for_flush_and_compaction = direct_writes_work(path);
    r.families = [&](const std::vector<std::string>& present) {
        std::vector<std::string> sorted = present;
        std::sort(sorted.begin(), sorted.end());
        if (!sorted.empty() &&
            sorted != std::vector<std::string>{std::string(blocks_family), rocksdb::kDefaultColumnFamilyName}) {
            throw store_error(problem(path, "is a RocksDB database of another program (column families differ); refusing to use it"));
        }
        // RocksDB recovers from a full disk once the free space exceeds the memtables it must
        // flush: keep them small (the index is tiny; the blocks' a share of the cap).
        rocksdb::ColumnFamilyOptions index_options;
        index_options.write_buffer_size = 256 << 10;
        return std::vector<rocksdb::ColumnFamilyDescriptor>{
            {rocksdb::kDefaultColumnFamilyName, index_options},
            {std::string(blocks_family), blocks_options(o)},
        };
    };
    opened_db d = open_db(r);
    upgrade_format(d);
    check_format(r, d, {retention_format_key, retention_format_value, d.handles[0], d.handles[1],
                        "has records but no format key", writes(), true});
    auto ret = std::unique_ptr<retention_store>(new retention_store(path, o, std::move(d.db), d.handles[1], d.handles[0]));
    ret->load_index();
    return ret;
}

std::unique_ptr<retention_store> retention_store::open_configured(const config::daemon_config& config,
                                                                  std::ostream& log) {
    if (!config.store.enabled || !config.store.retention.enabled) return nullptr;
    retention_options o;
    o.max_age_ms = uint64_t{config.store.retention.max_age_seconds} * 1000;
    o.max_bytes = config.store.retention.max_bytes;
    const std::string path = (std::filesystem::path(config.store.path) / "retention").string();
    try {
        auto r = open(path, o);
        const retention_counters c = r->counters();
        log << "ipfix-enricher: retention store " << path << ": " << c.records_held << " records (" << c.bytes_held
            << " bytes) held, kept " << config.store.retention.max_age_seconds << " s, at most "
            << config.store.retention.max_bytes << " bytes\n";
        return r;
    } catch (const store_error& e) {
        log << log::warning << "ipfix-enricher: " << e.what() << "; forwarding without record retention\n";
        return nullptr;
    }
}

retention_store::retention_store(std::string path, const retention_options& o, std::unique_ptr<rocksdb::DB> db,
                                 rocksdb::ColumnFamilyHandle* blocks, rocksdb::ColumnFamilyHandle* index)
    : path_(std::move(path)), options_(o), db_(std::move(db)), blocks_(blocks), index_cf_(index) {}

retention_store::~retention_store() {
    if (!db_) return;
    db_->Flush(rocksdb::FlushOptions(), {blocks_, index_cf_}).PermitUncheckedError();
    db_->DestroyColumnFamilyHandle(blocks_).PermitUncheckedError();
    db_->DestroyColumnFamilyHandle(index_cf_).PermitUncheckedError();
    db_->Close().PermitUncheckedError();
}

void retention_store::load_index() {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), index_cf_));
    const std::string first(1, index_prefix);
    for (it->Seek(first); it->Valid(); it->Next()) {
        const std::string_view k = it->key().ToStringView();
        const std::string_view v = it->value().ToStringView();
        if (k.empty() || k[0] != index_prefix) break;
        if (k.size() != 17 || v.size() != 24) continue;  // not ours: left alone, never counted in
        block_meta m{std::string(k.substr(1)), get_be64(v, 0), get_be64(v, 8),
                     static_cast<uint32_t>(std::min<uint64_t>(get_be64(v, 16), UINT32_MAX))};
        sequence_ = std::max(sequence_, get_be64(m.key, 8) + 1);
        counters_.bytes_held += m.bytes;
        counters_.records_held += m.records;
        index_.push_back(std::move(m));
    }
    publish();
}

void retention_store::make_room(uint64_t seen_ms) {
    if (open_block_.records() != 0) {
        const uint64_t lo = std::min(open_block_.first_seen_ms(), seen_ms);
        const uint64_t hi = std::max(open_block_.last_seen_ms(), seen_ms);
        if (hi - lo > max_block_span_ms) write_block();
    }
    if (open_block_.records() == 0) open_since_ms_ = seen_ms;
}

void retention_store::add(const pipeline::flow_summary& s) {
    make_room(s.seen_ms);
    open_block_.add(s);
    if (open_block_.records() >= options_.block_records) write_block();
}

void retention_store::add(const pipeline::tapped_datagram& d) {
    make_room(d.seen_ms);
    open_block_.add(d);
    if (open_block_.records() >= options_.block_records) write_block();
}

void retention_store::write_block() {
    if (open_block_.records() == 0) return;
    block_info info{open_block_.records(), open_block_.first_seen_ms(), open_block_.last_seen_ms()};
    const std::string_view value = open_block_.seal();
    const std::string key = block_key(info.first_seen_ms, sequence_++);
    const uint64_t bytes = key.size() + value.size();
    rocksdb::WriteBatch batch(static_cast<size_t>(bytes) + 128);
    rocksdb::Status s = batch.Put(blocks_, key, rocksdb::Slice(value.data(), value.size()));
    if (s.ok()) s = batch.Put(index_cf_, index_key(key), index_value(info, bytes));
    if (s.ok()) s = db_->Write(writes(), &batch);
    if (!s.ok()) {
        ++counters_.write_errors;
        counters_.lost_records += info.records;
        note_failure("write failed: " + s.ToString());
        return;
    }
    if (failing_) pending_error_.clear();
    failing_ = false;
    ++counters_.blocks_written;
    counters_.records_written += info.records;
    counters_.records_held += info.records;
    counters_.bytes_held += bytes;
    // Keys rise with time; a block of late records (rare) goes where its key sorts.
    block_meta m{key, info.last_seen_ms, bytes, info.records};
    if (index_.empty() || index_.back().key < key) {
        index_.push_back(std::move(m));
    } else {
        index_.insert(std::upper_bound(index_.begin(), index_.end(), m,
                                       [](const block_meta& a, const block_meta& b) { return a.key < b.key; }),
                      std::move(m));
    }
}

void retention_store::note_failure(const std::string& what) {
    failing_ = true;
    pending_error_ = problem(path_, what);
    std::lock_guard lock(published_mutex_);
    last_error_ = pending_error_;
}

bool retention_store::remove_front(size_t n, uint64_t& counter) {
    if (n == 0) return true;
    const std::string& begin = index_.front().key;
    // The end key is just past the n-th block: its key plus a zero byte.
    std::string end = index_[n - 1].key;
    end.push_back('\0');
    rocksdb::WriteBatch batch;
    rocksdb::Status s = batch.DeleteRange(blocks_, begin, end);
    if (s.ok()) s = batch.DeleteRange(index_cf_, index_key(begin), index_key(end));
    if (s.ok()) s = db_->Write(writes(), &batch);
    if (!s.ok()) {
        ++counters_.write_errors;
        note_failure("removing old blocks failed: " + s.ToString());
        return false;
    }
    // Whole SST files under the range go at once; the rest when compaction reaches them.
    const rocksdb::Slice b(begin), e(end);
    rocksdb::DeleteFilesInRange(db_.get(), blocks_, &b, &e).PermitUncheckedError();
    for (size_t i = 0; i < n; ++i) {
        counter += index_.front().records;
        counters_.records_held -= index_.front().records;
        counters_.bytes_held -= index_.front().bytes;
        index_.pop_front();
    }
    return true;
}

void retention_store::expire(uint64_t now_ms) {
    if (now_ms < options_.max_age_ms) return;
    const uint64_t cutoff = now_ms - options_.max_age_ms;
    size_t n = 0;
    // Blocks go whole, once their newest record is past the age; query() hides the older
    // records of a block that straddles the cut.
    while (n < index_.size() && index_[n].last_seen_ms < cutoff) ++n;
    remove_front(n, counters_.expired_records);
}

void retention_store::enforce_cap() {
    uint64_t sst = 0;
    if (db_->GetIntProperty(blocks_, "rocksdb.live-sst-files-size", &sst)) counters_.disk_bytes = sst;
    // Our own count is exact for what we hold; RocksDB's files also hold what compaction has
    // not yet removed, so when they are over the cap drop enough to bring both under it.
    uint64_t over = counters_.bytes_held > options_.max_bytes ? counters_.bytes_held - options_.max_bytes : 0;
    if (sst > options_.max_bytes) over = std::max(over, sst - options_.max_bytes);
    if (over == 0) return;
    size_t n = 0;
    uint64_t freed = 0;
    while (n < index_.size() && freed < over) freed += index_[n++].bytes;
    if (!remove_front(n, counters_.dropped_records)) return;
    if (sst > options_.max_bytes && n != 0) {
        // Disk is over the cap: reclaim now rather than at the next natural compaction.
        rocksdb::CompactRangeOptions c;
        c.exclusive_manual_compaction = false;
        const std::string end = index_.empty() ? std::string(16, '\xff') : index_.front().key;
        const rocksdb::Slice e(end);
        db_->CompactRange(c, blocks_, nullptr, &e).PermitUncheckedError();
    }
}

void retention_store::tick(uint64_t now_ms, std::ostream& log) {
    if (failing_ && now_ms - last_resume_ms_ >= 1000) {
        // After a failed flush (disk full) RocksDB refuses writes until resumed.
        last_resume_ms_ = now_ms;
        // With the WAL off a write fails only while RocksDB holds a background error, so a
        // successful Resume() means the store is writable again.
        if (db_->Resume().ok()) {
            failing_ = false;
            pending_error_.clear();
        }
    }
    if (open_block_.records() != 0 && now_ms >= open_since_ms_ + options_.block_ms) write_block();
    if (!failing_ && counters_.blocks_written != flushed_blocks_ && now_ms - last_flush_ms_ >= flush_interval_ms) {
        last_flush_ms_ = now_ms;
        flushed_blocks_ = counters_.blocks_written;
        rocksdb::FlushOptions f;
        f.wait = false;  // in RocksDB's background thread; a failure shows in the next write
        db_->Flush(f, {blocks_, index_cf_}).PermitUncheckedError();
    }
    if (now_ms - last_expiry_ms_ >= 1000) {
        last_expiry_ms_ = now_ms;
        expire(now_ms);
        enforce_cap();
    }
    if (failing_ && !reported_) {
        log << log::error << "ipfix-enricher: " << pending_error_ << "; forwarding goes on, records are not retained until it recovers\n";
        reported_ = true;
    } else if (!failing_ && reported_) {
        log << "ipfix-enricher: retention store " << path_ << ": writing again\n";
        reported_ = false;
    }
    publish();
}

void retention_store::flush(std::ostream& log) {
    write_block();
    if (failing_ && !reported_) {
        log << log::error << "ipfix-enricher: " << pending_error_ << "\n";
        reported_ = true;
    }
    publish();
}

void retention_store::publish() {
    std::lock_guard lock(published_mutex_);
    published_ = counters_;
    failing_published_ = failing_;
}

retention_counters retention_store::counters() const {
    std::lock_guard lock(published_mutex_);
    retention_counters c = published_;
    c.corrupt_blocks = corrupt_blocks_.load(std::memory_order_relaxed);
    return c;
}

void retention_store::report(pipeline::store_stats& out) const {
    const retention_counters c = counters();
    out.retention_records_written = c.records_written;
    out.retention_records = c.records_held;
    out.retention_bytes = c.bytes_held;
    out.retention_expired_records = c.expired_records;
    out.retention_dropped_records = c.dropped_records;
    out.retention_write_errors = c.write_errors;
    out.retention_lost_records = c.lost_records;
    std::lock_guard lock(published_mutex_);
    out.failing |= failing_published_ ? 1 : 0;
}

std::string retention_store::last_error() const {
    std::lock_guard lock(published_mutex_);
    return last_error_;
}

size_t retention_store::query(uint64_t from_ms, uint64_t to_ms, uint64_t now_ms, const record_predicate& match,
                              const record_predicate& emit) const {
    if (now_ms > options_.max_age_ms) from_ms = std::max(from_ms, now_ms - options_.max_age_ms);
    if (from_ms > to_ms) return 0;
    const uint64_t seek_ms = from_ms > max_block_span_ms ? from_ms - max_block_span_ms : 0;
    rocksdb::ReadOptions ro;
    // Blocks whose first record is after to_ms hold nothing wanted.
    const std::string upper = to_ms == UINT64_MAX ? std::string(17, '\xff') : block_key(to_ms + 1, 0);
    const rocksdb::Slice upper_slice(upper);
    ro.iterate_upper_bound = &upper_slice;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, blocks_));
    size_t emitted = 0;
    bool more = true;
    uint64_t corrupt = 0;
    for (it->Seek(block_key(seek_ms, 0)); more && it->Valid(); it->Next()) {
        const std::string_view v = it->value().ToStringView();
        block_info info;
        if (!read_block_info(v, info)) {
            ++corrupt;
            continue;
        }
        if (info.last_seen_ms < from_ms) continue;
        const bool ok = decode_block(v, [&](const pipeline::flow_summary& s) {
            if (s.seen_ms < from_ms || s.seen_ms > to_ms || (match && !match(s))) return true;
            ++emitted;
            more = emit(s);
            return more;
        });
        if (!ok) ++corrupt;
    }
    corrupt_blocks_.fetch_add(corrupt, std::memory_order_relaxed);
    return emitted;
}

retention_store::query_function retention_store::query_since() const {
    return [this](uint64_t from_ms, const record_predicate& match, const record_predicate& emit) {
        using namespace std::chrono;
        const auto now = static_cast<uint64_t>(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
        query(from_ms, now, now, match, emit);
    };
}

}  // namespace ipfix::store
