// The leveled log: a line buffer in front of the daemon's stderr (see leveled_log.hpp).
#include "ipfix/log/leveled_log.hpp"

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace ipfix::log {

std::optional<level> parse_level(std::string_view name) {
    if (name == "debug") return level::debug;
    if (name == "info") return level::info;
    if (name == "warning") return level::warning;
    if (name == "error") return level::error;
    return std::nullopt;
}

int journal_priority(level l) {
    switch (l) {
        case level::debug: return 7;    // SD_DEBUG
        case level::info: return 6;     // SD_INFO
        case level::warning: return 4;  // SD_WARNING
        case level::error: return 3;    // SD_ERR
    }
    return 6;
}

bool stderr_is_journal() {
    const char* stream = std::getenv("JOURNAL_STREAM");
    if (stream == nullptr) return false;
    struct stat st {};
    if (fstat(2, &st) != 0) return false;
    // systemd writes "device:inode" in decimal; a redirected stderr no longer matches.
    const std::string expected = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
    return expected == stream;
}

leveled_buf::int_type leveled_buf::overflow(int_type c) {
    if (traits_type::eq_int_type(c, traits_type::eof())) return traits_type::not_eof(c);
    const char ch = traits_type::to_char_type(c);
    line_.push_back(ch);
    if (ch == '\n') end_line();
    return c;
}

std::streamsize leveled_buf::xsputn(const char* s, std::streamsize n) {
    for (std::streamsize i = 0; i < n; ++i) overflow(traits_type::to_int_type(s[i]));
    return n;
}

void leveled_buf::end_line() {
    if (line_level_ >= threshold_) {
        if (journal_) {
            const std::string prefix = "<" + std::to_string(journal_priority(line_level_)) + ">";
            out_.sputn(prefix.data(), static_cast<std::streamsize>(prefix.size()));
        }
        out_.sputn(line_.data(), static_cast<std::streamsize>(line_.size()));
        out_.pubsync();
    }
    line_.clear();
    line_level_ = level::info;
}

namespace {

std::ostream& mark(std::ostream& os, level l) {
    if (auto* b = dynamic_cast<leveled_buf*>(os.rdbuf())) b->mark(l);
    return os;
}

}  // namespace

std::ostream& debug(std::ostream& os) { return mark(os, level::debug); }
std::ostream& info(std::ostream& os) { return mark(os, level::info); }
std::ostream& warning(std::ostream& os) { return mark(os, level::warning); }
std::ostream& error(std::ostream& os) { return mark(os, level::error); }

bool set_threshold(std::ostream& os, level l) {
    auto* b = dynamic_cast<leveled_buf*>(os.rdbuf());
    if (b == nullptr) return false;
    b->threshold(l);
    return true;
}

}  // namespace ipfix::log
