// Writing networks to an MMDB file through MaxMind's Perl writer (libmaxmind-db-writer-perl).
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "range_input.hpp"

namespace ipfix::asdb {

class writer_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Writes `nets` (in order_for_insert() order) to `path`: the file appears complete or not at all
// (written beside it, then renamed). The writer's own messages go to stderr. Throws writer_error.
void write_mmdb(const std::vector<network>& nets, const std::string& path, const std::string& description);

}  // namespace ipfix::asdb
