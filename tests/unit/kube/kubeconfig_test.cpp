#include "fixtures.hpp"
#include "kube/kubeconfig.hpp"
#include "kube/rest_config.hpp"
#include "util/base64.hpp"

#include "common/temp_dir.hpp"

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <filesystem>

using namespace gic::kube;
using gic::kube::test::contains;
using gic::kube::test::pki;
using gic::test::TempDir;
using gic::test::write_file;

namespace {

std::string b64(std::string const& text) { return gic::util::base64_encode(text); }

// A kubeconfig with one context "dev" → cluster "c" and user "u"; the parts vary per test.
std::string kubeconfig_text(std::string const& cluster, std::string const& user, std::string const& extra_top = {},
                       std::string const& context_extra = {}) {
    return "apiVersion: v1\nkind: Config\n" + extra_top +
           "clusters:\n- name: c\n  cluster:\n" + cluster +
           "users:\n- name: u\n  user:\n" + user +
           "contexts:\n- name: dev\n  context:\n    cluster: c\n    user: u\n" + context_extra +
           "current-context: dev\n";
}

std::string ca_data() { return "    certificate-authority-data: " + b64(pki().ca_pem()) + "\n"; }

std::string server(std::string const& url = "https://127.0.0.1:6443") { return "    server: " + url + "\n"; }

struct Fixture {
    TempDir dir;
    std::string path = dir.file("config");

    gic::Result<RestConfig> load(std::string const& text, std::string const& context = {}) {
        write_file(path, text);
        return load_kubeconfig(path, context);
    }

