#pragma once
// The TLS channel to istiod, set up the way pilot-agent dials it (pilot/pkg/grpc/tls.go, grpc.go):
// trust only the configured root bundle, verify `tls_server_name` (GRPC_SSL_TARGET_NAME_OVERRIDE_ARG)
// when it is set, no client certificate, keepalive 30 s / 10 s. Unlike pilot-agent, a response
// is capped at max_ca_response_bytes: an answer is a few KiB of PEM, and a larger one fails the
// call with RESOURCE_EXHAUSTED instead of being held.
// Creating a channel does not connect; the first call does.

#include "istio/ca_client.hpp"

#include <grpcpp/channel.h>

#include <memory>

namespace gic::istio {

inline constexpr int max_ca_response_bytes = 1024 * 1024;

// The checks make_ca_channel makes, without building a channel (CaClient dials lazily).
// Throws gic::ConfigError for an empty address or an empty root bundle.
void validate_ca_channel_config(CaClientConfig const& config);

// Throws gic::ConfigError for an empty address or an empty root bundle.
std::shared_ptr<grpc::Channel> make_ca_channel(CaClientConfig const& config);

}  // namespace gic::istio
