#include "kube/token_file_source.hpp"

#include "common/temp_dir.hpp"

#include <boost/test/unit_test.hpp>

#include <filesystem>

using gic::kube::TokenFileSource;
using gic::test::TempDir;
using gic::test::write_file;
using namespace std::chrono_literals;

namespace {

struct FakeClock {
    std::chrono::steady_clock::time_point now = std::chrono::steady_clock::time_point{} + 1h;
    TokenFileSource::Clock fn() {
        return [this] { return now; };
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(token_file_source)

BOOST_AUTO_TEST_CASE(reads_trimmed_and_rereads_after_50_seconds) {
    TempDir dir;
    write_file(dir.file("token"), "first\n");
    FakeClock clock;
    TokenFileSource source(dir.file("token"), {}, clock.fn());
    BOOST_TEST(source.token().value() == "first");

    write_file(dir.file("token"), "  second \n");
    clock.now += 49s;
    BOOST_TEST(source.token().value() == "first");  // cached copy is still fresh
    clock.now += 1s;
    BOOST_TEST(source.token().value() == "second");
}

BOOST_AUTO_TEST_CASE(initial_token_is_replaced_on_first_use) {
    TempDir dir;
    write_file(dir.file("token"), "from-file");
    FakeClock clock;
    TokenFileSource source(dir.file("token"), "from-load", clock.fn());
    BOOST_TEST(source.token().value() == "from-file");
}

BOOST_AUTO_TEST_CASE(refresh_rereads_at_once) {
    TempDir dir;
    write_file(dir.file("token"), "old");
    FakeClock clock;
    TokenFileSource source(dir.file("token"), {}, clock.fn());
    BOOST_TEST(source.token().value() == "old");
    write_file(dir.file("token"), "new");
    BOOST_TEST(source.refresh().value() == "new");
    BOOST_TEST(source.token().value() == "new");
}

BOOST_AUTO_TEST_CASE(keeps_last_good_token_on_read_error) {
    TempDir dir;
    write_file(dir.file("token"), "good");
    FakeClock clock;
    TokenFileSource source(dir.file("token"), {}, clock.fn());
    BOOST_TEST(source.token().value() == "good");
    std::filesystem::remove(dir.file("token"));
    clock.now += 60s;
    BOOST_TEST(source.token().value() == "good");
    auto const error = source.take_rotation_error();
    BOOST_REQUIRE(error.has_value());
    BOOST_TEST(error->message.find(dir.file("token")) != std::string::npos);
    BOOST_TEST(error->message.find("No such file or directory") != std::string::npos);
    BOOST_TEST(error->message.find("good") == std::string::npos);  // never the token
    BOOST_TEST(!source.take_rotation_error().has_value());

    // Tried again on the next request (no 50 s wait after a failure).
    write_file(dir.file("token"), "rotated");
    BOOST_TEST(source.token().value() == "rotated");
}

BOOST_AUTO_TEST_CASE(empty_file_is_an_error_and_keeps_last_good) {
    TempDir dir;
    write_file(dir.file("token"), " \n");
    FakeClock clock;
    TokenFileSource fresh(dir.file("token"), {}, clock.fn());
    auto const result = fresh.token();
    BOOST_REQUIRE(result.has_error());
    BOOST_TEST(result.error().message == "token file " + dir.file("token") + " is empty");

    write_file(dir.file("token"), "good");
    TokenFileSource source(dir.file("token"), {}, clock.fn());
    BOOST_TEST(source.token().value() == "good");
    write_file(dir.file("token"), "");
    BOOST_TEST(source.refresh().value() == "good");
    BOOST_TEST(source.take_rotation_error().has_value());
}

BOOST_AUTO_TEST_CASE(missing_file_without_a_good_token_is_an_error) {
    TempDir dir;
    FakeClock clock;
    TokenFileSource source(dir.file("absent"), {}, clock.fn());
    auto const result = source.token();
    BOOST_REQUIRE(result.has_error());
    BOOST_TEST(result.error().message == "reading token file " + dir.file("absent") + ": No such file or directory");
}

BOOST_AUTO_TEST_SUITE_END()
