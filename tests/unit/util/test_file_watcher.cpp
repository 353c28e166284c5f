#include "util/file_watcher.hpp"
#include "util/inotify_events.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>

#include <sys/inotify.h>

#include <unistd.h>

#include <cstring>
#include <functional>
#include <filesystem>
#include <fstream>
#include <optional>

using namespace gic::util;
namespace fs = std::filesystem;

namespace {

std::string make_record(int wd, std::uint32_t mask, std::string const& name, std::size_t padded) {
    std::string bytes(sizeof(inotify_event) + padded, '\0');
    inotify_event e{};
    e.wd = wd;
    e.mask = mask;
    e.len = static_cast<std::uint32_t>(padded);
    std::memcpy(bytes.data(), &e, sizeof e);
    std::memcpy(bytes.data() + sizeof e, name.data(), name.size());
    return bytes;
}

struct TempTree {
    fs::path root = fs::temp_directory_path() / ("gic-watch-" + std::to_string(::getpid()));
    TempTree() { fs::create_directories(root); }
    ~TempTree() { fs::remove_all(root); }
};

void write(fs::path const& p, std::string const& text) { std::ofstream(p) << text; }

// Runs `change` once the watcher is waiting and returns what wait_for_change reported.
std::vector<std::string> observe(std::vector<std::string> const& paths, std::function<void()> const& change) {
    boost::asio::io_context io;
    std::optional<std::vector<std::string>> seen;
    auto watcher = FileWatcher::create(io.get_executor(), paths);
    BOOST_REQUIRE(watcher.has_value());
    boost::asio::co_spawn(
        io,
        [&]() -> boost::asio::awaitable<void> {
            auto r = co_await watcher->wait_for_change();
            if (r) seen = *r;
        },
        boost::asio::detached);
    io.poll();
    change();
    io.run_for(std::chrono::seconds(5));
    BOOST_REQUIRE(seen.has_value());
    return *seen;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_file_watcher)

BOOST_AUTO_TEST_CASE(parses_records_with_and_without_names) {
    auto bytes = make_record(1, IN_MOVED_TO, "..data", 16) + make_record(2, IN_DELETE_SELF, "", 0);
    auto events = parse_inotify_events(std::span<char const>(bytes.data(), bytes.size()));
    BOOST_TEST_REQUIRE(events.size() == 2u);
    BOOST_TEST(events[0].watch == 1);
    BOOST_TEST(events[0].name == "..data");
    BOOST_TEST((events[0].mask & IN_MOVED_TO) != 0u);
    BOOST_TEST(events[1].name.empty());
    // A truncated trailing record is ignored rather than read past the end.
    BOOST_TEST(parse_inotify_events(std::span<char const>(bytes.data(), sizeof(inotify_event) + 3)).empty());
}

BOOST_AUTO_TEST_CASE(sees_a_data_symlink_swap) {
    TempTree t;
    fs::create_directory(t.root / "..v1");
    write(t.root / "..v1" / "token", "one");
    fs::create_directory_symlink("..v1", t.root / "..data");
    fs::create_symlink("..data/token", t.root / "token");
    auto seen = observe({(t.root / "token").string()}, [&] {
        fs::create_directory(t.root / "..v2");
        write(t.root / "..v2" / "token", "two");
        fs::create_directory_symlink("..v2", t.root / "..data_tmp");
        fs::rename(t.root / "..data_tmp", t.root / "..data");
    });
    BOOST_TEST(seen == std::vector<std::string>{"token"});
}

BOOST_AUTO_TEST_CASE(sees_a_rename_over_the_file_and_ignores_other_files) {
    TempTree t;
    write(t.root / "root-cert.pem", "a");
    auto seen = observe({(t.root / "root-cert.pem").string()}, [&] {
        write(t.root / "unrelated", "x");
        write(t.root / "root-cert.pem.tmp", "b");
        fs::rename(t.root / "root-cert.pem.tmp", t.root / "root-cert.pem");
    });
    BOOST_TEST(seen == std::vector<std::string>{"root-cert.pem"});
}

BOOST_AUTO_TEST_CASE(a_missing_directory_is_named) {
    boost::asio::io_context io;
    auto watcher = FileWatcher::create(io.get_executor(), {"/nonexistent-gic-dir/token"});
    BOOST_REQUIRE(!watcher.has_value());
    BOOST_TEST(watcher.error().message.find("cannot watch directory /nonexistent-gic-dir") == 0);
}

BOOST_AUTO_TEST_SUITE_END()
