// libFuzzer entry point: the harness in decoder_harness.hpp on each input.
#include <cstddef>
#include <cstdint>

#include "decoder_harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    ipfix::fuzz::run_decoder_harness({data, size});
    return 0;
}
