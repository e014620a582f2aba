// Prints decoded data records, one line each: as JSON objects (--json) or as readable text.
// Both take the message the records came in, so header fields repeat on every line.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "field_labels.hpp"
#include "ipfix/proto/decoder.hpp"

namespace ipfix::dump {

struct message_context {
    std::string exporter;                   // "192.0.2.1:49152", "[2001:db8::1]:49152"
    const proto::message_header* header = nullptr;
    std::optional<uint64_t> frame;          // capture frame number, when asked for
};

std::string format_endpoint(const proto::exporter_endpoint& e);

class record_printer {
public:
    virtual ~record_printer() = default;
    // Appends one line (with its newline) for `r` to `out`.
    virtual void print(const message_context& m, const proto::record_view& r, fmt::memory_buffer& out) = 0;
};

// {"exporter":..,"version":..,"domain":..,"template":..,"export_time":..,"sequence":..,
//  ["options":true,] <field name>: <value>, ...}; with a frame number, "frame" comes first.
class json_record_printer final : public record_printer {
public:
    void print(const message_context& m, const proto::record_view& r, fmt::memory_buffer& out) override;

private:
    std::vector<field_label> labels_;
};

// 192.0.2.1:49152 v9 domain=0 template=256 seq=.. time=.. name=value ...
class text_record_printer final : public record_printer {
public:
    void print(const message_context& m, const proto::record_view& r, fmt::memory_buffer& out) override;

private:
    std::vector<field_label> labels_;
};

}  // namespace ipfix::dump
