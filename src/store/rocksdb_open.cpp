#include "rocksdb_open.hpp"

#include <filesystem>
#include <system_error>

#include "silent_logger.hpp"

namespace ipfix::store {
namespace {

void check_directory(const db_request& r) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::file_status st = fs::status(r.path, ec);
    if (!fs::exists(st)) {
        if (r.read_only) throw store_error(store_problem(r.kind, r.path, "does not exist"));
        fs::create_directories(r.path, ec);
        if (ec) throw store_error(store_problem(r.kind, r.path, "cannot create the directory: " + ec.message()));
        return;
    }
    if (!fs::is_directory(st)) throw store_error(store_problem(r.kind, r.path, "is not a directory"));
    const bool empty = fs::is_empty(r.path, ec);
    if (ec) throw store_error(store_problem(r.kind, r.path, "cannot read the directory: " + ec.message()));
    if (!empty && !fs::exists(fs::path(r.path) / "CURRENT", ec)) {
        throw store_error(store_problem(r.kind, r.path,
                                        "holds files but no RocksDB database (no CURRENT file); refusing to use it"));
    }
}

}  // namespace

std::string store_problem(std::string_view kind, const std::string& path, const std::string& what) {
    std::string m(kind);
    m += ' ';
    m += path;
    m += ": ";
    m += what;
    return m;
}

void opened_db::release() {
    for (rocksdb::ColumnFamilyHandle* h : handles) db->DestroyColumnFamilyHandle(h).PermitUncheckedError();
    handles.clear();
}

opened_db open_db(const db_request& r) {
    check_directory(r);
    rocksdb::DBOptions o = r.options;
    o.create_if_missing = !r.read_only;
    o.paranoid_checks = true;
    o.info_log = make_silent_logger();
    std::vector<std::string> present;
    if (!rocksdb::DB::ListColumnFamilies(o, r.path, &present).ok()) present.clear();
    const std::vector<rocksdb::ColumnFamilyDescriptor> wanted = r.families(present);
    opened_db d;
    rocksdb::DB* raw = nullptr;
    const rocksdb::Status s = r.read_only ? rocksdb::DB::OpenForReadOnly(o, r.path, wanted, &d.handles, &raw)
                                          : rocksdb::DB::Open(o, r.path, wanted, &d.handles, &raw);
    if (!s.ok()) throw store_error(store_problem(r.kind, r.path, "cannot open: " + s.ToString()));
    d.db.reset(raw);
    return d;
}

void check_format(const db_request& r, opened_db& d, const format_check& f) {
    auto refuse = [&](const std::string& what) {
        d.release();
        throw store_error(store_problem(r.kind, r.path, what));
    };
    std::string format;
    const rocksdb::Status got = d.db->Get(rocksdb::ReadOptions(), f.format_family, std::string(f.key), &format);
    if (got.IsNotFound()) {
        std::unique_ptr<rocksdb::Iterator> it(d.db->NewIterator(rocksdb::ReadOptions(), f.data_family));
        it->SeekToFirst();
        if (it->Valid()) refuse(std::string(f.not_ours) + "; refusing to use it");
        if (r.read_only) return;
        rocksdb::Status w = d.db->Put(f.write, f.format_family, std::string(f.key), std::string(f.value));
        if (w.ok() && f.flush) w = d.db->Flush(rocksdb::FlushOptions(), f.format_family);
        if (!w.ok()) refuse("cannot write: " + w.ToString());
    } else if (!got.ok()) {
        refuse("cannot read: " + got.ToString());
    } else if (format != f.value) {
        // Bounded: the value is untrusted and goes into a log line.
        std::string what = "has format '" + format.substr(0, 64);
        what += "', this build reads '";
        what += f.value;
        what += "'; refusing to use it";
        refuse(what);
    }
}

}  // namespace ipfix::store
