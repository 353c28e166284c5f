// Exec credential plugins: small shell scripts in a temp dir play the plugin.

#include "fixtures.hpp"
#include "kube/exec_credential.hpp"
#include "kube/kubeconfig.hpp"
#include "util/base64.hpp"
#include "util/time_format.hpp"

#include "common/temp_dir.hpp"

#include "util/time_bounds.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <optional>

using namespace gic::kube;
using gic::kube::test::contains;
using gic::kube::test::pki;
using gic::test::read_file;
using gic::test::TempDir;
using gic::test::write_file;
namespace asio = boost::asio;
using std::chrono::system_clock;

namespace {

std::string credential(std::string const& status, std::string const& api = exec_api_v1) {
    return R"({"apiVersion":")" + api + R"(","kind":"ExecCredential","status":)" + status + "}";
}

struct Fixture {
    // One io_context for the whole test: it outlives the providers, whose mutex is a channel of it.
    asio::io_context io;
    TempDir dir{"gic-exec"};

    template <class T>
    T run(asio::awaitable<T> work) {
        std::optional<T> out;
        asio::co_spawn(io, std::move(work), [&](std::exception_ptr e, T value) {
            if (e) std::rethrow_exception(e);
            out.emplace(std::move(value));
        });
        io.restart();
        io.run();
        return std::move(*out);
    }
    system_clock::time_point now = system_clock::now();

    // A plugin script; `body` is POSIX sh.
    std::string script(std::string const& name, std::string const& body) {
        std::string const path = dir.file(name);
        write_file(path, "#!/bin/sh\n" + body, 0755);
        return path;
    }

    ExecConfig exec(std::string const& command, std::string const& api = exec_api_v1) {
        ExecConfig e;
        e.command = command;
        e.api_version = api;
        e.interactive_mode = "Never";
        return e;
    }

