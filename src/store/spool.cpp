#include "ipfix/store/spool.hpp"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "ipfix/proto/byte_order.hpp"

namespace ipfix::store {
namespace {

// The messages a refused batch held (its puts under the spool's message keys), in order.
class lost_messages : public rocksdb::WriteBatch::Handler {
public:
    lost_messages(const std::string& prefix, const spool::drop_fn& f) : prefix_(prefix), f_(f) {}
    rocksdb::Status PutCF(uint32_t, const rocksdb::Slice& key, const rocksdb::Slice& value) override {
        if (key.size() == prefix_.size() + 8 && key.starts_with(prefix_)) {
            f_({reinterpret_cast<const uint8_t*>(value.data()), value.size()});
        }
        return rocksdb::Status::OK();
    }
    rocksdb::Status DeleteCF(uint32_t, const rocksdb::Slice&) override { return rocksdb::Status::OK(); }
    rocksdb::Status DeleteRangeCF(uint32_t, const rocksdb::Slice&, const rocksdb::Slice&) override {
        return rocksdb::Status::OK();
    }

private:
    const std::string& prefix_;
    const spool::drop_fn& f_;
};

}  // namespace

spool::spool(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* family, std::string name, uint64_t max_bytes)
    : db_(db), family_(family), prefix_(std::move(name)), max_bytes_(max_bytes),
      batch_(std::make_unique<rocksdb::WriteBatch>()) {
    prefix_.push_back('\0');
    std::unique_ptr<rocksdb::Iterator> it(db_.NewIterator(rocksdb::ReadOptions(), family_));
    for (it->Seek(prefix_); it->Valid() && it->key().starts_with(prefix_); it->Next()) {
        if (it->key().size() != prefix_.size() + 8) continue;  // not ours: left alone
        const auto* k = reinterpret_cast<const uint8_t*>(it->key().data()) + prefix_.size();
        const auto size = static_cast<uint32_t>(it->value().size());
        index_[proto::load_be64(k)] = size;
        bytes_ += size;
    }
}

spool::~spool() = default;

std::string spool::key(uint64_t seq) const {
    std::string k = prefix_;
    for (int shift = 56; shift >= 0; shift -= 8) k.push_back(static_cast<char>((seq >> shift) & 0xFF));
    return k;
}

void spool::drop_front(const drop_fn& dropped) {
    const auto [seq, size] = *index_.begin();
    const std::string k = key(seq);
    std::string value;
    if (db_.Get(rocksdb::ReadOptions(), family_, k, &value).ok() && dropped) {
        dropped({reinterpret_cast<const uint8_t*>(value.data()), value.size()});
    }
    batch_->Delete(family_, k);
    removed_.push_back(seq);
    index_.erase(index_.begin());
    bytes_ -= size;
    ++dropped_;
}

void spool::append(uint64_t seq, std::span<const uint8_t> message, const drop_fn& dropped) {
    if (message.size() > max_bytes_) {
        ++dropped_;
        if (dropped) dropped(message);
        return;
    }
    if (bytes_ + message.size() > max_bytes_) {
        std::string ignored;
        commit(ignored);  // the oldest may still be in the batch: written, so they can be read back
        while (!index_.empty() && bytes_ + message.size() > max_bytes_) drop_front(dropped);
    }
    batch_->Put(family_, key(seq), {reinterpret_cast<const char*>(message.data()), message.size()});
    const auto size = static_cast<uint32_t>(message.size());
    index_[seq] = size;
    pending_[seq] = size;
    bytes_ += size;
}

bool spool::commit(std::string& error) {
    if (batch_->Count() == 0) return true;
    // Removals a refused batch held: otherwise a restart would replay what was delivered.
    for (uint64_t seq : unremoved_) {
        if (!index_.contains(seq)) {
            batch_->Delete(family_, key(seq));
            removed_.push_back(seq);
        }
    }
    unremoved_.clear();
    const rocksdb::Status s = db_.Write(rocksdb::WriteOptions(), batch_.get());
    if (!s.ok() && on_lost_ && !pending_.empty()) {
        lost_messages each(prefix_, on_lost_);
        batch_->Iterate(&each).PermitUncheckedError();
    }
    batch_->Clear();
    if (!s.ok()) {
        for (const auto& [seq, size] : pending_) {
            if (index_.erase(seq) != 0) bytes_ -= size;
        }
        if (!retrying_ || !pending_.empty()) ++write_errors_;
        lost_ += pending_.size();
        pending_.clear();
        unremoved_ = std::move(removed_);
        removed_.clear();
        failing_ = true;
        error = "spool " + prefix_.substr(0, prefix_.size() - 1);
        error += ": write failed: ";
        error += s.ToString();
        return false;
    }
    pending_.clear();
    removed_.clear();
    failing_ = false;
    return true;
}

bool spool::retry(const std::vector<io::template_memory::entry>& templates, std::string& error) {
    save_templates(templates);
    retrying_ = true;
    const bool ok = commit(error);
    retrying_ = false;
    return ok;
}

std::vector<spooled_message> spool::read(uint64_t from, size_t max_count) {
    std::string ignored;
    commit(ignored);
    std::vector<spooled_message> out;
    std::unique_ptr<rocksdb::Iterator> it(db_.NewIterator(rocksdb::ReadOptions(), family_));
    for (it->Seek(key(from)); it->Valid() && out.size() < max_count && it->key().starts_with(prefix_); it->Next()) {
        if (it->key().size() != prefix_.size() + 8) continue;
        const auto* k = reinterpret_cast<const uint8_t*>(it->key().data()) + prefix_.size();
        const auto* v = reinterpret_cast<const uint8_t*>(it->value().data());
        out.push_back({proto::load_be64(k), std::vector<uint8_t>(v, v + it->value().size())});
    }
    return out;
}

void spool::remove_through(uint64_t seq) {
    while (!index_.empty() && index_.begin()->first <= seq) {
        batch_->Delete(family_, key(index_.begin()->first));
        removed_.push_back(index_.begin()->first);
        bytes_ -= index_.begin()->second;
        pending_.erase(index_.begin()->first);
        index_.erase(index_.begin());
    }
}

// Templates: `name` 0x01 domain (4) id (2) -> set id (2) | record; apart from the messages' keys.
void spool::save_templates(const std::vector<io::template_memory::entry>& templates) {
    std::string begin = prefix_;
    begin.back() = '\x01';
    std::string end = prefix_;
    end.back() = '\x02';
    batch_->DeleteRange(family_, begin, end);
    for (const auto& t : templates) {
        if (t.record.size() < 2) continue;
        std::string k = begin;
        for (int shift = 24; shift >= 0; shift -= 8) k.push_back(static_cast<char>((t.domain >> shift) & 0xFF));
        k.push_back(static_cast<char>(t.record[0]));
        k.push_back(static_cast<char>(t.record[1]));
        std::string v;
        v.push_back(static_cast<char>(t.set_id >> 8));
        v.push_back(static_cast<char>(t.set_id & 0xFF));
        v.append(reinterpret_cast<const char*>(t.record.data()), t.record.size());
        batch_->Put(family_, k, v);
    }
}

std::vector<io::template_memory::entry> spool::load_templates() {
    std::string begin = prefix_;
    begin.back() = '\x01';
    std::vector<io::template_memory::entry> out;
    std::unique_ptr<rocksdb::Iterator> it(db_.NewIterator(rocksdb::ReadOptions(), family_));
    for (it->Seek(begin); it->Valid() && it->key().starts_with(begin); it->Next()) {
        // Stored bytes are checked again by template_memory::restore (set id, size); a wrong key is skipped.
        if (it->key().size() != begin.size() + 6 || it->value().size() < 6) continue;
        const auto* k = reinterpret_cast<const uint8_t*>(it->key().data()) + begin.size();
        const auto* v = reinterpret_cast<const uint8_t*>(it->value().data());
        out.push_back({proto::load_be32(k), proto::load_be16(v), std::vector<uint8_t>(v + 2, v + it->value().size())});
    }
    return out;
}

}  // namespace ipfix::store
