#include "fixbuf_peer.hpp"

#include <arpa/inet.h>
#include <fixbuf/public.h>

#include <cstring>
#include <stdexcept>

namespace ipfix::perf {
namespace {

constexpr uint16_t internal_tid = 0x7F00;

// The internal template's record: 16-byte fields first so the struct has no padding.
struct internal_record {
    uint8_t source_ipv6[16];
    uint8_t destination_ipv6[16];
    uint32_t source_ipv4;       // host order: libfixbuf converts endian-sensitive fields
    uint32_t destination_ipv4;
    uint32_t source_as;
    uint32_t destination_as;
};
static_assert(sizeof(internal_record) == 48);

fbInfoElementSpec_t internal_spec[] = {
    {const_cast<char*>("sourceIPv6Address"), 16, 0},
    {const_cast<char*>("destinationIPv6Address"), 16, 0},
    {const_cast<char*>("sourceIPv4Address"), 4, 0},
    {const_cast<char*>("destinationIPv4Address"), 4, 0},
    {const_cast<char*>("bgpSourceAsNumber"), 4, 0},
    {const_cast<char*>("bgpDestinationAsNumber"), 4, 0},
    FB_IESPEC_NULL,
};

[[noreturn]] void fail(const char* what, GError* err) {
    std::string msg = std::string("libfixbuf: ") + what + (err ? std::string(": ") + err->message : "");
    if (err) g_clear_error(&err);
    throw std::runtime_error(msg);
}

// An address field of the internal record as (bytes, length): the IPv4 one when the record
// has it, else the IPv6 one, else none.
struct address_ref {
    const uint8_t* bytes;
    size_t length;
};
address_ref pick(const uint32_t& v4_host, uint32_t& v4_net, const uint8_t* v6) {
    if (v4_host != 0) {
        v4_net = htonl(v4_host);
        return {reinterpret_cast<const uint8_t*>(&v4_net), 4};
    }
    static constexpr uint8_t zero[16] = {};
    return {v6, std::memcmp(v6, zero, 16) == 0 ? size_t{0} : size_t{16}};
}

}  // namespace

fixbuf_model::fixbuf_model() : model_(fbInfoModelAlloc()) {}
fixbuf_model::~fixbuf_model() { fbInfoModelFree(model_); }

std::string fixbuf_version() {
    return std::to_string(FIXBUF_VERSION_MAJOR) + "." + std::to_string(FIXBUF_VERSION_MINOR) + "." +
           std::to_string(FIXBUF_VERSION_RELEASE);
}

fixbuf_peer::fixbuf_peer(const fixbuf_model& model) : model_(model) {}

fixbuf_peer::~fixbuf_peer() {
    for (auto& [from, buf] : buffers_) fBufFree(buf);  // frees the session too
}

fBuf_st* fixbuf_peer::buffer_for(const proto::exporter_endpoint& from) {
    auto it = buffers_.find(from);
    if (it != buffers_.end()) return it->second;
    GError* err = nullptr;
    fbSession_t* session = fbSessionAlloc(model_.get());
    fbTemplate_t* tmpl = fbTemplateAlloc(model_.get());
    if (!fbTemplateAppendSpecArray(tmpl, internal_spec, 0, &err)) fail("internal template", err);
    if (!fbSessionAddTemplate(session, TRUE, internal_tid, tmpl, &err)) fail("add template", err);
    fBuf_t* buf = fBufAllocForCollection(session, nullptr);
    fBufSetAutomaticMode(buf, FALSE);
    if (!fBufSetInternalTemplate(buf, internal_tid, &err)) fail("set internal template", err);
    buffers_.emplace(from, buf);
    return buf;
}

void fixbuf_peer::decode(const proto::exporter_endpoint& from, std::span<uint8_t> message, record_digest& digest) {
    static const GQuark domain = FB_ERROR_DOMAIN;
    fBuf_t* buf = buffer_for(from);
    fBufSetBuffer(buf, message.data(), message.size());
    internal_record rec;
    uint32_t src_net = 0, dst_net = 0;
    // Each failure either ends the message or skips a set, so a message cannot loop forever;
    // the bound is a guard all the same.
    for (size_t failures = 0; failures < 1024;) {
        size_t len = sizeof rec;
        GError* err = nullptr;
        if (fBufNext(buf, reinterpret_cast<uint8_t*>(&rec), &len, &err)) {
            const address_ref src = pick(rec.source_ipv4, src_net, rec.source_ipv6);
            const address_ref dst = pick(rec.destination_ipv4, dst_net, rec.destination_ipv6);
            digest.add(src.bytes, src.length, dst.bytes, dst.length, rec.source_as, rec.destination_as);
            continue;
        }
        const bool end = err->domain == domain && (err->code == FB_ERROR_EOM || err->code == FB_ERROR_BUFSZ);
        g_clear_error(&err);
        if (end) return;
        ++errors_;
        ++failures;
    }
}

}  // namespace ipfix::perf
