#include "agent/effects/output_dir.hpp"

#include "agent/decisions/output_dir_layout.hpp"
#include "common/temp_dir.hpp"

#include <boost/test/unit_test.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <set>

using namespace gic;
using namespace gic::agent;
namespace fs = std::filesystem;

namespace {

auto const t0 = std::chrono::system_clock::time_point(std::chrono::sys_days{std::chrono::year{2026} / 12 / 7});

mode_t mode_of(std::string const& path) {
    struct stat st {};
    BOOST_REQUIRE(::lstat(path.c_str(), &st) == 0);
    return st.st_mode & 07777;
}

std::string link_of(std::string const& path) {
    std::error_code ec;
    auto target = fs::read_symlink(path, ec);
    return ec ? std::string("(not a link)") : target.string();
}

std::set<std::string> entries(std::string const& dir) {
    std::set<std::string> out;
    for (auto const& e : fs::directory_iterator(dir)) out.insert(e.path().filename().string());
    return out;
}

std::set<std::string> timestamped(std::string const& dir) {
    std::set<std::string> out;
    for (auto const& name : entries(dir))
        if (output_layout::is_timestamp_dir_name(name)) out.insert(name);
    return out;
}

OutputDirectory open_ok(std::string const& dir) {
    auto opened = OutputDirectory::open(dir);
    BOOST_REQUIRE_MESSAGE(opened.has_value(), (opened.has_value() ? std::string() : opened.error().message));
    return std::move(*opened);
}

std::string error_of(std::string const& dir) {
    auto opened = OutputDirectory::open(dir);
    return opened ? std::string("(opened)") : opened.error().message;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_output_dir)

BOOST_AUTO_TEST_CASE(writes_kubelets_atomic_writer_layout_with_private_modes) {
    test::TempDir tmp;
    auto const dir = tmp.file("out/certs");
    auto out = open_ok(dir);
    BOOST_REQUIRE(out.write(TlsMaterial{"CRT", "KEY", "CA"}, t0).has_value());
    BOOST_TEST(mode_of(dir) == 0700u);
    auto const first = link_of(dir + "/..data");
    BOOST_TEST(first == "..2026_12_07_00_00_00.000000000");
    BOOST_TEST(mode_of(dir + "/" + first) == 0700u);
    BOOST_TEST(mode_of(dir + "/" + first + "/tls.key") == 0600u);
    BOOST_TEST(mode_of(dir + "/" + first + "/tls.crt") == 0644u);
    for (auto const* name : {"tls.crt", "tls.key", "ca.crt"}) BOOST_TEST(link_of(dir + "/" + name) == std::string("..data/") + name);
    // Readers that open the visible names get the set.
    BOOST_TEST(test::read_file(dir + "/tls.crt") == "CRT");
    BOOST_TEST(test::read_file(dir + "/tls.key") == "KEY");
    BOOST_TEST(test::read_file(dir + "/ca.crt") == "CA");

    // A rewrite switches ..data to a new set and removes the old one; nothing else is left.
    BOOST_REQUIRE(out.write(TlsMaterial{"CRT2", "KEY2", "CA2"}, t0 + std::chrono::seconds(1)).has_value());
    BOOST_TEST(link_of(dir + "/..data") == "..2026_12_07_00_00_01.000000000");
    BOOST_TEST(timestamped(dir) == std::set<std::string>{"..2026_12_07_00_00_01.000000000"});
    BOOST_TEST(entries(dir) == (std::set<std::string>{"..2026_12_07_00_00_01.000000000", "..data", ".gen-istio-cert.lock",
                                                      "ca.crt", "tls.crt", "tls.key"}));
    auto const read = out.read();
    BOOST_REQUIRE(read.has_value());
    BOOST_REQUIRE(read->has_value());
    BOOST_TEST((*read)->chain_pem == "CRT2");
    BOOST_TEST((*read)->key_pem == "KEY2");
    BOOST_TEST((*read)->roots_pem == "CA2");
}

BOOST_AUTO_TEST_CASE(nothing_stored_reads_as_nullopt) {
    test::TempDir tmp;
    auto out = open_ok(tmp.file("certs"));
    auto read = out.read();
    BOOST_REQUIRE(read.has_value());
    BOOST_TEST(!read->has_value());
}

BOOST_AUTO_TEST_CASE(a_file_in_the_way_is_reported) {
    test::TempDir tmp;
    test::write_file(tmp.file("plain"), "x");
    BOOST_TEST(error_of(tmp.file("plain")) == "--output-dir " + tmp.file("plain") + " is not a directory");
}

BOOST_AUTO_TEST_CASE(unsafe_directories_are_refused_naming_the_reason) {
    test::TempDir tmp;
    fs::create_directory(tmp.file("real"));
    fs::create_symlink(tmp.file("real"), tmp.file("link"));
    BOOST_TEST(error_of(tmp.file("link")) ==
               "--output-dir " + tmp.file("link") + " is a symbolic link; refusing to write a private key there");
    // A trailing slash must not make the link followed.
    BOOST_TEST(error_of(tmp.file("link/")) ==
               "--output-dir " + tmp.file("link/") + " is a symbolic link; refusing to write a private key there");
    BOOST_TEST(entries(tmp.file("real")).empty());
    fs::create_directory(tmp.file("open"));
    ::chmod(tmp.file("open").c_str(), 0777);
    BOOST_TEST(error_of(tmp.file("open")) ==
               "--output-dir " + tmp.file("open") +
                   " is writable by group or others without the sticky bit (mode 0777); refusing to write a private key there");
    BOOST_TEST(entries(tmp.file("open")).empty());  // refused before anything was created
    if (::geteuid() != 0) {
        BOOST_TEST(error_of("/") == "--output-dir / is owned by uid 0, not by this user (uid " +
                                        std::to_string(::geteuid()) + "); refusing to write a private key there");
    }
    // Sticky and writable by all (like /tmp), but ours: accepted.
    fs::create_directory(tmp.file("sticky"));
    ::chmod(tmp.file("sticky").c_str(), 01777);
    BOOST_TEST(error_of(tmp.file("sticky")) == "(opened)");
}

BOOST_AUTO_TEST_CASE(a_second_writer_is_refused_while_the_first_holds_the_lock) {
    test::TempDir tmp;
    auto const dir = tmp.file("certs");
    {
        auto first = open_ok(dir);
        BOOST_TEST(error_of(dir) == "--output-dir " + dir + " is in use by another gen-istio-cert (it holds the lock " + dir +
                                        "/.gen-istio-cert.lock)");
    }
    BOOST_TEST(error_of(dir) == "(opened)");  // released with the first
}

BOOST_AUTO_TEST_CASE(a_planted_lock_link_is_refused) {
    test::TempDir tmp;
    auto const dir = tmp.file("certs");
    fs::create_directory(dir);
    test::write_file(tmp.file("victim"), "victim");
    fs::create_symlink(tmp.file("victim"), dir + "/.gen-istio-cert.lock");
    BOOST_TEST(error_of(dir) == "--output-dir " + dir +
                                    " holds .gen-istio-cert.lock as a symbolic link; refusing to write a private key there");
}

BOOST_AUTO_TEST_CASE(planted_links_under_every_name_are_replaced_never_followed) {
    test::TempDir tmp;
    auto const dir = tmp.file("certs");
    fs::create_directory(dir);
    ::chmod(dir.c_str(), 01777);
    auto const victim = tmp.file("victim");
    test::write_file(victim, "victim", 0644);
    fs::create_directory(tmp.file("victim-dir"));
    std::vector<std::string> names{"tls.crt", "tls.key", "ca.crt", "..data_tmp", "..tls.key.tmp-0000000000000001",
                                   ".tls.key.tmp", ".tls.crt.tmp", ".ca.crt.tmp", output_layout::timestamp_dir_name(t0)};
    for (auto const& name : names) fs::create_symlink(victim, dir + "/" + name);
    fs::create_directory_symlink(tmp.file("victim-dir"), dir + "/..data");

    auto out = open_ok(dir);
    // Nothing of ours is read through them.
    auto before = out.read();
    BOOST_REQUIRE(before.has_value());
    BOOST_TEST(!before->has_value());
    BOOST_REQUIRE(out.write(TlsMaterial{"CRT", "KEY", "CA"}, t0).has_value());
    BOOST_TEST(test::read_file(victim) == "victim");
    BOOST_TEST(mode_of(victim) == 0644u);
    BOOST_TEST(entries(tmp.file("victim-dir")).empty());
    BOOST_TEST(test::read_file(dir + "/tls.key") == "KEY");
    BOOST_TEST(link_of(dir + "/tls.key") == "..data/tls.key");
    BOOST_TEST(output_layout::is_timestamp_dir_name(link_of(dir + "/..data")));
    BOOST_TEST(entries(dir).size() == 6u, "only our set, ..data, the lock and three links remain");
}

BOOST_AUTO_TEST_CASE(plain_files_of_an_older_version_become_links_to_the_new_set) {
    test::TempDir tmp;
    auto const dir = tmp.file("certs");
    fs::create_directory(dir);
    ::chmod(dir.c_str(), 0700);
    test::write_file(dir + "/tls.crt", "OLD-CRT");
    test::write_file(dir + "/tls.key", "OLD-KEY", 0600);
    test::write_file(dir + "/ca.crt", "OLD-CA");
    test::write_file(dir + "/.tls.key.tmp", "HALF-A-KEY", 0600);
    auto out = open_ok(dir);
    auto old = out.read();
    BOOST_REQUIRE(old.has_value() && old->has_value());
    BOOST_TEST((*old)->key_pem == "OLD-KEY");  // reused on upgrade when still valid
    BOOST_REQUIRE(out.write(TlsMaterial{"CRT", "KEY", "CA"}, t0).has_value());
    BOOST_TEST(test::read_file(dir + "/tls.crt") == "CRT");
    BOOST_TEST(test::read_file(dir + "/tls.key") == "KEY");
    BOOST_TEST(test::read_file(dir + "/ca.crt") == "CA");
    for (auto const* name : {"tls.crt", "tls.key", "ca.crt"}) BOOST_TEST(link_of(dir + "/" + name) == std::string("..data/") + name);
    // The old set was published under ..data for the switch of the names, then removed.
    BOOST_TEST(timestamped(dir).size() == 1u);
    BOOST_TEST(!fs::exists(dir + "/.tls.key.tmp"));
}

BOOST_AUTO_TEST_CASE(leftovers_of_an_interrupted_write_are_removed_by_the_next) {
    test::TempDir tmp;
    auto const dir = tmp.file("certs");
    auto out = open_ok(dir);
    BOOST_REQUIRE(out.write(TlsMaterial{"CRT", "KEY", "CA"}, t0).has_value());
    // A crash after creating a set and ..data_tmp but before the rename, and during a relink.
    auto const orphan = dir + "/..2026_12_07_00_00_05.000000000";
    fs::create_directory(orphan);
    test::write_file(orphan + "/tls.key", "ORPHAN-KEY", 0600);
    fs::create_symlink("..2026_12_07_00_00_05.000000000", dir + "/..data_tmp");
    fs::create_symlink("..data/tls.key", dir + "/..tls.key.tmp-00000000000000ff");
    test::write_file(dir + "/notes.txt", "someone's");
    BOOST_REQUIRE(out.write(TlsMaterial{"CRT2", "KEY2", "CA2"}, t0 + std::chrono::seconds(9)).has_value());
    BOOST_TEST(!fs::exists(orphan));
    BOOST_TEST(!fs::is_symlink(dir + "/..data_tmp"));
    BOOST_TEST(!fs::is_symlink(dir + "/..tls.key.tmp-00000000000000ff"));
    BOOST_TEST(fs::exists(dir + "/notes.txt"));
    BOOST_TEST(timestamped(dir) == std::set<std::string>{"..2026_12_07_00_00_09.000000000"});
    BOOST_TEST(test::read_file(dir + "/tls.key") == "KEY2");
}

BOOST_AUTO_TEST_CASE(odd_files_read_as_absent_or_empty_and_never_block) {
    test::TempDir tmp;
    auto const dir = tmp.file("certs");
    fs::create_directory(dir);
    ::chmod(dir.c_str(), 0700);
    // A FIFO would block a plain open; a huge file is not ours; a link is not followed.
    BOOST_REQUIRE(::mkfifo((dir + "/tls.crt").c_str(), 0600) == 0);
    test::write_file(dir + "/ca.crt", std::string((1 << 20) + 1, 'x'));
    test::write_file(tmp.file("secret"), "SECRET");
    fs::create_symlink(tmp.file("secret"), dir + "/tls.key");
    auto out = open_ok(dir);
    auto read = out.read();
    BOOST_REQUIRE(read.has_value());
    BOOST_REQUIRE(read->has_value());  // ca.crt is there, if useless
    BOOST_TEST((*read)->chain_pem.empty());
    BOOST_TEST((*read)->key_pem.empty());
    BOOST_TEST((*read)->roots_pem.empty());
    // Writing replaces all three with links to a new set.
    BOOST_REQUIRE(out.write(TlsMaterial{"CRT", "KEY", "CA"}, t0).has_value());
    BOOST_TEST(test::read_file(dir + "/tls.crt") == "CRT");
    BOOST_TEST(test::read_file(tmp.file("secret")) == "SECRET");
}

BOOST_AUTO_TEST_SUITE_END()
