// Standalone use, as on a laptop against a real cluster: gen-istio-cert --once --output-dir with a
// kubeconfig (each auth method), no mounted Istio token (minted with TokenRequest) and no mounted
// root (read from ConfigMap istio-ca-root-cert), against both emulators.

#include "common/sandbox.hpp"
#include "common/wait.hpp"

#include "pki/pki.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <regex>
#include <thread>

using namespace gic;
using namespace gic::test;

namespace {

std::string const ns = Sandbox::sa_namespace;
std::string const sa = Sandbox::sa_name;
std::string const expected_id = "spiffe://cluster.local/ns/" + ns + "/sa/" + sa;

bool contains(std::string const& text, std::string const& part) {
    if (text.find(part) != std::string::npos) return true;
    BOOST_TEST_MESSAGE("\"" << text << "\" does not contain \"" << part << "\"");
    return false;
}

// The emulator's cluster stanza (server and CA), to build kubeconfigs with other users.
std::string cluster_stanza(Sandbox const& sb) {
    auto const admin = read_file(sb.admin_kubeconfig());
    std::smatch server;
    std::smatch ca;
    std::regex const server_re(R"(server: (\S+))");
    std::regex const ca_re(R"(certificate-authority-data: (\S+))");
    if (!std::regex_search(admin, server, server_re) || !std::regex_search(admin, ca, ca_re)) {
        throw std::runtime_error("unexpected admin.kubeconfig:\n" + admin);
    }
    return "clusters:\n- name: emu\n  cluster:\n    server: " + server[1].str() +
           "\n    certificate-authority-data: " + ca[1].str() + "\n";
}

std::string kubeconfig_with_user(Sandbox const& sb, std::string const& user_body) {
    return "apiVersion: v1\nkind: Config\n" + cluster_stanza(sb) + "users:\n- name: me\n  user:\n" + user_body +
           "contexts:\n- name: laptop\n  context:\n    cluster: emu\n    user: me\n    namespace: " + ns +
           "\ncurrent-context: laptop\n";
}

struct Standalone {
    explicit Standalone(SandboxOptions options = {}) : sb(std::move(options)) {}

    Sandbox sb;
    TempDir work{"gic-standalone"};
    std::string out_dir = work.file("certs");

    // --once --output-dir with nothing mounted: no Istio token, no root file.
    ProcessResult run(std::string const& kubeconfig, std::vector<std::string> extra = {}) {
        std::vector<std::string> args{"--once",           "--output-dir",     out_dir,
                                      "--kubeconfig",     kubeconfig,         "--istio-token-path",
                                      work.file("none/istio-token"), "--root-cert-path", work.file("none/root-cert.pem")};
        bool const names_identity = std::find(extra.begin(), extra.end(), "--sa-name") != extra.end();
        if (!names_identity) args.insert(args.end(), {"--sa-namespace", ns, "--sa-name", sa});
        args.insert(args.end(), extra.begin(), extra.end());
        return sb.run_agent(args);
    }

    // Continuous mode with the same inputs as run() (nothing mounted), writing to out_dir.
    std::unique_ptr<ChildProcess> start(std::string const& kubeconfig, std::vector<std::string> extra = {}) {
        std::vector<std::string> args{"--output-dir", out_dir, "--kubeconfig", kubeconfig, "--istio-token-path",
                                      work.file("none/istio-token"), "--root-cert-path", work.file("none/root-cert.pem"),
                                      "--sa-namespace", ns, "--sa-name", sa, "--metrics-bind-address=0",
                                      "--health-probe-bind-address=0"};
        args.insert(args.end(), extra.begin(), extra.end());
        return sb.start_agent(args, "standalone");
    }

    // The written leaf is for `id` and chains to the emulator's root; ca.crt is that root.
    void check_written(std::string const& id = expected_id) {
        auto const chain = pki::parse_pem_bundle(read_file(out_dir + "/tls.crt")).value();
        auto const key = pki::PrivateKey::from_pem(read_file(out_dir + "/tls.key")).value();
        auto const trusted = pki::parse_pem_bundle(read_file(sb.root_cert())).value();
        BOOST_TEST(chain.front().uri_sans() == std::vector<std::string>{id});
        BOOST_TEST(chain.front().matches_key(key));
        BOOST_TEST(pki::verify_chain(chain, trusted, std::chrono::system_clock::now()).has_value());
        BOOST_TEST(read_file(out_dir + "/ca.crt") == read_file(sb.root_cert()));
    }

