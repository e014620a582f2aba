#include "log_follow.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>
#include <fstream>
#include <thread>

#include <fmt/format.h>

namespace ipfix::tail {
namespace {

constexpr auto poll_interval = std::chrono::milliseconds(200);

bool contains_word(std::string_view line, std::initializer_list<std::string_view> words) {
    std::string lower(line);
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    return std::any_of(words.begin(), words.end(), [&](std::string_view w) { return lower.find(w) != std::string::npos; });
}

void emit(std::string_view line, bool colour) {
    const std::string text = highlight_log_line(line, colour);
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fputc('\n', stdout);
}

}  // namespace

std::string highlight_log_line(std::string_view line, bool colour) {
    if (!colour) return std::string(line);
    std::string_view code;
    // The daemon's own wording: "cannot", "refused", "failed" are errors; drops and restarts
    // needed are warnings; starts, reloads and stops are the events an operator looks for.
    if (contains_word(line, {"error", "cannot", "refused", "failed", "fatal", "corrupt"})) code = "\x1b[31m";
    else if (contains_word(line, {"warning", "warn:", "dropped", "drop ", "after a restart", "lost"})) code = "\x1b[33m";
    else if (contains_word(line, {"reload", "listening on", "stats port on", "starting", "stopping", "started"}))
        code = "\x1b[1m";
    if (code.empty()) return std::string(line);
    return fmt::format("{}{}\x1b[0m", code, line);
}

int follow_log_file(const std::string& path, bool colour, size_t last_lines) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        std::fprintf(stderr, "ipfix-tail: cannot open the log %s: %s\n", path.c_str(), std::strerror(errno));
        return 1;
    }
    struct stat st {};
    ::stat(path.c_str(), &st);
    ino_t inode = st.st_ino;
    // The last lines first, as tail -f shows them.
    std::deque<std::string> tail;
    std::string line;
    while (std::getline(in, line)) {
        tail.push_back(line);
        if (tail.size() > last_lines) tail.pop_front();
    }
    for (const auto& l : tail) emit(l, colour);
    std::fflush(stdout);
    in.clear();
    std::streamoff offset = in.tellg();
    std::string partial;
    for (;;) {
        std::this_thread::sleep_for(poll_interval);
        struct stat now {};
        const bool exists = ::stat(path.c_str(), &now) == 0;
        if (exists && (now.st_ino != inode || now.st_size < offset)) {
            // Rotated or truncated: the new file from its start.
            in = std::ifstream(path, std::ios::binary);
            inode = now.st_ino;
            offset = 0;
            partial.clear();
            if (!in) continue;
        }
        in.clear();
        in.seekg(offset);
        char buf[8192];
        bool any = false;
        while (in.read(buf, sizeof buf) || in.gcount() > 0) {
            partial.append(buf, static_cast<size_t>(in.gcount()));
            any = true;
        }
        in.clear();
        offset = in.tellg();
        if (offset < 0) offset = 0;
        if (!any) continue;
        size_t at = 0;
        for (size_t lf; (lf = partial.find('\n', at)) != std::string::npos; at = lf + 1) {
            emit(std::string_view(partial).substr(at, lf - at), colour);
        }
        partial.erase(0, at);
        std::fflush(stdout);
    }
}

int follow_journal(bool colour, const std::string& unit) {
    const std::string command = fmt::format("journalctl -u '{}' -f -o cat 2>&1", unit);
    FILE* p = ::popen(command.c_str(), "r");
    if (p == nullptr) {
        std::fprintf(stderr, "ipfix-tail: cannot run journalctl: %s\n", std::strerror(errno));
        return 1;
    }
    char buf[8192];
    while (std::fgets(buf, sizeof buf, p) != nullptr) {
        std::string_view line(buf);
        if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
        emit(line, colour);
        std::fflush(stdout);
    }
    const int status = ::pclose(p);
    if (status != 0) {
        std::fprintf(stderr, "ipfix-tail: journalctl ended (status %d); give the log file with --log FILE\n", status);
        return 1;
    }
    return 0;
}

}  // namespace ipfix::tail
