#include "common/process.hpp"

#include "common/temp_dir.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace gic::test {
namespace {

std::vector<std::string> merged_environment(std::vector<std::string> const& extra) {
    std::vector<std::string> env;
    for (char** e = environ; *e; ++e) {
        std::string entry(*e);
        auto key = entry.substr(0, entry.find('='));
        bool overridden = false;
        for (auto const& x : extra)
            if (x.substr(0, x.find('=')) == key) overridden = true;
        if (!overridden) env.push_back(entry);
    }
    env.insert(env.end(), extra.begin(), extra.end());
    return env;
}

std::vector<char*> c_strings(std::vector<std::string>& v) {
    std::vector<char*> out;
    for (auto& s : v) out.push_back(s.data());
    out.push_back(nullptr);
    return out;
}

int spawn(std::vector<std::string> argv, std::vector<std::string> const& extra_env, char const* stdin_path,
          char const* stdout_path, char const* stderr_path) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, stdin_path ? stdin_path : "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, stdout_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (stderr_path)
        posix_spawn_file_actions_addopen(&actions, 2, stderr_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    else
        posix_spawn_file_actions_adddup2(&actions, 1, 2);
    auto env = merged_environment(extra_env);
    auto c_argv = c_strings(argv);
    auto c_env = c_strings(env);
    pid_t pid = -1;
    int rc = posix_spawnp(&pid, c_argv[0], &actions, nullptr, c_argv.data(), c_env.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
    return pid;
}

}  // namespace

ProcessResult run_process(std::vector<std::string> const& argv, std::chrono::milliseconds timeout,
                          std::vector<std::string> const& extra_env, std::string const& stdin_text) {
    TempDir dir("gic-proc");
    std::string in_path = dir.file("stdin"), out_path = dir.file("stdout"), err_path = dir.file("stderr");
    write_file(in_path, stdin_text);
    auto started = std::chrono::steady_clock::now();
    int pid = spawn(argv, extra_env, in_path.c_str(), out_path.c_str(), err_path.c_str());
    auto deadline = started + timeout;
    int status = 0;
    ProcessResult result;
    for (;;) {
        struct rusage usage {};
        pid_t r = ::wait4(pid, &status, WNOHANG, &usage);
        if (r == pid) {
            result.wall = std::chrono::steady_clock::now() - started;
            result.max_rss_kib = usage.ru_maxrss;
            break;
        }
        if (std::chrono::steady_clock::now() > deadline) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            break;
        }
        std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
    result.out = read_file(out_path);
    result.err = read_file(err_path);
    return result;
}

ChildProcess::ChildProcess(std::vector<std::string> const& argv, std::string log_path,
                           std::vector<std::string> const& extra_env)
    : log_path_(std::move(log_path)) {
    pid_ = spawn(argv, extra_env, nullptr, log_path_.c_str(), nullptr);
}

ChildProcess::~ChildProcess() {
    if (running()) {
        ::kill(pid_, SIGKILL);
        int status = 0;
        ::waitpid(pid_, &status, 0);
    }
}

bool ChildProcess::running() {
    if (status_) return false;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        status_ = status;
        return false;
    }
    return true;
}

std::string ChildProcess::log() const {
    try {
        return read_file(log_path_);
    } catch (...) {
        return {};
    }
}

std::optional<std::smatch> ChildProcess::wait_for_line(std::regex const& pattern, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        std::istringstream lines(log());
        std::string line;
        while (std::getline(lines, line)) {
            std::smatch m;
            last_match_line_ = line;
            if (std::regex_search(last_match_line_, m, pattern)) return m;
        }
        if (!running() || std::chrono::steady_clock::now() > deadline) return std::nullopt;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

std::optional<std::vector<std::string>> ChildProcess::wait_for(std::string const& regex, std::chrono::milliseconds timeout) {
    auto m = wait_for_line(std::regex(regex), timeout);
    if (!m) return std::nullopt;
    std::vector<std::string> groups;
    for (auto const& g : *m) groups.push_back(g.str());
    return groups;
}

void ChildProcess::signal(int sig) {
    if (running()) ::kill(pid_, sig);
}

std::optional<int> ChildProcess::wait(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (running()) {
        if (std::chrono::steady_clock::now() > deadline) return std::nullopt;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (WIFEXITED(*status_)) return WEXITSTATUS(*status_);
    return 128 + WTERMSIG(*status_);
}

bool process_gone(int pid) {
    if (::kill(pid, 0) != 0 && errno == ESRCH) return true;
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    std::getline(stat, line);
    auto const close = line.rfind(')');
    return close != std::string::npos && close + 2 < line.size() && line[close + 2] == 'Z';
}

}  // namespace gic::test