    std::shared_ptr<ExecCredentialProvider> provider(ExecConfig const& e, ExecClusterInfo cluster = {}) {
        if (cluster.server.empty()) cluster.server = "https://127.0.0.1:6443";
        return std::make_shared<ExecCredentialProvider>(e, cluster, "kubeconfig /k, user \"u\"", [this] { return now; });
    }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(exec_credential, Fixture)

BOOST_AUTO_TEST_CASE(token_with_args_and_env) {
    auto e = exec(script("plugin", "printf '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":"
                                   "\"ExecCredential\",\"status\":{\"token\":\"%s-%s\"}}' \"$1\" \"$PLUGIN_VAR\"\n"));
    e.args = {"from-arg"};
    e.env = {{"PLUGIN_VAR", "from-env"}};
    auto p = provider(e);
    auto const creds = run(p->get()).value();
    BOOST_TEST(creds.bearer_token == "from-arg-from-env");
    BOOST_TEST(!creds.expires_at.has_value());
    BOOST_TEST(creds.client_cert_pem.empty());
}

BOOST_AUTO_TEST_CASE(kubernetes_exec_info_with_and_without_cluster_info) {
    auto const out = dir.file("info.json");
    auto e = exec(script("plugin", "printf '%s' \"$KUBERNETES_EXEC_INFO\" > " + out + "\necho '" +
                                       credential(R"({"token":"t"})") + "'\n"));
    (void)run(provider(e)->get()).value();
    auto info = boost::json::parse(read_file(out)).as_object();
    BOOST_TEST(info.at("apiVersion").as_string() == exec_api_v1);
    BOOST_TEST(info.at("kind").as_string() == "ExecCredential");
    BOOST_TEST(info.at("spec").as_object().at("interactive").as_bool() == false);
    BOOST_TEST(!info.at("spec").as_object().contains("cluster"));

    e.provide_cluster_info = true;
    ExecClusterInfo cluster{"https://10.0.0.1:443", "api.example", false, pki().ca_pem(), "http://proxy:3128",
                            R"({"audience":"sts.example","region":"eu-1","retries":3})"};
    (void)run(provider(e, cluster)->get()).value();
    info = boost::json::parse(read_file(out)).as_object();
    auto const& c = info.at("spec").as_object().at("cluster").as_object();
    BOOST_TEST(c.at("server").as_string() == "https://10.0.0.1:443");
    BOOST_TEST(c.at("tls-server-name").as_string() == "api.example");
    BOOST_TEST(c.at("certificate-authority-data").as_string() == gic::util::base64_encode(pki().ca_pem()));
    BOOST_TEST(c.at("proxy-url").as_string() == "http://proxy:3128");
    // extensions[client.authentication.k8s.io/exec] as spec.cluster.config (client-go's Cluster.Config).
    BOOST_TEST(c.at("config").at("audience").as_string() == "sts.example");
    BOOST_TEST(c.at("config").at("retries").as_int64() == 3);
}

BOOST_AUTO_TEST_CASE(client_certificate) {
    auto const& p = pki();
    boost::json::object status{{"clientCertificateData", p.client.cert.to_pem()},
                               {"clientKeyData", p.client.key.to_pkcs8_pem()}};
    write_file(dir.file("out.json"), credential(boost::json::serialize(status)));
    auto const creds = run(provider(exec(script("plugin", "cat " + dir.file("out.json") + "\n")))->get()).value();
    BOOST_TEST(creds.client_cert_pem == p.client.cert.to_pem());
    BOOST_TEST(creds.client_key_pem == p.client.key.to_pkcs8_pem());
    BOOST_TEST(creds.bearer_token.empty());
}

BOOST_AUTO_TEST_CASE(cached_until_expiration_then_run_again) {
    // Each run prints token-<n> with the expiry written in expiry.txt.
    write_file(dir.file("expiry.txt"), gic::util::format_rfc3339(now + std::chrono::hours(1)));
    auto e = exec(script("plugin", "n=$(cat " + dir.file("count") + " 2>/dev/null || echo 0); n=$((n+1)); echo $n > " +
                                       dir.file("count") + "\nprintf '{\"apiVersion\":\"client.authentication.k8s.io/v1\","
                                       "\"kind\":\"ExecCredential\",\"status\":{\"token\":\"token-%s\","
                                       "\"expirationTimestamp\":\"%s\"}}' $n $(cat " + dir.file("expiry.txt") + ")\n"));
    auto p = provider(e);
    BOOST_TEST(run(p->get()).value().bearer_token == "token-1");
    BOOST_TEST(run(p->get()).value().bearer_token == "token-1");
    BOOST_TEST(p->runs() == 1);
    now += std::chrono::hours(2);  // past the expiry
    auto const renewed = run(p->get()).value();
    BOOST_TEST(renewed.bearer_token == "token-2");
    BOOST_TEST(p->runs() == 2);
    BOOST_REQUIRE(renewed.expires_at.has_value());
}

BOOST_AUTO_TEST_CASE(without_expiration_cached_forever_and_rerun_after_401) {
    auto e = exec(script("plugin", "n=$(cat " + dir.file("count") + " 2>/dev/null || echo 0); n=$((n+1)); echo $n > " +
                                       dir.file("count") + "\nprintf '{\"apiVersion\":\"client.authentication.k8s.io/v1\","
                                       "\"kind\":\"ExecCredential\",\"status\":{\"token\":\"token-%s\"}}' $n\n"));
    auto p = provider(e);
    auto const first = run(p->get()).value();
    now += std::chrono::hours(24 * 365);
    BOOST_TEST(run(p->get()).value().bearer_token == "token-1");
    // The server refused token-1: the plugin runs again.
    auto const second = run(p->refresh_after_unauthorized(first)).value();
    BOOST_TEST(second.bearer_token == "token-2");
    // A request that also failed with token-1 gets token-2 without another run.
    BOOST_TEST(run(p->refresh_after_unauthorized(first)).value().bearer_token == "token-2");
    BOOST_TEST(p->runs() == 2);
}

BOOST_AUTO_TEST_CASE(concurrent_callers_share_one_run) {
    using namespace asio::experimental::awaitable_operators;
    auto p = provider(exec(script("plugin", "sleep 0.2\necho '" + credential(R"({"token":"t"})") + "'\n")));
    auto both = [p]() -> asio::awaitable<bool> {
        auto [a, b] = co_await (p->get() && p->get());
        co_return a.has_value() && b.has_value() && a->bearer_token == "t" && b->bearer_token == "t";
    };
    BOOST_TEST(run(both()));
    BOOST_TEST(p->runs() == 1);
}

BOOST_AUTO_TEST_CASE(v1beta1) {
    auto e = exec(script("plugin", "echo '" + credential(R"({"token":"beta"})", exec_api_v1beta1) + "'\n"),
                  exec_api_v1beta1);
    e.interactive_mode.clear();  // optional for v1beta1
    BOOST_TEST(validate_exec_config(e).has_value());
    BOOST_TEST(run(provider(e)->get()).value().bearer_token == "beta");
}

BOOST_AUTO_TEST_CASE(non_zero_exit_carries_stderr) {
    auto const command = script("plugin", "echo 'login expired' >&2\necho 'run: sso login' >&2\nexit 3\n");
    auto const result = run(provider(exec(command))->get());
    BOOST_REQUIRE(result.has_error());
    BOOST_TEST(result.error().message == "exec plugin " + command +
                                             " (kubeconfig /k, user \"u\"): exited with code 3; stderr: login expired run: sso "
                                             "login");
}

BOOST_AUTO_TEST_CASE(missing_command_shows_the_install_hint) {
    auto e = exec("gic-no-such-credential-plugin");
    e.install_hint = "install it with: apt install gic-plugin";
    auto const result = run(provider(e)->get());
    BOOST_REQUIRE(result.has_error());
    BOOST_TEST(result.error().message ==
               "exec plugin gic-no-such-credential-plugin (kubeconfig /k, user \"u\"): executable "
               "\"gic-no-such-credential-plugin\" not found in PATH; install it with: apt install gic-plugin");
    auto const by_path = run(provider(exec(dir.file("bin/absent")))->get());
    BOOST_REQUIRE(by_path.has_error());
    BOOST_TEST(contains(by_path.error().message, "executable " + dir.file("bin/absent") + " not found"));
}

BOOST_AUTO_TEST_CASE(bad_output_is_an_error_naming_the_plugin) {
    auto const command = script("plugin", "echo 'not json'\n");
    auto const result = run(provider(exec(command))->get());
    BOOST_REQUIRE(result.has_error());
    BOOST_TEST(contains(result.error().message, "exec plugin " + command + " (kubeconfig /k, user \"u\"): output is not "
                                                "an ExecCredential JSON object"));
}

BOOST_AUTO_TEST_CASE(parse_errors) {
    struct Case {
        std::string output;
        std::string message;
    };
    std::vector<Case> const cases{
        {"[]", "output is not an ExecCredential JSON object"},
        {credential(R"({"token":"t"})", exec_api_v1beta1),
         "output has apiVersion \"client.authentication.k8s.io/v1beta1\", expected \"client.authentication.k8s.io/v1\" "
         "(the apiVersion in the kubeconfig)"},
        {R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"Other","status":{"token":"t"}})",
         "output has kind \"Other\", expected \"ExecCredential\""},
        {R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential"})", "output has no \"status\""},
        {credential("{}"), "output has neither status.token nor status.clientCertificateData/clientKeyData"},
        {credential(R"({"clientCertificateData":"x"})"),
         "output has only one of status.clientCertificateData and status.clientKeyData (both or neither)"},
        {credential(R"({"token":"t","expirationTimestamp":"tomorrow"})"),
         "status.expirationTimestamp \"tomorrow\" is not an RFC 3339 time"},
        {credential(R"({"token":"t","expirationTimestamp":1767225600})"),
         "status.expirationTimestamp is not a string (an RFC 3339 time)"},
    };
    for (auto const& c : cases) {
        BOOST_TEST_CONTEXT(c.output) {
            auto const parsed = parse_exec_credential(c.output, exec_api_v1);
            BOOST_REQUIRE(parsed.has_error());
            BOOST_TEST(parsed.error().message == c.message);
        }
    }
}

