// kube-apiserver-emulator: a Kubernetes API server for tests and the sandbox, speaking the real
// protocol over HTTPS on loopback (DESIGN.md section 6). One thread, one io_context.

#include "api_server.hpp"
#include "authn.hpp"
#include "audit_log.hpp"
#include "authz.hpp"
#include "crud_handlers.hpp"
#include "emulator/common/test_ca.hpp"
#include "faults.hpp"
#include "https_server.hpp"
#include "options.hpp"
#include "rbac_authorizer.hpp"
#include "service_account_tokens.hpp"
#include "state_dir.hpp"
#include "store.hpp"
#include "watch_hub.hpp"
#include "util/error.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/signal_set.hpp>

#include <chrono>
#include <csignal>
#include <fstream>
#include <iostream>
#include <sstream>

namespace asio = boost::asio;
using namespace gic;
using namespace gic::emu::kube;

namespace {

constexpr auto ten_years = std::chrono::hours(24 * 365 * 10);
constexpr auto one_year = std::chrono::hours(24 * 365);

pki::PrivateKey signing_key(Options const& options) {
    if (options.service_account_signing_key_file.empty()) return pki::PrivateKey::generate(pki::KeyAlgorithm::rsa2048);
    auto const& path = options.service_account_signing_key_file;
    std::ifstream in(path);
    std::stringstream pem;
    pem << in.rdbuf();
    if (!in) throw ConfigError("--service-account-signing-key-file: cannot read " + path);
    auto key = pki::PrivateKey::from_pem(pem.str());
    if (!key) throw ConfigError("--service-account-signing-key-file " + path + ": " + key.error().message);
    return std::move(*key);
}

int run(Options const& options) {
    auto server_ca = emu::CertificateAuthority::create_root("kube-apiserver-emulator", "kube-apiserver-emulator-ca",
                                                            pki::KeyAlgorithm::ecdsa_p256, ten_years);
    auto client_ca = emu::CertificateAuthority::create_root("kube-apiserver-emulator", "kube-apiserver-emulator-client-ca",
                                                            pki::KeyAlgorithm::ecdsa_p256, ten_years);
    auto serving = server_ca.issue_server({"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
                                           "kubernetes.default.svc.cluster.local"},
                                          {"127.0.0.1", "::1"}, one_year);
    auto admin = client_ca.issue_client("admin", {"system:masters"}, one_year);

    ObjectStore store;
    WatchHub watches(WatchSettings{options.watch_history, options.bookmark_interval});
    watches.attach(store);
    AuditLog audit;
    audit.attach(store);
    for (char const* ns : {"default", "kube-system", "kube-public", "kube-node-lease"}) ensure_namespace(store, ns);
    for (auto const& sa : options.service_accounts) {
        ensure_namespace(store, sa.namespace_);
        ensure_service_account(store, sa.namespace_, sa.name);
    }

    TokenSigner signer(signing_key(options), options.issuer);
    std::string api_audience = options.issuer;
    Authenticator authenticator(signer, store, {api_audience});
    AllowAuthenticatedAuthorizer allow_authenticated;
    RbacAuthorizer rbac(store);
    Authorizer const& authorizer = options.authorization == Options::Authorization::rbac
                                       ? static_cast<Authorizer const&>(rbac)
                                       : allow_authenticated;
    ServerContext ctx{store, signer, authenticator, authorizer, watches, audit, options.max_token_expiration};
    FaultInjector faults;
    RequestLog request_log;
    ApiServer api(ctx, faults, request_log);

    asio::io_context io(1);
    auto address = asio::ip::make_address(options.listen_host);
    HttpsServer server(io, {address, options.listen_port},
                       TlsMaterial{serving.cert, serving.key, server_ca.cert(), client_ca.cert()}, api);
    auto port = server.local_endpoint().port();
    std::string host = address.is_v6() ? "[" + options.listen_host + "]" : options.listen_host;
    std::string url = "https://" + host + ":" + std::to_string(port);

    write_static_files(options, url, AdminCredentials{server_ca.cert().to_pem(), admin.cert.to_pem(),
                                                      admin.key.to_pkcs8_pem()},
                       signer.public_key_pem());
    write_token_files(options, store, signer, api_audience);

    server.start();
    asio::co_spawn(io, refresh_token_files(options, store, signer, api_audience), asio::detached);
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](boost::system::error_code const& ec, int) {
        if (!ec) io.stop();
    });
    std::cout << "listening on " << url << std::endl;
    io.run();
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::signal(SIGPIPE, SIG_IGN);
    ParsedOptions parsed;
    try {
        parsed = parse_options(argc, argv);
    } catch (ConfigError const& e) {
        std::cerr << "kube-apiserver-emulator: " << e.what() << std::endl;
        return 2;
    }
    if (parsed.help) return 0;
    try {
        return run(parsed.options);
    } catch (std::exception const& e) {
        std::cerr << "kube-apiserver-emulator: " << e.what() << std::endl;
        return 1;
    }
}
