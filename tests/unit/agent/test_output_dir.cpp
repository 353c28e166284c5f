#include "agent/output_dir.hpp"

#include "common/temp_dir.hpp"

#include <boost/test/unit_test.hpp>

#include <sys/stat.h>

#include <filesystem>

using namespace gic;
using namespace gic::agent;

BOOST_AUTO_TEST_SUITE(test_output_dir)

BOOST_AUTO_TEST_CASE(writes_three_files_with_a_private_key_mode) {
    test::TempDir tmp;
    auto dir = tmp.file("out/certs");
    BOOST_REQUIRE(write_output_dir(dir, TlsMaterial{"CRT", "KEY", "CA"}).has_value());
    BOOST_TEST(test::read_file(dir + "/tls.crt") == "CRT");
    BOOST_TEST(test::read_file(dir + "/tls.key") == "KEY");
    BOOST_TEST(test::read_file(dir + "/ca.crt") == "CA");
    struct stat st {};
    ::stat((dir + "/tls.key").c_str(), &st);
    BOOST_TEST((st.st_mode & 0777) == 0600u);
    ::stat(dir.c_str(), &st);
    BOOST_TEST((st.st_mode & 0777) == 0700u);
    // Replacing leaves no temporary files behind.
    BOOST_REQUIRE(write_output_dir(dir, TlsMaterial{"CRT2", "KEY2", "CA2"}).has_value());
    BOOST_TEST(read_output_dir(dir)->chain_pem == "CRT2");
    int entries = 0;
    for (auto const& e : std::filesystem::directory_iterator(dir)) entries += e.is_regular_file() ? 1 : 0;
    BOOST_TEST(entries == 3);
}

BOOST_AUTO_TEST_CASE(a_file_in_the_way_is_reported) {
    test::TempDir tmp;
    test::write_file(tmp.file("plain"), "x");
    auto r = write_output_dir(tmp.file("plain"), TlsMaterial{"a", "b", "c"});
    BOOST_REQUIRE(!r.has_value());
    BOOST_TEST(r.error().message == "--output-dir " + tmp.file("plain") + " is not a directory");
}

BOOST_AUTO_TEST_SUITE_END()
