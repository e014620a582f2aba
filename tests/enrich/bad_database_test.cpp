// Files that are no usable database: each load fails with a load_error naming the file, never a
// crash (these tests run under ASan/UBSan too), and a failed reload keeps the current table.
#include <catch2/catch.hpp>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "ipfix/enrich/as_database.hpp"
#include "ipfix/enrich/table_loader.hpp"
#include "test_data.hpp"

using namespace ipfix::enrich;
using enrich_test::data_path;
using ipfix::proto::ip_address;

namespace {

std::vector<char> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::vector<char>(std::istreambuf_iterator<char>(in), {});
}

// A scratch directory, removed when the test program ends.
const std::filesystem::path& scratch_dir() {
    struct dir {
        std::filesystem::path path =
            std::filesystem::temp_directory_path() / ("enrich_test_" + std::to_string(::getpid()));
        dir() { std::filesystem::create_directories(path); }
        ~dir() {
            std::error_code ec;
            std::filesystem::remove_all(path, ec);
        }
    };
    static const dir d;
    return d.path;
}

std::string write_temp(const std::string& name, const std::vector<char>& bytes) {
    const auto& dir = scratch_dir();
    const std::string path = (dir / name).string();
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return path;
}

// The load error's message, or "" when the file loaded.
std::string load_message(const std::string& path) {
    try {
        load_table({path});
        return {};
    } catch (const load_error& e) {
        return e.what();
    }
}

}  // namespace

TEST_CASE("missing file, directory, empty file, text file: clear errors") {
    CHECK_THAT(load_message("/nonexistent/asn.mmdb"),
               Catch::Contains("/nonexistent/asn.mmdb") && Catch::Contains("No such file"));
    CHECK_THAT(load_message(std::filesystem::temp_directory_path().string()), Catch::Contains("MaxMind DB"));
    CHECK_THAT(load_message(write_temp("empty.mmdb", {})), Catch::Contains("empty.mmdb"));
    const std::string text = "first_ip,last_ip,asn\n1.0.0.0,1.0.0.255,13335\n";
    CHECK_THAT(load_message(write_temp("text.mmdb", std::vector<char>(text.begin(), text.end()))),
               Catch::Contains("text.mmdb") && Catch::Contains("metadata"));
}

TEST_CASE("MaxMind's broken and corrupt databases: a load_error each, no crash") {
    size_t files = 0;
    for (const auto& entry : std::filesystem::directory_iterator(data_path("bad"))) {
        const std::string path = entry.path().string();
        INFO(path);
        const std::string msg = load_message(path);
        CHECK_THAT(msg, Catch::Contains(entry.path().filename().string()));
        ++files;
    }
    CHECK(files >= 20);
    CHECK_THAT(load_message(data_path("bad/MaxMind-DB-test-broken-search-tree-24.mmdb")),
               Catch::Contains("search tree"));
}

TEST_CASE("a database without AS or country fields is refused") {
    // GeoLite2-ASN-Test with every key renamed would do; a test database of another type does.
    CHECK_THAT(load_message(data_path("bad/libmaxminddb-uint64-max-epoch.mmdb")),
               Catch::Contains("no record carries an AS number"));
}

TEST_CASE("a search tree that reaches a node twice is refused") {
    // GeoLite2-ASN-Test has 28-bit records: node n is 7 bytes, the right record is the low nibble of
    // byte 3 followed by bytes 4..6. Point the root's right record at node 1, its left child
    // (libmaxminddb itself refuses a record of 0, the root).
    auto bytes = read_file(data_path("GeoLite2-ASN-Test.mmdb"));
    REQUIRE(bytes.size() > 7);
    bytes[3] = static_cast<char>(bytes[3] & 0xf0);
    bytes[4] = bytes[5] = 0;
    bytes[6] = 1;
    CHECK_THAT(load_message(write_temp("loop.mmdb", bytes)), Catch::Contains("reached twice"));
}

TEST_CASE("truncated and bit-flipped databases: load or a load_error, never a crash") {
    const auto good = read_file(data_path("GeoLite2-ASN-Test.mmdb"));
    REQUIRE(good.size() > 1000);
    size_t refused = 0, loaded = 0;
    for (size_t cut : {size_t{0}, size_t{1}, size_t{100}, good.size() / 2, good.size() - 200, good.size() - 1}) {
        const std::string msg = load_message(write_temp("cut.mmdb", std::vector<char>(good.begin(), good.begin() +
                                                                                          static_cast<long>(cut))));
        CHECK_FALSE(msg.empty());
    }
    std::mt19937 rng(7);
    for (int round = 0; round < 300; ++round) {
        auto bytes = good;
        const int flips = 1 + static_cast<int>(rng() % 8);
        for (int i = 0; i < flips; ++i) {
            // Mostly the search tree and data section; sometimes the metadata at the end.
            const size_t at = (round % 4 == 3) ? bytes.size() - 1 - rng() % 300 : rng() % (bytes.size() - 300);
            bytes[at] = static_cast<char>(bytes[at] ^ (1 << (rng() % 8)));
        }
        const std::string path = write_temp("flip.mmdb", bytes);
        try {
            const auto t = load_table({path});
            ++loaded;
            // A corrupt-but-loadable table must still answer without crashing.
            for (uint32_t a = 0; a < 64; ++a) (void)t->lookup(ip_address::v4_host(a * 0x04000001u));
        } catch (const load_error& e) {
            ++refused;
            CHECK_THAT(e.what(), Catch::Contains("flip.mmdb"));
        }
    }
    CHECK(refused + loaded == 300);
    CHECK(refused > 0);
}

TEST_CASE("a failed reload keeps the current table") {
    as_database db;
    db.reload({data_path("GeoLite2-ASN-Test.mmdb")});
    const uint64_t generation = db.generation();
    CHECK_THROWS_AS(db.reload({data_path("GeoLite2-ASN-Test.mmdb"), "/nonexistent.mmdb"}), load_error);
    CHECK(db.generation() == generation);
    CHECK(db.snapshot()->lookup(*ip_address::parse("1.128.0.0")).asn == 1221);
}
