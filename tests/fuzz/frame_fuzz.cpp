// libFuzzer entry point: the frame harness (frame_harness.hpp) on each input.
#include <cstddef>
#include <cstdint>

#include "frame_harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    ipfix::fuzz::run_frame_harness({data, size});
    return 0;
}
