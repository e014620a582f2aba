#include "ipfix/proto/message_writer.hpp"

#include <cstring>

#include "ipfix/proto/byte_order.hpp"

namespace ipfix::proto {
namespace {
constexpr uint16_t no_set = 0xFFFF;
}

message_writer::message_writer(std::span<uint8_t> buffer, protocol_version version)
    : buf_(buffer), version_(version) {
    begin(0, 0, 0);
}

void message_writer::begin(uint32_t export_time, uint32_t sequence, uint32_t domain, uint32_t sys_uptime_ms) {
    pos_ = 0;
    set_id_ = no_set;
    data_records_ = 0;
    v9_count_ = 0;
    if (buf_.size() < header_size()) return;
    uint8_t* p = buf_.data();
    if (version_ == protocol_version::ipfix) {
        store_be16(p, 10);
        store_be16(p + 2, 16);
        store_be32(p + 4, export_time);
        store_be32(p + 8, sequence);
        store_be32(p + 12, domain);
    } else {
        store_be16(p, 9);
        store_be16(p + 2, 0);
        store_be32(p + 4, sys_uptime_ms);
        store_be32(p + 8, export_time);
        store_be32(p + 12, sequence);
        store_be32(p + 16, domain);
    }
    pos_ = header_size();
}

bool message_writer::open_set(uint16_t set_id) {
    if (set_id_ == set_id) return true;
    if (pos_ < header_size()) return false;  // no message: the buffer is smaller than a header
    end_set();
    if (remaining() < 4) return false;
    set_start_ = pos_;
    set_id_ = set_id;
    store_be16(buf_.data() + pos_, set_id);
    pos_ += 4;
    return true;
}

void message_writer::end_set() {
    if (set_id_ == no_set) return;
    if (version_ == protocol_version::netflow_v9) {
        while ((pos_ - set_start_) % 4 != 0 && remaining() > 0) buf_[pos_++] = 0;
    }
    if (pos_ - set_start_ == 4) {
        pos_ = set_start_;  // an empty set is not worth sending
    } else {
        store_be16(buf_.data() + set_start_ + 2, static_cast<uint16_t>(pos_ - set_start_));
    }
    set_id_ = no_set;
}

bool message_writer::add_template(uint16_t id, std::span<const field_spec> fields, uint16_t scope_count) {
    const bool ipfix = version_ == protocol_version::ipfix;
    const bool options = scope_count > 0;
    size_t need = options ? 6 : 4;
    for (const field_spec& f : fields) need += (ipfix && f.pen != 0) ? 8 : 4;
    const uint16_t set_id = ipfix ? (options ? 3 : 2) : (options ? 1 : 0);
    const size_t saved_pos = pos_;
    const uint16_t saved_set = set_id_;
    const size_t saved_start = set_start_;
    // v9 pads the flowset to 4 bytes when it closes (options records are 2 bytes off): keep room.
    if (!open_set(set_id) ||
        remaining() < need + (ipfix ? 0 : (4 - (pos_ + need - set_start_) % 4) % 4)) {
        pos_ = saved_pos;
        set_id_ = saved_set;
        set_start_ = saved_start;
        return false;
    }
    uint8_t* p = buf_.data() + pos_;
    store_be16(p, id);
    if (ipfix) {
        store_be16(p + 2, static_cast<uint16_t>(fields.size()));
        if (options) store_be16(p + 4, scope_count);
    } else if (options) {
        store_be16(p + 2, static_cast<uint16_t>(scope_count * 4));
        store_be16(p + 4, static_cast<uint16_t>((fields.size() - scope_count) * 4));
    } else {
        store_be16(p + 2, static_cast<uint16_t>(fields.size()));
    }
    p += options ? 6 : 4;
    for (const field_spec& f : fields) {
        const bool enterprise = ipfix && f.pen != 0;
        store_be16(p, static_cast<uint16_t>(f.id | (enterprise ? 0x8000 : 0)));
        store_be16(p + 2, f.length);
        p += 4;
        if (enterprise) {
            store_be32(p, f.pen);
            p += 4;
        }
    }
    pos_ += need;
    ++v9_count_;
    return true;
}

bool message_writer::add_withdrawal(uint16_t id, bool options) {
    if (version_ != protocol_version::ipfix) return false;
    const size_t saved_pos = pos_;
    const uint16_t saved_set = set_id_;
    const size_t saved_start = set_start_;
    if (!open_set(options ? 3 : 2) || remaining() < 4) {
        pos_ = saved_pos;
        set_id_ = saved_set;
        set_start_ = saved_start;
        return false;
    }
    store_be16(buf_.data() + pos_, id);
    store_be16(buf_.data() + pos_ + 2, 0);
    pos_ += 4;
    return true;
}

bool message_writer::begin_data_set(uint16_t template_id) {
    if (template_id < 256) return false;
    if (set_id_ == template_id) return true;
    // A set header with no room for a record behind it would only be dropped again.
    if (remaining() < 5 + (version_ == protocol_version::netflow_v9 ? 3u : 0u)) return false;
    return open_set(template_id);
}

uint8_t* message_writer::append_record(size_t length) {
    if (set_id_ == no_set || set_id_ < 256) return nullptr;
    // v9 pads the flowset to 4 bytes when it closes: keep room for that too.
    const size_t pad = version_ == protocol_version::netflow_v9 ? (4 - (pos_ + length - set_start_) % 4) % 4 : 0;
    if (remaining() < length + pad) return nullptr;
    uint8_t* p = buf_.data() + pos_;
    pos_ += length;
    ++data_records_;
    ++v9_count_;
    return p;
}

bool message_writer::add_record(std::span<const uint8_t> record) {
    uint8_t* p = append_record(record.size());
    if (p == nullptr) return false;
    if (!record.empty()) std::memcpy(p, record.data(), record.size());
    return true;
}

bool message_writer::add_raw_set(uint16_t set_id, std::span<const uint8_t> body) {
    end_set();
    if (set_id < 256 || body.size() > 0xFFFF - 4u || remaining() < 4 + body.size()) return false;
    uint8_t* p = buf_.data() + pos_;
    store_be16(p, set_id);
    store_be16(p + 2, static_cast<uint16_t>(4 + body.size()));
    if (!body.empty()) std::memcpy(p + 4, body.data(), body.size());
    pos_ += 4 + body.size();
    return true;
}

std::span<const uint8_t> message_writer::finish() {
    end_set();
    if (pos_ < header_size()) return {};
    if (version_ == protocol_version::ipfix) store_be16(buf_.data() + 2, static_cast<uint16_t>(pos_));
    else store_be16(buf_.data() + 2, static_cast<uint16_t>(v9_count_));
    return {buf_.data(), pos_};
}

}  // namespace ipfix::proto
