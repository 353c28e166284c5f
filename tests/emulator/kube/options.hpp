#pragma once
// Command line of kube-apiserver-emulator (DESIGN.md section 6).

#include <chrono>
#include <string>
#include <vector>

namespace gic::emu::kube {

struct ServiceAccountName {
    std::string namespace_;
    std::string name;
};

struct Options {
    std::string listen_host = "127.0.0.1";
    unsigned short listen_port = 0;
    std::string state_dir;
    std::vector<ServiceAccountName> service_accounts;
    std::chrono::seconds token_ttl{3600};
    std::string issuer = "https://kubernetes.default.svc.cluster.local";
    std::size_t watch_history = 1000;  // changes kept for resuming watches (older: 410 Expired)
    std::chrono::milliseconds bookmark_interval{60'000};
    enum class Authorization { always_allow, rbac };
    Authorization authorization = Authorization::always_allow;
    std::chrono::seconds max_token_expiration{0};  // 0: TokenRequests get what they ask for
    // PEM private key that signs service-account tokens; empty: a new RSA 2048 key at each start
    // (a test suite that starts many emulators hands them one key instead, to skip the keygen).
    std::string service_account_signing_key_file;
};

// Throws gic::ConfigError naming the flag; returns nullopt-equivalent via `help` when --help was
// asked for (the usage is printed to stdout then).
struct ParsedOptions {
    Options options;
    bool help = false;
};
ParsedOptions parse_options(int argc, char** argv);

}  // namespace gic::emu::kube