    // The API refuses like its RBAC authorizer would (the emulator allows everything by default).
    void forbid(std::string const& verb, std::string const& resource, std::string const& name) {
        sb.kube_fault(R"({"verb":")" + verb + R"(","resource":")" + resource + R"(","namespace":")" + ns +
                      R"(","status":403,"reason":"Forbidden","count":-1,"message":")" + resource + " \\\"" + name +
                      R"(\" is forbidden: User \"system:serviceaccount:)" + ns + ":" + sa +
                      R"(\" cannot )" + verb + R"( resource"})");
    }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(standalone, Standalone)

BOOST_AUTO_TEST_CASE(client_certificate_kubeconfig_mints_token_and_reads_root_configmap) {
    auto const result = run(sb.admin_kubeconfig());
    BOOST_TEST_REQUIRE(result.exit_code == 0, result.err);
    BOOST_TEST(contains(result.out, "issued " + expected_id));
    BOOST_TEST(contains(result.out, out_dir + " (tls.crt, tls.key, ca.crt)"));
    check_written();
    BOOST_TEST(contains(result.err, "minted an Istio token with TokenRequest"));
    BOOST_TEST(contains(result.err, "root certificate read from the ConfigMap"));
}

BOOST_AUTO_TEST_CASE(token_kubeconfig_and_a_refused_token_request_naming_the_permission) {
    auto const token = read_file(sb.sa_dir() + "/token");
    write_file(work.file("config"), kubeconfig_with_user(sb, "    token: " + token + "\n"));
    forbid("create", "serviceaccounts/token", sa);
    auto const refused = run(work.file("config"));
    BOOST_TEST(refused.exit_code == 2);
    BOOST_TEST(contains(refused.err, "minting an Istio token for " + ns + "/" + sa + " with the TokenRequest API"));
    BOOST_TEST(contains(refused.err, "RBAC must allow verb \"create\" on \"serviceaccounts/token\""));
    BOOST_TEST(refused.err.find(token) == std::string::npos);  // never the token
    BOOST_TEST(!std::filesystem::exists(out_dir + "/tls.crt"));

    sb.clear_kube_faults();
    auto const result = run(work.file("config"));
    BOOST_TEST_REQUIRE(result.exit_code == 0, result.err);
    check_written();
}

BOOST_AUTO_TEST_CASE(token_file_kubeconfig_relative_path) {
    std::filesystem::create_directories(work.file("kube"));
    write_file(work.file("kube/sa-token"), read_file(sb.sa_dir() + "/token"));
    write_file(work.file("kube/config"), kubeconfig_with_user(sb, "    tokenFile: sa-token\n"));
    auto const result = run(work.file("kube/config"));
    BOOST_TEST_REQUIRE(result.exit_code == 0, result.err);
    check_written();
}

BOOST_AUTO_TEST_CASE(exec_plugin_kubeconfig) {
    // The plugin prints the service account's token as an ExecCredential.
    write_file(work.file("get-token"),
               "#!/bin/sh\nprintf '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
               "\"status\":{\"token\":\"%s\"}}' \"$(cat " + sb.sa_dir() + "/token)\"\n",
               0755);
    write_file(work.file("config"),
               kubeconfig_with_user(sb, "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
                                        "      command: ./get-token\n      interactiveMode: Never\n"));
    auto const result = run(work.file("config"));
    BOOST_TEST_REQUIRE(result.exit_code == 0, result.err);
    check_written();
}

BOOST_AUTO_TEST_CASE(exec_plugin_failure_names_the_command_and_stderr) {
    write_file(work.file("get-token"), "#!/bin/sh\necho 'session expired, run: sso login' >&2\nexit 1\n", 0755);
    write_file(work.file("config"),
               kubeconfig_with_user(sb, "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
                                        "      command: ./get-token\n      interactiveMode: Never\n"));
    auto const result = run(work.file("config"));
    BOOST_TEST(result.exit_code == 2);
    BOOST_TEST(contains(result.err, "exec plugin " + work.file("get-token") + " (kubeconfig " + work.file("config") +
                                        ", user \"me\"): exited with code 1; stderr: session expired, run: sso login"));
}

