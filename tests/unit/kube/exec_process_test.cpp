// The helper-program runner: deadline, output caps, kill and reap on every path, no inherited
// descriptors. Small shell scripts in a temp dir play the program.

#include "fixtures.hpp"
#include "kube/exec_process.hpp"

#include "common/process.hpp"
#include "common/temp_dir.hpp"
#include "common/wait.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <optional>
#include <regex>
#include <set>
#include <sstream>

using namespace gic::kube;
using gic::test::process_gone;
using gic::kube::test::contains;
using gic::test::read_file;
using gic::test::TempDir;
using gic::test::write_file;
namespace asio = boost::asio;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

pid_t pid_in(std::string const& path) { return static_cast<pid_t>(std::stol(read_file(path))); }

struct Fixture {
    TempDir dir{"gic-process"};
    asio::io_context io;

    std::string script(std::string const& name, std::string const& body) {
        std::string const path = dir.file(name);
        write_file(path, "#!/bin/sh\n" + body, 0755);
        return path;
    }

    ProcessSpec spec(std::string const& command, ProcessLimits limits = {}) {
        ProcessSpec s;
        s.command = command;
        s.env = current_environment();
        s.limits = limits;
        return s;
    }

    // Runs until the work is done and nothing else (a background reap) is pending; bounded.
    SpawnResult<ProcessOutcome> run(ProcessSpec s) {
        std::optional<SpawnResult<ProcessOutcome>> out;
        asio::co_spawn(io, run_process(std::move(s)), [&](std::exception_ptr e, SpawnResult<ProcessOutcome> r) {
            if (e) std::rethrow_exception(e);
            out.emplace(std::move(r));
        });
        io.run_for(20s);
        BOOST_REQUIRE(out.has_value());
        return std::move(*out);
    }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(exec_process, Fixture)

BOOST_AUTO_TEST_CASE(a_program_that_never_exits_is_killed_at_the_deadline_with_its_group_and_reaped) {
    // The grandchild keeps stdout open: only killing the whole group ends the run.
    auto const command = script("hang", "echo $$ > " + dir.file("pid") + "\nsleep 1000 &\necho $! > " +
                                            dir.file("grandchild") + "\necho 'waiting for login' >&2\nwait\n");
    auto const started = Clock::now();
    auto const outcome = run(spec(command, {300ms}));
    auto const took = Clock::now() - started;
    BOOST_REQUIRE(outcome.has_value());
    BOOST_TEST((outcome->end == ProcessEnd::timed_out));
    BOOST_TEST((took >= 300ms && took < 5s));
    BOOST_TEST(contains(outcome->err, "waiting for login"));
    BOOST_TEST(process_gone(pid_in(dir.file("pid"))));
    // Not ours to reap: SIGKILL reaches it at once, but it may take a moment to die.
    auto const grandchild = pid_in(dir.file("grandchild"));
    BOOST_TEST(gic::test::wait_until([&] { return process_gone(grandchild); }, 5s));
    BOOST_TEST(describe_process_end(*outcome, {300ms}) == "timed out after 300ms and was killed");
}

BOOST_AUTO_TEST_CASE(stdout_past_its_cap_is_cut_and_the_program_killed) {
    auto const command = script("flood", "echo $$ > " + dir.file("pid") + "\nexec cat /dev/zero\n");
    auto const started = Clock::now();
    auto const outcome = run(spec(command));  // the default limits: 30 s, 1 MiB, 64 KiB
    BOOST_REQUIRE(outcome.has_value());
    BOOST_TEST((outcome->end == ProcessEnd::stdout_too_large));
    BOOST_TEST(outcome->out.size() == std::size_t{1} << 20);
    BOOST_TEST((Clock::now() - started < 10s));
    BOOST_TEST(process_gone(pid_in(dir.file("pid"))));
    BOOST_TEST(describe_process_end(*outcome, {}) == "wrote more than 1 MiB to stdout and was killed");
}

BOOST_AUTO_TEST_CASE(stderr_past_its_cap_is_cut_and_the_program_killed) {
    auto const command = script("flood", "echo $$ > " + dir.file("pid") + "\nexec cat /dev/zero >&2\n");
    auto const outcome = run(spec(command));
    BOOST_REQUIRE(outcome.has_value());
    BOOST_TEST((outcome->end == ProcessEnd::stderr_too_large));
    BOOST_TEST(outcome->err.size() == std::size_t{64} << 10);
    BOOST_TEST(process_gone(pid_in(dir.file("pid"))));
    BOOST_TEST(describe_process_end(*outcome, {}) == "wrote more than 64 KiB to stderr and was killed");
}

BOOST_AUTO_TEST_CASE(exit_status_and_stderr_are_reported) {
    auto const command = script("fail", "echo $$ > " + dir.file("pid") + "\necho 'token expired' >&2\nexit 1\n");
    auto const outcome = run(spec(command));
    BOOST_REQUIRE(outcome.has_value());
    BOOST_TEST((outcome->end == ProcessEnd::exited));
    BOOST_TEST(outcome->exit_code == 1);
    BOOST_TEST(outcome->err == "token expired\n");
    BOOST_TEST(process_gone(pid_in(dir.file("pid"))));
    BOOST_TEST(describe_process_end(*outcome, {}) == "exited with code 1");
}

BOOST_AUTO_TEST_CASE(a_signal_from_elsewhere_is_reported) {
    auto const outcome = run(spec(script("self-kill", "kill -TERM $$\n")));
    BOOST_REQUIRE(outcome.has_value());
    BOOST_TEST((outcome->end == ProcessEnd::signaled));
    BOOST_TEST(outcome->signal == SIGTERM);
    BOOST_TEST(describe_process_end(*outcome, {}) == "was killed by signal 15");
}

BOOST_AUTO_TEST_CASE(output_at_exactly_the_cap_is_accepted) {
    auto const outcome = run(spec(script("exact", "printf 12345678\n"), {30s, 8, 8}));
    BOOST_REQUIRE(outcome.has_value());
    BOOST_TEST((outcome->end == ProcessEnd::exited));
    BOOST_TEST(outcome->out == "12345678");
}

BOOST_AUTO_TEST_CASE(cancelling_the_waiter_kills_and_reaps_the_program) {
    using namespace asio::experimental::awaitable_operators;
    auto const command = script("hang", "echo $$ > " + dir.file("pid") + "\nexec sleep 1000\n");
    bool cancelled_at_once = false;
    auto const started = Clock::now();
    auto race = [&]() -> asio::awaitable<void> {
        asio::steady_timer soon(io, 300ms);
        auto const winner = co_await (run_process(spec(command)) || soon.async_wait(asio::use_awaitable));
        cancelled_at_once = winner.index() == 1 && Clock::now() - started < 2s;
    };
    asio::co_spawn(io, race(), [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
    });
    io.run_for(20s);  // returns once the background reap is done too
    BOOST_TEST(cancelled_at_once);
    BOOST_TEST((Clock::now() - started < 10s));
    BOOST_TEST(process_gone(pid_in(dir.file("pid"))));
}

BOOST_AUTO_TEST_CASE(the_program_inherits_only_stdin_stdout_and_stderr) {
    // Descriptors of ours without FD_CLOEXEC, as asio makes them: a listener and a plain file.
    asio::ip::tcp::acceptor listener(io, {asio::ip::make_address("127.0.0.1"), 0});
    int const plain = ::open(dir.file("plain").c_str(), O_CREAT | O_WRONLY, 0600);
    BOOST_REQUIRE(plain >= 0);
    BOOST_REQUIRE(!(::fcntl(listener.native_handle(), F_GETFD) & FD_CLOEXEC));
    auto const outcome = run(spec(script("fds", "exec ls -l /proc/self/fd/\n")));
    ::close(plain);
    BOOST_REQUIRE(outcome.has_value());
    // "lr-x------ 1 u g 64 Dec 7 14:05 3 -> /proc/123/fd": ls's own handle on the directory is
    // the one descriptor that is not inherited.
    std::set<int> inherited;
    std::regex const entry(R"((\d+) -> (.*)$)");
    std::istringstream lines(outcome->out);
    for (std::string line; std::getline(lines, line);) {
        std::smatch m;
        if (!std::regex_search(line, m, entry)) continue;
        if (std::regex_match(m[2].str(), std::regex(R"(/proc/\d+/fd)"))) continue;
        inherited.insert(std::stoi(m[1].str()));
    }
    BOOST_TEST((inherited == std::set<int>{0, 1, 2}), "inherited descriptors:\n" << outcome->out);
}

BOOST_AUTO_TEST_CASE(a_missing_command_is_a_spawn_error) {
    auto const outcome = run(spec(dir.file("absent")));
    BOOST_REQUIRE(outcome.has_error());
    BOOST_TEST(outcome.error().errno_value == ENOENT);
}

BOOST_AUTO_TEST_CASE(sizes_in_messages) {
    BOOST_TEST(byte_size_text(std::size_t{1} << 20) == "1 MiB");
    BOOST_TEST(byte_size_text(std::size_t{64} << 10) == "64 KiB");
    BOOST_TEST(byte_size_text(1000) == "1000 bytes");
}

BOOST_AUTO_TEST_SUITE_END()