BOOST_AUTO_TEST_CASE(an_expiry_past_what_time_point_holds_is_clamped) {
    for (char const* far : {"9999-12-31T23:59:59Z", "2300-01-01T00:00:00.5Z"}) {
        BOOST_TEST_CONTEXT(far) {
            auto const parsed =
                parse_exec_credential(credential(R"({"token":"t","expirationTimestamp":")" + std::string(far) + "\"}"),
                                      exec_api_v1);
            BOOST_REQUIRE(parsed.has_value());
            BOOST_TEST((parsed->expires_at == system_clock::time_point(gic::util::latest_time)));
        }
    }
    // Cached, not re-run, until the clamped expiry (2200).
    auto p = provider(exec(script("plugin", "echo '" +
                                                credential(R"({"token":"t","expirationTimestamp":"9999-12-31T23:59:59Z"})") +
                                                "'\n")));
    BOOST_TEST(run(p->get()).value().bearer_token == "t");
    now += std::chrono::hours(24 * 365 * 150);
    BOOST_TEST(run(p->get()).value().bearer_token == "t");
    BOOST_TEST(p->runs() == 1);
}

BOOST_AUTO_TEST_CASE(a_malformed_expiry_names_the_plugin) {
    auto const command =
        script("plugin", "echo '" + credential(R"({"token":"t","expirationTimestamp":"2026-13-99Tnoon"})") + "'\n");
    auto const result = run(provider(exec(command))->get());
    BOOST_REQUIRE(result.has_error());
    BOOST_TEST(result.error().message == "exec plugin " + command +
                                             " (kubeconfig /k, user \"u\"): status.expirationTimestamp \"2026-13-99Tnoon\" "
                                             "is not an RFC 3339 time");
}

