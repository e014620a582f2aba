#include "ipfix/store/template_store.hpp"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <filesystem>
#include <system_error>

#include "silent_logger.hpp"

namespace ipfix::store {
namespace {

std::string problem(const std::string& path, const std::string& what) {
    std::string m = "template store ";
    m += path;
    m += ": ";
    m += what;
    return m;
}

// Refuses a directory that holds something other than a RocksDB database before RocksDB
// would create one among foreign files.
void check_directory(const std::string& path, template_store::mode m) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::file_status st = fs::status(path, ec);
    if (!fs::exists(st)) {
        if (m == template_store::mode::read_only) throw store_error(problem(path, "does not exist"));
        fs::create_directories(path, ec);
        if (ec) throw store_error(problem(path, "cannot create the directory: " + ec.message()));
        return;
    }
    if (!fs::is_directory(st)) throw store_error(problem(path, "is not a directory"));
    const bool empty = fs::is_empty(path, ec);
    if (ec) throw store_error(problem(path, "cannot read the directory: " + ec.message()));
    if (!empty && !fs::exists(fs::path(path) / "CURRENT", ec)) {
        throw store_error(problem(path, "holds files but no RocksDB database (no CURRENT file); refusing to use it"));
    }
}

}  // namespace

std::unique_ptr<template_store> template_store::open(const std::string& path, mode m) {
    check_directory(path, m);
    rocksdb::Options o;
    o.create_if_missing = m == mode::read_write;
    o.paranoid_checks = true;
    // Templates are small and few: keep the memory and the log files small too.
    o.write_buffer_size = 4 << 20;
    o.max_open_files = 64;
    o.info_log = make_silent_logger();
    // Every column family the directory has must be opened (others' parts: the TCP spool).
    std::vector<std::string> names;
    if (!rocksdb::DB::ListColumnFamilies(o, path, &names).ok() || names.empty()) names = {rocksdb::kDefaultColumnFamilyName};
    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
    for (const std::string& n : names) descriptors.emplace_back(n, rocksdb::ColumnFamilyOptions(o));
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    const rocksdb::Status s = m == mode::read_only ? rocksdb::DB::OpenForReadOnly(o, path, descriptors, &handles, &raw)
                                                   : rocksdb::DB::Open(o, path, descriptors, &handles, &raw);
    if (!s.ok()) throw store_error(problem(path, "cannot open: " + s.ToString()));
    std::unique_ptr<rocksdb::DB> db(raw);
    std::map<std::string, rocksdb::ColumnFamilyHandle*> families;
    for (rocksdb::ColumnFamilyHandle* h : handles) {
        if (h->GetName() == rocksdb::kDefaultColumnFamilyName) db->DestroyColumnFamilyHandle(h).PermitUncheckedError();
        else families[h->GetName()] = h;
    }

    std::string format;
    const rocksdb::Status f = db->Get(rocksdb::ReadOptions(), std::string(format_key), &format);
    if (f.IsNotFound()) {
        std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions()));
        it->SeekToFirst();
        if (it->Valid()) {
            throw store_error(problem(path, "is a RocksDB database of another program (no '" + std::string(format_key) +
                                                "' key); refusing to use it"));
        }
        if (m == mode::read_write) {
            const rocksdb::Status w = db->Put(rocksdb::WriteOptions(), std::string(format_key), std::string(format_value));
            if (!w.ok()) throw store_error(problem(path, "cannot write: " + w.ToString()));
        }
    } else if (!f.ok()) {
        throw store_error(problem(path, "cannot read: " + f.ToString()));
    } else if (format != format_value) {
        // Bounded: the value is untrusted and goes into a log line.
        const std::string shown = format.substr(0, 64);
        throw store_error(problem(path, "has format '" + shown + "', this build reads '" + std::string(format_value) +
                                            "'; refusing to use it"));
    }
    auto store = std::unique_ptr<template_store>(new template_store(path, std::move(db), m));
    store->families_ = std::move(families);
    return store;
}

