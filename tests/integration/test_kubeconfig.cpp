// Kubeconfigs read as client-go reads them, with the real binary against both emulators: static
// credentials beside an exec plugin, a cluster without a CA (the system trust store), `as:`
// impersonation under enforced RBAC, and KUBECONFIG naming only missing files inside a pod.

#include "common/connect_proxy.hpp"
#include "common/sandbox.hpp"

#include "pki/pki.hpp"

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <regex>

using namespace gic;
using namespace gic::test;

namespace {

std::string const ns = Sandbox::sa_namespace;
std::string const sa = Sandbox::sa_name;
std::string const sa_user = "system:serviceaccount:" + ns + ":" + sa;

bool contains(std::string const& text, std::string const& part) {
    if (text.find(part) != std::string::npos) return true;
    BOOST_TEST_MESSAGE("\"" << text << "\" does not contain \"" << part << "\"");
    return false;
}

std::string admin_field(Sandbox const& sb, std::string const& field) {
    auto const admin = read_file(sb.admin_kubeconfig());
    std::smatch m;
    if (!std::regex_search(admin, m, std::regex(field + R"(: (\S+))")))
        throw std::runtime_error("no " + field + " in admin.kubeconfig:\n" + admin);
    return m[1].str();
}

// A kubeconfig for the emulator, with or without its CA, and `cluster_extra` lines.
std::string kubeconfig(Sandbox const& sb, std::string const& user_body, bool with_ca = true,
                       std::string const& cluster_extra = {}) {
    std::string cluster = "    server: " + admin_field(sb, "server") + "\n" + cluster_extra;
    if (with_ca) cluster += "    certificate-authority-data: " + admin_field(sb, "certificate-authority-data") + "\n";
    return "apiVersion: v1\nkind: Config\nclusters:\n- name: emu\n  cluster:\n" + cluster +
           "users:\n- name: me\n  user:\n" + user_body +
           "contexts:\n- name: c\n  context:\n    cluster: emu\n    user: me\n    namespace: " + ns +
           "\ncurrent-context: c\n";
}

// The admin's client certificate as kubeconfig user fields.
std::string admin_user(Sandbox const& sb) {
    return "    client-certificate-data: " + admin_field(sb, "client-certificate-data") +
           "\n    client-key-data: " + admin_field(sb, "client-key-data") + "\n";
}

struct Fixture {
    explicit Fixture(SandboxOptions options = {}) : sb(std::move(options)) {}
    Sandbox sb;
    TempDir work{"gic-kubeconfig"};

    // --once into a Secret with the sandbox's mounted token and root, and `kubeconfig`.
    ProcessResult once(std::string const& text, std::vector<std::string> const& env = {}) {
        write_file(work.file("config"), text);
        auto argv = std::vector<std::string>{agent_binary(),     "--once",         "--ca-address", sb.ca_address(),
                                             "--root-cert-path", sb.root_cert(),   "--istio-token-path",
                                             sb.sa_dir() + "/istio-token",         "--kubeconfig", work.file("config"),
                                             "--output-secret-ns", ns};
        auto environment = env;
        environment.push_back("POD_NAME=gateway-0");
        return run_process(argv, std::chrono::seconds(60), environment);
    }

