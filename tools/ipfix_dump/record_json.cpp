#include "record_printer.hpp"

#include "value_render.hpp"

namespace ipfix::dump {

std::string format_endpoint(const proto::exporter_endpoint& e) {
    if (e.address.family == 6) return fmt::format("[{}]:{}", e.address.to_string(), e.port);
    return fmt::format("{}:{}", e.address.to_string(), e.port);
}

void json_record_printer::print(const message_context& m, const proto::record_view& r, fmt::memory_buffer& out) {
    auto it = std::back_inserter(out);
    const proto::message_header& h = *m.header;
    out.push_back('{');
    if (m.frame) fmt::format_to(it, "\"frame\":{},", *m.frame);
    out.append(std::string_view("\"exporter\":"));
    render_json_string(m.exporter, out);
    fmt::format_to(it, ",\"version\":{},\"domain\":{},\"template\":{},\"export_time\":{},\"sequence\":{}",
                   static_cast<int>(h.version), h.domain, r.tmpl->id, h.export_time, h.sequence);
    if (r.tmpl->options) out.append(std::string_view(",\"options\":true"));
    label_fields(*r.tmpl, labels_);
    for (size_t i = 0; i < labels_.size(); ++i) {
        const field_label& l = labels_[i];
        out.push_back(',');
        out.push_back('"');
        // Registry names and "PEN/ID" need no escaping; scope names neither.
        out.append(l.name());
        if (l.occurrence > 1) fmt::format_to(it, "#{}", l.occurrence);
        out.push_back('"');
        out.push_back(':');
        render_value(l, r.value(i), out);
    }
    out.append(std::string_view("}\n"));
}

}  // namespace ipfix::dump
