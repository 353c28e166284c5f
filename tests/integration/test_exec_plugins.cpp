// Kubeconfig exec credential plugins that misbehave (hang, flood), what they inherit from the
// agent, and kubeconfigs that skip TLS verification: the real binary against both emulators.

#include "common/sandbox.hpp"
#include "common/wait.hpp"
#include "operations_metrics.hpp"

#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <signal.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

using namespace gic;
using namespace gic::test;
using namespace std::chrono_literals;

namespace {

std::string const ns = Sandbox::sa_namespace;
std::string const sa = Sandbox::sa_name;

bool contains(std::string const& text, std::string const& part) {
    if (text.find(part) != std::string::npos) return true;
    BOOST_TEST_MESSAGE("\"" << text << "\" does not contain \"" << part << "\"");
    return false;
}

pid_t pid_in(std::string const& path) { return static_cast<pid_t>(std::stol(read_file(path))); }

// Descriptors listed by `ls -l /proc/self/fd/`, without ls's own handle on that directory.
std::set<int> inherited_descriptors(std::string const& listing) {
    std::set<int> fds;
    std::regex const entry(R"((\d+) -> (.*)$)");
    std::istringstream lines(listing);
    for (std::string line; std::getline(lines, line);) {
        std::smatch m;
        if (!std::regex_search(line, m, entry)) continue;
        if (std::regex_match(m[2].str(), std::regex(R"(/proc/\d+/fd)"))) continue;
        fds.insert(std::stoi(m[1].str()));
    }
    return fds;
}

// The emulator's server, with its CA or with insecure-skip-tls-verify instead.
std::string cluster_stanza(Sandbox const& sb, bool insecure) {
    auto const admin = read_file(sb.admin_kubeconfig());
    std::smatch server;
    std::smatch ca;
    if (!std::regex_search(admin, server, std::regex(R"(server: (\S+))")) ||
        !std::regex_search(admin, ca, std::regex(R"(certificate-authority-data: (\S+))"))) {
        throw std::runtime_error("unexpected admin.kubeconfig:\n" + admin);
    }
    return "clusters:\n- name: emu\n  cluster:\n    server: " + server[1].str() + "\n" +
           (insecure ? "    insecure-skip-tls-verify: true\n" : "    certificate-authority-data: " + ca[1].str() + "\n");
}

std::string kubeconfig(Sandbox const& sb, std::string const& user_body, bool insecure = false) {
    return "apiVersion: v1\nkind: Config\n" + cluster_stanza(sb, insecure) + "users:\n- name: me\n  user:\n" + user_body +
           "contexts:\n- name: laptop\n  context:\n    cluster: emu\n    user: me\n    namespace: " + ns +
           "\ncurrent-context: laptop\n";
}

std::string const exec_user = "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
                              "      command: ./get-token\n      interactiveMode: Never\n";

struct ExecPlugins {
    Sandbox sb;
    TempDir work{"gic-exec-plugins"};
    std::string out_dir = work.file("certs");
    std::string plugin = work.file("get-token");

    // The plugin: `body` is POSIX sh; $n is the run number (1, 2, ...), each run leaves the
    // descriptors it inherited in fds.<n> and its pid in pid.<n>.
    void write_plugin(std::string const& body) {
        write_file(plugin,
                   "#!/bin/sh\nn=$(cat " + work.file("runs") + " 2>/dev/null || echo 0); n=$((n+1)); echo $n > " +
                       work.file("runs") + "\nls -l /proc/self/fd/ > " + work.file("fds.") + "$n\necho $$ > " +
                       work.file("pid.") + "$n\n" + body,
                   0755);
        write_file(work.file("config"), kubeconfig(sb, exec_user));
    }

    // Prints the service account's token, valid for `seconds`.
    std::string print_token(int seconds) const {
        return "printf '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":"
               "{\"token\":\"%s\",\"expirationTimestamp\":\"%s\"}}' \"$(cat " + sb.sa_dir() +
               "/token)\" \"$(date -u -d '+" + std::to_string(seconds) + " seconds' +%Y-%m-%dT%H:%M:%SZ)\"\n";
    }

