#include "dump_session.hpp"

#include <algorithm>
#include <utility>

namespace ipfix::dump {
namespace {

// Output is written in blocks: one write per record would dominate the run time.
constexpr size_t flush_threshold = 1 << 16;

}  // namespace

dump_session::dump_session(session_options options, std::FILE* out)
    : options_(std::move(options)), out_(out) {
    if (options_.json) printer_ = std::make_unique<json_record_printer>();
    else printer_ = std::make_unique<text_record_printer>();
}

dump_session::~dump_session() { flush(); }

bool dump_session::wants_port(uint16_t port) const {
    return std::find(options_.ports.begin(), options_.ports.end(), port) != options_.ports.end();
}

void dump_session::feed_frame(int link_type, const captured_frame& frame) {
    ++counters_.packets;
    const io::parse_result r = io::parse_frame(link_type, frame.bytes, frame.wire_length);
    if (!r.ok) {
        ++counters_.skipped[static_cast<size_t>(r.reason)];
        return;
    }
    if (!wants_port(r.datagram.destination_port)) {
        ++counters_.skipped[static_cast<size_t>(skip_reason::other_port)];
        return;
    }
    if (r.datagram.first_fragment) ++counters_.partial_first_fragments;
    feed_datagram(r.datagram.source, r.datagram.payload, frame.time_ms, frame.number);
}

void dump_session::feed_datagram(const proto::exporter_endpoint& from, std::span<const uint8_t> payload,
                                 uint64_t now_ms, std::optional<uint64_t> frame_number) {
    ++counters_.payloads;
    decoder_.decode(from, payload, now_ms, message_);
    if (message_.records.empty()) return;
    context_.exporter = format_endpoint(from);
    context_.header = &message_.header;
    context_.frame = options_.frame_numbers ? frame_number : std::nullopt;
    for (const proto::record_view& r : message_.records) {
        printer_->print(context_, r, buffer_);
        if (buffer_.size() >= flush_threshold) flush();
    }
}

void dump_session::flush() {
    if (buffer_.size() == 0) return;
    std::fwrite(buffer_.data(), 1, buffer_.size(), out_);
    std::fflush(out_);
    buffer_.clear();
}

void dump_session::print_summary(std::FILE* to) const {
    const proto::decode_counters& d = decoder_.counters();
    auto line = [to](std::string_view name, uint64_t value) { fmt::print(to, "{:<34} {}\n", name, value); };
    line("packets read", counters_.packets);
    line("udp payloads decoded", counters_.payloads);
    line("records", d.records);
    line("options records", d.options_records);
    line("templates learned", d.templates_learned);
    line("templates refreshed", d.templates_refreshed);
    line("templates redefined", d.templates_redefined);
    line("templates withdrawn", d.templates_withdrawn);
    line("sequence gaps", d.sequence_gaps);
    line("sequence lost", d.sequence_lost);
    line("sequence reordered", d.sequence_reordered);
    if (d.templates_expired != 0) line("templates expired", d.templates_expired);
    if (d.templates_evicted != 0) line("templates evicted", d.templates_evicted);
    if (d.streams_evicted != 0) line("streams evicted", d.streams_evicted);
    // Only the reasons that occurred: the full lists are long and mostly zero.
    for (size_t i = 0; i < proto::malformed_count; ++i) {
        if (d.malformed_by_reason[i] == 0) continue;
        line(fmt::format("malformed {}", proto::to_string(static_cast<proto::malformed>(i))), d.malformed_by_reason[i]);
    }
    for (size_t i = 0; i < skip_reason_count; ++i) {
        if (counters_.skipped[i] == 0) continue;
        line(fmt::format("skipped {}", io::to_string(static_cast<skip_reason>(i))), counters_.skipped[i]);
    }
    if (counters_.partial_first_fragments != 0) line("partial first fragments", counters_.partial_first_fragments);
}

}  // namespace ipfix::dump
