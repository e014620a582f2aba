#include "ipfix/stats/text_table.hpp"

#include <algorithm>

namespace ipfix::stats {

text_table::text_table(std::vector<std::string> header) { rows_.push_back(std::move(header)); }

void text_table::add_row(std::vector<std::string> cells) {
    cells.resize(std::max(cells.size(), rows_.front().size()));
    rows_.push_back(std::move(cells));
}

std::string text_table::render() const {
    std::vector<size_t> width;
    for (const auto& row : rows_) {
        if (width.size() < row.size()) width.resize(row.size(), 0);
        for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
    }
    std::string out;
    for (const auto& row : rows_) {
        std::string line;
        for (size_t i = 0; i < row.size(); ++i) {
            if (i > 0) line.append(2, ' ');
            const size_t pad = width[i] - row[i].size();
            if (i == 0) {
                line += row[i];
                line.append(pad, ' ');
            } else {
                line.append(pad, ' ');
                line += row[i];
            }
        }
        while (!line.empty() && line.back() == ' ') line.pop_back();
        out += line;
        out += '\n';
    }
    return out;
}

}  // namespace ipfix::stats
