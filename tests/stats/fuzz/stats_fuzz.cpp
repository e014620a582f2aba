// libFuzzer entry point: the stats port harness in stats_harness.hpp on each input.
#include <cstddef>
#include <cstdint>

#include "stats_harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    ipfix::fuzz::run_stats_harness({data, size});
    return 0;
}