BOOST_AUTO_TEST_CASE(a_hanging_plugin_times_out_naming_the_plugin_and_the_flag) {
    auto const command = script("plugin", "echo 'opening a browser to log in' >&2\nexec sleep 1000\n");
    auto p = provider(exec(command));
    p->set_limits({std::chrono::milliseconds(300)});
    auto const started = std::chrono::steady_clock::now();
    auto const result = run(p->get());
    BOOST_TEST((std::chrono::steady_clock::now() - started < std::chrono::seconds(5)));
    BOOST_REQUIRE(result.has_error());
    BOOST_TEST(result.error().message == "exec plugin " + command +
                                             " (kubeconfig /k, user \"u\"): timed out after 300ms and was killed "
                                             "(--exec-plugin-timeout); stderr: opening a browser to log in");
    BOOST_TEST(p->last_failure_transient());
}

BOOST_AUTO_TEST_CASE(a_flooding_plugin_is_cut_off_naming_the_plugin) {
    auto const command = script("plugin", "exec cat /dev/zero\n");
    auto p = provider(exec(command));
    auto const result = run(p->get());
    BOOST_REQUIRE(result.has_error());
    BOOST_TEST(result.error().message ==
               "exec plugin " + command + " (kubeconfig /k, user \"u\"): wrote more than 1 MiB to stdout and was killed "
                                          "(no stderr)");
    BOOST_TEST(!p->last_failure_transient());
}

BOOST_AUTO_TEST_CASE(callers_queued_behind_a_failed_run_share_its_error) {
    using namespace asio::experimental::awaitable_operators;
    // Counts its runs, then hangs until killed at the deadline.
    auto const command = script("plugin", "echo run >> " + dir.file("runs") + "\nexec sleep 1000\n");
    auto p = provider(exec(command));
    p->set_limits({std::chrono::milliseconds(300)});
    auto const started = std::chrono::steady_clock::now();
    auto three = [p]() -> asio::awaitable<bool> {
        Credentials const rejected;  // named: g++ 12 destroys a temporary coroutine argument twice
        auto [a, b, c] = co_await (p->get() && p->get() && p->refresh_after_unauthorized(rejected));
        bool const shared = a.has_error() && b.has_error() && c.has_error() && a.error().message == b.error().message &&
                            b.error().message == c.error().message;
        // A later caller tries again.
        auto const later = co_await p->get();
        co_return shared && later.has_error() && p->runs() == 2;
    };
    BOOST_TEST(run(three()));
    BOOST_TEST(read_file(dir.file("runs")) == "run\nrun\n");
    BOOST_TEST((std::chrono::steady_clock::now() - started < std::chrono::seconds(3)));
}

