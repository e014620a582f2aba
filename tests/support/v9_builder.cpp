#include "v9_builder.hpp"

namespace ipfix::test {

v9_builder::v9_builder(v9_header h) {
    u16(9).u16(0).u32(h.sys_uptime_ms).u32(h.export_time).u32(h.sequence).u32(h.source_id);
}

v9_builder& v9_builder::version(uint16_t v) {
    patch_u16(0, v);
    return *this;
}

v9_builder& v9_builder::count(uint16_t c) {
    count_override_ = c;
    return *this;
}

v9_builder& v9_builder::template_record(uint16_t id, const std::vector<field>& fields) {
    u16(id).u16(static_cast<uint16_t>(fields.size()));
    for (const field& f : fields) u16(f.id).u16(f.length);
    ++records_;
    return *this;
}

v9_builder& v9_builder::options_template_record(uint16_t id, const std::vector<field>& scope,
                                                const std::vector<field>& options) {
    u16(id).u16(static_cast<uint16_t>(scope.size() * 4)).u16(static_cast<uint16_t>(options.size() * 4));
    for (const field& f : scope) u16(f.id).u16(f.length);
    for (const field& f : options) u16(f.id).u16(f.length);
    ++records_;
    return *this;
}

v9_builder& v9_builder::record() {
    ++records_;
    return *this;
}

std::vector<uint8_t> v9_builder::build() {
    end_set();
    patch_u16(2, count_override_.value_or(records_));
    return bytes_;
}

}  // namespace ipfix::test
