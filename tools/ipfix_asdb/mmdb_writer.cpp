#include "mmdb_writer.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>

extern char** environ;

namespace ipfix::asdb {

extern const char write_mmdb_pl[];  // write_mmdb.pl, embedded at build time

namespace {

// Both ends of a pipe, closed on every path.
struct pipe_fds {
    int fd[2] = {-1, -1};
    pipe_fds() {
        if (::pipe2(fd, O_CLOEXEC) != 0) throw writer_error(std::string("pipe: ") + std::strerror(errno));
    }
    ~pipe_fds() {
        for (int f : fd)
            if (f >= 0) ::close(f);
    }
    void close_end(int i) {
        ::close(fd[i]);
        fd[i] = -1;
    }
};

bool write_all(int fd, const std::string& buf) {
    size_t off = 0;
    while (off < buf.size()) {
        const ssize_t n = ::write(fd, buf.data() + off, buf.size() - off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        off += static_cast<size_t>(n);
    }
    return true;
}

int wait_for(pid_t pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return -1;
    return status;
}

}  // namespace

void write_mmdb(const std::vector<network>& nets, const std::string& path, const std::string& description) {
    // A writer that dies early must surface as its exit status, not kill us with SIGPIPE.
    std::signal(SIGPIPE, SIG_IGN);
    const std::string tmp = path + ".tmp." + std::to_string(::getpid());

    pipe_fds p;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, p.fd[0], STDIN_FILENO);
    std::string perl = "perl", e = "-e", dashes = "--", script = write_mmdb_pl, out = tmp, desc = description;
    char* argv[] = {perl.data(), e.data(), script.data(), dashes.data(), out.data(), desc.data(), nullptr};
    pid_t pid = 0;
    const int rc = ::posix_spawnp(&pid, "perl", &actions, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw writer_error(std::string("cannot run perl: ") + std::strerror(rc));
    p.close_end(0);

    bool fed = true;
    std::string buf;
    buf.reserve(1 << 20);
    for (const auto& n : nets) {
        buf += n.cidr();
        buf += '\t';
        buf += std::to_string(n.asn);
        if (!n.org.empty()) {
            buf += '\t';
            buf += n.org;
        }
        buf += '\n';
        if (buf.size() >= (1 << 20) - 512) {
            if (!(fed = write_all(p.fd[1], buf))) break;
            buf.clear();
        }
    }
    if (fed) fed = write_all(p.fd[1], buf);
    p.close_end(1);

    const int status = wait_for(pid);
    if (status < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0 || !fed) {
        ::unlink(tmp.c_str());
        std::string why = "the MMDB writer (perl) failed";
        if (status >= 0 && WIFEXITED(status)) why += " with exit status " + std::to_string(WEXITSTATUS(status));
        else if (status >= 0 && WIFSIGNALED(status)) why += " on signal " + std::to_string(WTERMSIG(status));
        why += "; it needs perl and MaxMind::DB::Writer (Debian: libmaxmind-db-writer-perl)";
        throw writer_error(why);
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        throw writer_error("cannot rename " + tmp + " to " + path + ": " + std::strerror(err));
    }
}

}  // namespace ipfix::asdb
