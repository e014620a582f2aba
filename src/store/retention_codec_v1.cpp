// Reading format-1 blocks: every record carries its seen time, exporter, version, domain and
// template id. Stores written before format 2 keep answering queries until their blocks expire.
#include <vector>

#include "retention_reader.hpp"

namespace ipfix::store::detail {
namespace {

bool read_header(reader& r, block_info& info, uint64_t& base_seen) {
    r.byte();  // magic and version: checked by the caller
    r.byte();
    info.records = r.bounded<uint32_t>(max_block_records);
    info.first_seen_ms = r.varint();
    info.last_seen_ms = info.first_seen_ms + r.varint();
    base_seen = r.varint();
    return !r.bad;
}

}  // namespace

bool read_v1_info(std::string_view value, block_info& info) {
    reader r{value};
    uint64_t base = 0;
    return read_header(r, info, base);
}

bool decode_v1_block(std::string_view value, const std::function<bool(const pipeline::flow_summary&)>& each) {
    reader r{value};
    block_info info;
    uint64_t seen = 0;
    if (!read_header(r, info, seen)) return false;
    const uint64_t exporters = r.bounded<uint64_t>(max_block_exporters);
    std::vector<pipeline::flow_summary> table(r.bad ? 0 : exporters);
    for (auto& e : table) {
        e.exporter = r.address();
        e.exporter_port = r.bounded<uint16_t>();
    }
    if (r.bad) return false;
    for (uint32_t i = 0; i < info.records; ++i) {
        pipeline::flow_summary s;
        const uint8_t flags = r.byte();
        seen = unzigzag(seen, r.varint());
        s.seen_ms = seen;
        const uint64_t exporter = r.varint();
        if (exporter >= table.size()) return false;
        s.exporter = table[exporter].exporter;
        s.exporter_port = table[exporter].exporter_port;
        s.version = r.byte();
        s.domain = r.bounded<uint32_t>();
        s.template_id = r.bounded<uint16_t>();
        read_record_body(r, flags, seen, s);
        if (r.bad || (flags & reserved_flags) != 0) return false;
        if (!each(s)) return true;
    }
    return r.at == value.size();
}

}  // namespace ipfix::store::detail
