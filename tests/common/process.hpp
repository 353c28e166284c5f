#pragma once
// Child processes for integration tests: start a binary, read its output line by line until a
// pattern appears, signal it, wait for it. Output is captured to a file so that a failing test
// can print it.

#include <chrono>
#include <optional>
#include <regex>
#include <string>
#include <vector>

namespace gic::test {

struct ProcessResult {
    int exit_code = -1;      // -1 when killed by a signal
    int signal = 0;
    std::string out;         // stdout
    std::string err;         // stderr
    long max_rss_kib = 0;    // peak resident set size of the child (getrusage ru_maxrss)
    std::chrono::nanoseconds wall{0};  // from spawn to exit
};

// Runs to completion (with a timeout after which it is killed) and returns its output.
ProcessResult run_process(std::vector<std::string> const& argv, std::chrono::milliseconds timeout = std::chrono::seconds(30),
                          std::vector<std::string> const& extra_env = {}, std::string const& stdin_text = {});

// A long-running child (an emulator, an agent in continuous mode).
class ChildProcess {
public:
    // stdout and stderr go to `log_path` (merged), which tests read.
    ChildProcess(std::vector<std::string> const& argv, std::string log_path, std::vector<std::string> const& extra_env = {});
    ~ChildProcess();  // SIGKILL and reap if still running
    ChildProcess(ChildProcess const&) = delete;
    ChildProcess& operator=(ChildProcess const&) = delete;

    // Waits until a line of the log matches `pattern`; returns the match groups (0 = whole line)
    // or nullopt on timeout or exit.
    std::optional<std::smatch> wait_for_line(std::regex const& pattern, std::chrono::milliseconds timeout);
    std::optional<std::vector<std::string>> wait_for(std::string const& regex, std::chrono::milliseconds timeout);
    void signal(int sig);
    // Waits for exit; returns the exit code or nullopt on timeout.
    std::optional<int> wait(std::chrono::milliseconds timeout);
    bool running();
    std::string log() const;
    int pid() const { return pid_; }

private:
    int pid_ = -1;
    std::string log_path_;
    std::optional<int> status_;
    std::string last_match_line_;
};

// True when process `pid` is gone: reaped, or (a grandchild adopted by init) dead and waiting for
// init to reap it.
bool process_gone(int pid);

}  // namespace gic::test
