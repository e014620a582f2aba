// Where the enrich tests find their databases (set by tests/enrich/meson.build).
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

namespace enrich_test {

// Source data: tests/enrich/data.
inline std::string data_path(const std::string& name) {
    const char* dir = std::getenv("ENRICH_TEST_DATA");
    return std::string(dir ? dir : "tests/enrich/data") + "/" + name;
}

// Databases built at build time by ipfix-asdb and write_test_mmdb.pl; empty when the MMDB writer
// (libmaxmind-db-writer-perl) was missing and they were not built.
inline std::string built_path(const std::string& name) {
    const char* dir = std::getenv("ENRICH_BUILT_DATA");
    const std::string p = std::string(dir ? dir : ".") + "/" + name;
    return std::filesystem::exists(p) ? p : std::string{};
}

}  // namespace enrich_test
