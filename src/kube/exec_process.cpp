#include "kube/exec_process.hpp"

#include "observe/log.hpp"
#include "util/duration.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <optional>

extern char** environ;

namespace gic::kube {

namespace asio = boost::asio;
using asio::posix::stream_descriptor;

namespace {

// After SIGKILL a process exits at once unless it is stuck in the kernel; waiting for it is
// bounded so that neither the caller nor a shutdown is held by such a process.
constexpr std::chrono::seconds kill_grace{5};

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

// posix_spawn's two attribute objects, destroyed on every path.
struct SpawnSetup {
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    SpawnSetup() {
        posix_spawn_file_actions_init(&actions);
        posix_spawnattr_init(&attr);
    }
    ~SpawnSetup() {
        posix_spawnattr_destroy(&attr);
        posix_spawn_file_actions_destroy(&actions);
    }
    SpawnSetup(SpawnSetup const&) = delete;
    SpawnSetup& operator=(SpawnSetup const&) = delete;
};

Error system_failure(std::string const& what, int err) { return make_error(what, std::strerror(err)); }

// stdin from /dev/null, stdout and stderr to the pipes, every other descriptor closed (between
// fork and exec, with close_range: whatever the agent opened, with or without FD_CLOEXEC, stays
// out of the plugin), its own process group (so that a kill reaches whatever it started), and
// a clean signal state (an inherited blocked mask or ignored SIGPIPE would change its behaviour).
void prepare_child(SpawnSetup& setup, int out_write, int err_write) {
    posix_spawn_file_actions_addopen(&setup.actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&setup.actions, out_write, 1);
    posix_spawn_file_actions_adddup2(&setup.actions, err_write, 2);
    posix_spawn_file_actions_addclosefrom_np(&setup.actions, 3);
    posix_spawnattr_setflags(&setup.attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setpgroup(&setup.attr, 0);
    sigset_t signals;
    sigemptyset(&signals);
    posix_spawnattr_setsigmask(&setup.attr, &signals);
    sigaddset(&signals, SIGPIPE);
    posix_spawnattr_setsigdefault(&setup.attr, &signals);
}

// The child, its group and whatever it started in it. The group id is the child's pid, which
// stays reserved until we reap the child, so this never reaches a stranger.
void kill_group(pid_t pid) {
    if (::kill(-pid, SIGKILL) != 0) ::kill(pid, SIGKILL);
}

// The exit status of an exited child, collected without waiting; nullopt while it runs.
std::optional<int> collect_status(pid_t pid) {
    int status = 0;
    pid_t reaped = 0;
    do {
        reaped = ::waitpid(pid, &status, WNOHANG);
    } while (reaped < 0 && errno == EINTR);
    if (reaped == pid) return status;
    return std::nullopt;
}

// Waits for the pidfd to report the exit (at most `bound`), then reaps.
asio::awaitable<std::optional<int>> reap(stream_descriptor& exit_watch, pid_t pid, std::chrono::milliseconds bound) {
    using namespace asio::experimental::awaitable_operators;
    asio::steady_timer limit(exit_watch.get_executor(), bound);
    co_await (exit_watch.async_wait(stream_descriptor::wait_read, asio::as_tuple(asio::use_awaitable)) ||
              limit.async_wait(asio::as_tuple(asio::use_awaitable)));
    co_return collect_status(pid);
}

// Reaps a killed child in the background: for a caller that was cancelled (it cannot wait any
// more) or a child that outlived kill_grace. Never throws.
asio::awaitable<void> reap_in_background(stream_descriptor exit_watch, pid_t pid, std::string command) {
    try {
        if (co_await reap(exit_watch, pid, kill_grace)) co_return;
    } catch (std::exception const&) {
    }
    observe::log_warning("kube", "a killed helper program has not exited; it is left behind",
                         {{"command", command}, {"pid", std::to_string(pid)}});
}

// Reads a pipe to EOF into `into`. Past `cap` bytes returns `over` with `into` holding the first
// `cap`. Cancellation throws (as_tuple would otherwise make it look like an EOF).
asio::awaitable<ProcessEnd> read_capped(stream_descriptor& pipe, std::string& into, std::size_t cap, ProcessEnd over) {
    std::array<char, 4096> chunk;
    for (;;) {
        auto [ec, n] = co_await pipe.async_read_some(asio::buffer(chunk), asio::as_tuple(asio::use_awaitable));
        if (n > cap - into.size()) {
            into.append(chunk.data(), cap - into.size());
            co_return over;
        }
        into.append(chunk.data(), n);
        if (ec == asio::error::operation_aborted) throw boost::system::system_error(ec);
        if (ec) co_return ProcessEnd::exited;  // EOF: every writer has closed it
    }
}

// When to stop waiting on the four events of a run (stdout, stderr, the exit, the deadline):
// at the first cap or the deadline (the program is then killed), or when both pipes are at EOF
// and the program has exited (the deadline is then dropped). Records why it stopped.
class DrainCondition {
public:
    explicit DrainCondition(std::optional<ProcessEnd>& stop) : stop_(&stop) {}

    // A pipe: EOF, or past its cap; an exception is a cancellation.
    asio::cancellation_type operator()(std::exception_ptr const& e, ProcessEnd end) {
        if (e) return asio::cancellation_type::all;
        if (end != ProcessEnd::exited) return stop_with(end);
        return natural_end();
    }
    // The exit watch (pidfd readable).
    asio::cancellation_type operator()(std::exception_ptr const& e) {
        return e ? asio::cancellation_type::all : natural_end();
    }
    // The deadline; operation_aborted when it was dropped.
    asio::cancellation_type operator()(boost::system::error_code const& ec) {
        return ec ? asio::cancellation_type::none : stop_with(ProcessEnd::timed_out);
    }

private:
    asio::cancellation_type stop_with(ProcessEnd end) {
        if (!*stop_) *stop_ = end;
        return asio::cancellation_type::all;
    }
    asio::cancellation_type natural_end() {
        if (++natural_ < 3) return asio::cancellation_type::none;
        return stop_with(ProcessEnd::exited);
    }

    std::optional<ProcessEnd>* stop_;
    int natural_ = 0;
};

// Until the pidfd reports the exit. Another error counts as the exit (the status collected next
// tells); cancellation throws.
asio::awaitable<void> wait_exit(stream_descriptor& exit_watch) {
    auto [ec] = co_await exit_watch.async_wait(stream_descriptor::wait_read, asio::as_tuple(asio::use_awaitable));
    if (ec == asio::error::operation_aborted) throw boost::system::system_error(ec);
}

}  // namespace

std::string byte_size_text(std::size_t bytes) {
    if (bytes >= (std::size_t{1} << 20) && bytes % (std::size_t{1} << 20) == 0) {
        return std::to_string(bytes >> 20) + " MiB";
    }
    if (bytes >= 1024 && bytes % 1024 == 0) return std::to_string(bytes >> 10) + " KiB";
    return std::to_string(bytes) + " bytes";
}

std::string describe_process_end(ProcessOutcome const& outcome, ProcessLimits const& limits) {
    switch (outcome.end) {
    case ProcessEnd::exited: return "exited with code " + std::to_string(outcome.exit_code);
    case ProcessEnd::signaled: return "was killed by signal " + std::to_string(outcome.signal);
    case ProcessEnd::timed_out: return "timed out after " + util::format_go_duration(limits.timeout) + " and was killed";
    case ProcessEnd::stdout_too_large:
        return "wrote more than " + byte_size_text(limits.max_stdout) + " to stdout and was killed";
    case ProcessEnd::stderr_too_large:
        return "wrote more than " + byte_size_text(limits.max_stderr) + " to stderr and was killed";
    }
    return "ended";
}

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

namespace {

// A started child: its pid, the read ends of its stdout and stderr, and a pidfd for its exit.
struct Child {
    pid_t pid = 0;
    Fd out;
    Fd err;
    Fd exit;
};

// Starts the program (plain, no waiting: posix_spawnp returns once it has exec'd or failed).
SpawnResult<Child> spawn_child(ProcessSpec const& spec) {
    int out_pipe[2];
    int err_pipe[2];
    if (::pipe2(out_pipe, O_CLOEXEC) != 0) return SpawnError{errno, system_failure("creating a pipe", errno)};
    Fd out_read(out_pipe[0]), out_write(out_pipe[1]);
    if (::pipe2(err_pipe, O_CLOEXEC) != 0) return SpawnError{errno, system_failure("creating a pipe", errno)};
    Fd err_read(err_pipe[0]), err_write(err_pipe[1]);

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
    SpawnSetup setup;
    prepare_child(setup, out_write.get(), err_write.get());
    int const spawned = ::posix_spawnp(&pid, spec.command.c_str(), &setup.actions, &setup.attr, argv.data(), envp.data());
    if (spawned != 0) return SpawnError{spawned, system_failure("starting " + spec.command, spawned)};
    // out_write and err_write close on return: with our copies open the reads would never see EOF.

    Fd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    if (pidfd.get() < 0) {
        // Only when the kernel refuses a pidfd (descriptors exhausted): the one blocking wait,
        // on a child that SIGKILL has just ended.
        int const err = errno;
        kill_group(pid);
        int status = 0;
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        return SpawnError{err, system_failure("watching " + spec.command + " (pidfd_open)", err)};
    }
    return Child{pid, std::move(out_read), std::move(err_read), std::move(pidfd)};
}

}  // namespace

asio::awaitable<SpawnResult<ProcessOutcome>> run_process(ProcessSpec spec) {
    auto executor = co_await asio::this_coro::executor;
    auto child = spawn_child(spec);
    if (!child) co_return child.error();
    pid_t const pid = child->pid;
    stream_descriptor out_stream(executor, child->out.release());
    stream_descriptor err_stream(executor, child->err.release());
    stream_descriptor exit_watch(executor, child->exit.release());
    auto reap_later = [&] {
        asio::co_spawn(executor, reap_in_background(std::move(exit_watch), pid, spec.command), asio::detached);
    };

    asio::steady_timer deadline(executor, spec.limits.timeout);
    ProcessOutcome outcome;
    std::optional<ProcessEnd> stop;
    auto const limits = spec.limits;
    co_await asio::experimental::make_parallel_group(
        asio::co_spawn(executor, read_capped(out_stream, outcome.out, limits.max_stdout, ProcessEnd::stdout_too_large),
                       asio::deferred),
        asio::co_spawn(executor, read_capped(err_stream, outcome.err, limits.max_stderr, ProcessEnd::stderr_too_large),
                       asio::deferred),
        asio::co_spawn(executor, wait_exit(exit_watch), asio::deferred), deadline.async_wait(asio::deferred))
        .async_wait(DrainCondition(stop), asio::use_awaitable);

    if (!stop || (co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none) {
        // Cancelled: kill now, reap in the background, let the cancellation go on.
        kill_group(pid);
        reap_later();
        throw boost::system::system_error(asio::error::operation_aborted);
    }
    outcome.end = *stop;
    if (outcome.end != ProcessEnd::exited) {
        kill_group(pid);
        out_stream.close();
        err_stream.close();
        std::optional<int> status;
        std::exception_ptr cancelled;  // while waiting for the killed child: still reap it
        try {
            status = co_await reap(exit_watch, pid, kill_grace);
        } catch (...) {
            cancelled = std::current_exception();
        }
        if (!status) reap_later();
        if (cancelled) std::rethrow_exception(cancelled);
        co_return outcome;
    }
    auto const status = collect_status(pid);
    if (!status) {
        kill_group(pid);
        reap_later();
        co_return SpawnError{ECHILD, make_error("collecting the exit status of " + spec.command)};
    }
    if (WIFSIGNALED(*status)) {
        outcome.end = ProcessEnd::signaled;
        outcome.signal = WTERMSIG(*status);
    } else {
        outcome.exit_code = WEXITSTATUS(*status);
    }
    co_return outcome;
}

}  // namespace gic::kube
