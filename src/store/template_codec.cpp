#include "ipfix/store/template_codec.hpp"

#include "ipfix/proto/byte_order.hpp"

#include "be_append.hpp"

namespace ipfix::store {
namespace {

constexpr uint16_t enterprise_bit = 0x8000;
constexpr uint16_t min_template_id = 256;
constexpr size_t value_head_size = 13;
constexpr size_t field_size = 8;

void wire16(std::vector<uint8_t>& out, uint16_t v) {
    out.push_back(static_cast<uint8_t>(v >> 8));
    out.push_back(static_cast<uint8_t>(v & 0xFF));
}

const uint8_t* bytes(std::string_view s) { return reinterpret_cast<const uint8_t*>(s.data()); }

// The template record as the exporter sent it (RFC 7011 §3.4.1-2, RFC 3954 §5.2 and §6.1).
std::vector<uint8_t> wire_of(const stored_template& t) {
    std::vector<uint8_t> w;
    const auto n = static_cast<uint16_t>(t.fields.size());
    wire16(w, t.id);
    if (t.stream.version == proto::protocol_version::netflow_v9 && t.options) {
        wire16(w, static_cast<uint16_t>(t.scope_count * 4u));
        wire16(w, static_cast<uint16_t>((n - t.scope_count) * 4u));
    } else {
        wire16(w, n);
        if (t.options) wire16(w, t.scope_count);
    }
    for (const proto::field_spec& f : t.fields) {
        wire16(w, f.pen != 0 ? static_cast<uint16_t>(f.id | enterprise_bit) : f.id);
        wire16(w, f.length);
        if (f.pen != 0) {
            wire16(w, static_cast<uint16_t>(f.pen >> 16));
            wire16(w, static_cast<uint16_t>(f.pen & 0xFFFF));
        }
    }
    return w;
}

std::string check(const stored_template& t) {
    const size_t n = t.fields.size();
    const bool v9 = t.stream.version == proto::protocol_version::netflow_v9;
    if (n == 0) return "no fields";
    if (t.options ? (t.scope_count == 0 || t.scope_count > n) : t.scope_count != 0) return "bad scope count";
    // v9 options carry the scope and option lengths in bytes, 16 bits each.
    if (v9 && t.options && (t.scope_count > 0xFFFF / 4 || n - t.scope_count > 0xFFFF / 4)) return "too many fields";
    uint32_t record_bytes = 0;
    for (const proto::field_spec& f : t.fields) {
        if (v9 && f.pen != 0) return "enterprise field in a v9 template";
        if (!v9 && (f.id & enterprise_bit) != 0) return "element id with the enterprise bit";
        record_bytes += f.length;
    }
    if (record_bytes == 0) return "records of no bytes";
    return {};
}

}  // namespace

stored_template from_def(const proto::stream_key& stream, const proto::template_def& def, uint64_t last_seen_ms) {
    return {stream, def.id, def.options, def.scope_count, def.fields, last_seen_ms};
}

std::shared_ptr<const proto::template_def> to_def(const stored_template& t) {
    if (!check(t).empty() || t.id < min_template_id) return nullptr;
    proto::template_def d;
    d.id = t.id;
    d.options = t.options;
    d.scope_count = t.scope_count;
    d.version = t.stream.version;
    d.fields = t.fields;
    for (size_t i = 0; i < d.fields.size(); ++i) d.fields[i].is_scope = i < t.scope_count;
    d.wire = wire_of(t);
    if (!proto::finalize_template(d)) return nullptr;
    return std::make_shared<const proto::template_def>(std::move(d));
}

std::string encode_stream_prefix(const proto::stream_key& stream) {
    std::string k;
    k.reserve(template_key_size);
    k.push_back(template_key_tag);
    k.push_back(static_cast<char>(stream.exporter.address.family));
    k.append(reinterpret_cast<const char*>(stream.exporter.address.bytes.data()), stream.exporter.address.bytes.size());
    append_be16(k, stream.exporter.port);
    k.push_back(static_cast<char>(stream.version));
    append_be32(k, stream.domain);
    return k;
}

std::string encode_key(const proto::stream_key& stream, uint16_t id) {
    std::string k = encode_stream_prefix(stream);
    append_be16(k, id);
    return k;
}

std::string encode_value(const stored_template& t) {
    std::string v;
    v.reserve(value_head_size + t.fields.size() * field_size);
    v.push_back(t.options ? 1 : 0);
    append_be16(v, t.scope_count);
    append_be16(v, static_cast<uint16_t>(t.fields.size()));
    append_be64(v, t.last_seen_ms);
    for (const proto::field_spec& f : t.fields) {
        append_be16(v, f.id);
        append_be16(v, f.length);
        append_be32(v, f.pen);
    }
    return v;
}

std::string decode_stream_prefix(std::string_view prefix, proto::stream_key& stream) {
    if (prefix.size() < stream_prefix_size) return "key too short";
    const uint8_t* k = bytes(prefix);
    const uint8_t family = k[1];
    if (family != 4 && family != 6) return "bad address family in the key";
    stream.exporter.address = family == 4 ? proto::ip_address::v4(k + 2) : proto::ip_address::v6(k + 2);
    if (family == 4) {
        for (size_t i = 6; i < 18; ++i) {
            if (k[i] != 0) return "bad IPv4 address in the key";
        }
    }
    stream.exporter.port = proto::load_be16(k + 18);
    const uint8_t version = k[20];
    if (version != 9 && version != 10) return "bad protocol version in the key";
    stream.version = static_cast<proto::protocol_version>(version);
    stream.domain = proto::load_be32(k + 21);
    return {};
}

decode_result decode(std::string_view key, std::string_view value) {
    if (key.size() != template_key_size || key[0] != template_key_tag) return {std::nullopt, "not a template key"};
    const uint8_t* k = bytes(key);
    stored_template t;
    if (std::string e = decode_stream_prefix(key, t.stream); !e.empty()) return {std::nullopt, e};
    t.id = proto::load_be16(k + 25);
    if (t.id < min_template_id) return {std::nullopt, "template id below 256 in the key"};

    if (value.size() < value_head_size) return {std::nullopt, "value too short"};
    const uint8_t* v = bytes(value);
    if (v[0] > 1) return {std::nullopt, "unknown flags in the value"};
    t.options = v[0] == 1;
    t.scope_count = proto::load_be16(v + 1);
    const uint16_t n = proto::load_be16(v + 3);
    t.last_seen_ms = proto::load_be64(v + 5);
    if (value.size() != value_head_size + size_t{n} * field_size) return {std::nullopt, "value length does not match its field count"};
    t.fields.reserve(n);
    for (size_t i = 0; i < n; ++i) {
        const uint8_t* f = v + value_head_size + i * field_size;
        t.fields.push_back({proto::load_be16(f), proto::load_be16(f + 2), proto::load_be32(f + 4), i < t.scope_count});
    }
    if (std::string e = check(t); !e.empty()) return {std::nullopt, e};
    return {std::move(t), {}};
}

}  // namespace ipfix::store
