#include "byte_writer.hpp"

#include <arpa/inet.h>

#include <stdexcept>
#include <string>

namespace ipfix::test {
namespace {

std::vector<uint8_t> parse(int family, std::string_view text, size_t size) {
    const std::string s(text);
    uint8_t b[16] = {};
    if (inet_pton(family, s.c_str(), b) != 1) throw std::invalid_argument("not an address: " + s);
    return {b, b + size};
}

}  // namespace

std::vector<uint8_t> parse_ipv4(std::string_view text) { return parse(AF_INET, text, 4); }
std::vector<uint8_t> parse_ipv6(std::string_view text) { return parse(AF_INET6, text, 16); }

}  // namespace ipfix::test
