#pragma once
// Runs a short-lived helper program (an exec credential plugin) without blocking the io_context:
// posix_spawnp with stdout and stderr on pipes read through asio stream descriptors, stdin from
// /dev/null, and the exit observed through a pidfd (no SIGCHLD handler, nothing reaped that is
// not ours). A bare command name is looked up in PATH; one with a '/' is used as given.

#include "util/error.hpp"

#include <boost/asio/awaitable.hpp>

#include <string>
#include <utility>
#include <vector>

namespace gic::kube {

struct ProcessSpec {
    std::string command;
    std::vector<std::string> args;  // without argv[0]
    std::vector<std::pair<std::string, std::string>> env;  // the whole environment, in order
};

struct ProcessOutcome {
    int exit_code = 0;        // -1 when killed by a signal
    int signal = 0;           // the signal that ended it, or 0
    std::string out;
    std::string err;
};

struct SpawnError {
    int errno_value = 0;  // ENOENT: the command was not found
    Error error;
};

template <class T>
using SpawnResult = boost::system::result<T, SpawnError>;

// Runs the program to completion. When the awaiting coroutine is cancelled the child is killed
// (SIGKILL) and reaped before the cancellation propagates.
boost::asio::awaitable<SpawnResult<ProcessOutcome>> run_process(ProcessSpec spec);

// The current process environment as name/value pairs.
std::vector<std::pair<std::string, std::string>> current_environment();

}  // namespace gic::kube

namespace gic::kube {
[[noreturn]] inline void throw_exception_from_error(SpawnError const& e, boost::source_location const&) {
    throw std::runtime_error(e.error.message);
}
}  // namespace gic::kube
