#include "agent/setup/options.hpp"

#include "election/elector_config.hpp"
#include "util/duration.hpp"
#include "util/error.hpp"
#include "util/name_rules.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/program_options.hpp>

#include <algorithm>
#include <set>
#include <sstream>

namespace po = boost::program_options;

namespace gic::agent {
namespace {

constexpr std::chrono::hours max_cert_ttl{87600};
constexpr double min_renew_ratio = 0.02;
constexpr double max_renew_ratio = 0.98;

// Raw string values as typed; converted and validated after parsing so that every error can name
// its flag in our own words.
struct RawValues {
    std::string cert_ttl = "24h";
    std::string key_algorithm = "rsa-2048";
    std::string renew_ratio = "0.5";
    std::string leader_elect = "true";
    std::string once = "false";
    std::string lease_duration = "15s";
    std::string renew_deadline = "10s";
    std::string retry_period = "2s";
    std::string log_format = "text";
    std::string ca_call_timeout = "30s";
    std::string exec_plugin_timeout = "30s";
    std::string insecure_bootstrap = "false";
};

po::options_description describe_flags(Options& o, RawValues& raw) {
    po::options_description d("Flags");
    // clang-format off
    d.add_options()
        ("help,h", "Print this help and exit.")
        ("version", "Print the version and exit.")
        ("ca-address", po::value(&o.ca_address)->default_value(o.ca_address),
            "Istio CA gRPC endpoint used for CSR signing (host:port).")
        ("trust-domain", po::value(&o.trust_domain)->default_value(o.trust_domain),
            "SPIFFE trust domain of the identity (spiffe://<trust-domain>/ns/<ns>/sa/<sa>).")
        ("cluster-name", po::value(&o.cluster_name)->default_value(o.cluster_name),
            "Sent to istiod as the clusterid header; must match istiod's cluster ID.")
        ("sa-name", po::value(&o.sa_name),
            "Service account of the identity. Default: from the Istio token's claims.")
        ("sa-namespace", po::value(&o.sa_namespace),
            "Namespace of the identity. Default: from the Istio token's claims.")
        ("output-secret", po::value(&o.output_secret)->default_value(o.output_secret),
            "Name of the kubernetes.io/tls Secret the certificate, key and root are written to.")
        ("output-secret-ns", po::value(&o.output_secret_namespace),
            "Namespace of the output Secret. Default: the service account's namespace.")
        ("leader-election-id", po::value(&o.leader_election_id),
            "Lease name for leader election. Default: <sa-name>.gen-istio-cert.teg.tetrate.io.")
        ("kubeconfig", po::value(&o.kubeconfig),
            "Path to a kubeconfig. Default: in-cluster configuration.")
        ("context", po::value(&o.context),
            "Kubeconfig context to use. Default: current-context.")
        ("istio-token-path", po::value(&o.istio_token_path)->default_value(o.istio_token_path),
            "Projected service-account token (audience istio-ca) presented to istiod.")
        ("sa-token-path", po::value(&o.sa_token_path)->default_value(o.sa_token_path),
            "Service-account token used for the Kubernetes API in-cluster.")
        ("root-cert-path", po::value(&o.root_cert_path)->default_value(o.root_cert_path),
            "Istio root certificate bundle; istiod is verified against it and it is written as ca.crt.")
        ("ca-tls-server-name", po::value(&o.ca_tls_server_name),
            "TLS name istiod's certificate is verified against. Default: the host of --ca-address, or "
            "istiod.istio-system.svc when that host is an IP address or localhost.")
        ("cert-ttl", po::value(&raw.cert_ttl)->default_value(raw.cert_ttl),
            "Requested certificate lifetime (Go duration, e.g. 24h; 1s to 87600h).")
        ("key-algorithm", po::value(&raw.key_algorithm)->default_value(raw.key_algorithm),
            ("Private key algorithm: " + pki::key_algorithm_names() + ".").c_str())
        ("renew-ratio", po::value(&raw.renew_ratio)->default_value(raw.renew_ratio),
            "Renew when this fraction of the certificate's lifetime remains (0.02 to 0.98, jitter +-0.01).")
        ("leader-elect", po::value(&raw.leader_elect)->default_value(raw.leader_elect)->implicit_value("true"),
            "Coordinate replicas with a Lease; only the leader writes the Secret.")
        ("leader-election-namespace", po::value(&o.leader_election_namespace),
            "Namespace of the Lease. Default: the output Secret's namespace.")
        ("lease-duration", po::value(&raw.lease_duration)->default_value(raw.lease_duration),
            "How long followers wait after the last observed renewal before taking over. Whole seconds, at "
            "most 1h, at least --renew-deadline + max(1s, --renew-deadline / 2).")
        ("renew-deadline", po::value(&raw.renew_deadline)->default_value(raw.renew_deadline),
            "How long the leader retries renewing before it stops leading.")
        ("retry-period", po::value(&raw.retry_period)->default_value(raw.retry_period),
            "Interval between the leader's Lease renewals (at least 100ms).")
        ("once", po::value(&raw.once)->default_value(raw.once)->implicit_value("true"),
            "Issue one certificate, write it, print a summary and exit.")
        ("output-dir", po::value(&o.output_dir),
            "Write tls.crt, tls.key and ca.crt to this directory instead of a Secret (kubelet's ..data layout; "
            "created 0700; refused if a symlink, another user's, or writable by others without the sticky bit).")
        ("metrics-bind-address", po::value(&o.metrics_bind_address)->default_value(o.metrics_bind_address),
            "Address of the Prometheus /metrics endpoint; \"0\" disables it.")
        ("health-probe-bind-address", po::value(&o.health_probe_bind_address)->default_value(o.health_probe_bind_address),
            "Address of /healthz and /readyz; \"0\" disables it.")
        ("log-level", po::value(&o.log_level)->default_value(o.log_level),
            "debug, info, warning or error.")
        ("log-format", po::value(&raw.log_format)->default_value(raw.log_format),
            "text or json.")
        ("ca-call-timeout", po::value(&raw.ca_call_timeout)->default_value(raw.ca_call_timeout),
            "Deadline of one CreateCertificate call.")
        ("exec-plugin-timeout", po::value(&raw.exec_plugin_timeout)->default_value(raw.exec_plugin_timeout),
            "Deadline of one run of a kubeconfig exec credential plugin; past it the plugin is killed.")
        ("insecure-allow-bootstrap-over-unverified-api",
            po::value(&raw.insecure_bootstrap)->default_value(raw.insecure_bootstrap)->implicit_value("true"),
            "With insecure-skip-tls-verify in the kubeconfig, still read the Istio root from the API and mint "
            "the Istio token with TokenRequest (an impostor API server could then hand out its own mesh root and "
            "capture the token). Without it, mount both (--root-cert-path, --istio-token-path).");
    // clang-format on
    return d;
}

template <class Duration>
Duration parse_duration_flag(std::string const& flag, std::string const& text, bool allow_zero = false) {
    auto d = util::parse_go_duration(text);
    if (!d) throw ConfigError("--" + flag + ": invalid duration " + util::quoted(text) + " (use a Go duration such as 90s, 15m or 24h)");
    if (!allow_zero && d->count() == 0) throw ConfigError("--" + flag + ": must be greater than zero");
    return std::chrono::duration_cast<Duration>(*d);
}

bool parse_bool_flag(std::string const& flag, std::string const& text) {
    if (text == "true" || text == "1" || text == "t" || text == "True" || text == "TRUE") return true;
    if (text == "false" || text == "0" || text == "f" || text == "False" || text == "FALSE") return false;
    throw ConfigError("--" + flag + ": invalid boolean " + util::quoted(text) + " (use true or false)");
}

void validate_bind_address(std::string const& flag, std::string const& value) {
    if (value == "0") return;
    split_host_port(value, flag);
}

void check_name(std::string const& flag, util::NameRule const& rule, std::string const& value) {
    if (auto bad = util::name_violation(rule, value); !bad.empty()) throw ConfigError("--" + flag + ": " + bad);
}

// Empty means "derived at startup" (from the token's claims or another flag).
void check_optional_name(std::string const& flag, util::NameRule const& rule, std::string const& value) {
    if (!value.empty()) check_name(flag, rule, value);
}

// Every name that goes into a request path, a Lease, the SPIFFE ID or a header, against the
// rule the API server (or SPIFFE, or gRPC) applies to it.
void validate_names(Options const& o) {
    check_name("trust-domain", util::spiffe_trust_domain, o.trust_domain);
    check_name("cluster-name", util::grpc_header_value, o.cluster_name);
    check_optional_name("sa-name", util::service_account_name, o.sa_name);
    check_optional_name("sa-namespace", util::namespace_name, o.sa_namespace);
    // With --output-dir no Secret is written, so the name may be empty.
    if (o.output_dir.empty()) check_name("output-secret", util::secret_name, o.output_secret);
    else check_optional_name("output-secret", util::secret_name, o.output_secret);
    check_optional_name("output-secret-ns", util::namespace_name, o.output_secret_namespace);
    check_optional_name("leader-election-id", util::lease_name, o.leader_election_id);
    check_optional_name("leader-election-namespace", util::namespace_name, o.leader_election_namespace);
    // Only an elected, continuous agent uses the Lease.
    if (o.leader_elect && !o.once && o.leader_election_id.empty() && !o.sa_name.empty()) {
        auto bad = util::name_violation(util::lease_name, election::default_lease_name(o.sa_name));
        if (!bad.empty()) throw ConfigError("--leader-election-id: the default Lease name " + bad + "; set --leader-election-id");
    }
}

void convert_and_validate(Options& o, RawValues const& raw) {
    o.cert_ttl = parse_duration_flag<std::chrono::seconds>("cert-ttl", raw.cert_ttl);
    if (o.cert_ttl < std::chrono::seconds(1))
        throw ConfigError("--cert-ttl: must be at least 1s (istiod counts validity in whole seconds)");
    if (o.cert_ttl > max_cert_ttl)
        throw ConfigError("--cert-ttl: must be at most 87600h (10 years; istiod allows 2160h by default)");
    auto algorithm = pki::parse_key_algorithm(raw.key_algorithm);
    if (!algorithm)
        throw ConfigError("--key-algorithm: unknown algorithm " + util::quoted(raw.key_algorithm) + " (use one of " +
                          pki::key_algorithm_names() + ")");
    o.key_algorithm = *algorithm;

    std::istringstream ratio_in(raw.renew_ratio);
    double ratio = 0;
    if (!(ratio_in >> ratio) || !ratio_in.eof() || !(ratio >= min_renew_ratio && ratio <= max_renew_ratio))
        throw ConfigError("--renew-ratio: " + util::quoted(raw.renew_ratio) +
                          " is not a number from 0.02 to 0.98 (the renewal time is jittered by +-0.01 and must stay "
                          "between issuance and expiry)");
    o.renew_ratio = ratio;

    o.leader_elect = parse_bool_flag("leader-elect", raw.leader_elect);
    o.once = parse_bool_flag("once", raw.once);
    o.lease_duration = parse_duration_flag<std::chrono::milliseconds>("lease-duration", raw.lease_duration);
    o.renew_deadline = parse_duration_flag<std::chrono::milliseconds>("renew-deadline", raw.renew_deadline);
    o.retry_period = parse_duration_flag<std::chrono::milliseconds>("retry-period", raw.retry_period);
    if (auto timings = election::validate_timings(o.lease_duration, o.renew_deadline, o.retry_period); !timings)
        throw ConfigError(timings.error().message);
    o.ca_call_timeout = parse_duration_flag<std::chrono::milliseconds>("ca-call-timeout", raw.ca_call_timeout);
    o.exec_plugin_timeout = parse_duration_flag<std::chrono::milliseconds>("exec-plugin-timeout", raw.exec_plugin_timeout);
    o.insecure_allow_bootstrap_over_unverified_api =
        parse_bool_flag("insecure-allow-bootstrap-over-unverified-api", raw.insecure_bootstrap);

    if (raw.log_format == "text") o.log_format = LogFormat::text;
    else if (raw.log_format == "json") o.log_format = LogFormat::json;
    else throw ConfigError("--log-format: unknown format " + util::quoted(raw.log_format) + " (use text or json)");
    if (o.log_level != "debug" && o.log_level != "info" && o.log_level != "warning" && o.log_level != "error")
        throw ConfigError("--log-level: unknown level " + util::quoted(o.log_level) + " (use debug, info, warning or error)");

    // The host becomes gRPC's :authority and the TLS name: an IP address or a DNS name, nothing else.
    auto const ca_host = split_host_port(o.ca_address, "ca-address").host;
    boost::system::error_code not_ip;
    boost::asio::ip::make_address(ca_host, not_ip);
    if (not_ip) check_name("ca-address", util::host_name, ca_host);
    check_optional_name("ca-tls-server-name", util::host_name, o.ca_tls_server_name);
    validate_bind_address("metrics-bind-address", o.metrics_bind_address);
    validate_bind_address("health-probe-bind-address", o.health_probe_bind_address);
    validate_names(o);
}

// Go reads "--flag=" as an empty value; Boost refuses it, but takes "--flag" "" as one.
std::vector<std::string> split_empty_values(int argc, char const* const argv[]) {
    std::vector<std::string> args;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg.starts_with("--") && arg.find('=') == arg.size() - 1) {
            arg.pop_back();
            args.push_back(arg);
            args.emplace_back();
        } else {
            args.push_back(std::move(arg));
        }
    }
    return args;
}

