#include "observe/health.hpp"

#include "observe/log.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/multiple_exceptions.hpp>
#include <boost/asio/this_coro.hpp>

namespace gic::observe {

namespace asio = boost::asio;

namespace {

HttpResponse check(std::function<bool()> const& probe, std::string_view failure) {
    if (!probe || probe()) return {200, "text/plain; charset=utf-8", "ok\n"};
    return {503, "text/plain; charset=utf-8", std::string(failure) + "\n"};
}

std::string endpoint_text(asio::ip::tcp::endpoint const& ep) {
    auto a = ep.address();
    return (a.is_v6() ? "[" + a.to_string() + "]" : a.to_string()) + ":" + std::to_string(ep.port());
}

}  // namespace

ObservabilityServer::ObservabilityServer(asio::any_io_executor executor, ObservabilityOptions options, AgentMetrics& metrics)
    : options_(std::move(options)) {
    bool const metrics_on = !bind_address_disabled(options_.metrics_bind_address);
    bool const health_on = !bind_address_disabled(options_.health_probe_bind_address);
    if (metrics_on) {
        metrics_server_ = std::make_unique<HttpServer>(executor, options_.metrics_bind_address, "--metrics-bind-address");
        metrics_server_->route("/metrics", [&metrics] {
            return HttpResponse{200, std::string(exposition_content_type), metrics.expose()};
        });
    }
    HttpServer* health = nullptr;
    // One address for both (a fixed port) means one listener; ":0" twice means two ephemeral ports.
    bool const same_address = options_.health_probe_bind_address == options_.metrics_bind_address &&
                              !options_.metrics_bind_address.ends_with(":0");
    if (health_on && metrics_on && same_address) {
        health_shares_metrics_ = true;
        health = metrics_server_.get();
    } else if (health_on) {
        health_server_ = std::make_unique<HttpServer>(executor, options_.health_probe_bind_address, "--health-probe-bind-address");
        health = health_server_.get();
    }
    if (health) {
        // Answering at all is the liveness of the loop: the handler runs on it.
        health->route("/healthz", [this] { return check(options_.lease_healthy, "leader election: the Lease was not renewed recently"); });
        health->route("/readyz", [this] { return check(options_.ready, "no valid certificate is stored yet"); });
    }
    if (metrics_server_)
        log_info("observe", "serving metrics", {{"address", endpoint_text(metrics_server_->local_endpoint())}, {"path", "/metrics"}});
    if (health)
        log_info("observe", "serving health probes", {{"address", endpoint_text(health->local_endpoint())}, {"paths", "/healthz,/readyz"}});
}

ObservabilityServer::~ObservabilityServer() = default;

asio::awaitable<void> ObservabilityServer::run() {
    using namespace asio::experimental::awaitable_operators;
    if (metrics_server_ && health_server_) {
        // Both end with operation_aborted when cancelled; report that once, not as a pair.
        std::exception_ptr first;
        try {
            co_await (metrics_server_->serve() && health_server_->serve());
        } catch (asio::multiple_exceptions const& e) {
            first = e.first_exception();
        }
        if (first) std::rethrow_exception(first);
    } else if (metrics_server_)
        co_await metrics_server_->serve();
    else if (health_server_)
        co_await health_server_->serve();
}

std::optional<asio::ip::tcp::endpoint> ObservabilityServer::metrics_endpoint() const {
    if (!metrics_server_) return std::nullopt;
    return metrics_server_->local_endpoint();
}

std::optional<asio::ip::tcp::endpoint> ObservabilityServer::health_endpoint() const {
    if (health_server_) return health_server_->local_endpoint();
    if (health_shares_metrics_) return metrics_server_->local_endpoint();
    return std::nullopt;
}

asio::awaitable<void> serve_observability(ObservabilityOptions options, AgentMetrics& metrics) {
    auto executor = co_await asio::this_coro::executor;
    ObservabilityServer server(executor, std::move(options), metrics);
    co_await server.run();
}

}  // namespace gic::observe
