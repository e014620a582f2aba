#include "ipfix/store/stream_state_codec.hpp"

#include <algorithm>

#include "ipfix/proto/byte_order.hpp"
#include "ipfix/store/template_codec.hpp"

#include "be_append.hpp"

namespace ipfix::store {
namespace {

constexpr size_t value_head_size = 13;

}  // namespace

std::string stream_state_collector_name(const config::collector_config& c) {
    std::string name = c.transport == config::collector_transport::tcp ? "tcp:" : "udp:";
    // Piecewise: GCC 12 warns falsely (-Wrestrict) about "x" + std::string at -O3.
    if (c.address.family == 6) name += '[';
    name += c.address.to_string();
    if (c.address.family == 6) name += ']';
    name += ':';
    name += std::to_string(c.port);
    name += c.version == config::output_version::ipfix ? " ipfix" : " same";
    name += c.source_address == config::source_address_mode::exporter ? " exporter" : " own";
    return name;
}

std::string encode_stream_state_key(const proto::stream_key& stream) {
    std::string k = encode_stream_prefix(stream);
    k[0] = stream_state_key_tag;
    return k;
}

std::string encode_stream_state_value(const stored_stream_state& s) {
    std::string v;
    append_be32(v, s.domain);
    append_be64(v, s.last_ms);
    const size_t n = std::min<size_t>(s.sequences.size(), 255);
    v.push_back(static_cast<char>(n));
    for (size_t i = 0; i < n; ++i) {
        const auto& [name, sequence] = s.sequences[i];
        const size_t len = std::min<size_t>(name.size(), 255);
        v.push_back(static_cast<char>(len));
        v.append(name, 0, len);
        append_be32(v, sequence);
    }
    return v;
}

stream_state_decode_result decode_stream_state(std::string_view key, std::string_view value) {
    if (key.size() != stream_prefix_size || key[0] != stream_state_key_tag) return {std::nullopt, "not a stream state key"};
    stored_stream_state s;
    if (std::string e = decode_stream_prefix(key, s.stream); !e.empty()) return {std::nullopt, e};
    if (value.size() < value_head_size) return {std::nullopt, "value too short"};
    const auto* v = reinterpret_cast<const uint8_t*>(value.data());
    s.domain = proto::load_be32(v);
    s.last_ms = proto::load_be64(v + 4);
    const size_t n = v[12];
    size_t at = value_head_size;
    for (size_t i = 0; i < n; ++i) {
        if (at >= value.size()) return {std::nullopt, "value ends inside a collector"};
        const size_t len = v[at++];
        if (value.size() - at < len + 4) return {std::nullopt, "value ends inside a collector"};
        s.sequences.emplace_back(std::string(value.substr(at, len)), proto::load_be32(v + at + len));
        at += len + 4;
    }
    if (at != value.size()) return {std::nullopt, "bytes after the last collector"};
    return {std::move(s), {}};
}

}  // namespace ipfix::store
