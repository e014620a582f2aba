#pragma once
// Log levels over a plain std::ostream. A message is one line; `log << log::warning << "..."`
// gives that line a level (info when the line names none). Lines go out through a leveled_buf,
// which drops those below its threshold and, when stderr is the journal, prefixes each line with
// its syslog priority ("<4>") so `journalctl -p warning` picks errors and warnings. On any other
// stream (a test's std::ostringstream) the manipulators do nothing and every line is written.
#include <cstdint>
#include <optional>
#include <ostream>
#include <streambuf>
#include <string>
#include <string_view>

namespace ipfix::log {

enum class level : uint8_t { debug, info, warning, error };

// "debug", "info", "warning", "error" (general.log_level); nullopt for anything else.
std::optional<level> parse_level(std::string_view name);

// The syslog priority journald reads from a "<N>" prefix (sd-daemon.h SD_ERR .. SD_DEBUG).
int journal_priority(level l);

// True when stderr is the journal's stream: JOURNAL_STREAM names stderr's device and inode.
bool stderr_is_journal();

// Buffers a line, then writes it whole to `out` (or drops it) at the '\n'. Control thread only.
class leveled_buf : public std::streambuf {
public:
    leveled_buf(std::streambuf& out, level threshold, bool journal_prefix)
        : out_(out), threshold_(threshold), journal_(journal_prefix) {}

    void threshold(level l) { threshold_ = l; }
    level threshold() const { return threshold_; }
    void mark(level l) { line_level_ = l; }

protected:
    int_type overflow(int_type c) override;
    std::streamsize xsputn(const char* s, std::streamsize n) override;
    int sync() override { return out_.pubsync(); }

private:
    void end_line();

    std::streambuf& out_;
    level threshold_;
    bool journal_;
    level line_level_ = level::info;
    std::string line_;
};

// Sets the level of the line being written, when `os` writes through a leveled_buf.
std::ostream& debug(std::ostream& os);
std::ostream& info(std::ostream& os);
std::ostream& warning(std::ostream& os);
std::ostream& error(std::ostream& os);

// A new threshold for `os` (a reload); false when `os` does not write through a leveled_buf.
bool set_threshold(std::ostream& os, level l);

}  // namespace ipfix::log
