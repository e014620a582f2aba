// Opening a store's RocksDB directory, shared by the template store and the retention store:
// a directory holding anything but a RocksDB database is refused before RocksDB would create
// one among foreign files, and a database without this build's format key is refused after.
// Every refusal is a store_error naming the store and the path.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/options.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ipfix/store/template_store.hpp"

namespace ipfix::store {

// "<kind> <path>: <what>", the first words of every error a store reports.
std::string store_problem(std::string_view kind, const std::string& path, const std::string& what);

struct db_request {
    std::string_view kind;  // "template store", "retention store"
    std::string path;
    bool read_only = false;  // the directory must then exist
    rocksdb::DBOptions options;  // create_if_missing, paranoid_checks and the silent log are set here
    // The families to open, given those the directory has (empty: no database yet); may throw
    // store_error for a set that is not ours.
    std::function<std::vector<rocksdb::ColumnFamilyDescriptor>(const std::vector<std::string>&)> families;
};

struct opened_db {
    std::unique_ptr<rocksdb::DB> db;
    std::vector<rocksdb::ColumnFamilyHandle*> handles;  // in the order families() gave
    // Destroys the handles (closing the database is the DB's destructor's).
    void release();
};

opened_db open_db(const db_request& r);

struct format_check {
    std::string_view key;
    std::string_view value;
    rocksdb::ColumnFamilyHandle* format_family;  // where the key lives
    rocksdb::ColumnFamilyHandle* data_family;    // any entry here without the key: not ours
    std::string_view not_ours;                   // what the refusal says then
    rocksdb::WriteOptions write;                 // for writing the key into a new database
    bool flush = false;                          // flush it at once (a store without WAL)
};

// Writes the key into an empty database (read-write); refuses a foreign or other-format one
// (store_error, after releasing the handles).
void check_format(const db_request& r, opened_db& d, const format_check& f);

}  // namespace ipfix::store
