#pragma once
// Command-line flags (DESIGN.md section 5): parsed with Boost.Program_options, validated, and turned
// into typed values. Seed flags keep their names and defaults.

#include "pki/key.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace gic::agent {

enum class LogFormat { text, json };

struct Options {
    // Seed flags.
    std::string ca_address = "istiod.istio-system.svc:15012";
    std::string trust_domain = "cluster.local";
    std::string cluster_name = "Kubernetes";
    std::string sa_name;
    std::string sa_namespace;
    std::string output_secret = "istio-certs";
    std::string output_secret_namespace;
    std::string leader_election_id;

    // Ours.
    std::string kubeconfig;  // empty: KUBECONFIG / in-cluster
    std::string context;
    std::string istio_token_path = "/var/run/secrets/tokens/istio-token";
    std::string sa_token_path = "/var/run/secrets/kubernetes.io/serviceaccount/token";
    std::string root_cert_path = "/var/run/secrets/istio/root-cert.pem";
    std::string ca_tls_server_name;  // empty: derived from --ca-address
    std::chrono::seconds cert_ttl{24 * 3600};
    pki::KeyAlgorithm key_algorithm = pki::KeyAlgorithm::rsa2048;
    double renew_ratio = 0.5;
    bool leader_elect = true;
    std::string leader_election_namespace;
    std::chrono::milliseconds lease_duration{15'000};
    std::chrono::milliseconds renew_deadline{10'000};
    std::chrono::milliseconds retry_period{2'000};
    bool once = false;
    std::string output_dir;
    // Not 8080/8081: a Gateway listener on 8080 shares the pod's network namespace, and Envoy
    // Gateway's proxy uses 19000-19003.
    std::string metrics_bind_address = ":18090";
    std::string health_probe_bind_address = ":18091";
    std::string log_level = "info";
    LogFormat log_format = LogFormat::text;
    std::chrono::milliseconds ca_call_timeout{30'000};
    std::chrono::milliseconds exec_plugin_timeout{30'000};  // one run of a kubeconfig exec plugin
    // Learn the mesh root (ConfigMap) or mint the mesh token (TokenRequest) over an API connection
    // whose certificate is not verified (kubeconfig insecure-skip-tls-verify).
    bool insecure_allow_bootstrap_over_unverified_api = false;
};

// What the command line asked for besides running.
enum class Action { run, help, version };

struct ParsedCommandLine {
    Action action = Action::run;
    Options options;
};

// Throws gic::ConfigError with a one-line message naming the flag on any usage error. Names and
// timings are checked here, before any file is read. A flag given more than once takes its last
// value, as Go's flag packages do (so patches can append overrides to a Deployment's args).
ParsedCommandLine parse_command_line(int argc, char const* const argv[]);

// The --help text (also the source of docs/flags.md, kept in sync by a test).
std::string help_text();

// host and port of --ca-address ("[::1]:15012" allowed). Throws ConfigError.
struct HostPort {
    std::string host;
    std::string port;
};
HostPort split_host_port(std::string const& address, std::string const& flag);

// The TLS name to verify istiod by: --ca-tls-server-name, else the host of --ca-address, except that
// an IP address or a host containing "localhost" maps to istiod.istio-system.svc (pilot-agent's rule:
// istiod's certificate has no IP SANs, and a port-forward dials localhost).
std::string effective_ca_tls_server_name(Options const& options);

}  // namespace gic::agent