BOOST_AUTO_TEST_CASE(kubeconfig_env_list_is_used_without_the_flag) {
    // KUBECONFIG lists a missing file first (skipped) and the admin kubeconfig second.
    write_file(work.file("admin"), read_file(sb.admin_kubeconfig()));
    std::vector<std::string> const argv{agent_binary(),   "--once",           "--output-dir",  out_dir,
                                        "--ca-address",   sb.ca_address(),    "--istio-token-path",
                                        work.file("none/t"), "--root-cert-path", work.file("none/r"),
                                        "--sa-namespace", ns,                 "--sa-name",     sa};
    auto const result = run_process(argv, std::chrono::seconds(60),
                                    {"KUBECONFIG=" + work.file("missing") + ":" + work.file("admin"), "HOME=" + work.path()});
    BOOST_TEST_REQUIRE(result.exit_code == 0, result.err);
    check_written();

    auto const none = run_process(argv, std::chrono::seconds(60), {"KUBECONFIG=" + work.file("missing"), "HOME=" + work.path()});
    BOOST_TEST(none.exit_code == 2);
    BOOST_TEST(contains(none.err, "KUBECONFIG=" + work.file("missing") + ": none of the listed files exists"));
}

BOOST_AUTO_TEST_CASE(no_token_and_no_identity_flags_is_an_error_naming_them) {
    auto const result = sb.run_agent({"--once", "--output-dir", out_dir, "--kubeconfig", sb.admin_kubeconfig(),
                                      "--istio-token-path", work.file("none/istio-token")});
    BOOST_TEST(result.exit_code == 2);
    BOOST_TEST(contains(result.err, "no Istio token at " + work.file("none/istio-token") +
                                        " (--istio-token-path): to mint one with the TokenRequest API set both "
                                        "--sa-namespace and --sa-name"));
}

BOOST_AUTO_TEST_CASE(mounted_token_for_another_account_mints_for_the_target) {
    auto const created = sb.kubectl({"create", "--raw", "/api/v1/namespaces/" + ns + "/serviceaccounts", "-f", "-"},
                                    R"({"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"other"}})");
    BOOST_TEST_REQUIRE(created.exit_code == 0, created.err);
    // The mounted token is teg-istio's; the target is "other": never a certificate for teg-istio.
    auto const result = sb.run_agent({"--once", "--output-dir", out_dir, "--kubeconfig", sb.admin_kubeconfig(),
                                      "--sa-namespace", ns, "--sa-name", "other"});
    BOOST_TEST_REQUIRE(result.exit_code == 0, result.err);
    check_written("spiffe://cluster.local/ns/" + ns + "/sa/other");

    // Credentials that may not mint for "other": fails before the CA.
    forbid("create", "serviceaccounts/token", "other");
    auto const before = sb.istiod_admin_get("/requests");
    auto const refused = sb.run_agent({"--once", "--output-dir", work.file("refused"), "--sa-namespace", ns,
                                       "--sa-name", "other"});
    BOOST_TEST(refused.exit_code == 2);
    BOOST_TEST(contains(refused.err, "minting an Istio token for " + ns + "/other with the TokenRequest API"));
    BOOST_TEST(contains(refused.err, "verb \"create\" on \"serviceaccounts/token\""));
    BOOST_TEST(contains(refused.err, "resourceNames [\"other\"]"));
    BOOST_TEST(!std::filesystem::exists(work.file("refused/tls.crt")));
    BOOST_TEST(sb.istiod_admin_get("/requests") == before);  // the CA was not called
}

BOOST_AUTO_TEST_CASE(root_configmap_forbidden_names_the_permission) {
    // The service account's kubeconfig with a mounted Istio token (no minting) but no root file.
    forbid("get", "configmaps", "istio-ca-root-cert");
    auto const result = sb.run_agent({"--once", "--output-dir", out_dir, "--root-cert-path", work.file("none/root")});
    BOOST_TEST(result.exit_code == 2);
    BOOST_TEST(contains(result.err, "reading the root certificate from ConfigMap " + ns + "/istio-ca-root-cert"));
    BOOST_TEST(contains(result.err, "verb \"get\" on \"configmaps\""));
}

BOOST_AUTO_TEST_SUITE_END()

