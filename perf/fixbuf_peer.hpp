// The comparison decoder: libfixbuf reading the same IPFIX messages from memory
// (fBufSetBuffer), one session per exporter endpoint (libfixbuf keeps templates and sequence
// numbers per observation domain inside a session), every record transcoded into a small
// internal template with just the fields enrichment reads.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>

#include "ipfix/proto/stream_key.hpp"
#include "record_digest.hpp"

struct fbInfoModel_st;
struct fBuf_st;

namespace ipfix::perf {

// The information model, built once: allocating it loads every IANA element.
class fixbuf_model {
public:
    fixbuf_model();
    ~fixbuf_model();
    fixbuf_model(const fixbuf_model&) = delete;
    fixbuf_model& operator=(const fixbuf_model&) = delete;
    fbInfoModel_st* get() const { return model_; }

private:
    fbInfoModel_st* model_;
};

std::string fixbuf_version();

class fixbuf_peer {
public:
    explicit fixbuf_peer(const fixbuf_model& model);
    ~fixbuf_peer();
    fixbuf_peer(const fixbuf_peer&) = delete;
    fixbuf_peer& operator=(const fixbuf_peer&) = delete;

    // Reads every record of one message from `from` into `digest`. libfixbuf wants a mutable
    // buffer; it does not write to it.
    void decode(const proto::exporter_endpoint& from, std::span<uint8_t> message, record_digest& digest);

    uint64_t errors() const { return errors_; }  // libfixbuf errors other than end of message

private:
    struct endpoint_hash {
        size_t operator()(const proto::exporter_endpoint& e) const noexcept {
            return proto::ip_address_hash{}(e.address) * 31 + e.port;
        }
    };
    fBuf_st* buffer_for(const proto::exporter_endpoint& from);

    const fixbuf_model& model_;
    std::unordered_map<proto::exporter_endpoint, fBuf_st*, endpoint_hash> buffers_;
    uint64_t errors_ = 0;
};

}  // namespace ipfix::perf
