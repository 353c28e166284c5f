#include "common/sharded_main.hpp"

#include "common/temp_dir.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

extern char** environ;

namespace gic::test {
namespace {

constexpr char const* shard_variable = "GIC_TEST_SHARDS";

// The arguments meson gives every Boost.Test executable (tests/meson.build, boost_test_args): only
// with these does the parent shard; anything else is someone choosing what to run.
bool only_reporting_arguments(int argc, char* argv[]) {
    for (int i = 1; i < argc; ++i) {
        std::string_view const arg(argv[i]);
        if (!arg.starts_with("--log_level=") && !arg.starts_with("--report_level=") &&
            !arg.starts_with("--color_output="))
            return false;
    }
    return true;
}

int shard_count() {
    char const* value = std::getenv(shard_variable);
    if (!value || !*value) return 2;
    int const n = std::atoi(value);
    return n < 1 ? 1 : n;
}

std::string self_path() {
    std::vector<char> buffer(4096);
    auto const n = ::readlink("/proc/self/exe", buffer.data(), buffer.size() - 1);
    if (n <= 0) throw std::runtime_error("cannot read /proc/self/exe");
    return std::string(buffer.data(), static_cast<std::size_t>(n));
}

// Starts `argv` with stdout and stderr to `output`; `shards` is set to 1 in the child so that it
// runs its cases itself.
pid_t start(std::vector<std::string> argv, std::string const& output) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, output.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    std::vector<std::string> env;
    for (char** e = environ; *e; ++e)
        if (!std::string_view(*e).starts_with(std::string(shard_variable) + "=")) env.emplace_back(*e);
    env.push_back(std::string(shard_variable) + "=1");
    std::vector<char*> c_argv, c_env;
    for (auto& a : argv) c_argv.push_back(a.data());
    c_argv.push_back(nullptr);
    for (auto& e : env) c_env.push_back(e.data());
    c_env.push_back(nullptr);
    pid_t pid = -1;
    int const rc = ::posix_spawn(&pid, c_argv[0], &actions, nullptr, c_argv.data(), c_env.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
    return pid;
}

// Exit status as meson reads it: the code, or 128 + the signal.
int wait_for(pid_t pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return 255;
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return 255;
}

// The enabled test cases, as --run_test paths ("suite/case"), from the --list_content tree: one
// unit per line, four spaces of indent per level, '*' after the enabled ones.
std::vector<std::string> enabled_cases(std::string const& listing) {
    std::vector<std::string> cases, path;
    std::istringstream lines(listing);
    std::string line;
    std::vector<std::pair<std::size_t, std::string>> units;  // depth, name (with '*' when enabled)
    while (std::getline(lines, line)) {
        auto const indent = line.find_first_not_of(' ');
        if (indent == std::string::npos) continue;
        units.emplace_back(indent / 4, line.substr(indent));
    }
    for (std::size_t i = 0; i < units.size(); ++i) {
        auto const& [depth, text] = units[i];
        bool const enabled = text.ends_with('*');
        std::string const name = enabled ? text.substr(0, text.size() - 1) : text;
        path.resize(depth);
        path.push_back(name);
        bool const is_suite = i + 1 < units.size() && units[i + 1].first > depth;
        if (is_suite || !enabled) continue;
        std::string joined;
        for (auto const& part : path) joined += (joined.empty() ? "" : "/") + part;
        cases.push_back(joined);
    }
    return cases;
}

}  // namespace

int sharded_test_main(int argc, char* argv[], boost::unit_test::init_unit_test_func init) {
    int const shards = shard_count();
    if (shards == 1 || !only_reporting_arguments(argc, argv)) return boost::unit_test::unit_test_main(init, argc, argv);

    TempDir const dir("gic-shards");
    auto const self = self_path();
    if (wait_for(start({self, "--list_content"}, dir.file("list"))) != 0) {
        std::cerr << "listing the test cases failed:\n" << read_file(dir.file("list"));
        return 1;
    }
    auto const cases = enabled_cases(read_file(dir.file("list")));
    if (cases.empty()) return boost::unit_test::unit_test_main(init, argc, argv);

    std::vector<std::vector<std::string>> dealt(std::min<std::size_t>(shards, cases.size()));
    for (std::size_t i = 0; i < cases.size(); ++i) dealt[i % dealt.size()].push_back(cases[i]);
    std::vector<pid_t> children;
    for (std::size_t s = 0; s < dealt.size(); ++s) {
        std::string filter;
        for (auto const& c : dealt[s]) filter += (filter.empty() ? "" : ":") + c;
        std::vector<std::string> child_argv{self};
        for (int i = 1; i < argc; ++i) child_argv.emplace_back(argv[i]);
        child_argv.push_back("--run_test=" + filter);
        children.push_back(start(child_argv, dir.file("shard-" + std::to_string(s))));
    }
    int result = 0;
    for (std::size_t s = 0; s < children.size(); ++s) {
        int const status = wait_for(children[s]);
        std::cout << "---- shard " << s + 1 << " of " << children.size() << " (" << dealt[s].size()
                  << " cases), exit status " << status << "\n"
                  << read_file(dir.file("shard-" + std::to_string(s))) << std::flush;
        if (status != 0 && result == 0) result = status;
    }
    return result;
}

}  // namespace gic::test
