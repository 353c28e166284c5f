#pragma once
// Everything read once at startup, before anything goes on the wire. A failure is a
// configuration error (gic::ConfigError, exit 2) whose message names the flag or file.

#include "agent/identity.hpp"
#include "agent/input_files.hpp"
#include "agent/options.hpp"
#include "agent/secret_writer.hpp"
#include "istio/ca_client.hpp"
#include "kube/rest_config.hpp"

#include <optional>
#include <string>

namespace gic::agent {

struct StartupInputs {
    WorkloadIdentity identity;
    RootBundle roots;
    std::optional<kube::RestConfig> kube_config;  // absent with --output-dir
    SecretTarget target;                          // the output Secret (without --output-dir)
};

StartupInputs load_startup_inputs(Options const& options);

istio::CaClientConfig ca_client_config(Options const& options, RootBundle const& roots);

// Reads --istio-token-path (trimmed); used before every CA call.
Result<std::string> read_istio_token(Options const& options);

}  // namespace gic::agent
