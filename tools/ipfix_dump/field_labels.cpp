#include "field_labels.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

namespace ipfix::dump {
namespace {

// RFC 3954 §6.1 scope field types.
std::string_view v9_scope_name(uint16_t type) {
    switch (type) {
        case 1: return "scopeSystem";
        case 2: return "scopeInterface";
        case 3: return "scopeLineCard";
        case 4: return "scopeCache";
        case 5: return "scopeTemplate";
        default: return {};
    }
}

template <class... Args>
void set_own(field_label& l, fmt::format_string<Args...> format, Args&&... args) {
    const auto r = fmt::format_to_n(l.own.data(), l.own.size(), format, std::forward<Args>(args)...);
    l.own_size = static_cast<uint8_t>(std::min(r.size, l.own.size()));
}

field_label label_of(const proto::field_spec& f, proto::protocol_version version) {
    field_label l;
    if (version == proto::protocol_version::netflow_v9 && f.is_scope) {
        l.kind = value_kind::scope;
        l.fixed = v9_scope_name(f.id);
        if (l.fixed.empty()) set_own(l, "scope/{}", f.id);
        return l;
    }
    const proto::ie_info* info =
        version == proto::protocol_version::netflow_v9 ? proto::find_v9_field(f.id) : proto::find_ie(f.pen, f.id);
    if (info == nullptr) {
        set_own(l, "{}/{}", f.pen, f.id);
        return l;
    }
    l.kind = value_kind::typed;
    l.info = info;
    l.fixed = info->name;
    return l;
}

}  // namespace

void label_fields(const proto::template_def& t, std::vector<field_label>& out) {
    out.clear();
    for (const proto::field_spec& f : t.fields) {
        field_label l = label_of(f, t.version);
        // Templates are short (tens of fields): a quadratic scan beats any map here.
        for (const field_label& earlier : out) {
            if (earlier.name() == l.name()) ++l.occurrence;
        }
        out.push_back(l);
    }
}

}  // namespace ipfix::dump
