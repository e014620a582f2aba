// The set (flowset) framing IPFIX and NetFlow v9 share: a 2-byte id, a 2-byte length covering
// the set header, then records. Lengths are filled in when the set closes, unless a test asks
// for a wrong one.
#pragma once

#include <cstddef>
#include <cstdint>

#include "byte_writer.hpp"

namespace ipfix::test {

// A template field specifier as tests spell it. `pen` is written (with the enterprise bit)
// only by the IPFIX builder; v9 has no enterprise fields.
struct field {
    uint16_t id = 0;
    uint16_t length = 0;
    uint32_t pen = 0;
};

inline constexpr uint16_t varlen_field = 0xFFFF;

template <class Self>
class set_builder : public basic_byte_writer<Self> {
public:
    // Closes any open set, then starts one with any id (reserved ones too).
    Self& begin_set(uint16_t set_id) {
        end_set();
        set_start_ = this->size();
        this->u16(set_id).u16(0);
        open_ = true;
        return this->self();
    }
    // Writes the set's real length.
    Self& end_set() {
        if (open_) this->patch_u16(set_start_ + 2, static_cast<uint16_t>(this->size() - set_start_));
        open_ = false;
        return this->self();
    }
    // Closes the set with a deliberately wrong length.
    Self& end_set_with_length(uint16_t length) {
        if (open_) this->patch_u16(set_start_ + 2, length);
        open_ = false;
        return this->self();
    }
    // Zero padding until the open set's length is a multiple of `n`.
    Self& align_set(size_t n) {
        while (open_ && (this->size() - set_start_) % n != 0) this->u8(0);
        return this->self();
    }
    bool set_open() const { return open_; }
    // Bytes written so far in the open set, header included.
    size_t set_size() const { return open_ ? this->size() - set_start_ : 0; }

protected:
    size_t set_start_ = 0;
    bool open_ = false;
};

}  // namespace ipfix::test
