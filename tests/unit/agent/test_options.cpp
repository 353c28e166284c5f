#include "agent/setup/options.hpp"

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
               "--lease-duration: must be greater than --renew-deadline");
    BOOST_TEST(error_of({"--renew-deadline=2s", "--retry-period=2s", "--lease-duration=15s"}) ==
               "--renew-deadline: must be greater than 1.2 x --retry-period");
    BOOST_TEST(error_of({"--lease-duration=5s", "--renew-deadline=3s", "--retry-period=1s"}).empty());
}

BOOST_AUTO_TEST_CASE(the_lease_never_says_less_than_the_leader_acts_on) {
    // Whole seconds only: the Lease records leaseDurationSeconds, and rounding down would shorten it.
    BOOST_TEST(error_of({"--lease-duration=15500ms"}).find("--lease-duration: must be a whole number of seconds") == 0);
    BOOST_TEST(error_of({"--lease-duration=1.5s", "--renew-deadline=400ms", "--retry-period=100ms"})
                   .find("--lease-duration: must be a whole number of seconds") == 0);
    BOOST_TEST(error_of({"--lease-duration=500ms", "--renew-deadline=400ms", "--retry-period=100ms"})
                   .find("--lease-duration: must be a whole number of seconds") == 0);
    // The retry period plus the renew deadline (how long a leader keeps trying) must fit in the lease.
    auto const tight = error_of({"--lease-duration=16s", "--renew-deadline=15s"});
    BOOST_TEST(tight.find("--lease-duration: must be at least --retry-period plus --renew-deadline "
                          "(2s + 15s), use 17s or more") == 0,
               tight);
    BOOST_TEST(error_of({"--lease-duration=17s", "--renew-deadline=15s"}).empty());
    BOOST_TEST(error_of({"--lease-duration=3s", "--renew-deadline=2s", "--retry-period=500ms"}).empty());
    BOOST_TEST(error_of({"--lease-duration=2s", "--renew-deadline=1600ms", "--retry-period=500ms"})
                   .find("use 3s or more") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(absurd_timings_are_rejected) {
    BOOST_TEST(error_of({"--lease-duration=2h", "--renew-deadline=10s"}).find("--lease-duration: must be at most 1h0m0s") == 0);
    BOOST_TEST(error_of({"--lease-duration=1h", "--renew-deadline=30m", "--retry-period=1m"}).empty());
    BOOST_TEST(error_of({"--retry-period=10ms"}).find("--retry-period: must be at least 100ms") == 0);
    BOOST_TEST(error_of({"--retry-period=0"}).find("--retry-period: must be greater than zero") == 0);
    BOOST_TEST(error_of({"--renew-deadline=0"}).find("--renew-deadline: must be greater than zero") == 0);
    BOOST_TEST(error_of({"--cert-ttl=87601h"}).find("--cert-ttl: must be at most 87600h") == 0);
    BOOST_TEST(error_of({"--cert-ttl=87600h"}).empty());
    BOOST_TEST(error_of({"--cert-ttl=9999999999h"}).find("--cert-ttl: invalid duration") == 0);
    BOOST_TEST(error_of({"--renew-ratio=0.01"}).find("--renew-ratio: \"0.01\" is not a number from 0.02 to 0.98") == 0);
    BOOST_TEST(error_of({"--renew-ratio=0.99"}).find("--renew-ratio") == 0);
    BOOST_TEST(error_of({"--renew-ratio=nan"}).find("--renew-ratio") == 0);
    BOOST_TEST(error_of({"--renew-ratio=0.02"}).empty());
    BOOST_TEST(error_of({"--renew-ratio=0.98"}).empty());
}

BOOST_AUTO_TEST_CASE(a_repeated_flag_takes_its_last_value) {
    auto o = parse({"--output-secret=first", "--cert-ttl=1h", "--output-secret", "second", "--cert-ttl=2h"}).options;
    BOOST_TEST(o.output_secret == "second");
    BOOST_TEST(o.cert_ttl.count() == 7200);
    BOOST_TEST(!parse({"--leader-elect", "--leader-elect=false"}).options.leader_elect);
    BOOST_TEST(parse({"--leader-elect=false", "--leader-elect"}).options.leader_elect);
    BOOST_TEST(parse({"--once", "--once"}).options.once);
    BOOST_TEST(!parse({"--once", "--once=false"}).options.once);
    BOOST_TEST(parse({"--once=false", "--once=true"}).options.once);
    // "--flag=" is an empty value, as in Go.
    BOOST_TEST(parse({"--sa-name=gw", "--sa-name="}).options.sa_name.empty());
    BOOST_TEST(error_of({"--once="}).find("--once: invalid boolean \"\"") == 0);
    // An invalid earlier value is overridden, as in Go; an invalid last value still fails.
    BOOST_TEST(error_of({"--sa-name=Bad", "--sa-name=good"}).empty());
    BOOST_TEST(error_of({"--sa-name=good", "--sa-name=Bad"}).find("--sa-name") == 0);
    // Other flags keep their order and values.
    o = parse({"--sa-namespace=a", "--sa-name=x", "--sa-namespace=b"}).options;
    BOOST_TEST(o.sa_namespace == "b");
    BOOST_TEST(o.sa_name == "x");
}

BOOST_AUTO_TEST_CASE(default_ports_leave_gateway_and_envoy_ports_free) {
    auto o = parse({}).options;
    BOOST_TEST(o.metrics_bind_address == ":18090");
    BOOST_TEST(o.health_probe_bind_address == ":18091");
    BOOST_TEST(help_text().find(":18090") != std::string::npos);
    BOOST_TEST(help_text().find(":18091") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(kubernetes_names_follow_the_api_servers_rules) {
    struct Case {
        char const* flag;
        char const* kind;
    };
    std::vector<Case> const names = {{"--output-secret", "Secret name"},
                                     {"--output-secret-ns", "namespace name"},
                                     {"--leader-election-id", "Lease name"},
                                     {"--leader-election-namespace", "namespace name"},
                                     {"--sa-name", "service account name"},
                                     {"--sa-namespace", "namespace name"}};
    std::vector<std::string> const bad_values = {"a\r\nb", "a/b", "..", "Upper", std::string(254, 'a'), "a b", "a%2fb"};
    for (auto const& name : names) {
        for (auto const& value : bad_values) {
            auto const arg = std::string(name.flag) + "=" + value;
            auto const message = error_of({arg.c_str()});
            BOOST_TEST(message.find(std::string(name.flag) + ": ") == 0, arg << " -> " << message);
            BOOST_TEST(message.find(std::string("is not a valid ") + name.kind) != std::string::npos, message);
            BOOST_TEST(message.find('\n') == std::string::npos);
            BOOST_TEST(message.find('\r') == std::string::npos);
        }
    }
    // Namespaces are labels: no dots, at most 63.
    BOOST_TEST(error_of({"--sa-namespace=a.b"}).find("--sa-namespace") == 0);
    BOOST_TEST(error_of({("--output-secret-ns=" + std::string(64, 'a')).c_str()}).find("longer than 63") != std::string::npos);
    // Subdomains may have dots.
    BOOST_TEST(error_of({"--sa-name=a.b", "--output-secret=tls.gw", "--leader-election-id=x.y.z"}).empty());
    // Empty: derived at startup, except the Secret's name (unless --output-dir).
    BOOST_TEST(error_of({"--sa-name=", "--sa-namespace=", "--output-secret-ns=", "--leader-election-id="}).empty());
    BOOST_TEST(error_of({"--output-secret="}).find("--output-secret: \"\" is not a valid Secret name: empty") == 0);
    BOOST_TEST(error_of({"--output-secret=", "--output-dir=/tmp/out"}).empty());
    BOOST_TEST(error_of({"--output-secret=A", "--output-dir=/tmp/out"}).find("--output-secret") == 0);
}

BOOST_AUTO_TEST_CASE(the_default_lease_name_must_be_a_valid_name_too) {
    auto const sa = std::string(230, 'a');
    auto const message = error_of({("--sa-name=" + sa).c_str()});
    BOOST_TEST(message.find("--leader-election-id: the default Lease name \"aaaa") == 0, message);
    BOOST_TEST(message.find("longer than 253 characters") != std::string::npos);
    BOOST_TEST(message.find("; set --leader-election-id") != std::string::npos);
    BOOST_TEST(error_of({("--sa-name=" + sa).c_str(), "--leader-election-id=gw"}).empty());
    // No Lease without election or with --once.
    BOOST_TEST(error_of({("--sa-name=" + sa).c_str(), "--once"}).empty());
    BOOST_TEST(error_of({("--sa-name=" + sa).c_str(), "--leader-elect=false"}).empty());
}

BOOST_AUTO_TEST_CASE(trust_domain_and_cluster_name) {
    BOOST_TEST(error_of({"--trust-domain=example.org"}).empty());
    for (std::string bad : {std::string(), std::string("Cluster.Local"), std::string("td:15012"), std::string("user@td"),
                            std::string("td/ns/x"), std::string("td\n"), std::string(256, 'a')}) {
        auto const arg = std::string("--trust-domain=") + bad;
        BOOST_TEST(error_of({arg.c_str()}).find("--trust-domain: ") == 0, arg);
        BOOST_TEST(error_of({arg.c_str()}).find("is not a valid SPIFFE trust domain") != std::string::npos, arg);
    }
    BOOST_TEST(error_of({"--cluster-name="}).empty());
    BOOST_TEST(error_of({"--cluster-name=Kubernetes"}).empty());
    BOOST_TEST(error_of({"--cluster-name=cluster-1"}).empty());
    for (std::string bad : {std::string("a\r\nx-evil: 1"), std::string("a\nb"), std::string("a\tb"), std::string(" a"),
                            std::string(254, 'c')}) {
        auto const arg = std::string("--cluster-name=") + bad;
        auto const message = error_of({arg.c_str()});
        BOOST_TEST(message.find("--cluster-name: ") == 0, message);
        BOOST_TEST(message.find('\n') == std::string::npos);
    }
}

BOOST_AUTO_TEST_CASE(ca_host_and_tls_name_are_ip_addresses_or_dns_names) {
    for (auto ok : {"istiod.istio-system.svc:15012", "Istiod.Example.COM:443", "10.0.0.1:15012", "[fd00::1]:15012",
                    "localhost:15012"})
        BOOST_TEST(error_of({(std::string("--ca-address=") + ok).c_str()}).empty(), ok);
    for (auto bad : {"istiod/x:15012", "a\r\nb:15012", "user@istiod:15012", "istiod..svc:15012", ":15012"}) {
        auto const message = error_of({(std::string("--ca-address=") + bad).c_str()});
        BOOST_TEST(message.find("--ca-address: ") == 0, message);
        BOOST_TEST(message.find('\n') == std::string::npos, message);
    }
    BOOST_TEST(error_of({"--ca-tls-server-name=istiod-remote.istio-system.svc"}).empty());
    BOOST_TEST(error_of({"--ca-tls-server-name=istiod\r\nx: y"}).find("--ca-tls-server-name: ") == 0);
    BOOST_TEST(error_of({"--ca-tls-server-name=a/b"}).find("is not a valid host name") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(every_message_is_one_line) {
    for (auto arg : {"--cert-ttl=1\nh", "--key-algorithm=rsa\r\n", "--log-level=a\nb", "--log-format=\n",
                     "--ca-address=a\nb", "--metrics-bind-address=x\ny", "--leader-elect=\n", "--renew-ratio=0.5\n",
                     "--no-such\nflag"}) {
        auto const message = error_of({arg});
        BOOST_TEST(!message.empty(), arg);
        BOOST_TEST(message.find('\n') == std::string::npos, message);
        BOOST_TEST(message.find('\r') == std::string::npos, message);
    }
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