BOOST_AUTO_TEST_CASE(config_validation) {
    struct Case {
        std::string api;
        std::string mode;
        std::string message;  // empty: valid
    };
    std::vector<Case> const cases{
        {exec_api_v1, "Never", ""},
        {exec_api_v1, "IfAvailable", ""},
        {exec_api_v1beta1, "", ""},
        {"client.authentication.k8s.io/v1alpha1", "Never",
         "field \"apiVersion\": invalid apiVersion \"client.authentication.k8s.io/v1alpha1\" (expected "
         "client.authentication.k8s.io/v1 or client.authentication.k8s.io/v1beta1)"},
        {"", "Never",
         "field \"apiVersion\": is required (client.authentication.k8s.io/v1 or client.authentication.k8s.io/v1beta1)"},
        {exec_api_v1, "", "field \"interactiveMode\": is required for client.authentication.k8s.io/v1 (Never, "
                          "IfAvailable or Always)"},
        {exec_api_v1, "Always", "field \"interactiveMode\": Always needs a terminal, and this agent never runs the "
                                "plugin interactively: use Never or IfAvailable"},
        {exec_api_v1, "Sometimes", "field \"interactiveMode\": invalid value \"Sometimes\" (Never, IfAvailable or Always)"},
    };
    for (auto const& c : cases) {
        BOOST_TEST_CONTEXT(c.api << " " << c.mode) {
            ExecConfig e;
            e.command = "x";
            e.api_version = c.api;
            e.interactive_mode = c.mode;
            auto const valid = validate_exec_config(e);
            if (c.message.empty()) {
                BOOST_TEST(valid.has_value());
            } else {
                BOOST_REQUIRE(valid.has_error());
                BOOST_TEST(valid.error().message == c.message);
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(kubeconfig_exec_errors_name_the_user) {
    write_file(dir.file("config"),
               "clusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:6443\n    insecure-skip-tls-verify: true\n"
               "users:\n- name: u\n  user:\n    exec:\n      command: x\n      apiVersion: client.authentication.k8s.io/v2\n"
               "contexts:\n- name: dev\n  context:\n    cluster: c\n    user: u\ncurrent-context: dev\n");
    auto const config = load_kubeconfig(dir.file("config"));
    BOOST_REQUIRE(config.has_error());
    BOOST_TEST(contains(config.error().message, "kubeconfig " + dir.file("config") +
                                                    ": context \"dev\": user \"u\": exec: field \"apiVersion\": invalid "
                                                    "apiVersion \"client.authentication.k8s.io/v2\""));
}

BOOST_AUTO_TEST_CASE(complete_credentials_copies_the_plugin_token) {
    write_file(dir.file("config"),
               "clusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:6443\n    insecure-skip-tls-verify: true\n"
               "users:\n- name: u\n  user:\n    exec:\n      command: ./plugin\n      apiVersion: "
               "client.authentication.k8s.io/v1\n      interactiveMode: Never\n"
               "contexts:\n- name: dev\n  context:\n    cluster: c\n    user: u\ncurrent-context: dev\n");
    script("plugin", "echo '" + credential(R"({"token":"from-plugin"})") + "'\n");
    auto config = load_kubeconfig(dir.file("config")).value();
    BOOST_TEST(config.bearer_token.empty());
    auto const completed = run(complete_credentials(config));
    BOOST_REQUIRE_MESSAGE(completed.has_value(), (completed.has_error() ? completed.error().message : std::string()));
    BOOST_TEST(config.bearer_token == "from-plugin");
}

BOOST_AUTO_TEST_SUITE_END()
