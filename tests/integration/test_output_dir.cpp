// --output-dir against a hostile local user, with the real binary and both emulators: links
// planted under every name the agent creates, a directory others can write, a second agent on
// the same directory, and readers racing repeated rewrites.

#include "common/sandbox.hpp"
#include "common/wait.hpp"

#include "pki/pki.hpp"

#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

using namespace gic;
using namespace gic::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

std::regex const timestamped_name(R"(^\.\.\d{4}_\d{2}_\d{2}_\d{2}_\d{2}_\d{2}\.\d{9}$)");

std::vector<std::string> once_into(Sandbox const& sb, std::string const& dir) {
    return {agent_binary(), "--once", "--ca-address", sb.ca_address(), "--root-cert-path", sb.root_cert(),
            "--istio-token-path", sb.sa_dir() + "/istio-token", "--key-algorithm", "ecdsa-p256", "--output-dir", dir};
}

std::vector<std::string> continuous_into(std::string const& dir, std::string const& ttl) {
    return {"--leader-elect=false", "--metrics-bind-address=0", "--health-probe-bind-address=0", "--key-algorithm",
            "ecdsa-p256", "--cert-ttl", ttl, "--output-dir", dir};
}

mode_t mode_of(std::string const& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) return 0;
    return st.st_mode & 07777;
}

std::string link_of(std::string const& path) {
    std::error_code ec;
    auto target = fs::read_symlink(path, ec);
    return ec ? std::string("(not a link)") : target.string();
}

std::set<std::string> timestamped_dirs(std::string const& dir) {
    std::set<std::string> out;
    for (auto const& e : fs::directory_iterator(dir)) {
        auto name = e.path().filename().string();
        if (std::regex_match(name, timestamped_name)) out.insert(name);
    }
    return out;
}

std::size_t count_of(std::string const& text, std::string const& needle) {
    std::size_t n = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
    return n;
}

