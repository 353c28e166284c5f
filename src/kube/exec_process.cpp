#include "kube/exec_process.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

extern char** environ;

namespace gic::kube {

namespace asio = boost::asio;

namespace {

// Closes a descriptor on scope exit unless released.
class Fd {
public:
    explicit Fd(int fd = -1) : fd_(fd) {}
    Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    Fd& operator=(Fd&&) = delete;
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    int get() const { return fd_; }
    int release() { return std::exchange(fd_, -1); }
    void reset() {
        if (fd_ >= 0) ::close(std::exchange(fd_, -1));
    }

private:
    int fd_;
};

Error system_failure(std::string const& what, int err) { return make_error(what, std::strerror(err)); }

// Reads a pipe to EOF. Plugin output is small; 4 MiB bounds a runaway program.
asio::awaitable<std::string> read_all(asio::posix::stream_descriptor& pipe) {
    std::string out;
    char chunk[4096];
    for (;;) {
        auto [ec, n] = co_await pipe.async_read_some(asio::buffer(chunk), asio::as_tuple(asio::use_awaitable));
        out.append(chunk, n);
        if (ec || out.size() > (4u << 20)) break;
    }
    co_return out;
}

// Kills and reaps a child whose waiter was cancelled; SIGKILL makes the wait immediate.
void kill_and_reap(pid_t pid) {
    ::kill(pid, SIGKILL);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
}

}  // namespace

std::vector<std::pair<std::string, std::string>> current_environment() {
    std::vector<std::pair<std::string, std::string>> out;
    for (char** e = environ; e && *e; ++e) {
        std::string entry(*e);
        auto const eq = entry.find('=');
        if (eq == std::string::npos) continue;
        out.emplace_back(entry.substr(0, eq), entry.substr(eq + 1));
    }
    return out;
}

asio::awaitable<SpawnResult<ProcessOutcome>> run_process(ProcessSpec spec) {
    using namespace asio::experimental::awaitable_operators;
    auto executor = co_await asio::this_coro::executor;

    int out_pipe[2];
    int err_pipe[2];
    if (::pipe2(out_pipe, O_CLOEXEC) != 0) co_return SpawnError{errno, system_failure("creating a pipe", errno)};
    Fd out_read(out_pipe[0]), out_write(out_pipe[1]);
    if (::pipe2(err_pipe, O_CLOEXEC) != 0) co_return SpawnError{errno, system_failure("creating a pipe", errno)};
    Fd err_read(err_pipe[0]), err_write(err_pipe[1]);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, out_write.get(), 1);
    posix_spawn_file_actions_adddup2(&actions, err_write.get(), 2);

    std::vector<std::string> argv_text{spec.command};
    argv_text.insert(argv_text.end(), spec.args.begin(), spec.args.end());
    std::vector<char*> argv;
    for (auto& a : argv_text) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_text;
    for (auto const& [name, value] : spec.env) env_text.push_back(name + "=" + value);
    std::vector<char*> envp;
    for (auto& e : env_text) envp.push_back(e.data());
    envp.push_back(nullptr);

    pid_t pid = 0;
    int const spawned = ::posix_spawnp(&pid, spec.command.c_str(), &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (spawned != 0) co_return SpawnError{spawned, system_failure("starting " + spec.command, spawned)};
    // Our copies of the write ends must go, or the reads would never see EOF.
    out_write.reset();
    err_write.reset();

    Fd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    if (pidfd.get() < 0) {
        int const err = errno;
        kill_and_reap(pid);
        co_return SpawnError{err, system_failure("watching " + spec.command + " (pidfd_open)", err)};
    }

    asio::posix::stream_descriptor out_stream(executor, out_read.release());
    asio::posix::stream_descriptor err_stream(executor, err_read.release());
    asio::posix::stream_descriptor exit_watch(executor, pidfd.release());
    ProcessOutcome outcome;
    try {
        std::tie(outcome.out, outcome.err) = co_await (read_all(out_stream) && read_all(err_stream));
        // The pidfd becomes readable when the child has exited.
        co_await exit_watch.async_wait(asio::posix::stream_descriptor::wait_read, asio::use_awaitable);
    } catch (...) {
        kill_and_reap(pid);
        throw;
    }
    int status = 0;
    pid_t reaped = 0;
    do {
        reaped = ::waitpid(pid, &status, WNOHANG);
    } while (reaped < 0 && errno == EINTR);
    if (reaped != pid) co_return SpawnError{ECHILD, make_error("collecting the exit status of " + spec.command)};
    if (WIFEXITED(status)) {
        outcome.exit_code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        outcome.exit_code = -1;
        outcome.signal = WTERMSIG(status);
    }
    co_return outcome;
}

}  // namespace gic::kube
