#include "service_probe.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace ipfix::tools {
namespace {

struct command_result {
    bool ran = false;  // started and exited (any status) within the time bound
    int status = -1;
    std::string out;
};

// Runs argv (no shell), stdout captured, stderr discarded; killed after `limit`.
command_result run_command(const std::vector<std::string>& argv, std::chrono::milliseconds limit) {
    command_result r;
    int pipe_fd[2];
    if (::pipe2(pipe_fd, O_CLOEXEC) != 0) return r;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, pipe_fd[1], STDOUT_FILENO);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = 0;
    const int rc = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(pipe_fd[1]);
    if (rc != 0) {
        ::close(pipe_fd[0]);
        return r;
    }
    const auto deadline = std::chrono::steady_clock::now() + limit;
    char buf[4096];
    bool timed_out = false;
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            timed_out = true;
            break;
        }
        pollfd p{pipe_fd[0], POLLIN, 0};
        const int n = ::poll(&p, 1, static_cast<int>(left.count()));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            timed_out = n == 0;
            break;
        }
        const ssize_t got = ::read(pipe_fd[0], buf, sizeof buf);
        if (got <= 0) break;
        if (r.out.size() < (1u << 20)) r.out.append(buf, static_cast<size_t>(got));
    }
    ::close(pipe_fd[0]);
    if (timed_out) ::kill(pid, SIGKILL);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    r.ran = !timed_out && WIFEXITED(status);
    r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
}

std::vector<std::string> split_lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (!line.empty()) out.push_back(line);
    }
    return out;
}

constexpr auto command_limit = std::chrono::seconds(5);

}  // namespace

service_state probe_service(const std::string& unit) {
    service_state s;
    s.unit = unit;
    struct stat st {};
    // sd_booted()'s test: systemd runs this host.
    if (::stat("/run/systemd/system", &st) != 0 || !S_ISDIR(st.st_mode)) {
        s.note = "this host does not run systemd";
        return s;
    }
    const command_result r = run_command(
        {"systemctl", "show", "-p", "LoadState,ActiveState,SubState,ExecMainStartTimestamp", "--", unit}, command_limit);
    if (!r.ran || r.status != 0) {
        s.note = "systemctl show failed";
        return s;
    }
    return parse_systemctl_show(unit, r.out);
}

service_state parse_systemctl_show(const std::string& unit, const std::string& text) {
    service_state s;
    s.unit = unit;
    for (const auto& line : split_lines(text)) {
        const size_t eq = line.find('=');
        if (eq == std::string::npos) continue;
        const std::string key = line.substr(0, eq), value = line.substr(eq + 1);
        if (key == "LoadState") s.load_state = value;
        else if (key == "ActiveState") s.active_state = value;
        else if (key == "SubState") s.sub_state = value;
        else if (key == "ExecMainStartTimestamp") s.started = value;
    }
    if (s.load_state != "loaded") {
        s.note = "no unit " + unit + " (" + (s.load_state.empty() ? "unknown" : s.load_state) + ")";
        return s;
    }
    s.systemd = true;
    return s;
}

std::vector<std::string> journal_errors(const std::string& unit, unsigned n) {
    const command_result r =
        run_command({"journalctl", "-u", unit, "-n", "200", "--no-pager", "-q", "-o", "short-iso"}, command_limit);
    return r.ran && r.status == 0 ? trouble_lines(r.out, n) : std::vector<std::string>{};
}

std::vector<std::string> log_file_errors(const std::string& path, unsigned n) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw std::runtime_error(path + ": " + std::strerror(errno));
    // Only the tail of a big log matters.
    constexpr std::streamoff window = 256 * 1024;
    f.seekg(0, std::ios::end);
    const std::streamoff size = f.tellg();
    f.seekg(std::max<std::streamoff>(0, size - window));
    return trouble_lines(std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>()), n);
}

std::vector<std::string> trouble_lines(const std::string& text, unsigned n) {
    static const std::regex trouble(
        "error|fail|cannot|could not|refused|warning|dropped|malformed|not found|denied|exit", std::regex::icase);
    std::vector<std::string> hits;
    for (auto& line : split_lines(text)) {
        if (std::regex_search(line, trouble)) hits.push_back(std::move(line));
    }
    if (hits.size() > n) hits.erase(hits.begin(), hits.end() - static_cast<std::ptrdiff_t>(n));
    return hits;
}

}  // namespace ipfix::tools
