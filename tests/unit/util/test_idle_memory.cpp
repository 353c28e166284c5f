#include "util/idle_memory.hpp"

#include <boost/test/unit_test.hpp>

#include <fstream>
#include <string>

namespace {

// The "RssFile:" line of /proc/self/status, in KiB: file pages this process maps.
long rss_file_kib() {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("RssFile:", 0) == 0) return std::stol(line.substr(8));
    return -1;
}

int busy_work(int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s += std::to_string(i);
    return static_cast<int>(s.size());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(idle_memory)

BOOST_AUTO_TEST_CASE(code_pages_leave_the_resident_set_and_the_process_keeps_running) {
    auto const before = rss_file_kib();
    BOOST_REQUIRE_GT(before, 0);
    auto const released = gic::util::release_idle_memory();
    auto const after = rss_file_kib();
    BOOST_TEST_MESSAGE("RssFile " << before << " KiB -> " << after << " KiB; " << released / 1024
                                  << " KiB of code mappings released");
    BOOST_TEST(released > 0u);
    // This test's own code, Boost.Test's and the shared libraries' were resident; they go, but
    // for the pages the test runs again right away.
    BOOST_TEST(before - after >= 256);
    // Code runs again from the page cache, and data (the heap, relocated tables) is intact.
    BOOST_TEST(busy_work(1000) == 2890);
    BOOST_TEST(rss_file_kib() > 0);
}

BOOST_AUTO_TEST_SUITE_END()
