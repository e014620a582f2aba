#include "record_printer.hpp"

#include "value_render.hpp"

namespace ipfix::dump {

void text_record_printer::print(const message_context& m, const proto::record_view& r, fmt::memory_buffer& out) {
    auto it = std::back_inserter(out);
    const proto::message_header& h = *m.header;
    if (m.frame) fmt::format_to(it, "#{} ", *m.frame);
    fmt::format_to(it, "{} v{} domain={} template={}{} seq={} time={}", m.exporter, static_cast<int>(h.version),
                   h.domain, r.tmpl->id, r.tmpl->options ? " options" : "", h.sequence, h.export_time);
    label_fields(*r.tmpl, labels_);
    for (size_t i = 0; i < labels_.size(); ++i) {
        const field_label& l = labels_[i];
        out.push_back(' ');
        out.append(l.name());
        if (l.occurrence > 1) fmt::format_to(it, "#{}", l.occurrence);
        out.push_back('=');
        // The JSON rendering is already unambiguous and readable: strings stay quoted.
        render_value(l, r.value(i), out);
    }
    out.push_back('\n');
}

}  // namespace ipfix::dump
