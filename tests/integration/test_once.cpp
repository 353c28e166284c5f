// The real gen-istio-cert binary, --once, against both emulators over TLS on loopback; the Secret
// is checked with kubectl and openssl as independent clients.

#include "common/closed_port.hpp"
#include "common/sandbox.hpp"

#include "pki/pki.hpp"
#include "util/base64.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <csignal>
#include <future>
#include <vector>

#include <sys/stat.h>

using namespace gic;
using namespace gic::test;

namespace {

std::string const expected_id = "spiffe://cluster.local/ns/envoy-gateway-system/sa/teg-istio";

std::string data_of(boost::json::object const& secret, char const* key) {
    return *util::base64_decode(secret.at("data").at(key).as_string());
}

// Everything a consumer needs: the leaf is ours, the key matches, the chain verifies to the root.
void check_secret_material(Sandbox const& sb, boost::json::object const& secret) {
    BOOST_TEST(secret.at("type").as_string() == "kubernetes.io/tls");
    auto crt = data_of(secret, "tls.crt");
    auto key = pki::PrivateKey::from_pem(data_of(secret, "tls.key")).value();
    auto chain = pki::parse_pem_bundle(crt).value();
    auto roots = pki::parse_pem_bundle(data_of(secret, "ca.crt")).value();
    auto trusted = pki::parse_pem_bundle(read_file(sb.root_cert())).value();
    BOOST_TEST(chain.front().uri_sans() == std::vector<std::string>{expected_id});
    BOOST_TEST(chain.front().matches_key(key));
    BOOST_TEST(pki::verify_chain(chain, trusted, std::chrono::system_clock::now()).has_value());
    BOOST_TEST(roots.size() >= 1u);
    // openssl, as an independent verifier.
    TempDir tmp;
    write_file(tmp.file("tls.crt"), crt);
    auto verify = run_process({"openssl", "verify", "-CAfile", sb.root_cert(), "-untrusted", tmp.file("tls.crt"),
                               tmp.file("tls.crt")});
    BOOST_TEST(verify.exit_code == 0, verify.out << verify.err);
}

std::string serial_annotation(boost::json::object const& secret) {
    return std::string(secret.at("metadata").at("annotations").at("gen-istio-cert.teg.tetrate.io/serial").as_string());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(once)

BOOST_AUTO_TEST_CASE(issues_into_a_new_secret_and_updates_it) {
    Sandbox sb;
    auto first = sb.run_agent({"--once", "--key-algorithm", "ecdsa-p256"});
    BOOST_TEST_REQUIRE(first.exit_code == 0, first.err);
    BOOST_TEST(first.out.find("issued " + expected_id + " serial=") == 0);
    BOOST_TEST(first.out.find("written to Secret envoy-gateway-system/istio-certs (created)") != std::string::npos);
    auto secret = sb.get_json("secret", "istio-certs", "envoy-gateway-system");
    BOOST_TEST_REQUIRE(!secret.empty());
    check_secret_material(sb, secret);
    BOOST_TEST(secret.at("metadata").at("labels").at("app.kubernetes.io/managed-by").as_string() == "gen-istio-cert");
    BOOST_TEST(secret.at("metadata").at("annotations").at("gen-istio-cert.teg.tetrate.io/written-by").as_string() ==
               "gateway-0");
    BOOST_TEST(data_of(secret, "ca.crt") == read_file(sb.root_cert()));

    // A label someone else added survives our update; the serial changes.
    auto label = sb.kubectl({"label", "secret", "istio-certs", "-n", "envoy-gateway-system", "team=edge"});
    auto second = sb.run_agent({"--once", "--key-algorithm", "rsa-2048"});
    BOOST_TEST_REQUIRE(second.exit_code == 0, second.err);
    BOOST_TEST(second.out.find("(updated)") != std::string::npos);
    auto updated = sb.get_json("secret", "istio-certs", "envoy-gateway-system");
    check_secret_material(sb, updated);
    BOOST_TEST(serial_annotation(updated) != serial_annotation(secret));
    if (label.exit_code == 0) BOOST_TEST(updated.at("metadata").at("labels").at("team").as_string() == "edge");
    auto key_pem = data_of(updated, "tls.key");
    BOOST_TEST((pki::PrivateKey::from_pem(key_pem).value().algorithm() == pki::KeyAlgorithm::rsa2048));
}

BOOST_AUTO_TEST_CASE(plugged_chain_with_intermediate) {
    Sandbox sb(SandboxOptions{"plugged", {}, {}});
    auto r = sb.run_agent({"--once", "--key-algorithm", "ecdsa-p384"});
    BOOST_TEST_REQUIRE(r.exit_code == 0, r.err);
    auto secret = sb.get_json("secret", "istio-certs", "envoy-gateway-system");
    check_secret_material(sb, secret);
    auto chain = pki::parse_pem_bundle(data_of(secret, "tls.crt")).value();
    BOOST_TEST(chain.size() == 2u);  // leaf + intermediate, no root in tls.crt
    BOOST_TEST(!chain.back().is_self_signed());
}

BOOST_AUTO_TEST_CASE(output_dir_writes_files) {
    Sandbox sb;
    TempDir out;
    auto dir = out.file("certs");
    auto r = run_process({agent_binary(), "--once", "--ca-address", sb.ca_address(), "--root-cert-path", sb.root_cert(),
                          "--istio-token-path", sb.sa_dir() + "/istio-token", "--output-dir", dir});
    BOOST_TEST_REQUIRE(r.exit_code == 0, r.err);
    BOOST_TEST(r.out.find("written to " + dir + " (tls.crt, tls.key, ca.crt)") != std::string::npos);
    struct stat st {};
    BOOST_TEST(::stat((dir + "/tls.key").c_str(), &st) == 0);
    BOOST_TEST((st.st_mode & 0777) == 0600u);
    auto chain = pki::parse_pem_bundle(read_file(dir + "/tls.crt")).value();
    auto key = pki::PrivateKey::from_pem(read_file(dir + "/tls.key")).value();
    BOOST_TEST(chain.front().matches_key(key));
    BOOST_TEST(chain.front().uri_sans() == std::vector<std::string>{expected_id});
}

BOOST_AUTO_TEST_CASE(explicit_identity_must_match_the_token) {
    Sandbox sb;
    auto ok = sb.run_agent({"--once", "--sa-name", "teg-istio", "--sa-namespace", "envoy-gateway-system"});
    BOOST_TEST(ok.exit_code == 0, ok.err);
    // Another identity needs a token of its own (TokenRequest); that service account does not exist,
    // so nothing is issued and nothing is written for the wrong identity.
    auto before = sb.get_json("secret", "istio-certs", "envoy-gateway-system");
    auto other = sb.run_agent({"--once", "--sa-name", "someone-else"});
    BOOST_TEST(other.exit_code == 2);
    BOOST_TEST(other.err.find("envoy-gateway-system/someone-else") != std::string::npos, other.err);
    auto after = sb.get_json("secret", "istio-certs", "envoy-gateway-system");
    BOOST_TEST(after.at("metadata").at("resourceVersion") == before.at("metadata").at("resourceVersion"));
}

BOOST_AUTO_TEST_CASE(bad_local_inputs_exit_2_naming_the_file_or_flag) {
    Sandbox sb;
    TempDir tmp;
    write_file(tmp.file("not-jwt"), "hello");
    write_file(tmp.file("empty.pem"), "");
    write_file(tmp.file("text.pem"), "not a certificate\n");
    struct Case {
        std::vector<std::string> args;
        std::string expected;
    };
    std::vector<Case> cases{
        {{"--istio-token-path", tmp.file("missing")}, "no Istio token at " + tmp.file("missing") + " (--istio-token-path)"},
        {{"--istio-token-path", tmp.file("not-jwt")}, "Istio token (--istio-token-path) " + tmp.file("not-jwt") + ": not a JWT"},
        {{"--root-cert-path", tmp.file("empty.pem")}, "root certificate file (--root-cert-path) " + tmp.file("empty.pem") + " is empty"},
        {{"--root-cert-path", tmp.file("text.pem")}, "root certificate file (--root-cert-path) " + tmp.file("text.pem") + ": "},
        {{"--key-algorithm", "rsa-1024"}, "--key-algorithm: unknown algorithm \"rsa-1024\""},
        {{"--cert-ttl", "1day"}, "--cert-ttl: invalid duration \"1day\""},
        {{"--kubeconfig", tmp.file("nope.kubeconfig")}, tmp.file("nope.kubeconfig")},
    };
    for (auto const& c : cases) {
        auto args = c.args;
        args.push_back("--once");
        auto r = sb.run_agent(args);
        BOOST_TEST(r.exit_code == 2, "args " << c.args.front() << " exit " << r.exit_code);
        BOOST_TEST(r.err.find(c.expected) != std::string::npos, "expected \"" << c.expected << "\" in: " << r.err);
        BOOST_TEST(std::count(r.err.begin(), r.err.end(), '\n') == 1, "more than one line: " << r.err);
    }
    BOOST_TEST(sb.get_json("secret", "istio-certs", "envoy-gateway-system").empty());
}

BOOST_AUTO_TEST_CASE(ca_failures_exit_1_with_a_hint) {
    Sandbox sb;
    ClosedLoopbackPort const closed;  // held until the runs end: nothing can listen there meanwhile
    struct Case {
        std::vector<std::string> args;
        std::vector<std::string> expected;
    };
    std::vector<Case> cases{
        {{"--ca-address", closed.address()}, {closed.address(), "UNAVAILABLE"}},
        {{"--ca-tls-server-name", "istiod.wrong-namespace.svc"}, {"--ca-tls-server-name", "istiod.wrong-namespace.svc"}},
        // The API-audience token is not accepted by istiod.
        {{"--istio-token-path", sb.sa_dir() + "/token"}, {"UNAUTHENTICATED", "request authenticate failure", "istio-ca"}},
        {{"--cluster-name", "other-cluster"}, {"UNAUTHENTICATED", "--cluster-name"}},
        {{"--cert-ttl", "87600h"}, {"INVALID_ARGUMENT", "requested TTL 87600h0m0s is greater than the max allowed TTL 2160h0m0s"}},
    };
    // The unreachable CA and the wrong server name go through the full retry schedule (about
    // 1.5 s each), so the runs, which share nothing but the emulators, go side by side; the
    // checks stay on this thread.
    std::vector<std::future<ProcessResult>> runs;
    for (auto const& c : cases) {
        auto args = c.args;
        args.push_back("--once");
        runs.push_back(std::async(std::launch::async, [&sb, args] { return sb.run_agent(args); }));
    }
    for (std::size_t i = 0; i < cases.size(); ++i) {
        auto const& c = cases[i];
        auto const r = runs[i].get();
        BOOST_TEST(r.exit_code == 1, "args " << c.args.front() << " exit " << r.exit_code << ": " << r.err);
        for (auto const& e : c.expected)
            BOOST_TEST(r.err.find(e) != std::string::npos, "expected \"" << e << "\" in: " << r.err);
    }
    BOOST_TEST(sb.get_json("secret", "istio-certs", "envoy-gateway-system").empty());
}

// A mesh whose trustDomain is corp.example: istiod signs for it whatever the CSR says. --once stops
// with a configuration error (exit 2) naming the CA's trust domain and the flag to set; continuous
// mode reports a configuration error and writes nothing; with the flag set it issues.
BOOST_AUTO_TEST_CASE(a_ca_of_another_trust_domain_is_a_configuration_error_naming_the_flag) {
    Sandbox sb(SandboxOptions{"self", {"--trust-domain", "corp.example"}, {}});
    auto const refused = sb.run_agent({"--once"});
    BOOST_TEST(refused.exit_code == 2, refused.err);
    BOOST_TEST(refused.err.find("signs for trust domain \"corp.example\", not \"cluster.local\" (--trust-domain)") !=
                   std::string::npos,
               refused.err);
    BOOST_TEST(refused.err.find("set --trust-domain=corp.example") != std::string::npos, refused.err);
    BOOST_TEST(sb.get_json("secret", "istio-certs", "envoy-gateway-system").empty());

    auto agent = sb.start_agent({"--leader-elect=false", "--metrics-bind-address=0", "--health-probe-bind-address=0"},
                                "trust-domain");
    BOOST_TEST(agent->wait_for("configuration error: issuing failed", std::chrono::seconds(30)).has_value(), agent->log());
    BOOST_TEST(agent->log().find("set --trust-domain=corp.example") != std::string::npos, agent->log());
    agent->signal(SIGTERM);
    BOOST_TEST(agent->wait(std::chrono::seconds(20)).value_or(-1) == 0, agent->log());
    BOOST_TEST(sb.get_json("secret", "istio-certs", "envoy-gateway-system").empty());

    auto const issued = sb.run_agent({"--once", "--trust-domain", "corp.example"});
    BOOST_TEST(issued.exit_code == 0, issued.err);
    BOOST_TEST(issued.out.find("spiffe://corp.example/ns/envoy-gateway-system/sa/teg-istio") != std::string::npos,
               issued.out);
}

// istiod's kube_jwt authenticator maps an empty clusterid to its own cluster, whatever its
// CLUSTER_ID is; a wrong non-empty one is refused and the message names the flag.
BOOST_AUTO_TEST_CASE(an_empty_cluster_name_is_istiods_own_cluster) {
    Sandbox sb(SandboxOptions{"self", {"--cluster-id", "east"}, {}});
    auto const wrong = sb.run_agent({"--once"});
    BOOST_TEST(wrong.exit_code == 1, wrong.err);
    BOOST_TEST(wrong.err.find("--cluster-name") != std::string::npos, wrong.err);
    auto const empty = sb.run_agent({"--once", "--cluster-name="});
    BOOST_TEST(empty.exit_code == 0, empty.err);
}

BOOST_AUTO_TEST_CASE(a_bad_chain_never_replaces_a_good_secret) {
    Sandbox sb;
    BOOST_TEST_REQUIRE(sb.run_agent({"--once"}).exit_code == 0);
    auto good = sb.get_json("secret", "istio-certs", "envoy-gateway-system");
    std::vector<std::pair<std::string, std::string>> modes{
        {"wrong-identity", "leaf identity is"},
        {"wrong-key", "does not match"},
        {"expired", "expired"},
        {"short-chain", "invalid empty CertChain"},
        {"untrusted-chain", "does not verify against the root bundle"},
    };
    for (auto const& [mode, reason] : modes) {
        sb.istiod_fault(R"({"mode":")" + mode + R"(","count":100})");
        auto r = sb.run_agent({"--once"});
        BOOST_TEST(r.exit_code == 1, mode << ": " << r.err);
        BOOST_TEST(r.err.find(reason) != std::string::npos, mode << ": " << r.err);
        sb.clear_istiod_faults();
    }
    auto after = sb.get_json("secret", "istio-certs", "envoy-gateway-system");
    BOOST_TEST(after.at("metadata").at("resourceVersion") == good.at("metadata").at("resourceVersion"));
    BOOST_TEST(after.at("data") == good.at("data"));
}

BOOST_AUTO_TEST_CASE(retriable_ca_status_is_retried) {
    Sandbox sb;
    sb.istiod_fault(R"({"code":"UNAVAILABLE","message":"istiod is restarting","count":2})");
    auto r = sb.run_agent({"--once"});
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(r.err.find("CA call failed; retrying") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(existing_secret_of_another_type_is_left_alone) {
    Sandbox sb;
    BOOST_TEST_REQUIRE(sb.has_kubectl());
    auto created = sb.kubectl({"create", "secret", "generic", "istio-certs", "-n", "envoy-gateway-system", "--from-literal=a=b"});
    BOOST_TEST_REQUIRE(created.exit_code == 0, created.err);
    auto r = sb.run_agent({"--once"});
    BOOST_TEST(r.exit_code == 1);
    BOOST_TEST(r.err.find("Secret envoy-gateway-system/istio-certs has type \"Opaque\", not kubernetes.io/tls") !=
                   std::string::npos,
               r.err);
    auto secret = sb.get_json("secret", "istio-certs", "envoy-gateway-system");
    BOOST_TEST(secret.at("type").as_string() == "Opaque");
    BOOST_TEST(data_of(secret, "a") == "b");
}

BOOST_AUTO_TEST_CASE(api_permission_errors_name_the_rbac_rule) {
    Sandbox sb;
    sb.kube_fault(R"({"verb":"create","resource":"secrets","status":403,"reason":"Forbidden","count":10,
        "message":"secrets is forbidden: User \"system:serviceaccount:envoy-gateway-system:teg-istio\" cannot create resource \"secrets\""})");
    auto r = sb.run_agent({"--once"});
    BOOST_TEST(r.exit_code == 1);
    BOOST_TEST(r.err.find("\"create\"") != std::string::npos, r.err);
    BOOST_TEST(r.err.find("\"secrets\"") != std::string::npos, r.err);
    BOOST_TEST(r.err.find("envoy-gateway-system") != std::string::npos, r.err);
}

BOOST_AUTO_TEST_CASE(unauthorized_api_credentials_are_reported) {
    Sandbox sb;
    TempDir tmp;
    // The service account's kubeconfig with a token the API server never issued.
    auto kubeconfig = read_file(sb.sa_dir() + "/kubeconfig");
    write_file(tmp.file("bad-token"), "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln");
    std::string bad = "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: ";
    auto server_pos = kubeconfig.find("server:");
    auto server = kubeconfig.substr(server_pos + 7, kubeconfig.find('\n', server_pos) - server_pos - 7);
    bad += server + "\n    certificate-authority: " + sb.kube_dir() + "/ca.crt\nusers:\n- name: u\n  user:\n    tokenFile: " +
           tmp.file("bad-token") + "\ncontexts:\n- name: x\n  context:\n    cluster: c\n    user: u\ncurrent-context: x\n";
    write_file(tmp.file("kubeconfig"), bad);
    auto r = run_process({agent_binary(), "--once", "--ca-address", sb.ca_address(), "--root-cert-path", sb.root_cert(),
                          "--istio-token-path", sb.sa_dir() + "/istio-token", "--kubeconfig", tmp.file("kubeconfig")});
    BOOST_TEST(r.exit_code == 1);
    BOOST_TEST(r.err.find("unauthorized") != std::string::npos, r.err);
    BOOST_TEST(r.err.find(tmp.file("kubeconfig")) != std::string::npos, r.err);
}

BOOST_AUTO_TEST_CASE(conflicts_are_retried) {
    Sandbox sb;
    BOOST_TEST_REQUIRE(sb.run_agent({"--once"}).exit_code == 0);
    sb.kube_fault(R"({"verb":"update","resource":"secrets","status":409,"reason":"Conflict","count":2,
        "message":"Operation cannot be fulfilled on secrets \"istio-certs\": the object has been modified; please apply your changes to the latest version and try again"})");
    auto r = sb.run_agent({"--once"});
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(r.out.find("(updated)") != std::string::npos);
    BOOST_TEST(r.err.find("Secret changed since it was read; re-reading") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(logs_never_contain_tokens_or_keys) {
    Sandbox sb;
    auto r = sb.run_agent({"--once", "--log-level", "debug"});
    BOOST_TEST_REQUIRE(r.exit_code == 0, r.err);
    auto token = read_file(sb.sa_dir() + "/istio-token");
    while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
    auto secret = sb.get_json("secret", "istio-certs", "envoy-gateway-system");
    auto key = data_of(secret, "tls.key");
    auto all = r.out + r.err;
    BOOST_TEST(all.find(token) == std::string::npos);
    BOOST_TEST(all.find("PRIVATE KEY") == std::string::npos);
    BOOST_TEST(all.find(key.substr(40, 40)) == std::string::npos);
    BOOST_TEST(all.find("BEGIN CERTIFICATE") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