namespace {

std::vector<pki::Certificate> certs_in(std::string const& path) {
    auto parsed = pki::parse_pem_bundle(read_file(path));
    return parsed ? *parsed : std::vector<pki::Certificate>{};
}

// An API server that grants TokenRequests 3 s at most (kube-apiserver's
// --service-account-max-token-expiration, shortened), so minted tokens expire within a test.
struct ShortLivedTokens : Standalone {
    ShortLivedTokens() : Standalone(SandboxOptions{"self", {}, {"--service-account-max-token-expiration", "3s"}}) {}
};

// Requests `user` made, by verb and resource ("serviceaccounts/token" for a subresource).
int count_requests(Sandbox const& sb, std::string const& verb, std::string const& resource, std::string const& user) {
    int n = 0;
    for (auto const& r : sb.kube_admin_items("/emulator/v1/requests")) {
        auto const& o = r.as_object();
        std::string seen(o.at("resource").as_string());
        if (auto const* sub = o.if_contains("subresource"); sub != nullptr && !sub->as_string().empty())
            seen += "/" + std::string(sub->as_string());
        if (o.at("verb").as_string() == verb && seen == resource && o.at("user").as_string() == user) ++n;
    }
    return n;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(standalone_continuous, Standalone)

// The minted token is minted again before it expires (at 80 % of its life), so renewals long
// after the first token expired still authenticate to the CA.
BOOST_FIXTURE_TEST_CASE(a_minted_token_is_minted_again_before_it_expires, ShortLivedTokens) {
    using namespace std::chrono_literals;
    auto const agent_user = "system:serviceaccount:" + ns + ":" + sa;
    auto agent = start(sb.sa_dir() + "/kubeconfig", {"--cert-ttl", "5s"});
    // Renewals at about 2.5 s intervals: the third certificate is written about 2 s after the
    // first token (3 s) expired, with the third token (minted at 80 % of each 3 s life).
    BOOST_TEST_REQUIRE(wait_until(
                           [&] {
                               auto const log = agent->log();
                               std::size_t n = 0;
                               for (auto at = log.find("certificate written"); at != std::string::npos;
                                    at = log.find("certificate written", at + 1))
                                   ++n;
                               return n >= 3 && count_requests(sb, "create", "serviceaccounts/token", agent_user) >= 3;
                           },
                           40s),
                       agent->log());
    BOOST_TEST(agent->log().find("issuing failed") == std::string::npos, agent->log());
    BOOST_TEST(count_requests(sb, "create", "serviceaccounts/token", agent_user) >= 3);
    check_written();
    agent->signal(SIGTERM);
    BOOST_TEST(agent->wait(20s).value_or(-1) == 0, agent->log());
}

// Without a mounted root the agent follows ConfigMap istio-ca-root-cert with a watch: istiod's
// root rotation (add, switch, drop the old root) reaches the written files without polling.
BOOST_AUTO_TEST_CASE(roots_from_the_configmap_are_followed_by_watch) {
    using namespace std::chrono_literals;
    // The service account's own kubeconfig, so its requests stand apart from istiod's.
    auto agent = start(sb.sa_dir() + "/kubeconfig", {"--cert-ttl", "1h"});
    BOOST_TEST_REQUIRE(wait_until([&] { return std::filesystem::exists(out_dir + "/tls.crt"); }, 20s), agent->log());
    check_written();
    BOOST_TEST(contains(agent->log(), "root certificate read from the ConfigMap"));

    sb.istiod_admin_post("/rotate-root", R"({"step":"add"})");
    BOOST_TEST(wait_until([&] { return certs_in(out_dir + "/ca.crt").size() == 2; }, 15s),
               "ca.crt never got both roots\n" << agent->log());
    sb.istiod_admin_post("/rotate-root", R"({"step":"switch"})");
    sb.istiod_admin_post("/rotate-root", R"({"step":"drop-old"})");
    auto const new_root = certs_in(sb.root_cert());
    BOOST_TEST_REQUIRE(new_root.size() == 1u);
    BOOST_TEST(wait_until(
                   [&] {
                       auto const ca = certs_in(out_dir + "/ca.crt");
                       auto const chain = certs_in(out_dir + "/tls.crt");
                       return ca.size() == 1 && ca[0].fingerprint_sha256() == new_root[0].fingerprint_sha256() &&
                              pki::verify_chain(chain, new_root, std::chrono::system_clock::now()).has_value();
                   },
                   20s),
               "the files never moved to the new root\n" << agent->log());
    BOOST_TEST(contains(agent->log(), "root bundle reloaded"));

    // Followed by a watch: the ConfigMap was read once (at startup), never polled.
    auto const agent_user = "system:serviceaccount:" + ns + ":" + sa;
    BOOST_TEST(count_requests(sb, "get", "configmaps", agent_user) == 1);
    BOOST_TEST(count_requests(sb, "watch", "configmaps", agent_user) >= 1);
    agent->signal(SIGTERM);
    BOOST_TEST(agent->wait(20s).value_or(-1) == 0, agent->log());
}

BOOST_AUTO_TEST_SUITE_END()
