#include "options.hpp"

#include "util/duration.hpp"
#include "util/error.hpp"

#include <boost/program_options.hpp>

#include <iostream>

namespace gic::emu::kube {

namespace po = boost::program_options;

namespace {

void parse_listen(std::string const& text, Options& out) {
    auto colon = text.rfind(':');
    if (colon == std::string::npos) throw ConfigError("--listen: expected HOST:PORT, got \"" + text + "\"");
    std::string host = text.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    if (host.empty()) throw ConfigError("--listen: missing host in \"" + text + "\"");
    std::string port = text.substr(colon + 1);
    if (port.empty() || port.find_first_not_of("0123456789") != std::string::npos || port.size() > 5 ||
        std::stoul(port) > 65535)
        throw ConfigError("--listen: invalid port in \"" + text + "\"");
    out.listen_host = host;
    out.listen_port = static_cast<unsigned short>(std::stoul(port));
}

ServiceAccountName parse_service_account(std::string const& text) {
    auto slash = text.find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == text.size() ||
        text.find('/', slash + 1) != std::string::npos)
        throw ConfigError("--service-account: expected NAMESPACE/NAME, got \"" + text + "\"");
    return {text.substr(0, slash), text.substr(slash + 1)};
}

}  // namespace

ParsedOptions parse_options(int argc, char** argv) {
    po::options_description desc("kube-apiserver-emulator: a Kubernetes API server for tests, on loopback");
    std::string listen, ttl, bookmark_interval, authorization, max_token_expiration;
    long long watch_history = 1000;
    std::vector<std::string> sas;
    ParsedOptions parsed;
    desc.add_options()("help,h", "print this help")(
        "listen", po::value(&listen)->default_value("127.0.0.1:0"), "HOST:PORT to serve HTTPS on (port 0: any)")(
        "state-dir", po::value(&parsed.options.state_dir), "directory for ca.crt, admin.kubeconfig, serviceaccounts/")(
        "service-account", po::value(&sas)->composing(),
        "NAMESPACE/NAME of a service account to create, with token files and a kubeconfig (repeatable)")(
        "token-ttl", po::value(&ttl)->default_value("1h"), "lifetime of the token files (refreshed at 80%)")(
        "issuer", po::value(&parsed.options.issuer)->default_value(parsed.options.issuer),
        "token issuer; also the API server's audience")(
        "watch-history", po::value(&watch_history)->default_value(watch_history),
        "changes kept for resuming watches; a watch from an older resourceVersion gets 410 Expired")(
        "bookmark-interval", po::value(&bookmark_interval)->default_value("60s"),
        "time between BOOKMARK events on watches that allow them")(
        "authorization", po::value(&authorization)->default_value("AlwaysAllow"),
        "AlwaysAllow (every authenticated user may do everything) or RBAC (Roles and bindings from the store; "
        "group system:masters may do everything)")(
        "service-account-max-token-expiration", po::value(&max_token_expiration)->default_value("0s"),
        "cap on TokenRequest lifetimes, like kube-apiserver's flag (0s: none); unlike kube-apiserver it may be "
        "short, so tests can watch tokens being minted again")(
        "service-account-signing-key-file", po::value(&parsed.options.service_account_signing_key_file),
        "PEM private key that signs service-account tokens, like kube-apiserver's flag (default: a new RSA 2048 "
        "key at each start)");
    po::variables_map vm;
    try {
        po::store(po::command_line_parser(argc, argv).options(desc).run(), vm);
        po::notify(vm);
    } catch (po::error const& e) {
        throw ConfigError(e.what());
    }
    if (vm.count("help")) {
        std::cout << desc << std::endl;
        parsed.help = true;
        return parsed;
    }
    if (parsed.options.state_dir.empty()) throw ConfigError("--state-dir is required");
    parse_listen(listen, parsed.options);
    for (auto const& sa : sas) parsed.options.service_accounts.push_back(parse_service_account(sa));
    auto d = util::parse_go_duration(ttl);
    if (!d || *d < std::chrono::seconds(1))
        throw ConfigError("--token-ttl: expected a duration of at least 1s such as 1h or 90s, got \"" + ttl + "\"");
    parsed.options.token_ttl = std::chrono::duration_cast<std::chrono::seconds>(*d);
    if (watch_history < 1)
        throw ConfigError("--watch-history: expected at least 1, got " + std::to_string(watch_history));
    parsed.options.watch_history = static_cast<std::size_t>(watch_history);
    auto interval = util::parse_go_duration(bookmark_interval);
    if (!interval || *interval < std::chrono::milliseconds(10))
        throw ConfigError("--bookmark-interval: expected a duration of at least 10ms such as 60s or 500ms, got \"" +
                          bookmark_interval + "\"");
    if (authorization == "RBAC") {
        parsed.options.authorization = Options::Authorization::rbac;
    } else if (authorization != "AlwaysAllow") {
        throw ConfigError("--authorization: expected AlwaysAllow or RBAC, got \"" + authorization + "\"");
    }
    parsed.options.bookmark_interval = std::chrono::duration_cast<std::chrono::milliseconds>(*interval);
    auto max_expiration = util::parse_go_duration(max_token_expiration);
    if (!max_expiration || *max_expiration < std::chrono::seconds(0))
        throw ConfigError("--service-account-max-token-expiration: expected a duration such as 1h or 3s, got \"" +
                          max_token_expiration + "\"");
    parsed.options.max_token_expiration = std::chrono::duration_cast<std::chrono::seconds>(*max_expiration);
    return parsed;
}

}  // namespace gic::emu::kube
