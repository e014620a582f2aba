// Aligned plain-text tables for the telnet port: the first column left-aligned, the others
// right-aligned, two spaces between columns, no trailing blanks, LF line ends.
#pragma once

#include <string>
#include <vector>

namespace ipfix::stats {

class text_table {
public:
    explicit text_table(std::vector<std::string> header);
    // Rows shorter than the header are padded with empty cells.
    void add_row(std::vector<std::string> cells);
    std::string render() const;

private:
    std::vector<std::vector<std::string>> rows_;  // rows_[0] is the header
};

}  // namespace ipfix::stats
