#include "ipfix/enrich/huge_array.hpp"

#include <sys/mman.h>

#include <cstdint>
#include <new>

namespace ipfix::enrich::detail {

void* map_huge(size_t bytes, void*& mapping, size_t& mapped) {
    constexpr size_t huge = size_t{2} << 20;
    if (bytes < huge / 2) {
        // Small tables stay on small pages: a huge page would be mostly empty memory.
        mapped = bytes;
        mapping = ::mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (mapping == MAP_FAILED) {
            mapping = nullptr;
            mapped = 0;
            throw std::bad_alloc();
        }
        return mapping;
    }
    const size_t rounded = (bytes + huge - 1) & ~(huge - 1);
    // One extra huge page of slack so that an aligned start can be picked inside the mapping.
    mapped = rounded + huge;
    mapping = ::mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mapping == MAP_FAILED) {
        mapping = nullptr;
        mapped = 0;
        throw std::bad_alloc();
    }
    const auto base = reinterpret_cast<uintptr_t>(mapping);
    void* start = reinterpret_cast<void*>((base + huge - 1) & ~(huge - 1));
    ::madvise(start, rounded, MADV_HUGEPAGE);  // advice only: fine if refused
    return start;
}

void unmap_huge(void* mapping, size_t mapped) noexcept {
    if (mapping) ::munmap(mapping, mapped);
}

}  // namespace ipfix::enrich::detail