// Go's flag packages let a later occurrence of a flag override an earlier one; Boost refuses a
// second value. Keep only the last occurrence of each flag, in place.
void keep_last_occurrences(std::vector<po::option>& given) {
    std::set<std::string> seen;
    std::vector<po::option> kept;
    for (auto it = given.rbegin(); it != given.rend(); ++it) {
        if (it->unregistered || it->string_key.empty() || seen.insert(it->string_key).second) kept.push_back(*it);
    }
    std::reverse(kept.begin(), kept.end());
    given = std::move(kept);
}

}  // namespace

HostPort split_host_port(std::string const& address, std::string const& flag) {
    auto bad = [&](std::string const& why) {
        return ConfigError("--" + flag + ": " + util::quoted(address) + " " + why + " (expected host:port)");
    };
    HostPort hp;
    std::string rest;
    if (!address.empty() && address.front() == '[') {
        auto close = address.find(']');
        if (close == std::string::npos) throw bad("has an unclosed '['");
        hp.host = address.substr(1, close - 1);
        rest = address.substr(close + 1);
        if (rest.empty() || rest.front() != ':') throw bad("has no port");
        hp.port = rest.substr(1);
    } else {
        auto colon = address.rfind(':');
        if (colon == std::string::npos) throw bad("has no port");
        hp.host = address.substr(0, colon);
        hp.port = address.substr(colon + 1);
        if (hp.host.find(':') != std::string::npos) throw bad("has an IPv6 address without brackets");
    }
    if (hp.port.empty() || hp.port.find_first_not_of("0123456789") != std::string::npos || hp.port.size() > 5 ||
        std::stoi(hp.port) > 65535)
        throw bad("has an invalid port");
    return hp;
}

