#pragma once
// The observability endpoints of the agent:
//   --metrics-bind-address        /metrics  Prometheus text exposition of AgentMetrics
//   --health-probe-bind-address   /healthz  200 when the event loop answers and, if this replica
//                                           leads, its Lease was renewed recently (lease_healthy)
//                                 /readyz   200 when a valid, unexpired certificate is stored (ready)
// "0" disables a listener; when both flags name the same address (with a fixed port) one listener
// serves all three paths.

#include "observe/http_server.hpp"
#include "observe/metrics.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace gic::observe {

struct ObservabilityOptions {
    std::string metrics_bind_address = ":18090";
    std::string health_probe_bind_address = ":18091";
    // false: this replica leads but has not renewed its Lease recently. Empty: always true.
    std::function<bool()> lease_healthy;
    // true: a valid, unexpired certificate is stored. Empty: always true.
    std::function<bool()> ready;
};

class ObservabilityServer {
public:
    // Binds both listeners now: a malformed or busy address throws gic::ConfigError naming its flag.
    // `metrics` must outlive the server.
    ObservabilityServer(boost::asio::any_io_executor executor, ObservabilityOptions options, AgentMetrics& metrics);
    ~ObservabilityServer();

    // Serves until cancelled (then throws operation_aborted, as Asio operations do); returns at once
    // when both listeners are disabled.
    boost::asio::awaitable<void> run();

    std::optional<boost::asio::ip::tcp::endpoint> metrics_endpoint() const;
    std::optional<boost::asio::ip::tcp::endpoint> health_endpoint() const;

private:
    ObservabilityOptions options_;
    std::unique_ptr<HttpServer> metrics_server_;
    std::unique_ptr<HttpServer> health_server_;  // null when it shares metrics_server_ or is disabled
    bool health_shares_metrics_ = false;
};

// Binds (ConfigError on failure, before anything is served) and serves until cancelled.
boost::asio::awaitable<void> serve_observability(ObservabilityOptions options, AgentMetrics& metrics);

}  // namespace gic::observe
