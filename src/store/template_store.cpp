#include "ipfix/store/template_store.hpp"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include "rocksdb_open.hpp"

namespace ipfix::store {
namespace {

constexpr std::string_view kind = "template store";

std::string problem(const std::string& path, const std::string& what) { return store_problem(kind, path, what); }

// Templates and spooled messages are small: keep the memtables small too. RocksDB recovers
// from a full disk only once the free space exceeds the largest memtable, so this is also
// what a small filesystem must have free again before the store writes.
rocksdb::ColumnFamilyOptions family_options() {
    rocksdb::ColumnFamilyOptions c;
    c.write_buffer_size = 4 << 20;
    return c;
}

}  // namespace

std::unique_ptr<template_store> template_store::open(const std::string& path, mode m) {
    db_request r;
    r.kind = kind;
    r.path = path;
    r.read_only = m == mode::read_only;
    r.options.max_open_files = 64;
    // Every column family the directory has must be opened (others' parts: the TCP spool).
    r.families = [](const std::vector<std::string>& present) {
        std::vector<rocksdb::ColumnFamilyDescriptor> d;
        for (const std::string& n : present) d.emplace_back(n, family_options());
        if (d.empty()) d.emplace_back(rocksdb::kDefaultColumnFamilyName, family_options());
        return d;
    };
    opened_db d = open_db(r);
    size_t default_at = 0;
    for (size_t i = 0; i < d.handles.size(); ++i) {
        if (d.handles[i]->GetName() == rocksdb::kDefaultColumnFamilyName) default_at = i;
    }
    std::string not_ours = "is a RocksDB database of another program (no '";
    not_ours += format_key;
    not_ours += "' key)";
    check_format(r, d, {format_key, format_value, d.handles[default_at], d.handles[default_at], not_ours, {}, false});
    std::map<std::string, rocksdb::ColumnFamilyHandle*> families;
    for (rocksdb::ColumnFamilyHandle* h : d.handles) {
        if (h->GetName() == rocksdb::kDefaultColumnFamilyName) d.db->DestroyColumnFamilyHandle(h).PermitUncheckedError();
        else families[h->GetName()] = h;
    }
    auto store = std::unique_ptr<template_store>(new template_store(path, std::move(d.db), m));
    store->families_ = std::move(families);
    return store;
}

rocksdb::ColumnFamilyHandle* template_store::column_family(const std::string& name, std::string& error) {
    if (auto it = families_.find(name); it != families_.end()) return it->second;
    rocksdb::ColumnFamilyHandle* h = nullptr;
    const rocksdb::Status s = db_->CreateColumnFamily(family_options(), name, &h);
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

bool template_store::probe(std::string& error) {
    if (mode_ == mode::read_only) return false;
    const rocksdb::Status s = db_->Put(rocksdb::WriteOptions(), std::string(format_key), std::string(format_value));
    if (s.ok()) return true;
    // Busy while RocksDB's own recovery waits for room; any other refusal shows in the next probe.
    db_->Resume().PermitUncheckedError();
    error = problem(path_, "write failed: " + s.ToString());
    return false;
}

}  // namespace ipfix::store