    // Requests the emulator logged for `user` on secrets.
    int secret_requests_by(std::string const& user) const {
        int n = 0;
        for (auto const& r : sb.kube_admin_items("/emulator/v1/requests")) {
            auto const& o = r.as_object();
            if (o.at("resource").as_string() == "secrets" && o.at("user").as_string() == user) ++n;
        }
        return n;
    }
};

struct RbacFixture : Fixture {
    RbacFixture() : Fixture(SandboxOptions{"self", {}, {"--authorization", "RBAC"}}) {
        // The shipped namespaced RBAC, as a user installs it.
        auto const role = (source_root() / "manifests/rbac-namespaced/role.yaml").string();
        auto const created = sb.kubectl({"create", "-f", role});
        if (created.exit_code != 0) throw std::runtime_error("kubectl create -f " + role + ": " + created.err);
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(kubeconfig_like_client_go)

// client-go runs no exec plugin when the user entry also has a token (UpdateTransportConfig).
BOOST_FIXTURE_TEST_CASE(a_token_beside_a_failing_exec_plugin_is_used_and_the_plugin_never_runs, Fixture) {
    write_file(work.file("plugin"), "#!/bin/sh\ntouch " + work.file("plugin-ran") + "\necho broken >&2\nexit 1\n", 0755);
    auto const result = once(kubeconfig(sb, "    token: " + read_file(sb.sa_dir() + "/token") +
                                                "\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
                                                "      command: " + work.file("plugin") + "\n      interactiveMode: Never\n"));
    BOOST_TEST(result.exit_code == 0, result.err);
    BOOST_TEST(!std::filesystem::exists(work.file("plugin-ran")));
    BOOST_TEST(secret_requests_by(sa_user) >= 2);
}

// A cluster without certificate-authority is verified against the system trust store, which
// SSL_CERT_FILE selects; a server the store does not trust is refused.
BOOST_FIXTURE_TEST_CASE(a_cluster_without_a_ca_is_verified_against_the_system_trust_store, Fixture) {
    auto const text = kubeconfig(sb, "    token: " + read_file(sb.sa_dir() + "/token") + "\n", false);
    auto const trusted = once(text, {"SSL_CERT_FILE=" + sb.kube_dir() + "/ca.crt"});
    BOOST_TEST(trusted.exit_code == 0, trusted.err);
    write_file(work.file("other-roots.pem"), read_file(sb.root_cert()));  // istiod's root: not the API's
    auto const untrusted = once(text, {"SSL_CERT_FILE=" + work.file("other-roots.pem"), "SSL_CERT_DIR=" + work.path()});
    BOOST_TEST(untrusted.exit_code != 0);
    BOOST_TEST(contains(untrusted.err, "certificate verify failed"), untrusted.err);
}

// `as:` makes every request run as the impersonated user: the admin acting as the service
// account gets exactly the shipped Role; the service account may not impersonate the admin.
BOOST_FIXTURE_TEST_CASE(as_impersonates_with_the_impersonate_verb_under_rbac, RbacFixture) {
    auto const as_sa = once(kubeconfig(sb, admin_user(sb) + "    as: " + sa_user + "\n"));
    BOOST_TEST_REQUIRE(as_sa.exit_code == 0, as_sa.err);
    BOOST_TEST(secret_requests_by(sa_user) >= 2);
    BOOST_TEST(secret_requests_by("admin") == 0);

    auto const escalation =
        once(kubeconfig(sb, "    token: " + read_file(sb.sa_dir() + "/token") + "\n    as: admin\n"));
    BOOST_TEST(escalation.exit_code != 0);
    // The API's Forbidden message reaches the user as it is (JSON-escaped quotes or plain).
    bool const named = escalation.err.find("cannot impersonate resource") != std::string::npos &&
                       escalation.err.find("users") != std::string::npos;
    BOOST_TEST(named, escalation.err);
}

// client-go's deferred loader: KUBECONFIG naming only missing files falls back to the in-cluster
// configuration (here a simulated pod: the service account's token, ca.crt and namespace).
BOOST_FIXTURE_TEST_CASE(kubeconfig_naming_only_missing_files_uses_the_in_cluster_config, Fixture) {
    std::filesystem::create_directories(work.file("pod/sa"));
    write_file(work.file("pod/sa/token"), read_file(sb.sa_dir() + "/token"));
    write_file(work.file("pod/sa/ca.crt"), read_file(sb.kube_dir() + "/ca.crt"));
    write_file(work.file("pod/sa/namespace"), ns);
    std::smatch hp;
    auto const server = admin_field(sb, "server");
    BOOST_TEST_REQUIRE(std::regex_search(server, hp, std::regex(R"(https://([^:]+):(\d+))")));
    std::vector<std::string> const argv{agent_binary(),       "--once",           "--ca-address",
                                        sb.ca_address(),      "--root-cert-path", sb.root_cert(),
                                        "--istio-token-path", sb.sa_dir() + "/istio-token",
                                        "--sa-token-path",    work.file("pod/sa/token")};
    auto const result = run_process(argv, std::chrono::seconds(60),
                                    {"KUBECONFIG=" + work.file("missing"), "HOME=" + work.path(),
                                     "KUBERNETES_SERVICE_HOST=" + hp[1].str(), "KUBERNETES_SERVICE_PORT=" + hp[2].str(),
                                     "POD_NAME=gateway-0"});
    BOOST_TEST(result.exit_code == 0, result.err);
    BOOST_TEST(contains(result.err, "none of the KUBECONFIG files exists; using the in-cluster configuration"));
    BOOST_TEST(secret_requests_by(sa_user) >= 2);
}

// proxy-url tunnels every API request (and watch) through an http:// proxy with CONNECT, as
// kubectl does; TLS stays end to end. socks5 is refused at startup, naming the field.
BOOST_FIXTURE_TEST_CASE(proxy_url_tunnels_through_an_http_connect_proxy, Fixture) {
    gic::test::ConnectProxy proxy;
    auto const token = "    token: " + read_file(sb.sa_dir() + "/token") + "\n";
    auto const through = once(kubeconfig(sb, token, true, "    proxy-url: " + proxy.url() + "\n"));
    BOOST_TEST(through.exit_code == 0, through.err);
    auto const server = admin_field(sb, "server");
    auto const targets = proxy.targets();
    BOOST_TEST_REQUIRE(!targets.empty());
    for (auto const& t : targets) BOOST_TEST("https://" + t == server);
    BOOST_TEST(secret_requests_by(sa_user) >= 2);

    auto const socks = once(kubeconfig(sb, token, true, "    proxy-url: socks5://127.0.0.1:1080\n"));
    BOOST_TEST(socks.exit_code == 2, socks.err);
    BOOST_TEST(contains(socks.err, "field \"proxy-url\": proxy socks5://127.0.0.1:1080: only http:// proxies are supported"),
               socks.err);
}

BOOST_AUTO_TEST_SUITE_END()