    std::string error(std::string const& text, std::string const& context = {}) {
        auto result = load(text, context);
        BOOST_REQUIRE_MESSAGE(result.has_error(), "expected an error");
        return result.error().message;
    }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(kubeconfig_loading, Fixture)

BOOST_AUTO_TEST_CASE(token_user) {
    auto const config = load(kubeconfig_text(server() + ca_data(), "    token: abc\n")).value();
    BOOST_TEST(config.server == "https://127.0.0.1:6443");
    BOOST_TEST(config.host == "127.0.0.1");
    BOOST_TEST(config.port == "6443");
    BOOST_TEST(config.bearer_token == "abc");
    BOOST_TEST(config.token_file.empty());
    BOOST_TEST(config.ca_pem == pki().ca_pem());
    // Decoded once when checked, for the TLS context.
    BOOST_REQUIRE(config.ca_certs);
    BOOST_TEST(config.ca_certs->pem == config.ca_pem);
    BOOST_TEST(config.ca_certs->certs.size() == 1u);
    BOOST_TEST(config.namespace_ == "default");
    BOOST_TEST(config.origin == "kubeconfig " + path + " (context dev)");
}

BOOST_AUTO_TEST_CASE(token_file_relative_to_the_kubeconfig) {
    std::filesystem::create_directory(dir.file("sa"));
    write_file(dir.file("sa/token"), "from-file\n");
    auto const config = load(kubeconfig_text(server() + ca_data(), "    tokenFile: sa/token\n")).value();
    BOOST_TEST(config.token_file == dir.file("sa/token"));
    BOOST_TEST(config.bearer_token == "from-file");
}

BOOST_AUTO_TEST_CASE(token_and_token_file_keep_the_token) {
    write_file(dir.file("token"), "from-file");
    auto const config = load(kubeconfig_text(server() + ca_data(), "    token: inline\n    tokenFile: token\n")).value();
    BOOST_TEST(config.bearer_token == "inline");
    BOOST_TEST(config.token_file == dir.file("token"));
}

BOOST_AUTO_TEST_CASE(missing_token_file_is_an_error) {
    auto const message = error(kubeconfig_text(server() + ca_data(), "    tokenFile: nope\n"));
    BOOST_TEST(contains(message, "kubeconfig " + path + ": context \"dev\": user \"u\": field \"tokenFile\" \"" +
                                     dir.file("nope") + "\": No such file or directory"));
}

BOOST_AUTO_TEST_CASE(client_certificate_data) {
    auto const& p = pki();
    auto const config = load(kubeconfig_text(server() + ca_data(),
                                        "    client-certificate-data: " + b64(p.client.cert.to_pem()) +
                                            "\n    client-key-data: " + b64(p.client.key.to_pkcs8_pem()) + "\n"))
                            .value();
    BOOST_TEST(config.client_cert_pem == p.client.cert.to_pem());
    BOOST_TEST(config.client_key_pem == p.client.key.to_pkcs8_pem());
    BOOST_TEST(config.bearer_token.empty());
}

BOOST_AUTO_TEST_CASE(client_certificate_files) {
    auto const& p = pki();
    std::filesystem::create_directory(dir.file("pki"));
    write_file(dir.file("pki/client.crt"), p.client.cert.to_pem());
    write_file(dir.file("pki/client.key"), p.client.key.to_pkcs8_pem(), 0600);
    auto const config =
        load(kubeconfig_text(server() + ca_data(), "    client-certificate: pki/client.crt\n    client-key: " +
                                                  dir.file("pki/client.key") + "\n"))
            .value();
    BOOST_TEST(config.client_cert_pem == p.client.cert.to_pem());
    BOOST_TEST(config.client_key_pem == p.client.key.to_pkcs8_pem());
}

BOOST_AUTO_TEST_CASE(certificate_without_key_is_an_error) {
    auto const message =
        error(kubeconfig_text(server() + ca_data(), "    client-certificate-data: " + b64(pki().client.cert.to_pem()) + "\n"));
    BOOST_TEST(contains(message, "context \"dev\": user \"u\": client-certificate is set but client-key is not"));
    auto const reverse =
        error(kubeconfig_text(server() + ca_data(), "    client-key-data: " + b64(pki().client.key.to_pkcs8_pem()) + "\n"));
    BOOST_TEST(contains(reverse, "client-key is set but client-certificate is not"));
}

BOOST_AUTO_TEST_CASE(unparsable_client_key_is_an_error) {
    auto const message = error(kubeconfig_text(server() + ca_data(), "    client-certificate-data: " +
                                                                    b64(pki().client.cert.to_pem()) +
                                                                    "\n    client-key-data: " + b64("junk") + "\n"));
    BOOST_TEST(contains(message, "user \"u\": client-key-data: no parsable PEM private key found"));
}

BOOST_AUTO_TEST_CASE(ca_file_relative_and_data_wins) {
    write_file(dir.file("ca.crt"), pki().ca_pem());
    auto const from_file = load(kubeconfig_text(server() + "    certificate-authority: ca.crt\n", "    token: t\n")).value();
    BOOST_TEST(from_file.ca_pem == pki().ca_pem());

    // -data wins over the path, even when the path does not exist.
    auto const from_data =
        load(kubeconfig_text(server() + ca_data() + "    certificate-authority: missing.crt\n", "    token: t\n")).value();
    BOOST_TEST(from_data.ca_pem == pki().ca_pem());
}

BOOST_AUTO_TEST_CASE(missing_ca_file_is_an_error) {
    auto const message = error(kubeconfig_text(server() + "    certificate-authority: ca.crt\n", "    token: t\n"));
    BOOST_TEST(contains(message, "kubeconfig " + path + ": context \"dev\": cluster \"c\": certificate-authority \"" +
                                     dir.file("ca.crt") + "\": No such file or directory"));
}

BOOST_AUTO_TEST_CASE(unparsable_ca_is_an_error) {
    auto const message = error(kubeconfig_text(server() + "    certificate-authority-data: " + b64("not pem") + "\n", ""));
    BOOST_TEST(contains(message, "cluster \"c\": certificate-authority-data: no PEM certificate found"));
    auto const bad_base64 = error(kubeconfig_text(server() + "    certificate-authority-data: '!!!'\n", ""));
    BOOST_TEST(contains(bad_base64, "clusters[0] (\"c\"): field \"certificate-authority-data\": is not valid base64"));
}

// client-go verifies a cluster without a CA against the system trust store.
BOOST_AUTO_TEST_CASE(no_ca_means_the_system_trust_store) {
    auto const config = load(kubeconfig_text(server(), "    token: t\n")).value();
    BOOST_TEST(config.ca_pem.empty());
    BOOST_TEST(!config.insecure_skip_tls_verify);
}

BOOST_AUTO_TEST_CASE(tls_server_name) {
    auto const config =
        load(kubeconfig_text(server() + ca_data() + "    tls-server-name: kubernetes.default.svc\n", "    token: t\n")).value();
    BOOST_TEST(config.tls_server_name == "kubernetes.default.svc");
    BOOST_TEST(config.host == "127.0.0.1");
}

BOOST_AUTO_TEST_CASE(context_selection_and_namespace) {
    std::string const text = "clusters:\n"
                             "- name: a\n  cluster:\n    server: https://a.example:8443\n" + ca_data() +
                             "- name: b\n  cluster:\n    server: https://[fd00::1]\n" + ca_data() +
                             "users:\n- name: u\n  user:\n    token: t\n"
                             "contexts:\n"
                             "- name: one\n  context:\n    cluster: a\n    user: u\n"
                             "- name: two\n  context:\n    cluster: b\n    user: u\n    namespace: team\n"
                             "current-context: one\n";
    auto const current = load(text).value();
    BOOST_TEST(current.server == "https://a.example:8443");
    BOOST_TEST(current.namespace_ == "default");
    auto const chosen = load(text, "two").value();
    BOOST_TEST(chosen.server == "https://[fd00::1]:443");
    BOOST_TEST(chosen.host == "fd00::1");
    BOOST_TEST(chosen.port == "443");
    BOOST_TEST(chosen.namespace_ == "team");
}

BOOST_AUTO_TEST_CASE(missing_context_is_an_error) {
    auto const message = error(kubeconfig_text(server() + ca_data(), "    token: t\n"), "prod");
    BOOST_TEST(message == "kubeconfig " + path + ": context \"prod\": not found in contexts");
}

BOOST_AUTO_TEST_CASE(no_current_context_is_an_error) {
    std::string text = kubeconfig_text(server() + ca_data(), "    token: t\n");
    text.erase(text.find("current-context"));
    auto const message = error(text);
    BOOST_TEST(contains(message, "kubeconfig " + path + ": no context selected"));
}

BOOST_AUTO_TEST_CASE(context_naming_a_missing_cluster_or_user) {
    std::string const no_cluster = "contexts:\n- name: x\n  context:\n    cluster: gone\n    user: u\ncurrent-context: x\n";
    BOOST_TEST(contains(error(no_cluster), "context \"x\": field \"cluster\": cluster \"gone\" not found in clusters"));
    std::string const no_user = "clusters:\n- name: c\n  cluster:\n" + server() + ca_data() +
                                "contexts:\n- name: x\n  context:\n    cluster: c\n    user: gone\ncurrent-context: x\n";
    BOOST_TEST(contains(error(no_user), "context \"x\": field \"user\": user \"gone\" not found in users"));
}

BOOST_AUTO_TEST_CASE(missing_server_is_an_error) {
    auto const message = error(kubeconfig_text(ca_data(), "    token: t\n"));
    BOOST_TEST(message == "kubeconfig " + path + ": context \"dev\": cluster \"c\": field \"server\": no server found for cluster");
}

BOOST_AUTO_TEST_CASE(http_server_is_rejected) {
    auto const message = error(kubeconfig_text(server("http://127.0.0.1:8080") + ca_data(), "    token: t\n"));
    BOOST_TEST(contains(message, "cluster \"c\": field \"server\": server \"http://127.0.0.1:8080\": scheme \"http\" is not "
                                 "supported: credentials are only sent over TLS"));
}

BOOST_AUTO_TEST_CASE(malformed_server_urls) {
    BOOST_TEST(contains(error(kubeconfig_text(server("127.0.0.1:6443") + ca_data(), "")), "not a URL"));
    BOOST_TEST(contains(error(kubeconfig_text(server("https://h:99999") + ca_data(), "")), "invalid port \"99999\""));
    BOOST_TEST(contains(error(kubeconfig_text(server("https://fd00::1:443") + ca_data(), "")),
                        "an IPv6 address must be in brackets"));
}

BOOST_AUTO_TEST_CASE(server_path_is_kept_as_prefix) {
    auto const config = load(kubeconfig_text(server("https://rancher.example/k8s/clusters/c-1/") + ca_data(), "")).value();
    BOOST_TEST(config.server == "https://rancher.example:443/k8s/clusters/c-1");
    BOOST_TEST(config.path_prefix == "/k8s/clusters/c-1");
}

BOOST_AUTO_TEST_CASE(insecure_skip_tls_verify_without_a_ca_is_allowed) {
    auto const config = load(kubeconfig_text(server() + "    insecure-skip-tls-verify: true\n", "    token: t\n")).value();
    BOOST_TEST(config.insecure_skip_tls_verify);
    BOOST_TEST(config.ca_pem.empty());
}

BOOST_AUTO_TEST_CASE(insecure_skip_tls_verify_with_a_ca_is_an_error) {
    auto const message = error(kubeconfig_text(server() + ca_data() + "    insecure-skip-tls-verify: true\n", "    token: t\n"));
    BOOST_TEST(contains(message, "context \"dev\": cluster \"c\": field \"insecure-skip-tls-verify\": "
                                 "specifying a root certificates file with the insecure flag is not allowed"));
}

BOOST_AUTO_TEST_CASE(exec_plugin_becomes_a_credential_provider) {
    auto const config = load(kubeconfig_text(server() + ca_data(),
                                             "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
                                             "      command: bin/get-token\n      args: [a, b]\n"
                                             "      interactiveMode: Never\n"))
                            .value();
    BOOST_REQUIRE(config.credential_provider != nullptr);
    BOOST_TEST(contains(config.credential_provider->describe(), "exec plugin " + dir.file("bin/get-token")));
    BOOST_TEST(contains(config.credential_provider->describe(), "user \"u\""));
    // The model keeps the plugin with its command resolved against the kubeconfig's directory.
    auto const model = parse_kubeconfig_file(path).value();
    auto const& exec = model.users.at("u").exec.value();
    BOOST_TEST(exec.command == dir.file("bin/get-token"));
    BOOST_TEST(exec.args.size() == 2u);
    BOOST_TEST(exec.api_version == "client.authentication.k8s.io/v1");
}

// client-go's exec Authenticator.UpdateTransportConfig: static credentials in the same user
// entry win and the plugin is never run.
BOOST_AUTO_TEST_CASE(a_token_or_certificate_beside_an_exec_plugin_wins_and_the_plugin_is_not_used) {
    std::string const exec = "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: /bin/false\n      interactiveMode: Never\n";
    auto with_token = load(kubeconfig_text(server() + ca_data(), "    token: static\n" + exec)).value();
    BOOST_TEST(with_token.credential_provider == nullptr);
    BOOST_TEST(with_token.bearer_token == "static");
    write_file(dir.file("token"), "from-file\n");
    auto with_file = load(kubeconfig_text(server() + ca_data(), "    tokenFile: token\n" + exec)).value();
    BOOST_TEST(with_file.credential_provider == nullptr);
    BOOST_TEST(with_file.bearer_token == "from-file");
    auto with_cert = load(kubeconfig_text(server() + ca_data(),
                                          "    client-certificate-data: " + b64(pki().client.cert.to_pem()) +
                                              "\n    client-key-data: " + b64(pki().client.key.to_pkcs8_pem()) + "\n" + exec))
                         .value();
    BOOST_TEST(with_cert.credential_provider == nullptr);
    BOOST_TEST(!with_cert.client_cert_pem.empty());
    // Alone, the plugin is the credential provider.
    BOOST_TEST(load(kubeconfig_text(server() + ca_data(), exec)).value().credential_provider != nullptr);
}

BOOST_AUTO_TEST_CASE(impersonation_fields_are_kept_for_every_request) {
    auto const config = load(kubeconfig_text(server() + ca_data(),
                                             "    token: t\n    as: system:serviceaccount:ns:sa\n    as-uid: \"42\"\n"
                                             "    as-groups: [g1, g2]\n"
                                             "    as-user-extra:\n      scopes: [view, edit]\n      reason: [debug]\n"))
                            .value();
    BOOST_TEST(config.impersonate.user == "system:serviceaccount:ns:sa");
    BOOST_TEST(config.impersonate.uid == "42");
    BOOST_TEST(config.impersonate.groups == (std::vector<std::string>{"g1", "g2"}), boost::test_tools::per_element());
    BOOST_TEST(config.impersonate.extra.size() == 3u);
    BOOST_TEST(load(kubeconfig_text(server() + ca_data(), "    token: t\n")).value().impersonate.empty());
}

BOOST_AUTO_TEST_CASE(impersonating_groups_without_a_user_is_an_error) {
    auto const message = error(kubeconfig_text(server() + ca_data(), "    token: t\n    as-groups: [g]\n"));
    BOOST_TEST(contains(message, "user \"u\": as-uid, as-groups or as-user-extra is set without as"), message);
    auto const shape = error(kubeconfig_text(server() + ca_data(), "    token: t\n    as: x\n    as-groups: g\n"));
    BOOST_TEST(contains(shape, "field \"as-groups\": must be a list of strings"), shape);
}

// The cluster's extensions[client.authentication.k8s.io/exec] reach a provideClusterInfo plugin.
BOOST_AUTO_TEST_CASE(the_exec_extension_of_the_cluster_is_kept_as_json) {
    (void)load(kubeconfig_text(server() + ca_data() +
                                   "    extensions:\n    - name: other/thing\n      extension: {a: 1}\n"
                                   "    - name: client.authentication.k8s.io/exec\n      extension:\n"
                                   "        audience: sts.example\n        retries: 3\n        verbose: true\n"
                                   "        zone: \"42\"\n        tags: [a, b]\n",
                               "    token: t\n"))
        .value();
    auto const model = parse_kubeconfig_file(path).value();
    auto const config = boost::json::parse(model.clusters.at("c").exec_extension_json);
    BOOST_TEST(config.at("audience").as_string() == "sts.example");
    BOOST_TEST(config.at("retries").as_int64() == 3);
    BOOST_TEST(config.at("verbose").as_bool());
    BOOST_TEST(config.at("zone").as_string() == "42");
    BOOST_TEST(config.at("tags").as_array().size() == 2u);
    auto const wrong = error(kubeconfig_text(server() + ca_data() + "    extensions: {a: 1}\n", "    token: t\n"));
    BOOST_TEST(contains(wrong, "field \"extensions\": must be a list of {name, extension}"), wrong);
}

BOOST_AUTO_TEST_CASE(auth_provider_is_not_supported) {
    auto const message =
        error(kubeconfig_text(server() + ca_data(), "    auth-provider:\n      name: oidc\n      config:\n        client-id: x\n"));
    BOOST_TEST(contains(message, "user \"u\": field \"auth-provider\": auth-provider \"oidc\" is not supported, use an "
                                 "exec plugin"));
}

BOOST_AUTO_TEST_CASE(basic_auth_is_not_supported) {
    auto const message = error(kubeconfig_text(server() + ca_data(), "    username: a\n    password: b\n"));
    BOOST_TEST(contains(message, "basic authentication is not supported"));
}

BOOST_AUTO_TEST_CASE(malformed_yaml_is_an_error) {
    auto const message = error("clusters: [\n  - name: c\n");
    BOOST_TEST(contains(message, "kubeconfig " + path + ": invalid YAML: "));
}

BOOST_AUTO_TEST_CASE(wrong_shapes_are_errors) {
    BOOST_TEST(contains(error("- a\n- b\n"), "not a kubeconfig"));
    BOOST_TEST(contains(error("clusters: {}\n"), "field \"clusters\": must be a list"));
    BOOST_TEST(contains(error("clusters:\n- cluster: {}\n"), "clusters[0]: field \"name\" is missing"));
    BOOST_TEST(contains(error("users:\n- name: u\n  user:\n    token: [1]\n"),
                        "users[0] (\"u\"): field \"token\": must be a string"));
    BOOST_TEST(contains(error("clusters:\n- name: c\n  cluster: {}\n- name: c\n  cluster: {}\n"),
                        "clusters[1] (\"c\"): duplicate name \"c\" in clusters"));
    BOOST_TEST(contains(error(kubeconfig_text(server() + ca_data() + "    insecure-skip-tls-verify: maybe\n", "")),
                        "field \"insecure-skip-tls-verify\": must be true or false"));
}

BOOST_AUTO_TEST_CASE(missing_file_is_an_error) {
    auto const result = load_kubeconfig(dir.file("absent"));
    BOOST_REQUIRE(result.has_error());
    BOOST_TEST(result.error().message == "kubeconfig " + dir.file("absent") + ": No such file or directory");
}

BOOST_AUTO_TEST_CASE(anonymous_context_without_user) {
    std::string const text = "clusters:\n- name: c\n  cluster:\n" + server() + ca_data() +
                             "contexts:\n- name: x\n  context:\n    cluster: c\ncurrent-context: x\n";
    auto const config = load(text).value();
    BOOST_TEST(config.bearer_token.empty());
    BOOST_TEST(config.client_cert_pem.empty());
}

BOOST_AUTO_TEST_SUITE_END()
