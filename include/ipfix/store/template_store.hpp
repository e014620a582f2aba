// The persisted templates of every stream, in an embedded RocksDB directory: put as they are
// learnt or refreshed, removed on withdrawal and expiry, read back at start. Changes collect in
// one write batch until commit(). Control thread only (not thread-safe).
//
//   auto s = store::template_store::open("/var/lib/ipfix-enricher/store");
//   for (const stored_template& t : s->load(now_ms, lifetime_ms)) install(t);
//   s->put(stream, def, now_ms); s->commit(error);
//
// A directory that is not ours (another program's RocksDB, other files, another format) or
// that RocksDB finds corrupted is refused: open() throws store_error with what was found.
// Stored values are checked like input from the network: a bad one is skipped and counted.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "ipfix/proto/stream_key.hpp"
#include "ipfix/proto/template_def.hpp"
#include "ipfix/store/template_codec.hpp"

namespace rocksdb {
class ColumnFamilyHandle;
class DB;
class WriteBatch;
}  // namespace rocksdb

namespace ipfix::store {

class store_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct store_counters {
    uint64_t written = 0;          // templates put
    uint64_t removed = 0;          // withdrawn
    uint64_t expired = 0;
    uint64_t commits = 0;          // batches written
    uint64_t write_errors = 0;     // batches RocksDB refused (disk full, I/O error)
    uint64_t corrupt_skipped = 0;  // stored entries that did not decode
};

class template_store {
public:
    enum class mode : uint8_t { read_write, read_only };
    // Creates the directory (and its parents) and an empty store when missing (read_write).
    static std::unique_ptr<template_store> open(const std::string& path, mode m = mode::read_write);
    ~template_store();
    template_store(const template_store&) = delete;
    template_store& operator=(const template_store&) = delete;

    // Every entry that decodes, in key order (stream, then id); bad ones skipped and counted.
    std::vector<stored_template> read_all();
    // Reads every entry, keeps those sent within `lifetime_ms` of `now_ms` and returns them,
    // removing the expired ones (in the pending batch). Call once, before any put.
    std::vector<stored_template> load(uint64_t now_ms, uint64_t lifetime_ms);

    void put(const proto::stream_key& stream, const proto::template_def& def, uint64_t last_seen_ms);
    void remove(const proto::stream_key& stream, uint16_t id);
    // Every data template of the stream, or every options template (IPFIX "withdraw all").
    void remove_all(const proto::stream_key& stream, bool options);
    // Removes every template not sent for `lifetime_ms`; returns how many.
    size_t expire(uint64_t now_ms, uint64_t lifetime_ms);

    // Writes the pending batch. False with `error` when RocksDB refuses it (counted); those
    // changes are lost, later refreshes write the templates again.
    bool commit(std::string& error);
    bool pending() const;
    // After a refused write, with nothing pending: whether the store writes again (rewrites its
    // format key; a refusal asks RocksDB to resume, which it does itself once a full disk has
    // room). Not counted as a write error.
    bool probe(std::string& error);

    size_t size() const { return index_.size(); }
    const store_counters& counters() const { return counters_; }
    const std::string& path() const { return path_; }

    // Another part's column family in the same database (the TCP spool), created when missing;
    // null with `error` when RocksDB refuses. Control thread; the DB is thread-safe, so db() and
    // the handle may then be used from one other thread while the store lives.
    rocksdb::ColumnFamilyHandle* column_family(const std::string& name, std::string& error);
    rocksdb::DB& db() { return *db_; }

private:
    struct entry {
        bool options = false;
        uint64_t last_seen_ms = 0;
    };
    template_store(std::string path, std::unique_ptr<rocksdb::DB> db, mode m);
    void erase(std::map<std::string, entry>::iterator it);

    std::string path_;
    std::unique_ptr<rocksdb::DB> db_;
    std::unique_ptr<rocksdb::WriteBatch> batch_;
    mode mode_;
    std::map<std::string, entry> index_;  // what the store holds, by key
    std::map<std::string, rocksdb::ColumnFamilyHandle*> families_;  // other than the default
    store_counters counters_;
};

}  // namespace ipfix::store
