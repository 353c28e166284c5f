// The agent's steady state (continuous mode) against both emulators: renewals, reuse of a valid
// Secret, rotating token and root files, API failures, shutdown. What the agent decides during a CA
// outage (keep the Secret, back off, recover) is proved in virtual time (tests/unit/agent/
// test_rotator.cpp and the simulator's secret-valid invariant); the real gRPC failure path is
// exercised by integration-election's one-Event-per-outage test.

#include "common/sandbox.hpp"
#include "common/wait.hpp"

#include "pki/pki.hpp"
#include "util/base64.hpp"
#include "util/time_format.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <openssl/evp.h>

#include <csignal>
#include <filesystem>
#include <regex>
#include <sstream>
#include <thread>

using namespace gic;
using namespace gic::test;
using namespace std::chrono_literals;

namespace {

// Flags every continuous run here shares: no Lease (single replica), no listeners.
std::vector<std::string> continuous(std::vector<std::string> extra) {
    std::vector<std::string> args{"--leader-elect=false", "--metrics-bind-address=0", "--health-probe-bind-address=0"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
}

struct Written {
    std::chrono::system_clock::time_point time;
    std::string serial;
};

// The "certificate written" records of an agent log, in order.
std::vector<Written> written_certificates(std::string const& log) {
    static std::regex const line(R"(^(\S+) info rotator: certificate written .*serial=([0-9a-f]+))");
    std::vector<Written> out;
    std::istringstream in(log);
    std::string text;
    while (std::getline(in, text)) {
        std::smatch m;
        if (std::regex_search(text, m, line)) out.push_back({*util::parse_rfc3339(m[1].str()), m[2].str()});
    }
    return out;
}

std::string data_of(boost::json::object const& secret, char const* key) {
    return *util::base64_decode(secret.at("data").at(key).as_string());
}

boost::json::object the_secret(Sandbox const& sb) { return sb.get_json("secret", "istio-certs", Sandbox::sa_namespace); }

std::string sha256_prefix(std::string const& text) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(text.data(), text.size(), digest, &len, EVP_sha256(), nullptr);
    static char const* hex = "0123456789abcdef";
    std::string out;
    for (unsigned i = 0; i < 8; ++i) {
        out += hex[digest[i] >> 4];
        out += hex[digest[i] & 15];
    }
    return out;
}

// The istiod emulator's request log ({"requests": [...]}).
boost::json::array ca_request_log(Sandbox const& sb) { return sb.istiod_admin_get("/requests").at("requests").as_array(); }

std::size_t ca_requests(Sandbox const& sb) { return ca_request_log(sb).size(); }

void stop(ChildProcess& agent) {
    agent.signal(SIGTERM);
    auto rc = agent.wait(5s);
    BOOST_TEST(rc.has_value(), "agent did not stop on SIGTERM:\n" << agent.log());
    if (rc) BOOST_TEST(*rc == 0, "exit " << *rc << "\n" << agent.log());
}

// Verifies the Secret's chain against the roots file and returns its leaf.
pki::Certificate verified_leaf(Sandbox const& sb, boost::json::object const& secret) {
    auto chain = pki::parse_pem_bundle(data_of(secret, "tls.crt")).value();
    auto trusted = pki::parse_pem_bundle(read_file(sb.root_cert())).value();
    auto verified = pki::verify_chain(chain, trusted, std::chrono::system_clock::now());
    BOOST_TEST(verified.has_value(), (verified ? "" : verified.error().message));
    return chain.front();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(continuous_mode)

BOOST_AUTO_TEST_CASE(renews_with_new_keys_inside_the_window) {
    Sandbox sb;
    auto agent = sb.start_agent(continuous({"--cert-ttl", "6s", "--key-algorithm", "ecdsa-p256"}), "agent");
    BOOST_TEST_REQUIRE(wait_until([&] { return written_certificates(agent->log()).size() >= 1; }, 20s), agent->log());
    auto first_key = data_of(the_secret(sb), "tls.key");
    // One renewal over the real CA and API proves the key, the chain and the write; when renewals
    // fall due (50 % +- 1 % of each life, a new key each time) is proved in virtual time by
    // tests/unit/agent/test_rotator.cpp (renews_at_half_life_with_a_new_key_each_time) and by the
    // simulator's renewal-early / renewal-late invariants.
    BOOST_TEST_REQUIRE(wait_until([&] { return written_certificates(agent->log()).size() >= 2; }, 40s), agent->log());
    stop(*agent);
    auto written = written_certificates(agent->log());
    for (std::size_t i = 1; i < written.size(); ++i) {
        BOOST_TEST(written[i].serial != written[i - 1].serial);
        // Renewal at half of a 6 s life (+-1 %), plus issuance time: generous bounds.
        auto gap = std::chrono::duration<double>(written[i].time - written[i - 1].time).count();
        BOOST_TEST(gap > 2.0, "renewed after " << gap << " s");
        BOOST_TEST(gap < 6.0, "renewed after " << gap << " s");
    }
    auto secret = the_secret(sb);
    BOOST_TEST(verified_leaf(sb, secret).serial_hex() == written.back().serial);
    BOOST_TEST(data_of(secret, "tls.key") != first_key);
}

BOOST_AUTO_TEST_CASE(a_valid_secret_is_reused_on_start) {
    Sandbox sb;
    BOOST_TEST_REQUIRE(sb.run_agent({"--once", "--cert-ttl", "1h"}).exit_code == 0);
    auto before = the_secret(sb);
    auto requests = ca_requests(sb);
    auto agent = sb.start_agent(continuous({"--cert-ttl", "1h"}), "agent");
    BOOST_TEST_REQUIRE(agent->wait_for("stored certificate is valid; renewal scheduled", 20s).has_value(), agent->log());
    std::this_thread::sleep_for(1s);
    BOOST_TEST(ca_requests(sb) == requests);
    BOOST_TEST(the_secret(sb).at("metadata").at("resourceVersion") == before.at("metadata").at("resourceVersion"));
    auto started = std::chrono::steady_clock::now();
    stop(*agent);
    BOOST_TEST((std::chrono::steady_clock::now() - started < 2s), "shutdown took too long");
}

BOOST_AUTO_TEST_CASE(a_rotated_token_is_used_for_the_next_call) {
    Sandbox sb;
    BOOST_TEST_REQUIRE(sb.has_kubectl());
    // The layout kubelet's AtomicWriter gives a projected volume.
    TempDir mount;
    auto dir = mount.path();
    std::filesystem::create_directory(dir + "/..2026_11_29_1");
    write_file(dir + "/..2026_11_29_1/istio-token", read_file(sb.sa_dir() + "/istio-token"));
    std::filesystem::create_directory_symlink("..2026_11_29_1", dir + "/..data");
    std::filesystem::create_symlink("..data/istio-token", dir + "/istio-token");

    auto agent = sb.start_agent(continuous({"--cert-ttl", "4s", "--istio-token-path", dir + "/istio-token"}), "agent");
    BOOST_TEST_REQUIRE(wait_until([&] { return written_certificates(agent->log()).size() >= 1; }, 20s), agent->log());

    auto minted = sb.kubectl({"create", "token", Sandbox::sa_name, "-n", Sandbox::sa_namespace, "--audience", "istio-ca",
                              "--duration", "20m"});
    BOOST_TEST_REQUIRE(minted.exit_code == 0, minted.err);
    std::filesystem::create_directory(dir + "/..2026_11_29_2");
    write_file(dir + "/..2026_11_29_2/istio-token", minted.out);
    std::filesystem::create_directory_symlink("..2026_11_29_2", dir + "/..data_tmp");
    std::filesystem::rename(dir + "/..data_tmp", dir + "/..data");
    std::filesystem::remove_all(dir + "/..2026_11_29_1");

    BOOST_TEST(agent->wait_for("Istio token rotated", 10s).has_value(), agent->log());
    auto expected = sha256_prefix(minted.out);
    BOOST_TEST(wait_until(
                   [&] {
                       auto const log = ca_request_log(sb);
                       for (auto const& r : log)
                           if (r.at("tokenSha256").is_string() && r.at("tokenSha256").as_string() == expected &&
                               r.at("codeName").as_string() == "OK")
                               return true;
                       return false;
                   },
                   15s),
               "the CA never saw the new token");
    stop(*agent);
    BOOST_TEST(agent->log().find(minted.out) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(root_rotation_ends_with_a_chain_for_the_new_root) {
    Sandbox sb;
    auto agent = sb.start_agent(continuous({"--cert-ttl", "1h"}), "agent");
    BOOST_TEST_REQUIRE(wait_until([&] { return written_certificates(agent->log()).size() >= 1; }, 20s), agent->log());

    sb.istiod_admin_post("/rotate-root", R"({"step":"add"})");
    BOOST_TEST(wait_until([&] { return pki::parse_pem_bundle(data_of(the_secret(sb), "ca.crt")).value().size() == 2; }, 15s),
               "ca.crt never got both roots\n" << agent->log());
    sb.istiod_admin_post("/rotate-root", R"({"step":"switch"})");
    sb.istiod_admin_post("/rotate-root", R"({"step":"drop-old"})");
    auto new_root = pki::parse_pem_bundle(read_file(sb.root_cert())).value();
    BOOST_TEST_REQUIRE(new_root.size() == 1u);
    BOOST_TEST(wait_until(
                   [&] {
                       auto secret = the_secret(sb);
                       auto chain = pki::parse_pem_bundle(data_of(secret, "tls.crt")).value();
                       auto ca = pki::parse_pem_bundle(data_of(secret, "ca.crt")).value();
                       return ca.size() == 1 && ca[0].fingerprint_sha256() == new_root[0].fingerprint_sha256() &&
                              pki::verify_chain(chain, new_root, std::chrono::system_clock::now()).has_value();
                   },
                   20s),
               "the Secret never moved to the new root\n" << agent->log());
    BOOST_TEST(agent->log().find("root bundle reloaded") != std::string::npos);
    stop(*agent);
}

BOOST_AUTO_TEST_CASE(an_unreadable_new_root_file_keeps_the_previous_bundle) {
    Sandbox sb;
    auto agent = sb.start_agent(continuous({"--cert-ttl", "1h"}), "agent");
    BOOST_TEST_REQUIRE(wait_until([&] { return written_certificates(agent->log()).size() >= 1; }, 20s), agent->log());
    auto good = read_file(sb.root_cert());
    auto tmp = sb.root_cert() + ".tmp";
    write_file(tmp, "");
    std::filesystem::rename(tmp, sb.root_cert());
    BOOST_TEST(agent->wait_for("cannot load the new root bundle; keeping the previous one", 10s).has_value(), agent->log());
    BOOST_TEST(agent->running());
    write_file(tmp, good);
    std::filesystem::rename(tmp, sb.root_cert());
    stop(*agent);
}

BOOST_AUTO_TEST_CASE(api_failures_are_retried) {
    Sandbox sb;
    sb.kube_fault(R"({"verb":"create","resource":"secrets","status":503,"reason":"ServiceUnavailable","count":2,
        "message":"the server is currently unable to handle the request"})");
    sb.kube_fault(R"({"verb":"get","resource":"secrets","status":429,"reason":"TooManyRequests","retryAfterSeconds":1,
        "count":1,"message":"Too many requests, please try again later."})");
    auto agent = sb.start_agent(continuous({"--cert-ttl", "1h"}), "agent");
    BOOST_TEST(wait_until([&] { return written_certificates(agent->log()).size() >= 1; }, 30s), agent->log());
    BOOST_TEST(agent->log().find("failed; retrying") != std::string::npos, agent->log());
    verified_leaf(sb, the_secret(sb));
    stop(*agent);
}

BOOST_AUTO_TEST_CASE(sigterm_during_a_ca_call_writes_nothing) {
    Sandbox sb;
    BOOST_TEST_REQUIRE(sb.run_agent({"--once"}).exit_code == 0);
    auto before = the_secret(sb);
    // Force a reissue on start (wrong identity in the Secret is not needed: a tiny TTL makes it due).
    sb.istiod_fault(R"({"delayMs":5000,"count":1})");
    TempDir out;
    auto agent = sb.start_agent(continuous({"--cert-ttl", "1h", "--output-dir", out.file("certs")}), "agent");
    BOOST_TEST_REQUIRE(wait_until([&] { return ca_requests(sb) > 1 || agent->log().find("started") != std::string::npos; }, 10s));
    std::this_thread::sleep_for(500ms);
    auto started = std::chrono::steady_clock::now();
    stop(*agent);
    BOOST_TEST((std::chrono::steady_clock::now() - started < 2s), "shutdown took too long");
    BOOST_TEST(!std::filesystem::exists(out.file("certs") + "/tls.crt"));
    BOOST_TEST(the_secret(sb).at("metadata").at("resourceVersion") == before.at("metadata").at("resourceVersion"));
}

BOOST_AUTO_TEST_SUITE_END()