// Reads a whole file opened relative to `dir` (-1: the current directory); nullopt when it cannot.
std::optional<std::string> slurp(int dir, std::string const& path) {
    int fd = ::openat(dir < 0 ? AT_FDCWD : dir, path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    std::string out;
    char buffer[8192];
    for (int guard = 0; guard < 1024; ++guard) {  // 8 MiB at most
        auto n = ::read(fd, buffer, sizeof buffer);
        if (n <= 0) break;
        out.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return out;
}

// Does the key belong to the leaf? (Empty or unparsable material counts as a broken set.)
bool pair_matches(std::string const& crt, std::string const& key) {
    auto chain = pki::parse_pem_bundle(crt);
    auto parsed_key = pki::PrivateKey::from_pem(key);
    return chain && parsed_key && chain->front().matches_key(*parsed_key);
}

// Fails the test when any regular file outside `inside` holds a private key.
void no_key_outside(std::string const& root, std::string const& inside) {
    for (auto const& e : fs::recursive_directory_iterator(root)) {
        if (!e.is_regular_file(/*follows links*/) || e.is_symlink()) continue;
        auto const path = e.path().string();
        if (path.rfind(inside + "/", 0) == 0) continue;
        auto content = slurp(-1, path);
        BOOST_TEST((!content || content->find("PRIVATE KEY") == std::string::npos), path << " holds a private key");
    }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(output_dir)

BOOST_AUTO_TEST_CASE(once_writes_the_atomic_writer_layout_with_private_modes) {
    Sandbox sb;
    TempDir out;
    auto const dir = out.file("certs");
    auto const first = run_process(once_into(sb, dir));
    BOOST_TEST_REQUIRE(first.exit_code == 0, first.err);
    BOOST_TEST(mode_of(dir) == 0700u);
    auto const set = link_of(dir + "/..data");
    BOOST_TEST(std::regex_match(set, timestamped_name), set);
    BOOST_TEST(mode_of(dir + "/" + set) == 0700u);
    BOOST_TEST(mode_of(dir + "/" + set + "/tls.key") == 0600u);
    for (auto const* name : {"tls.crt", "tls.key", "ca.crt"})
        BOOST_TEST(link_of(dir + "/" + name) == std::string("..data/") + name);
    BOOST_TEST(pair_matches(read_file(dir + "/tls.crt"), read_file(dir + "/tls.key")));
    BOOST_TEST(read_file(dir + "/ca.crt") == read_file(sb.root_cert()));

    auto const second = run_process(once_into(sb, dir));
    BOOST_TEST_REQUIRE(second.exit_code == 0, second.err);
    auto const next = link_of(dir + "/..data");
    BOOST_TEST(next != set);
    BOOST_TEST(timestamped_dirs(dir) == std::set<std::string>{next});
    BOOST_TEST(pair_matches(read_file(dir + "/tls.crt"), read_file(dir + "/tls.key")));
    // openssl reads through the links as through plain files.
    auto const verify = run_process({"openssl", "verify", "-CAfile", dir + "/ca.crt", "-untrusted", dir + "/tls.crt", dir + "/tls.crt"});
    BOOST_TEST(verify.exit_code == 0, verify.out << verify.err);
}

BOOST_AUTO_TEST_CASE(links_planted_under_every_name_never_redirect_the_key) {
    Sandbox sb;
    TempDir tmp;
    auto const victim = tmp.file("victim");
    write_file(victim, "victim\n", 0644);
    fs::create_directory(tmp.file("victim-dir"));
    // Every name the agent creates or replaces, and the fixed temporary names older versions used.
    std::vector<std::string> const planted{"tls.crt", "tls.key", "ca.crt", ".tls.crt.tmp", ".tls.key.tmp", ".ca.crt.tmp",
                                           "..data_tmp", "..tls.key.tmp-0123456789abcdef",
                                           "..2026_01_01_00_00_00.000000000"};
    auto plant = [&](std::string const& dir, mode_t mode) {
        fs::create_directory(dir);
        ::chmod(dir.c_str(), mode);
        for (auto const& name : planted) fs::create_symlink(victim, dir + "/" + name);
        fs::create_directory_symlink(tmp.file("victim-dir"), dir + "/..data");
    };

    // Writable by all without the sticky bit: anyone could rename the agent's files away.
    auto const open_dir = tmp.file("open");
    plant(open_dir, 0777);
    auto const refused = run_process(once_into(sb, open_dir));
    BOOST_TEST(refused.exit_code == 2, refused.err);
    BOOST_TEST(refused.err == "gen-istio-cert: --output-dir " + open_dir +
                                  " is writable by group or others without the sticky bit (mode 0777); refusing to write a "
                                  "private key there\n");

    // Writable by all with the sticky bit (like /tmp): accepted, every planted link is replaced.
    auto const sticky_dir = tmp.file("sticky");
    plant(sticky_dir, 01777);
    auto const written = run_process(once_into(sb, sticky_dir));
    BOOST_TEST_REQUIRE(written.exit_code == 0, written.err);
    for (auto const* name : {"tls.crt", "tls.key", "ca.crt"})
        BOOST_TEST(link_of(sticky_dir + "/" + name) == std::string("..data/") + name);
    auto const set = link_of(sticky_dir + "/..data");
    BOOST_TEST(std::regex_match(set, timestamped_name), set);
    BOOST_TEST(pair_matches(read_file(sticky_dir + "/tls.crt"), read_file(sticky_dir + "/tls.key")));
    for (auto const& name : {"..data_tmp", ".tls.key.tmp", "..tls.key.tmp-0123456789abcdef", "..2026_01_01_00_00_00.000000000"})
        BOOST_TEST(!fs::is_symlink(sticky_dir + "/" + name), name);

    // A link under the lock's name: refused before anything is written.
    auto const locked_dir = tmp.file("lock-link");
    fs::create_directory(locked_dir);
    ::chmod(locked_dir.c_str(), 0700);
    fs::create_symlink(victim, locked_dir + "/.gen-istio-cert.lock");
    auto const lock_refused = run_process(once_into(sb, locked_dir));
    BOOST_TEST(lock_refused.exit_code == 2, lock_refused.err);
    BOOST_TEST(lock_refused.err.find("--output-dir " + locked_dir + " holds .gen-istio-cert.lock as a symbolic link") !=
                   std::string::npos,
               lock_refused.err);

    BOOST_TEST(read_file(victim) == "victim\n");
    BOOST_TEST(mode_of(victim) == 0644u);
    BOOST_TEST(fs::is_empty(tmp.file("victim-dir")));
    no_key_outside(tmp.path(), sticky_dir + "/" + set);
}

BOOST_AUTO_TEST_CASE(a_second_agent_on_the_same_directory_is_refused) {
    Sandbox sb;
    TempDir out;
    auto const dir = out.file("certs");
    auto first = sb.start_agent(continuous_into(dir, "1h"), "first");
    BOOST_TEST_REQUIRE(first->wait_for("certificate written", 30s).has_value(), first->log());

    auto const in_use = "--output-dir " + dir + " is in use by another gen-istio-cert (it holds the lock " + dir +
                        "/.gen-istio-cert.lock)";
    auto const once = run_process(once_into(sb, dir));
    BOOST_TEST(once.exit_code == 2, once.err);
    BOOST_TEST(once.err == "gen-istio-cert: " + in_use + "\n");

    auto second = sb.start_agent(continuous_into(dir, "1h"), "second");
    auto const second_exit = second->wait(20s);
    BOOST_TEST((second_exit && *second_exit == 2), second->log());
    BOOST_TEST(second->log().find(in_use) != std::string::npos, second->log());
    BOOST_TEST(second->log().find("certificate written") == std::string::npos, second->log());

    first->signal(SIGTERM);
    BOOST_TEST((first->wait(5s) == std::optional<int>(0)), first->log());
    // The lock goes with the process; the next agent takes it and reuses the valid files.
    auto const requests_before = sb.istiod_admin_get("/requests").at("requests").as_array().size();
    auto third = sb.start_agent(continuous_into(dir, "1h"), "third");
    BOOST_TEST(third->wait_for("stored certificate is valid; renewal scheduled", 30s).has_value(), third->log());
    BOOST_TEST(sb.istiod_admin_get("/requests").at("requests").as_array().size() == requests_before);
    third->signal(SIGTERM);
    BOOST_TEST((third->wait(5s) == std::optional<int>(0)), third->log());
}

BOOST_AUTO_TEST_CASE(readers_racing_rewrites_never_see_a_key_that_does_not_match) {
    Sandbox sb;
    TempDir out;
    auto const dir = out.file("certs");
    std::atomic<bool> stop{false};
    int consistent = 0;
    int retried = 0;
    std::vector<std::string> broken;
    std::set<std::string> certificates_seen;
    // Two kinds of reader, alternately: one resolves ..data once and opens both files in that set;
    // one opens the visible names and keeps the pair only if ..data did not move meanwhile (the
    // consumer side of the layout, docs/operations.md).
    std::thread reader([&] {
        for (int i = 0; i < 2'000'000 && !stop.load(); ++i) {
            std::optional<std::string> crt;
            std::optional<std::string> key;
            if (i % 2 == 0) {
                int set = ::open((dir + "/..data").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (set < 0) {
                    ++retried;
                    continue;
                }
                crt = slurp(set, "tls.crt");
                key = slurp(set, "tls.key");
                ::close(set);
            } else {
                auto const before = link_of(dir + "/..data");
                crt = slurp(-1, dir + "/tls.crt");
                key = slurp(-1, dir + "/tls.key");
                if (link_of(dir + "/..data") != before) crt.reset();
            }
            // A set removed under a slow reader reads as missing: read again.
            if (!crt || !key) {
                ++retried;
                continue;
            }
            if (!pair_matches(*crt, *key)) {
                if (broken.size() < 3) broken.push_back(*crt + *key);
                continue;
            }
            ++consistent;
            certificates_seen.insert(*crt);
        }
    });
    // The shortest certificates the agent accepts (1 s): it rewrites the set about every half second.
    auto agent = sb.start_agent(continuous_into(dir, "1s"), "agent");
    bool const rewritten = wait_until([&] { return count_of(agent->log(), "certificate written") >= 6; }, 60s, 100ms);
    stop = true;
    reader.join();
    agent->signal(SIGTERM);
    BOOST_TEST((agent->wait(5s) == std::optional<int>(0)), agent->log());

    BOOST_TEST(rewritten, agent->log());
    BOOST_TEST(broken.empty(), broken.size() << " mismatched reads, the first:\n" << (broken.empty() ? "" : broken.front()));
    BOOST_TEST(consistent > 100, consistent << " consistent reads");
    BOOST_TEST(certificates_seen.size() >= 3u, certificates_seen.size() << " certificates seen");
    BOOST_TEST_MESSAGE("reads: " << consistent << " consistent, " << retried << " retried, " << certificates_seen.size()
                                 << " certificates");
    BOOST_TEST(timestamped_dirs(dir).size() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
