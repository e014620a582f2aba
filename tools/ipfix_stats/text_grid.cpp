#include "text_grid.hpp"

#include <algorithm>

namespace ipfix::tools {

std::vector<std::string> format_grid(const grid_rows& rows, size_t left) {
    std::vector<size_t> width;
    for (const auto& r : rows) {
        if (width.size() < r.size()) width.resize(r.size(), 0);
        for (size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
    }
    std::vector<std::string> out;
    out.reserve(rows.size());
    for (const auto& r : rows) {
        std::string line;
        for (size_t i = 0; i < r.size(); ++i) {
            if (i > 0) line += "  ";
            const std::string pad(width[i] - r[i].size(), ' ');
            line += i < left ? r[i] + pad : pad + r[i];
        }
        while (!line.empty() && line.back() == ' ') line.pop_back();
        out.push_back(std::move(line));
    }
    return out;
}

}  // namespace ipfix::tools