    // --once --output-dir with no token mounted (it is minted) and, by default, no root file (it
    // is read from the API).
    ProcessResult once(std::string const& config, std::vector<std::string> extra = {}, std::string root = {}) {
        if (root.empty()) root = work.file("none/root-cert.pem");
        std::vector<std::string> args{"--once", "--output-dir", out_dir, "--kubeconfig", config, "--istio-token-path",
                                      work.file("none/istio-token"), "--root-cert-path", root,
                                      "--sa-namespace", ns, "--sa-name", sa};
        args.insert(args.end(), extra.begin(), extra.end());
        return sb.run_agent(args);
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(exec_plugin_flags)

BOOST_AUTO_TEST_CASE(bad_values_are_usage_errors_naming_the_flag) {
    struct Case {
        std::string arg;
        std::string message;
    };
    std::vector<Case> const cases{
        {"--exec-plugin-timeout=soon",
         "gen-istio-cert: --exec-plugin-timeout: invalid duration \"soon\" (use a Go duration such as 90s, 15m or 24h)\n"},
        {"--exec-plugin-timeout=0", "gen-istio-cert: --exec-plugin-timeout: must be greater than zero\n"},
        {"--insecure-allow-bootstrap-over-unverified-api=maybe",
         "gen-istio-cert: --insecure-allow-bootstrap-over-unverified-api: invalid boolean \"maybe\" (use true or false)\n"},
    };
    for (auto const& c : cases) {
        BOOST_TEST_CONTEXT(c.arg) {
            auto const result = run_process({agent_binary(), "--once", c.arg}, 30s);
            BOOST_TEST(result.exit_code == 2);
            BOOST_TEST(result.err == c.message);
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(exec_plugins, ExecPlugins)

BOOST_AUTO_TEST_CASE(once_with_a_hanging_plugin_exits_1_naming_it_within_the_timeout) {
    write_plugin("echo 'opening a browser to log in' >&2\nexec sleep 1000\n");
    auto const result = once(work.file("config"), {"--exec-plugin-timeout", "2s"});
    BOOST_TEST(result.exit_code == 1, result.err);
    BOOST_TEST((result.wall >= 2s && result.wall < 10s), "took " << std::chrono::duration<double>(result.wall).count() << " s");
    BOOST_TEST(contains(result.err, "exec plugin " + plugin + " (kubeconfig " + work.file("config") +
                                        ", user \"me\"): timed out after 2s and was killed (--exec-plugin-timeout); "
                                        "stderr: opening a browser to log in"));
    BOOST_TEST(process_gone(pid_in(work.file("pid.1"))));
    BOOST_TEST(!std::filesystem::exists(out_dir + "/tls.crt"));
}

BOOST_AUTO_TEST_CASE(once_with_a_flooding_plugin_is_cut_off_naming_it) {
    write_plugin("exec cat /dev/zero\n");
    auto const result = once(work.file("config"));
    BOOST_TEST(result.exit_code == 2, result.err);
    BOOST_TEST((result.wall < 20s));
    BOOST_TEST(contains(result.err, "exec plugin " + plugin + " (kubeconfig " + work.file("config") +
                                        ", user \"me\"): wrote more than 1 MiB to stdout and was killed"));
    BOOST_TEST(process_gone(pid_in(work.file("pid.1"))));
}

BOOST_AUTO_TEST_CASE(continuous_agent_keeps_its_probes_while_the_plugin_hangs) {
    // The first run works (a token valid for 4 s); every later run hangs.
    write_plugin("if [ $n -gt 1 ]; then echo 'waiting for the identity provider' >&2; exec sleep 1000; fi\n" +
                 print_token(4));
    auto agent = sb.start_agent({"--kubeconfig", work.file("config"), "--exec-plugin-timeout", "2s",
                                 "--metrics-bind-address", "127.0.0.1:0", "--health-probe-bind-address", "127.0.0.1:0"},
                                "hang");
    auto const endpoints = ops::Endpoints::of(*agent);
    BOOST_REQUIRE_MESSAGE(agent->wait_for("certificate written", 30s).has_value(), agent->log());
    auto const reported = agent->wait_for(R"(timed out after 2s and was killed \(--exec-plugin-timeout\))", 30s);
    BOOST_REQUIRE_MESSAGE(reported.has_value(), agent->log());
    BOOST_TEST(contains(agent->log(), "exec plugin " + plugin));
    // The loop is free: the probes answer while the next run hangs.
    for (int i = 0; i < 3; ++i) {
        auto const asked = std::chrono::steady_clock::now();
        BOOST_TEST(ops::get(endpoints.health, "/healthz").status == 200);
        BOOST_TEST((std::chrono::steady_clock::now() - asked < 1s));
    }
    BOOST_TEST(process_gone(pid_in(work.file("pid.2"))));  // killed at its deadline
    BOOST_TEST(agent->running());

    agent->signal(SIGTERM);
    BOOST_TEST((agent->wait(15s) == std::optional<int>(0)), agent->log());
    int const runs = std::stoi(read_file(work.file("runs")));
    for (int n = 1; n <= runs; ++n) BOOST_TEST(process_gone(pid_in(work.file("pid." + std::to_string(n)))), "run " << n);
}

BOOST_AUTO_TEST_CASE(the_plugin_inherits_no_listener_or_connection_of_the_agent) {
    // Runs again whenever its token has expired (it lives 1 to 2 s: the expiry is in whole
    // seconds), that is at each Lease renewal (every 2 s), while the probes, metrics and the API
    // connections of leader election are open.
    write_plugin(print_token(2));
    auto agent = sb.start_agent({"--kubeconfig", work.file("config"), "--metrics-bind-address", "127.0.0.1:0",
                                 "--health-probe-bind-address", "127.0.0.1:0"},
                                "fds");
    ops::Endpoints::of(*agent);
    BOOST_REQUIRE_MESSAGE(wait_until([&] { return std::filesystem::exists(work.file("pid.3")); }, 30s), agent->log());
    for (int n = 1; n <= 3; ++n) {
        auto const listing = read_file(work.file("fds." + std::to_string(n)));
        BOOST_TEST((inherited_descriptors(listing) == std::set<int>{0, 1, 2}), "run " << n << ":\n" << listing);
    }
    agent->signal(SIGTERM);
    BOOST_TEST((agent->wait(15s) == std::optional<int>(0)));
}

BOOST_AUTO_TEST_CASE(insecure_kubeconfig_is_not_trusted_for_the_root_or_a_minted_token) {
    write_file(work.file("config"), kubeconfig(sb, "    token: " + read_file(sb.sa_dir() + "/token") + "\n", true));
    auto const refused = once(work.file("config"));
    BOOST_TEST(refused.exit_code == 2);
    BOOST_TEST(contains(refused.err, "insecure-skip-tls-verify is set, so the API server is not verified, yet the Istio "
                                     "root would be read from ConfigMap " + ns + "/istio-ca-root-cert and an Istio "
                                     "token minted with TokenRequest over that connection: a man-in-the-middle could "
                                     "hand out its own mesh root and capture the minted mesh credential"));
    BOOST_TEST(contains(refused.err, "--insecure-allow-bootstrap-over-unverified-api"));
    // Refused before anything was sent with the service account's credentials.
    std::string const user = "system:serviceaccount:" + ns + ":" + sa;
    for (auto const& r : sb.kube_admin_items("/emulator/v1/requests")) {
        BOOST_TEST(r.as_object().at("user").as_string() != user, boost::json::serialize(r));
    }
    BOOST_TEST(!std::filesystem::exists(out_dir + "/tls.crt"));

    // Only the root mounted: the token would still be minted over it.
    auto const token_only = once(work.file("config"), {}, sb.root_cert());
    BOOST_TEST(token_only.exit_code == 2);
    BOOST_TEST(contains(token_only.err, "yet an Istio token would be minted with TokenRequest over that connection"));

    auto const accepted = once(work.file("config"), {"--insecure-allow-bootstrap-over-unverified-api"});
    BOOST_TEST_REQUIRE(accepted.exit_code == 0, accepted.err);
    BOOST_TEST(contains(accepted.err, "INSECURE"));
    BOOST_TEST(std::filesystem::exists(out_dir + "/tls.crt"));
}

BOOST_AUTO_TEST_CASE(insecure_kubeconfig_with_mounted_root_and_token_still_works) {
    write_file(work.file("config"), kubeconfig(sb, "    token: " + read_file(sb.sa_dir() + "/token") + "\n", true));
    // The Secret is written over the unverified connection (warned), but nothing of the mesh's
    // trust comes from it.
    auto const result = sb.run_agent({"--once", "--kubeconfig", work.file("config")});
    BOOST_TEST_REQUIRE(result.exit_code == 0, result.err);
    BOOST_TEST(contains(result.err, "INSECURE: insecure-skip-tls-verify is set"));
    BOOST_TEST(sb.get_json("secret", "istio-certs", ns).contains("data"));
}

BOOST_AUTO_TEST_SUITE_END()
