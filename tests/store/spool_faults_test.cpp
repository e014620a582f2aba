// The spool when RocksDB refuses its writes (a file system that answers ENOSPC on demand, as a
// full disk does): the messages of the refused batch are lost, counted and handed back for their
// templates, the removals in it are written with the next batch, a retry is not counted as an
// error, and once the disk has room the spool writes again and holds exactly what it should.
#include <catch2/catch.hpp>

#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "temp_dir.hpp"
#include "ipfix/store/spool.hpp"

using namespace ipfix;
using namespace ipfix::test;

namespace {

// Every write to a file of the database fails with "no space" while `full` is set. RocksDB's
// info log is spared: the daemon's stores discard it (src/store/silent_logger.hpp), and RocksDB
// 7.8 may abort on a log line written after a failed one.
class full_disk : public rocksdb::FileSystemWrapper {
public:
    explicit full_disk(const std::shared_ptr<rocksdb::FileSystem>& base) : rocksdb::FileSystemWrapper(base) {}
    const char* Name() const override { return "full_disk"; }

    rocksdb::IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& o,
                                      std::unique_ptr<rocksdb::FSWritableFile>* out, rocksdb::IODebugContext* dbg) override {
        rocksdb::IOStatus s = target()->NewWritableFile(name, o, out, dbg);
        if (s.ok() && !name.ends_with("/LOG")) *out = std::make_unique<file>(std::move(*out), full);
        return s;
    }

    std::atomic<bool> full{false};

private:
    class file : public rocksdb::FSWritableFileOwnerWrapper {
    public:
        file(std::unique_ptr<rocksdb::FSWritableFile>&& f, const std::atomic<bool>& full)
            : rocksdb::FSWritableFileOwnerWrapper(std::move(f)), full_(full) {}
        rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& o,
                                 rocksdb::IODebugContext* dbg) override {
            if (full_) return rocksdb::IOStatus::NoSpace("test disk full");
            return target()->Append(data, o, dbg);
        }
        rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& o,
                                 const rocksdb::DataVerificationInfo& v, rocksdb::IODebugContext* dbg) override {
            if (full_) return rocksdb::IOStatus::NoSpace("test disk full");
            return target()->Append(data, o, v, dbg);
        }

    private:
        const std::atomic<bool>& full_;
    };
};

std::vector<uint8_t> message(uint8_t tag) { return std::vector<uint8_t>(40, tag); }

std::vector<uint64_t> seqs(store::spool& s) {
    std::vector<uint64_t> out;
    for (const store::spooled_message& m : s.read(0, 100)) out.push_back(m.seq);
    return out;
}

}  // namespace

TEST_CASE("spool: a refused write loses its messages (counted, handed back), redoes its removals, recovers") {
    temp_dir dir;
    auto disk = std::make_shared<full_disk>(rocksdb::FileSystem::Default());
    std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(disk);
    rocksdb::Options o;
    o.env = env.get();
    o.create_if_missing = true;
    rocksdb::DB* raw = nullptr;
    REQUIRE(rocksdb::DB::Open(o, dir.str(), &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    rocksdb::ColumnFamilyHandle* family = nullptr;
    REQUIRE(db->CreateColumnFamily(rocksdb::ColumnFamilyOptions(), "spool", &family).ok());
    {
        store::spool s(*db, family, "c", 1 << 20);
        std::vector<std::vector<uint8_t>> lost;
        s.on_lost([&](std::span<const uint8_t> m) { lost.emplace_back(m.begin(), m.end()); });
        std::string error;
        for (uint8_t i = 0; i < 3; ++i) s.append(i, message(i), nullptr);
        REQUIRE(s.commit(error));
        s.remove_through(0);  // delivered: its deletion waits in the batch

        disk->full = true;
        s.append(3, message(3), nullptr);
        s.append(4, message(4), nullptr);
        CHECK_FALSE(s.commit(error));
        CHECK(error.starts_with("spool c: write failed: "));
        CHECK(error.find("test disk full") != std::string::npos);
        CHECK(s.failing());
        CHECK(s.write_errors() == 1);
        CHECK(s.lost() == 2);
        CHECK(lost == std::vector<std::vector<uint8_t>>{message(3), message(4)});
        CHECK(s.messages() == 2);  // 1 and 2, written before
        CHECK(s.bytes() == 80);

        // Retries while the disk is full: refused, not counted, nothing lost.
        CHECK_FALSE(s.retry({}, error));
        CHECK(s.write_errors() == 1);
        CHECK(s.lost() == 2);

        disk->full = false;
        // RocksDB resumes by itself once it sees room (bounded wait).
        bool back = false;
        for (int i = 0; i < 300 && !back; ++i) {
            db->Resume().PermitUncheckedError();
            back = s.retry({}, error);
            if (!back) std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        REQUIRE(back);
        CHECK_FALSE(s.failing());
        CHECK(s.write_errors() == 1);
        CHECK(seqs(s) == std::vector<uint64_t>{1, 2});
    }
    // What the family holds now: seq 0's removal went with the retry, 3 and 4 were never written.
    store::spool again(*db, family, "c", 1 << 20);
    CHECK(seqs(again) == std::vector<uint64_t>{1, 2});
    CHECK(again.next_seq() == 3);
    CHECK(db->DestroyColumnFamilyHandle(family).ok());
}
