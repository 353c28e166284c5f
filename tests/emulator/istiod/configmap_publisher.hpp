#pragma once
// Publishes the root bundle as ConfigMap istio-ca-root-cert (key root-cert.pem) into each
// namespace it is told about, as istiod's namespace controller does. Get, then create or update
// (keeping other keys and labels). A namespace that fails is retried every second in the
// background until it succeeds or a newer bundle supersedes it.
//
// Thread Safety: use from the io_context's thread only (kube::Client's rule).

#include "certificate_service.hpp"
#include "kube/client.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace gic::emu::istiod {

class ConfigMapPublisher {
public:
    ConfigMapPublisher(kube::Client& client, std::vector<std::string> namespaces, LogSink log)
        : client_(client), namespaces_(std::move(namespaces)), log_(std::move(log)) {}

    // One attempt per namespace (failures keep retrying in the background); true when all succeeded.
    boost::asio::awaitable<bool> publish(std::string root_bundle);

    std::vector<std::string> const& namespaces() const { return namespaces_; }

private:
    // `quiet`: background retries log only their success, not every failure.
    boost::asio::awaitable<bool> publish_one(std::string ns, std::string root_bundle, bool quiet = false);
    boost::asio::awaitable<void> retry(std::string ns, std::string root_bundle, std::uint64_t generation);

    kube::Client& client_;
    std::vector<std::string> namespaces_;
    LogSink log_;
    std::uint64_t generation_ = 0;
};

}  // namespace gic::emu::istiod
