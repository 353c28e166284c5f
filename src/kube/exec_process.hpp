#pragma once
// Runs a short-lived helper program (an exec credential plugin) without blocking the io_context:
// posix_spawnp with stdout and stderr on pipes read through asio stream descriptors, stdin from
// /dev/null, and the exit observed through a pidfd (no SIGCHLD handler, nothing reaped that is
// not ours). A bare command name is looked up in PATH; one with a '/' is used as given.
//
// The program is bounded: it runs in its own process group, which is killed (SIGKILL) when it
// outlives its deadline or writes more than a cap to stdout or stderr; the child is then reaped.
// It inherits no descriptor of ours except the three it is given (everything above 2 is closed
// in the child before exec), so sockets, listeners and files of the agent never leak into it.

#include "util/error.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace gic::kube {

struct ProcessLimits {
    std::chrono::milliseconds timeout{30'000};  // from start to exit, output included
    std::size_t max_stdout = std::size_t{1} << 20;
    std::size_t max_stderr = std::size_t{64} << 10;
};

struct ProcessSpec {
    std::string command;
    std::vector<std::string> args;  // without argv[0]
    std::vector<std::pair<std::string, std::string>> env;  // the whole environment, in order
    ProcessLimits limits;
};

// How the program ended.
enum class ProcessEnd {
    exited,            // on its own, with exit_code
    signaled,          // on its own, killed by `signal` (not ours)
    timed_out,         // still running at the deadline: killed
    stdout_too_large,  // wrote more than max_stdout: killed
    stderr_too_large,  // wrote more than max_stderr: killed
};

struct ProcessOutcome {
    ProcessEnd end = ProcessEnd::exited;
    int exit_code = 0;  // when end == exited
    int signal = 0;     // when end == signaled
    std::string out;    // at most max_stdout bytes
    std::string err;    // at most max_stderr bytes
};

struct SpawnError {
    int errno_value = 0;  // ENOENT: the command was not found
    Error error;
};

template <class T>
using SpawnResult = boost::system::result<T, SpawnError>;

// Runs the program to completion, its deadline or an output cap, whichever comes first; in the
// last two cases the process group is killed and the child reaped before this returns.
// Per-Operation Cancellation: the process group is killed at once and the cancellation
// propagates; the child is reaped on the io_context as soon as it has exited (within a few
// seconds: a bounded wait that never blocks the loop).
boost::asio::awaitable<SpawnResult<ProcessOutcome>> run_process(ProcessSpec spec);

// Why a program that did not exit with status 0 failed, in a few words: "exited with status 3",
// "killed by signal 9 (Killed)", "timed out after 30s", "stdout exceeded 1 MiB".
std::string describe_process_end(ProcessOutcome const& outcome, ProcessLimits const& limits);

// "1 MiB", "64 KiB", "100 bytes".
std::string byte_size_text(std::size_t bytes);

// The current process environment as name/value pairs.
std::vector<std::pair<std::string, std::string>> current_environment();

}  // namespace gic::kube

namespace gic::kube {
[[noreturn]] inline void throw_exception_from_error(SpawnError const& e, boost::source_location const&) {
    throw std::runtime_error(e.error.message);
}
}  // namespace gic::kube
