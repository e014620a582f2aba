// RocksDB's info log, discarded. Its LOG file sits in the store directory, and RocksDB 7.8
// (Debian 12) aborts on an assertion when it writes a log line after one failed with a full
// disk: the daemon must outlive a full disk, and the store's own errors reach our log anyway.
#pragma once

#include <rocksdb/env.h>

#include <cstdarg>
#include <memory>

namespace ipfix::store {

class silent_logger : public rocksdb::Logger {
public:
    silent_logger() : rocksdb::Logger(rocksdb::InfoLogLevel::FATAL_LEVEL) {}
    using rocksdb::Logger::Logv;
    void Logv(const char*, va_list) override {}
};

inline std::shared_ptr<rocksdb::Logger> make_silent_logger() { return std::make_shared<silent_logger>(); }

}  // namespace ipfix::store
