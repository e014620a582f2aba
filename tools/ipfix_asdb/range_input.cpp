#include "range_input.hpp"

#include <algorithm>
#include <optional>
#include <string_view>

#include "ipfix/proto/ip_address.hpp"

namespace ipfix::asdb {

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

// CSV fields ("..." quoting, "" for a quote) or, without commas, whitespace-separated words.
std::optional<std::vector<std::string>> split_fields(std::string_view line) {
    std::vector<std::string> fields;
    if (line.find(',') == std::string_view::npos) {
        size_t i = 0;
        while (i < line.size()) {
            while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
            size_t j = i;
            while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
            if (j > i) fields.emplace_back(line.substr(i, j - i));
            i = j;
        }
        return fields;
    }
    size_t i = 0;
    for (;;) {
        std::string f;
        size_t q = i;
        while (q < line.size() && (line[q] == ' ' || line[q] == '\t')) ++q;
        if (q < line.size() && line[q] == '"') {
            i = q + 1;
            for (;;) {
                if (i >= line.size()) return std::nullopt;  // unterminated quote
                if (line[i] == '"') {
                    if (i + 1 < line.size() && line[i + 1] == '"') {
                        f += '"';
                        i += 2;
                        continue;
                    }
                    ++i;
                    break;
                }
                f += line[i++];
            }
            while (i < line.size() && line[i] != ',') {
                if (line[i] != ' ' && line[i] != '\t') return std::nullopt;  // text after the closing quote
                ++i;
            }
        } else {
            // Kept untrimmed: an unquoted organisation may itself contain ", ".
            const size_t comma = line.find(',', i);
            const size_t end = comma == std::string_view::npos ? line.size() : comma;
            f = std::string(line.substr(i, end - i));
            i = end;
        }
        fields.push_back(std::move(f));
        if (i >= line.size()) break;
        ++i;  // the comma
    }
    return fields;
}

std::optional<uint32_t> parse_asn(std::string_view s) {
    if (s.size() > 2 && (s[0] == 'A' || s[0] == 'a') && (s[1] == 'S' || s[1] == 's')) s.remove_prefix(2);
    if (s.empty() || s.size() > 10) return std::nullopt;
    uint64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + static_cast<uint64_t>(c - '0');
    }
    if (v > UINT32_MAX) return std::nullopt;
    return static_cast<uint32_t>(v);
}

struct address {
    bool v6;
    enrich::u128 key;
};

std::optional<address> parse_address(std::string_view s) {
    const auto a = proto::ip_address::parse(s);
    if (!a) return std::nullopt;
    if (a->family == 4) return address{false, enrich::v4_key(a->bytes.data())};
    return address{true, enrich::v6_key(a->bytes.data())};
}

}  // namespace

std::string network::cidr() const {
    proto::ip_address a;
    if (v6) {
        a.family = 6;
        enrich::v6_bytes(addr, a.bytes.data());
    } else {
        a = proto::ip_address::v4_host(static_cast<uint32_t>(addr));
    }
    return a.to_string() + "/" + std::to_string(len);
}

std::string clean_text(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            out += (c == '\t' || c == '\n' || c == '\r') ? ' ' : static_cast<char>(c);
            ++i;
            continue;
        }
        // A well-formed UTF-8 sequence: lead byte, n continuation bytes, no overlong form,
        // no surrogate, at most U+10FFFF.
        size_t n = 0;
        uint32_t cp = 0;
        if (c >= 0xc2 && c <= 0xdf) n = 1, cp = c & 0x1f;
        else if (c >= 0xe0 && c <= 0xef) n = 2, cp = c & 0x0f;
        else if (c >= 0xf0 && c <= 0xf4) n = 3, cp = c & 0x07;
        bool ok = n > 0 && i + n < s.size();
        for (size_t k = 1; ok && k <= n; ++k) {
            const auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xc0) != 0x80) ok = false;
            cp = (cp << 6) | (cc & 0x3f);
        }
        if (ok && n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ok = false;
        if (ok && n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ok = false;
        if (ok) {
            out.append(s.substr(i, n + 1));
            i += n + 1;
        } else {
            out += '?';
            ++i;
        }
    }
    return out;
}