std::string effective_ca_tls_server_name(Options const& options) {
    if (!options.ca_tls_server_name.empty()) return options.ca_tls_server_name;
    auto host = split_host_port(options.ca_address, "ca-address").host;
    boost::system::error_code ec;
    boost::asio::ip::make_address(host, ec);
    if (!ec || host.find("localhost") != std::string::npos) return "istiod.istio-system.svc";
    return host;
}

std::string help_text() {
    Options o;
    RawValues raw;
    std::ostringstream out;
    out << "Usage: gen-istio-cert [flags]\n\n"
           "Keeps an Istio workload certificate for spiffe://<trust-domain>/ns/<ns>/sa/<sa> in a\n"
           "kubernetes.io/tls Secret (or a directory), renewing it before it expires.\n\n"
        << describe_flags(o, raw)
        << "\nNames are checked with the Kubernetes API server's rules (docs/flags.md). A flag given twice\n"
           "takes its last value.\n"
           "Exit codes: 0 success or clean shutdown, 1 runtime failure, 2 usage or configuration error.\n";
    return out.str();
}

ParsedCommandLine parse_command_line(int argc, char const* const argv[]) {
    ParsedCommandLine parsed;
    RawValues raw;
    auto flags = describe_flags(parsed.options, raw);
    po::variables_map vm;
    try {
        auto style = po::command_line_style::unix_style & ~po::command_line_style::allow_guessing;
        auto args = split_empty_values(argc, argv);
        auto given = po::command_line_parser(args).options(flags).style(style).run();
        keep_last_occurrences(given.options);
        po::store(given, vm);
        po::notify(vm);
    } catch (po::unknown_option const& e) {
        throw ConfigError("unknown flag " + util::escaped(e.get_option_name()) + " (see --help)");
    } catch (po::error const& e) {
        throw ConfigError(util::escaped(e.what(), 400) + " (see --help)");
    }
    if (vm.count("help")) {
        parsed.action = Action::help;
        return parsed;
    }
    if (vm.count("version")) {
        parsed.action = Action::version;
        return parsed;
    }
    convert_and_validate(parsed.options, raw);
    return parsed;
}

}  // namespace gic::agent