rocksdb::ColumnFamilyHandle* template_store::column_family(const std::string& name, std::string& error) {
    if (auto it = families_.find(name); it != families_.end()) return it->second;
    rocksdb::ColumnFamilyHandle* h = nullptr;
    const rocksdb::Status s = db_->CreateColumnFamily(rocksdb::ColumnFamilyOptions(), name, &h);
    if (!s.ok()) {
        error = problem(path_, "cannot create the column family " + name + ": " + s.ToString());
        return nullptr;
    }
    families_[name] = h;
    return h;
}

template_store::template_store(std::string path, std::unique_ptr<rocksdb::DB> db, mode m)
    : path_(std::move(path)), db_(std::move(db)), batch_(std::make_unique<rocksdb::WriteBatch>()), mode_(m) {}

template_store::~template_store() {
    for (auto& [name, h] : families_) db_->DestroyColumnFamilyHandle(h).PermitUncheckedError();
    if (db_) db_->Close().PermitUncheckedError();
}

std::vector<stored_template> template_store::read_all() {
    std::vector<stored_template> out;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
        const rocksdb::Slice k = it->key();
        if (k.ToStringView() == format_key) continue;
        decode_result r = decode(k.ToStringView(), it->value().ToStringView());
        if (!r.value || to_def(*r.value) == nullptr) {
            ++counters_.corrupt_skipped;
            continue;
        }
        out.push_back(std::move(*r.value));
    }
    if (!it->status().ok()) ++counters_.corrupt_skipped;
    return out;
}

std::vector<stored_template> template_store::load(uint64_t now_ms, uint64_t lifetime_ms) {
    std::vector<stored_template> all = read_all();
    std::vector<stored_template> live;
    live.reserve(all.size());
    for (stored_template& t : all) {
        std::string key = encode_key(t.stream, t.id);
        if (now_ms > t.last_seen_ms && now_ms - t.last_seen_ms > lifetime_ms) {
            if (mode_ == mode::read_write) batch_->Delete(key);
            ++counters_.expired;
            continue;
        }
        index_[std::move(key)] = {t.options, t.last_seen_ms};
        live.push_back(std::move(t));
    }
    return live;
}

void template_store::put(const proto::stream_key& stream, const proto::template_def& def, uint64_t last_seen_ms) {
    std::string key = encode_key(stream, def.id);
    batch_->Put(key, encode_value(from_def(stream, def, last_seen_ms)));
    index_[std::move(key)] = {def.options, last_seen_ms};
    ++counters_.written;
}

void template_store::erase(std::map<std::string, entry>::iterator it) {
    batch_->Delete(it->first);
    index_.erase(it);
}

void template_store::remove(const proto::stream_key& stream, uint16_t id) {
    auto it = index_.find(encode_key(stream, id));
    if (it == index_.end()) return;
    erase(it);
    ++counters_.removed;
}

void template_store::remove_all(const proto::stream_key& stream, bool options) {
    const std::string prefix = encode_stream_prefix(stream);
    for (auto it = index_.lower_bound(prefix); it != index_.end() && it->first.starts_with(prefix);) {
        auto next = std::next(it);
        if (it->second.options == options) {
            erase(it);
            ++counters_.removed;
        }
        it = next;
    }
}

size_t template_store::expire(uint64_t now_ms, uint64_t lifetime_ms) {
    size_t n = 0;
    for (auto it = index_.begin(); it != index_.end();) {
        auto next = std::next(it);
        if (now_ms > it->second.last_seen_ms && now_ms - it->second.last_seen_ms > lifetime_ms) {
            erase(it);
            ++n;
        }
        it = next;
    }
    counters_.expired += n;
    return n;
}

bool template_store::pending() const { return batch_->Count() > 0; }

bool template_store::commit(std::string& error) {
    if (!pending()) return true;
    rocksdb::Status s;
    if (mode_ == mode::read_only) s = rocksdb::Status::NotSupported("the store is open read-only");
    else s = db_->Write(rocksdb::WriteOptions(), batch_.get());
    batch_->Clear();
    if (!s.ok()) {
        ++counters_.write_errors;
        error = problem(path_, "write failed: " + s.ToString());
        return false;
    }
    ++counters_.commits;
    return true;
}

}  // namespace ipfix::store
