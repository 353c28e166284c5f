#include "agent/options.hpp"

#include "util/error.hpp"

#include <boost/test/unit_test.hpp>

#include <vector>

using namespace gic;
using namespace gic::agent;

namespace {

ParsedCommandLine parse(std::vector<char const*> args) {
    args.insert(args.begin(), "gen-istio-cert");
    return parse_command_line(int(args.size()), args.data());
}

// The message of the ConfigError the arguments produce ("" when none).
std::string error_of(std::vector<char const*> args) {
    try {
        parse(std::move(args));
    } catch (ConfigError const& e) {
        return e.what();
    }
    return {};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_options)

BOOST_AUTO_TEST_CASE(seed_defaults) {
    auto o = parse({}).options;
    BOOST_TEST(o.ca_address == "istiod.istio-system.svc:15012");
    BOOST_TEST(o.trust_domain == "cluster.local");
    BOOST_TEST(o.cluster_name == "Kubernetes");
    BOOST_TEST(o.sa_name.empty());
    BOOST_TEST(o.sa_namespace.empty());
    BOOST_TEST(o.output_secret == "istio-certs");
    BOOST_TEST(o.output_secret_namespace.empty());
    BOOST_TEST(o.leader_election_id.empty());
    BOOST_TEST(o.istio_token_path == "/var/run/secrets/tokens/istio-token");
    BOOST_TEST(o.root_cert_path == "/var/run/secrets/istio/root-cert.pem");
    BOOST_TEST(o.cert_ttl.count() == 86400);
    BOOST_TEST((o.key_algorithm == pki::KeyAlgorithm::rsa2048));
    BOOST_TEST(o.renew_ratio == 0.5);
    BOOST_TEST(o.leader_elect);
    BOOST_TEST(o.lease_duration.count() == 15000);
    BOOST_TEST(o.renew_deadline.count() == 10000);
    BOOST_TEST(o.retry_period.count() == 2000);
    BOOST_TEST(!o.once);
}

BOOST_AUTO_TEST_CASE(values_are_converted) {
    auto o = parse({"--cert-ttl=1h30m", "--key-algorithm", "ecdsa-p384", "--renew-ratio=0.25", "--leader-elect=false",
                    "--once", "--output-dir", "/tmp/x", "--log-format=json", "--sa-name=gw", "--sa-namespace", "ns"})
                 .options;
    BOOST_TEST(o.cert_ttl.count() == 5400);
    BOOST_TEST((o.key_algorithm == pki::KeyAlgorithm::ecdsa_p384));
    BOOST_TEST(o.renew_ratio == 0.25);
    BOOST_TEST(!o.leader_elect);
    BOOST_TEST(o.once);
    BOOST_TEST(o.output_dir == "/tmp/x");
    BOOST_TEST((o.log_format == LogFormat::json));
    BOOST_TEST(o.sa_name == "gw");
    BOOST_TEST(o.sa_namespace == "ns");
}

BOOST_AUTO_TEST_CASE(help_and_version) {
    BOOST_TEST((parse({"--help"}).action == Action::help));
    BOOST_TEST((parse({"--version"}).action == Action::version));
    auto help = help_text();
    for (auto flag : {"--ca-address", "--trust-domain", "--cluster-name", "--sa-name", "--sa-namespace", "--output-secret",
                      "--output-secret-ns", "--leader-election-id", "--kubeconfig", "--root-cert-path", "--cert-ttl",
                      "--key-algorithm", "--once", "--output-dir"})
        BOOST_TEST(help.find(flag) != std::string::npos, flag << " missing from --help");
}

BOOST_AUTO_TEST_CASE(bad_values_name_the_flag) {
    BOOST_TEST(error_of({"--key-algorithm=dsa-1024"}).find("--key-algorithm: unknown algorithm \"dsa-1024\"") == 0);
    BOOST_TEST(error_of({"--cert-ttl=ten"}).find("--cert-ttl: invalid duration \"ten\"") == 0);
    BOOST_TEST(error_of({"--cert-ttl=0"}).find("--cert-ttl: must be greater than zero") == 0);
    BOOST_TEST(error_of({"--cert-ttl=500ms"}).find("--cert-ttl: must be at least 1s") == 0);
    BOOST_TEST(error_of({"--renew-ratio=1.5"}).find("--renew-ratio") == 0);
    BOOST_TEST(error_of({"--renew-ratio=abc"}).find("--renew-ratio") == 0);
    BOOST_TEST(error_of({"--leader-elect=maybe"}).find("--leader-elect: invalid boolean") == 0);
    BOOST_TEST(error_of({"--log-format=xml"}).find("--log-format") == 0);
    BOOST_TEST(error_of({"--log-level=loud"}).find("--log-level") == 0);
    BOOST_TEST(error_of({"--ca-address=istiod"}).find("--ca-address: \"istiod\" has no port") == 0);
    BOOST_TEST(error_of({"--ca-address=istiod:99999"}).find("--ca-address") == 0);
    BOOST_TEST(error_of({"--metrics-bind-address=nope"}).find("--metrics-bind-address") == 0);
    BOOST_TEST(error_of({"--no-such-flag"}).find("unknown flag --no-such-flag") == 0);
    BOOST_TEST(error_of({"--kubeconfig"}).find("kubeconfig") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(leader_election_timings_follow_client_go_rules) {
    BOOST_TEST(error_of({"--lease-duration=10s", "--renew-deadline=10s"}) ==
               "--lease-duration must be greater than --renew-deadline");
    BOOST_TEST(error_of({"--renew-deadline=2s", "--retry-period=2s", "--lease-duration=15s"}) ==
               "--renew-deadline must be greater than 1.2 x --retry-period");
    BOOST_TEST(error_of({"--lease-duration=5s", "--renew-deadline=3s", "--retry-period=1s"}).empty());
}

BOOST_AUTO_TEST_CASE(split_host_port_handles_ipv6) {
    auto hp = split_host_port("[::1]:15012", "ca-address");
    BOOST_TEST(hp.host == "::1");
    BOOST_TEST(hp.port == "15012");
    BOOST_CHECK_THROW(split_host_port("::1:15012", "ca-address"), ConfigError);
    BOOST_CHECK_THROW(split_host_port("[::1]", "ca-address"), ConfigError);
}

BOOST_AUTO_TEST_CASE(tls_server_name_defaults_like_pilot_agent) {
    Options o;
    BOOST_TEST(effective_ca_tls_server_name(o) == "istiod.istio-system.svc");
    o.ca_address = "istiod-1-22.istio-system.svc:15012";
    BOOST_TEST(effective_ca_tls_server_name(o) == "istiod-1-22.istio-system.svc");
    o.ca_address = "127.0.0.1:15012";
    BOOST_TEST(effective_ca_tls_server_name(o) == "istiod.istio-system.svc");
    o.ca_address = "localhost:15012";
    BOOST_TEST(effective_ca_tls_server_name(o) == "istiod.istio-system.svc");
    o.ca_address = "[::1]:15012";
    BOOST_TEST(effective_ca_tls_server_name(o) == "istiod.istio-system.svc");
    o.ca_tls_server_name = "istiod-remote.istio-system.svc";
    BOOST_TEST(effective_ca_tls_server_name(o) == "istiod-remote.istio-system.svc");
}

BOOST_AUTO_TEST_SUITE_END()
