// A fixed-size array of trivially copyable T in its own anonymous mapping, 2 MiB aligned and
// advised for transparent huge pages: the lookup tables are read at random, and on 4 KiB pages
// nearly every lookup of the long tail would also miss the TLB. Zero-filled; move-only.
//
//   huge_array<uint32_t> a(1 << 24);   // 64 MiB, costs nothing until written
//   a[7] = 1;
#pragma once

#include <cstddef>
#include <span>
#include <type_traits>
#include <utility>

namespace ipfix::enrich {

namespace detail {
// Maps `bytes` (rounded up) of zeroed memory, 2 MiB aligned; throws std::bad_alloc.
void* map_huge(size_t bytes, void*& mapping, size_t& mapped);
void unmap_huge(void* mapping, size_t mapped) noexcept;
}  // namespace detail

template <class T>
class huge_array {
    static_assert(std::is_trivially_copyable_v<T>);

public:
    huge_array() = default;
    explicit huge_array(size_t n) : size_(n) {
        if (n) data_ = static_cast<T*>(detail::map_huge(n * sizeof(T), mapping_, mapped_));
    }
    // A copy of `from`, which is usually a std::vector the builder grew.
    explicit huge_array(std::span<const T> from) : huge_array(from.size()) {
        for (size_t i = 0; i < from.size(); ++i) data_[i] = from[i];
    }
    huge_array(huge_array&& o) noexcept
        : data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)),
          mapping_(std::exchange(o.mapping_, nullptr)), mapped_(std::exchange(o.mapped_, 0)) {}
    huge_array& operator=(huge_array&& o) noexcept {
        if (this != &o) {
            detail::unmap_huge(mapping_, mapped_);
            data_ = std::exchange(o.data_, nullptr);
            size_ = std::exchange(o.size_, 0);
            mapping_ = std::exchange(o.mapping_, nullptr);
            mapped_ = std::exchange(o.mapped_, 0);
        }
        return *this;
    }
    huge_array(const huge_array&) = delete;
    huge_array& operator=(const huge_array&) = delete;
    ~huge_array() { detail::unmap_huge(mapping_, mapped_); }

    T& operator[](size_t i) noexcept { return data_[i]; }
    const T& operator[](size_t i) const noexcept { return data_[i]; }
    T* data() noexcept { return data_; }
    const T* data() const noexcept { return data_; }
    size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }
    size_t bytes() const noexcept { return size_ * sizeof(T); }

private:
    T* data_ = nullptr;
    size_t size_ = 0;
    void* mapping_ = nullptr;
    size_t mapped_ = 0;
};

}  // namespace ipfix::enrich