void read_networks(std::istream& in, const std::string& name, std::vector<network>& out, input_stats& stats) {
    std::string raw;
    size_t line_no = 0;
    auto err = [&](const std::string& why) { return input_error(name + ":" + std::to_string(line_no) + ": " + why); };
    while (std::getline(in, raw)) {
        ++line_no;
        const std::string_view line = trim(raw);
        if (line.empty() || line.front() == '#' || line.front() == '!') continue;
        ++stats.lines;
        const auto fields = split_fields(line);
        if (!fields || fields->empty()) throw err("malformed line (unbalanced quotes?)");
        const std::vector<std::string>& raw_fields = *fields;
        std::vector<std::string> f;
        for (const auto& r : raw_fields) f.emplace_back(trim(r));
        auto parse_prefix = [&](const std::string& text, network& n) {
            const size_t slash = text.find('/');
            const auto a = parse_address(std::string_view(text).substr(0, slash));
            if (!a) throw err("not an address: '" + text.substr(0, slash) + "'");
            const std::string_view len_text = std::string_view(text).substr(slash + 1);
            unsigned len = 0;
            if (len_text.empty() || len_text.size() > 3) throw err("bad prefix length in '" + text + "'");
            for (char c : len_text) {
                if (c < '0' || c > '9') throw err("bad prefix length in '" + text + "'");
                len = len * 10 + static_cast<unsigned>(c - '0');
            }
            if (len > (a->v6 ? 128u : 32u)) throw err("prefix length too long in '" + text + "'");
            n.v6 = a->v6;
            n.len = len;
            n.addr = a->v6 ? enrich::prefix_of(a->key, len)
                           : enrich::prefix_of(static_cast<uint32_t>(a->key), len);
        };
        auto asn_of = [&](const std::string& text) {
            const auto v = parse_asn(text);
            if (!v) throw err("not an AS number: '" + text + "'");
            return *v;
        };
        auto org_of = [&](size_t from) {
            std::string org;
            for (size_t i = from; i < raw_fields.size(); ++i) {
                if (i > from) org += ',';
                org += raw_fields[i];
            }
            return clean_text(trim(org));
        };

        auto looks_like_prefix = [](const std::string& text) {
            const size_t slash = text.find('/');
            return slash != std::string::npos && parse_address(std::string_view(text).substr(0, slash));
        };

        if (looks_like_prefix(f[0])) {
            if (f.size() < 2) {  // a bare networks_file prefix
                ++stats.no_asn;
                continue;
            }
            network n;
            parse_prefix(f[0], n);
            n.asn = asn_of(f[1]);
            n.org = org_of(2);
            out.push_back(std::move(n));
            ++stats.prefixes;
        } else if (f.size() >= 2 && parse_address(f[0]) && parse_address(f[1])) {
            if (f.size() < 3) throw err("range without an AS number");
            const auto first = parse_address(f[0]);
            const auto last = parse_address(f[1]);
            if (first->v6 != last->v6) throw err("range mixes IPv4 and IPv6");
            if (last->key < first->key) throw err("range ends before it starts");
            const uint32_t asn = asn_of(f[2]);
            const std::string org = org_of(3);
            auto add = [&](auto addr, unsigned len) {
                network n;
                n.v6 = first->v6;
                n.addr = addr;
                n.len = len;
                n.asn = asn;
                n.org = org;
                out.push_back(std::move(n));
            };
            if (first->v6) split_range<enrich::u128>(first->key, last->key, add);
            else split_range<uint32_t>(static_cast<uint32_t>(first->key), static_cast<uint32_t>(last->key), add);
            ++stats.ranges;
        } else if (looks_like_prefix(f.back())) {
            // pmacct: the AS is the field before the prefix, optionally peer_origin.
            network n;
            parse_prefix(f.back(), n);
            std::string as_field = f.size() >= 2 ? f[f.size() - 2] : std::string{};
            if (const size_t u = as_field.find('_'); u != std::string::npos) as_field = as_field.substr(u + 1);
            if (as_field.empty() || parse_address(as_field)) {
                ++stats.no_asn;
                continue;
            }
            n.asn = asn_of(as_field);
            out.push_back(std::move(n));
            ++stats.prefixes;
        } else {
            throw err("expected first_ip,last_ip,asn[,org], prefix/len,asn[,org] or a networks_file line");
        }
    }
}

void order_for_insert(std::vector<network>& nets) {
    std::stable_sort(nets.begin(), nets.end(),
                     [](const network& a, const network& b) { return a.tree_len() < b.tree_len(); });
}

}  // namespace ipfix::asdb
