#include "ipfix/proto/ie_registry.hpp"

#include <algorithm>
#include <cstddef>
#include <string>
#include <unordered_map>

namespace ipfix::proto {
namespace detail {
extern const ie_info ie_table[];
extern const size_t ie_table_size;
}  // namespace detail

const ie_info* find_ie(uint32_t pen, uint16_t id) {
    const ie_info* begin = detail::ie_table;
    const ie_info* end = begin + detail::ie_table_size;
    const ie_info* it = std::lower_bound(begin, end, std::pair{pen, id}, [](const ie_info& e, const auto& k) {
        return e.pen != k.first ? e.pen < k.first : e.id < k.second;
    });
    return (it != end && it->pen == pen && it->id == id) ? it : nullptr;
}

const ie_info* find_v9_field(uint16_t id) {
    if (const ie_info* e = find_ie(0, id)) return e;
    return find_ie(netflow_v9_pen, id);
}

const ie_info* find_ie_by_name(std::string_view name) {
    static const auto index = [] {
        std::unordered_map<std::string_view, const ie_info*> m;
        // IANA's names take precedence over enterprises' that reuse them.
        for (size_t i = detail::ie_table_size; i-- > 0;) m[detail::ie_table[i].name] = &detail::ie_table[i];
        return m;
    }();
    auto it = index.find(name);
    return it == index.end() ? nullptr : it->second;
}

std::string_view to_string(ie_type t) {
    switch (t) {
        case ie_type::octet_array: return "octetArray";
        case ie_type::unsigned8: return "unsigned8";
        case ie_type::unsigned16: return "unsigned16";
        case ie_type::unsigned32: return "unsigned32";
        case ie_type::unsigned64: return "unsigned64";
        case ie_type::signed8: return "signed8";
        case ie_type::signed16: return "signed16";
        case ie_type::signed32: return "signed32";
        case ie_type::signed64: return "signed64";
        case ie_type::float32: return "float32";
        case ie_type::float64: return "float64";
        case ie_type::boolean: return "boolean";
        case ie_type::mac_address: return "macAddress";
        case ie_type::string: return "string";
        case ie_type::date_time_seconds: return "dateTimeSeconds";
        case ie_type::date_time_milliseconds: return "dateTimeMilliseconds";
        case ie_type::date_time_microseconds: return "dateTimeMicroseconds";
        case ie_type::date_time_nanoseconds: return "dateTimeNanoseconds";
        case ie_type::ipv4_address: return "ipv4Address";
        case ie_type::ipv6_address: return "ipv6Address";
        case ie_type::basic_list: return "basicList";
        case ie_type::sub_template_list: return "subTemplateList";
        case ie_type::sub_template_multi_list: return "subTemplateMultiList";
    }
    return "octetArray";
}

}  // namespace ipfix::proto
