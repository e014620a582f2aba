// Runs the decoder fuzz harness over seed files, outside libFuzzer, so the normal and the
// sanitizer builds exercise it too. Arguments: directories (every *.seed and *.dat under them;
// a missing directory is skipped) or files. A broken invariant aborts, as under the fuzzer.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "decoder_harness.hpp"

namespace fs = std::filesystem;

namespace {

bool is_seed(const fs::path& p) { return p.extension() == ".seed" || p.extension() == ".dat"; }

std::vector<uint8_t> read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<fs::path> files;
    for (int i = 1; i < argc; ++i) {
        const fs::path arg(argv[i]);
        std::error_code ec;
        if (fs::is_directory(arg, ec)) {
            for (const auto& e : fs::recursive_directory_iterator(arg, ec)) {
                if (e.is_regular_file() && is_seed(e.path())) files.push_back(e.path());
            }
        } else if (fs::is_regular_file(arg, ec)) {
            files.push_back(arg);
        } else {
            std::printf("skipped %s (missing)\n", argv[i]);
        }
    }
    std::sort(files.begin(), files.end());
    size_t bytes = 0;
    for (const fs::path& p : files) {
        const std::vector<uint8_t> input = read_file(p);
        ipfix::fuzz::run_decoder_harness(input);
        bytes += input.size();
    }
    std::printf("replayed %zu files, %zu bytes\n", files.size(), bytes);
    // Nothing to replay means the seeds were not generated: a broken setup, not a pass.
    return files.empty() ? 1 : 0;
}
