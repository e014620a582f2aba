// Runs the stats port harness over the seed files (every *.seed in the directories given), so
// the normal and the sanitizer builds exercise it without libFuzzer.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "stats_harness.hpp"

int main(int argc, char** argv) {
    size_t files = 0;
    for (int i = 1; i < argc; ++i) {
        std::error_code ec;
        for (const auto& e : std::filesystem::directory_iterator(argv[i], ec)) {
            if (!e.is_regular_file() || e.path().extension() != ".seed") continue;
            std::ifstream in(e.path(), std::ios::binary);
            const std::vector<uint8_t> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
            ipfix::fuzz::run_stats_harness(bytes);
            ++files;
        }
    }
    std::printf("replayed %zu seeds\n", files);
    return files == 0 ? 1 : 0;  // no seeds: a broken setup, not a pass
}
