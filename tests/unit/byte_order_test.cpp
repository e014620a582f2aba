// Big-endian loads and stores, including reduced-size unsigned integers of 1..8 bytes.
#include <catch2/catch.hpp>

#include <array>

#include "ipfix/proto/byte_order.hpp"

using namespace ipfix::proto;

TEST_CASE("byte order: fixed-size loads", "[byte_order]") {
    const std::array<uint8_t, 8> b = {0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF};
    CHECK(load_be16(b.data()) == 0x0123);
    CHECK(load_be16(b.data() + 6) == 0xCDEF);
    CHECK(load_be32(b.data()) == 0x01234567u);
    CHECK(load_be32(b.data() + 4) == 0x89ABCDEFu);
    CHECK(load_be64(b.data()) == 0x0123456789ABCDEFull);
}

TEST_CASE("byte order: load_uint of every length", "[byte_order]") {
    const std::array<uint8_t, 9> b = {0x81, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09};
    CHECK(load_uint(b.data(), 1) == 0x81u);
    CHECK(load_uint(b.data(), 2) == 0x8102u);
    CHECK(load_uint(b.data(), 3) == 0x810203u);
    CHECK(load_uint(b.data(), 4) == 0x81020304u);
    CHECK(load_uint(b.data(), 5) == 0x8102030405ull);
    CHECK(load_uint(b.data(), 6) == 0x810203040506ull);
    CHECK(load_uint(b.data(), 7) == 0x81020304050607ull);
    CHECK(load_uint(b.data(), 8) == 0x8102030405060708ull);
    CHECK(load_uint(b.data(), 9) == 0u);
    CHECK(load_uint(b.data(), 0) == 0u);
}

TEST_CASE("byte order: stores are the inverse of loads", "[byte_order]") {
    std::array<uint8_t, 8> b{};
    store_be16(b.data(), 0xBEEF);
    CHECK(b[0] == 0xBE);
    CHECK(b[1] == 0xEF);
    store_be32(b.data(), 0xDEADBEEFu);
    CHECK(b[0] == 0xDE);
    CHECK(b[3] == 0xEF);
    CHECK(load_be32(b.data()) == 0xDEADBEEFu);
    store_be64(b.data(), 0x0102030405060708ull);
    CHECK(b[0] == 0x01);
    CHECK(b[7] == 0x08);
    CHECK(load_be64(b.data()) == 0x0102030405060708ull);
}

TEST_CASE("byte order: store_uint keeps the low-order bytes", "[byte_order]") {
    const uint64_t v = 0x1122334455667788ull;
    for (size_t len = 1; len <= 8; ++len) {
        INFO("length " << len);
        std::array<uint8_t, 8> b{};
        store_uint(b.data(), len, v);
        const uint64_t mask = len == 8 ? ~0ull : (1ull << (8 * len)) - 1;
        CHECK(load_uint(b.data(), len) == (v & mask));
        CHECK(b[len - 1] == 0x88);
    }
}
