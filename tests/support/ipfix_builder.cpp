#include "ipfix_builder.hpp"

namespace ipfix::test {

ipfix_builder::ipfix_builder(ipfix_header h) {
    u16(10).u16(0).u32(h.export_time).u32(h.sequence).u32(h.domain);
}

ipfix_builder& ipfix_builder::version(uint16_t v) {
    patch_u16(0, v);
    return *this;
}

ipfix_builder& ipfix_builder::header_length(uint16_t length) {
    length_override_ = length;
    return *this;
}

ipfix_builder& ipfix_builder::specifiers(const std::vector<field>& fields) {
    for (const field& f : fields) {
        if (f.pen != 0) u16(static_cast<uint16_t>(f.id | 0x8000)).u16(f.length).u32(f.pen);
        else u16(f.id).u16(f.length);
    }
    return *this;
}

ipfix_builder& ipfix_builder::template_record(uint16_t id, const std::vector<field>& fields) {
    u16(id).u16(static_cast<uint16_t>(fields.size()));
    return specifiers(fields);
}

ipfix_builder& ipfix_builder::options_template_record(uint16_t id, uint16_t scope_count,
                                                      const std::vector<field>& fields) {
    u16(id).u16(static_cast<uint16_t>(fields.size())).u16(scope_count);
    return specifiers(fields);
}

ipfix_builder& ipfix_builder::withdrawal(uint16_t id) { return u16(id).u16(0); }

std::vector<uint8_t> ipfix_builder::build() {
    end_set();
    patch_u16(2, length_override_.value_or(static_cast<uint16_t>(size())));
    return bytes_;
}

}  // namespace ipfix::test
