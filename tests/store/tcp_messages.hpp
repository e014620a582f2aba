// Small IPFIX messages for the TCP path's tests: a data template (256: one 4-byte field, the
// record's number), an options template, withdrawals, and data messages carrying a number.
#pragma once

#include <cstdint>
#include <vector>

#include "ipfix/proto/byte_order.hpp"

namespace ipfix::test {

inline std::vector<uint8_t> ipfix_header(uint32_t domain, uint32_t sequence) {
    std::vector<uint8_t> h(16, 0);
    proto::store_be16(h.data(), 10);
    proto::store_be32(h.data() + 4, 1000);
    proto::store_be32(h.data() + 8, sequence);
    proto::store_be32(h.data() + 12, domain);
    return h;
}

inline std::vector<uint8_t> finish(std::vector<uint8_t> m) {
    proto::store_be16(m.data() + 2, static_cast<uint16_t>(m.size()));
    return m;
}

// Set 2: template `id` with one field, element 1 (octetDeltaCount) of 4 bytes.
inline std::vector<uint8_t> template_set(uint16_t id) {
    std::vector<uint8_t> s(12, 0);
    proto::store_be16(s.data(), 2);
    proto::store_be16(s.data() + 2, 12);
    proto::store_be16(s.data() + 4, id);
    proto::store_be16(s.data() + 6, 1);
    proto::store_be16(s.data() + 8, 1);
    proto::store_be16(s.data() + 10, 4);
    return s;
}

// Set 3: options template `id`, one scope field (observationDomainId 149, 4 bytes), one enterprise field.
inline std::vector<uint8_t> options_template_set(uint16_t id) {
    std::vector<uint8_t> s(22, 0);
    proto::store_be16(s.data(), 3);
    proto::store_be16(s.data() + 2, 22);
    proto::store_be16(s.data() + 4, id);
    proto::store_be16(s.data() + 6, 2);
    proto::store_be16(s.data() + 8, 1);
    proto::store_be16(s.data() + 10, 149);
    proto::store_be16(s.data() + 12, 4);
    proto::store_be16(s.data() + 14, 0x8001);
    proto::store_be16(s.data() + 16, 2);
    proto::store_be32(s.data() + 18, 29305);
    return s;
}

inline std::vector<uint8_t> template_message(uint32_t domain, uint32_t sequence, uint16_t id = 256) {
    std::vector<uint8_t> m = ipfix_header(domain, sequence);
    const auto s = template_set(id);
    m.insert(m.end(), s.begin(), s.end());
    return finish(m);
}

inline std::vector<uint8_t> options_template_message(uint32_t domain, uint32_t sequence, uint16_t id = 257) {
    std::vector<uint8_t> m = ipfix_header(domain, sequence);
    const auto s = options_template_set(id);
    m.insert(m.end(), s.begin(), s.end());
    return finish(m);
}

// A withdrawal of template `id` in set `set_id` (id == set_id: all of that kind).
inline std::vector<uint8_t> withdrawal_message(uint32_t domain, uint16_t id, uint16_t set_id = 2) {
    std::vector<uint8_t> m = ipfix_header(domain, 0);
    m.insert(m.end(), {static_cast<uint8_t>(set_id >> 8), static_cast<uint8_t>(set_id), 0, 8,
                       static_cast<uint8_t>(id >> 8), static_cast<uint8_t>(id), 0, 0});
    return finish(m);
}

// One data record of template 256 holding `number`; with `with_template` the template set first.
inline std::vector<uint8_t> data_message(uint32_t domain, uint32_t sequence, uint32_t number,
                                         bool with_template = false) {
    std::vector<uint8_t> m = ipfix_header(domain, sequence);
    if (with_template) {
        const auto s = template_set(256);
        m.insert(m.end(), s.begin(), s.end());
    }
    const size_t at = m.size();
    m.resize(at + 8);
    proto::store_be16(m.data() + at, 256);
    proto::store_be16(m.data() + at + 2, 8);
    proto::store_be32(m.data() + at + 4, number);
    return finish(m);
}

}  // namespace ipfix::test
