// Runs the frame harness outside libFuzzer, in every build: over the test frames of tests/dpdk,
// each of their truncations and single-bit flips, and the seed files given (*.seed). With
// --write-seeds DIR it writes the test frames there as seeds for the fuzzer instead.
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "frame_harness.hpp"
#include "test_frames.hpp"

namespace fs = std::filesystem;

int main(int argc, char** argv) {
    using namespace test_frames;
    const std::vector<const std::vector<uint8_t>*> frames = {
        &udp4_frame, &udp4_out, &udp6_frame, &udp6_out, &arp_request_for_us, &arp_reply_expected,
        &arp_request_expected, &ns_for_us, &na_expected, &ns_expected};
    if (argc == 3 && std::strcmp(argv[1], "--write-seeds") == 0) {
        fs::create_directories(argv[2]);
        for (size_t i = 0; i < frames.size(); ++i) {
            std::ofstream out(fs::path(argv[2]) / ("test" + std::to_string(i) + ".seed"), std::ios::binary);
            out.write(reinterpret_cast<const char*>(frames[i]->data()), static_cast<std::streamsize>(frames[i]->size()));
        }
        return 0;
    }
    size_t runs = 0;
    for (const auto* f : frames) {
        for (size_t n = 0; n <= f->size(); ++n, ++runs) ipfix::fuzz::run_frame_harness({f->data(), n});
        std::vector<uint8_t> flipped = *f;
        for (size_t bit = 0; bit < flipped.size() * 8; ++bit, ++runs) {
            flipped[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
            ipfix::fuzz::run_frame_harness(flipped);
            flipped[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
        }
    }
    for (int i = 1; i < argc; ++i) {
        std::error_code ec;
        if (!fs::is_directory(argv[i], ec)) continue;
        for (const auto& e : fs::recursive_directory_iterator(argv[i], ec)) {
            if (!e.is_regular_file() || e.path().extension() != ".seed") continue;
            std::ifstream in(e.path(), std::ios::binary);
            const std::vector<uint8_t> input{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
            ipfix::fuzz::run_frame_harness(input);
            ++runs;
        }
    }
    std::printf("frame harness: %zu runs\n", runs);
    return 0;
}
