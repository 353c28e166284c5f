// istiod-emulator: istiod's CA (istio.v1.auth.IstioCertificateService/CreateCertificate) over
// TLS on loopback, backed by a Kubernetes API for TokenReviews and ConfigMaps (DESIGN.md section 6).
//
// Threads: gRPC's own threads run the callback service; one io_context thread runs the
// Kubernetes client, the ConfigMap publisher, the admin endpoint and injected delays.

#include "admin_server.hpp"
#include "ca_state.hpp"
#include "certificate_service.hpp"
#include "configmap_publisher.hpp"
#include "faults.hpp"
#include "grpc_service.hpp"
#include "kube/rest_config.hpp"
#include "kube_token_reviewer.hpp"
#include "options.hpp"
#include "request_log.hpp"
#include "serving_files.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>

#include <csignal>
#include <filesystem>
#include <future>
#include <iostream>
#include <mutex>
#include <thread>

namespace asio = boost::asio;
using namespace gic::emu::istiod;

namespace {

void log_line(std::string const& line) {
    static std::mutex mutex;
    std::lock_guard lock(mutex);
    std::cerr << line << std::endl;
}

struct Emulator {
    Options const& options;
    CaState& ca;
    ServingFiles& serving;
    ConfigMapPublisher& publisher;
    std::string root_file;
};

// Every root change rewrites root-cert.pem, re-issues the serving certificate when the signer
// changed (and waits until gRPC has re-read it), then re-publishes the ConfigMaps.
asio::awaitable<void> apply_root_change(Emulator& emu, RotationStep step) {
    auto snapshot = emu.ca.snapshot();
    gic::emu::write_file_atomic(emu.root_file, snapshot->root_bundle);
    if (step == RotationStep::switch_to_new) {
        emu.serving.issue(emu.ca, snapshot);
        asio::steady_timer timer(co_await asio::this_coro::executor,
                                 std::chrono::seconds(2 * ServingFiles::refresh_interval_seconds));
        co_await timer.async_wait(asio::use_awaitable);
    }
    co_await emu.publisher.publish(snapshot->root_bundle);
    log_line("root rotation step done: " + std::to_string(snapshot->published.size()) + " root(s) published");
}

std::shared_ptr<grpc::ServerCredentials> serving_credentials(ServingFiles const& serving) {
    auto provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
        serving.key_path(), serving.cert_path(), ServingFiles::refresh_interval_seconds);
    grpc::experimental::TlsServerCredentialsOptions tls(provider);
    tls.watch_identity_key_cert_pairs();
    // istiod: VerifyClientCertIfGiven. Client certificates are optional; the emulator only
    // authenticates with tokens, so a presented certificate is accepted and ignored.
    tls.set_cert_request_type(GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_BUT_DONT_VERIFY);
    return grpc::experimental::TlsServerCredentials(tls);
}

int run(Options const& options) {
    auto rest = gic::kube::load_kubeconfig(options.kubeconfig);
    if (!rest) throw gic::ConfigError("--kubeconfig: " + rest.error().message);

    std::filesystem::create_directories(options.state_dir);
    CaState ca(options.chain, options.trust_domain, options.ca_ttl);
    auto snapshot = ca.snapshot();
    std::string root_file = options.state_dir + "/root-cert.pem";
    gic::emu::write_file_atomic(root_file, snapshot->root_bundle);
    ServingFiles serving(options.state_dir);
    serving.issue(ca, snapshot);

    asio::io_context io;
    auto work = asio::make_work_guard(io);
    gic::kube::ClientOptions client_options;
    client_options.qps = 0;  // tests make many TokenReviews in a burst
    client_options.user_agent = "istiod-emulator";
    gic::kube::Client client(io.get_executor(), *rest, client_options);
    ConfigMapPublisher publisher(client, options.publish_namespaces, log_line);
    KubeTokenReviewer reviewer(io.get_executor(), client);
    FaultInjector faults;
    RequestLog requests;
    ServiceConfig config{options.trust_domain, options.cluster_id, options.token_audiences, options.default_ttl,
                         options.max_ttl};
    CertificateService service(config, ca, reviewer, faults, requests, io.get_executor(), log_line);
    Emulator emu{options, ca, serving, publisher, root_file};

    std::promise<void> stop;
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&stop](boost::system::error_code ec, int) {
        if (!ec) stop.set_value();
    });
    std::thread io_thread([&io] { io.run(); });
    auto join_io = [&] {
        work.reset();
        io.stop();
        io_thread.join();
    };

    try {
        std::promise<bool> published;
        asio::co_spawn(io, publisher.publish(snapshot->root_bundle), [&published](std::exception_ptr e, bool ok) {
            if (e) log_line("publishing the root ConfigMaps failed");
            published.set_value(!e && ok);
        });
        published.get_future().wait();

        std::unique_ptr<AdminServer> admin;
        if (options.admin_listen) {
            auto [host, port] = split_host_port(*options.admin_listen, "admin-listen");
            admin = std::make_unique<AdminServer>(
                io, asio::ip::tcp::endpoint(asio::ip::make_address(host), port),
                AdminHooks{ca, faults, requests, [&emu](RotationStep step) { return apply_root_change(emu, step); }});
            admin->start();
            std::cout << "admin on http://" << host << ":" << admin->port() << std::endl;
        }

        GrpcCertificateService grpc_service(service);
        grpc::ServerBuilder builder;
        int port = 0;
        builder.AddListeningPort(options.listen, serving_credentials(serving), &port);
        builder.RegisterService(&grpc_service);
        std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
        if (!server || port == 0) throw std::runtime_error("cannot listen on " + options.listen + " (--listen)");
        std::cout << "listening on " << split_host_port(options.listen, "listen").first << ":" << port << std::endl;

        stop.get_future().wait();
        log_line("shutting down");
        server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
        server->Wait();
    } catch (...) {
        join_io();
        throw;
    }
    join_io();
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        auto options = parse_options(argc, argv);
        if (!options) return 0;
        return run(*options);
    } catch (gic::ConfigError const& e) {
        std::cerr << "istiod-emulator: " << e.what() << std::endl;
        return 2;
    } catch (std::exception const& e) {
        std::cerr << "istiod-emulator: " << e.what() << std::endl;
        return 1;
    }
}
