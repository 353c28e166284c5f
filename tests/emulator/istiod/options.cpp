#include "options.hpp"

#include "util/duration.hpp"
#include "util/error.hpp"

#include <boost/program_options.hpp>

#include <iostream>

namespace gic::emu::istiod {
namespace po = boost::program_options;

namespace {

std::chrono::seconds parse_duration_flag(std::string const& value, std::string const& flag) {
    auto d = util::parse_go_duration(value);
    if (!d || *d <= std::chrono::nanoseconds{0})
        throw ConfigError("--" + flag + ": invalid duration \"" + value + "\" (expected a positive Go duration such as 24h)");
    return std::chrono::duration_cast<std::chrono::seconds>(*d);
}

// Accepts both repeated flags and comma-separated lists (istiod's TOKEN_AUDIENCES is comma-separated).
std::vector<std::string> split_commas(std::vector<std::string> const& values) {
    std::vector<std::string> out;
    for (auto const& v : values) {
        std::size_t start = 0;
        while (start <= v.size()) {
            auto end = v.find(',', start);
            if (end == std::string::npos) end = v.size();
            if (end > start) out.push_back(v.substr(start, end - start));
            start = end + 1;
        }
    }
    return out;
}

}  // namespace

std::pair<std::string, unsigned short> split_host_port(std::string const& value, std::string const& flag) {
    auto colon = value.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == value.size())
        throw ConfigError("--" + flag + ": expected HOST:PORT, got \"" + value + "\"");
    std::string host = value.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    unsigned long port = 0;
    try {
        std::size_t used = 0;
        port = std::stoul(value.substr(colon + 1), &used);
        if (used != value.size() - colon - 1) throw std::invalid_argument("trailing characters");
    } catch (std::exception const&) {
        throw ConfigError("--" + flag + ": invalid port in \"" + value + "\"");
    }
    if (port > 65535) throw ConfigError("--" + flag + ": port out of range in \"" + value + "\"");
    return {host, static_cast<unsigned short>(port)};
}

std::optional<Options> parse_options(int argc, char const* const* argv) {
    Options o;
    std::string chain = "self", default_ttl = "24h", max_ttl = "2160h", ca_ttl = "87600h", admin_listen;
    std::vector<std::string> audiences, namespaces;
    po::options_description desc("istiod-emulator: the Istio CA (CreateCertificate) over TLS on loopback, for tests");
    desc.add_options()
        ("help", "show this help")
        ("listen", po::value(&o.listen)->default_value(o.listen), "gRPC listen address HOST:PORT (port 0: any)")
        ("state-dir", po::value(&o.state_dir), "directory for root-cert.pem and the serving certificate (required)")
        ("kubeconfig", po::value(&o.kubeconfig), "admin kubeconfig for TokenReviews and ConfigMaps (required)")
        ("trust-domain", po::value(&o.trust_domain)->default_value(o.trust_domain), "SPIFFE trust domain")
        ("cluster-id", po::value(&o.cluster_id)->default_value(o.cluster_id), "istiod's CLUSTER_ID")
        ("chain", po::value(&chain)->default_value(chain), "self (istio-ca-secret) or plugged (cacerts: root -> intermediate)")
        ("default-ttl", po::value(&default_ttl)->default_value(default_ttl), "DEFAULT_WORKLOAD_CERT_TTL")
        ("max-ttl", po::value(&max_ttl)->default_value(max_ttl), "MAX_WORKLOAD_CERT_TTL")
        ("ca-ttl", po::value(&ca_ttl)->default_value(ca_ttl), "lifetime of generated roots and intermediates")
        ("token-audiences", po::value(&audiences)->composing(), "TOKEN_AUDIENCES (repeatable or comma-separated; default istio-ca)")
        ("publish-namespace", po::value(&namespaces)->composing(), "namespace to publish ConfigMap istio-ca-root-cert into (repeatable)")
        ("admin-listen", po::value(&admin_listen), "admin HTTP endpoint HOST:PORT (faults, root rotation, request log)");
    po::variables_map vm;
    try {
        po::store(po::command_line_parser(argc, argv).options(desc).run(), vm);
        po::notify(vm);
    } catch (po::error const& e) {
        throw ConfigError(e.what());
    }
    if (vm.count("help")) {
        std::cout << desc << "\n";
        return std::nullopt;
    }
    if (o.state_dir.empty()) throw ConfigError("--state-dir is required");
    if (o.kubeconfig.empty()) throw ConfigError("--kubeconfig is required");
    if (o.trust_domain.empty()) throw ConfigError("--trust-domain must not be empty");
    split_host_port(o.listen, "listen");
    if (chain == "self") o.chain = ChainKind::self;
    else if (chain == "plugged") o.chain = ChainKind::plugged;
    else throw ConfigError("--chain: expected self or plugged, got \"" + chain + "\"");
    o.default_ttl = parse_duration_flag(default_ttl, "default-ttl");
    o.max_ttl = parse_duration_flag(max_ttl, "max-ttl");
    o.ca_ttl = parse_duration_flag(ca_ttl, "ca-ttl");
    if (vm.count("token-audiences")) {
        o.token_audiences = split_commas(audiences);
        if (o.token_audiences.empty()) throw ConfigError("--token-audiences must name at least one audience");
    }
    o.publish_namespaces = split_commas(namespaces);
    if (vm.count("admin-listen")) {
        split_host_port(admin_listen, "admin-listen");
        o.admin_listen = admin_listen;
    }
    return o;
}

}  // namespace gic::emu::istiod
