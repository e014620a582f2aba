// Plain-text tables for the terminal views: columns padded to their widest cell, the first
// `left` columns aligned left (names), the rest right (numbers), two spaces between columns.
#pragma once

#include <string>
#include <vector>

namespace ipfix::tools {

using grid_rows = std::vector<std::vector<std::string>>;

std::vector<std::string> format_grid(const grid_rows& rows, size_t left = 1);

}  // namespace ipfix::tools
