#pragma once
// Command line of istiod-emulator (DESIGN.md section 6).

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace gic::emu::istiod {

enum class ChainKind { self, plugged };

struct Options {
    std::string listen = "127.0.0.1:0";
    std::string state_dir;
    std::string kubeconfig;
    std::string trust_domain = "cluster.local";
    std::string cluster_id = "Kubernetes";
    ChainKind chain = ChainKind::self;
    std::chrono::seconds default_ttl{24 * 3600};
    std::chrono::seconds max_ttl{2160 * 3600};
    // Lifetime of the generated roots and intermediates (istiod's self-signed CA: 10 years).
    std::chrono::seconds ca_ttl{87600LL * 3600};
    std::vector<std::string> token_audiences{"istio-ca"};
    std::vector<std::string> publish_namespaces;
    std::optional<std::string> admin_listen;
};

// Parses argv. Throws gic::ConfigError with one line naming the flag on bad input; returns nullopt
// after printing --help.
std::optional<Options> parse_options(int argc, char const* const* argv);

// "127.0.0.1:0" → {"127.0.0.1", 0}; throws ConfigError naming `flag`.
std::pair<std::string, unsigned short> split_host_port(std::string const& value, std::string const& flag);

}  // namespace gic::emu::istiod
