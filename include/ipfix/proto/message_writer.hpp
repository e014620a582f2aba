// Writes IPFIX or NetFlow v9 export messages into a caller's buffer: header, template sets,
// data sets. Never allocates. Every add_* returns false, leaving the message as it was, when
// the buffer (the MTU) has no room; finish() then seals what fits.
//
//   std::array<uint8_t, 1400> buf;
//   proto::message_writer w(buf, proto::protocol_version::ipfix);
//   w.begin(export_time, sequence, domain);
//   w.add_template(tmpl);
//   w.begin_data_set(tmpl.id);
//   w.add_record(bytes);
//   send(w.finish());
#pragma once

#include <cstdint>
#include <span>

#include "ipfix/proto/field.hpp"
#include "ipfix/proto/template_def.hpp"

namespace ipfix::proto {

class message_writer {
public:
    message_writer(std::span<uint8_t> buffer, protocol_version version);

    // Starts a new message, discarding anything written. `sys_uptime_ms` is for v9 only.
    void begin(uint32_t export_time, uint32_t sequence, uint32_t domain, uint32_t sys_uptime_ms = 0);

    // A template (or options template) record in this writer's version, inside a template set
    // of the right kind (opened as needed).
    bool add_template(uint16_t id, std::span<const field_spec> fields, uint16_t scope_count);
    bool add_template(const template_def& t) {
        return add_template(t.id, t.fields, t.options ? t.scope_count : 0);
    }
    // IPFIX only (RFC 7011 §8.1): withdraws `id`; id 2 / 3 withdraws all (options) templates.
    bool add_withdrawal(uint16_t id, bool options);

    bool begin_data_set(uint16_t template_id);
    // Room for one record of `length` bytes in the open data set, or nullptr.
    uint8_t* append_record(size_t length);
    bool add_record(std::span<const uint8_t> record);

    // A whole data set copied as it is (a proxy forwarding a set it could not decode).
    bool add_raw_set(uint16_t set_id, std::span<const uint8_t> body);

    // Closes the open set (v9 flowsets padded to 4 bytes, RFC 3954 §5.3).
    void end_set();
    // Seals the header (IPFIX length, v9 count) and returns the message.
    std::span<const uint8_t> finish();

    size_t size() const { return pos_; }
    size_t remaining() const { return buf_.size() - pos_; }
    uint32_t data_records() const { return data_records_; }
    uint16_t open_set_id() const { return set_id_; }
    bool empty() const { return pos_ == header_size(); }
    size_t header_size() const { return version_ == protocol_version::ipfix ? 16 : 20; }

private:
    bool open_set(uint16_t set_id);

    std::span<uint8_t> buf_;
    protocol_version version_;
    size_t pos_ = 0;
    size_t set_start_ = 0;
    uint16_t set_id_ = 0;       // 0xFFFF: no set open
    uint32_t data_records_ = 0;
    uint32_t v9_count_ = 0;     // records of every kind, for the v9 header count
};

}  // namespace ipfix::proto
