#include "agent/startup_inputs.hpp"

#include "agent/startup.hpp"

namespace gic::agent {
namespace {

template <class T>
T or_config_error(Result<T> r) {
    if (!r) throw ConfigError(r.error().message);
    return std::move(*r);
}

}  // namespace

Result<std::string> read_istio_token(Options const& options) {
    return read_token_file(options.istio_token_path, "Istio token (--istio-token-path)");
}

StartupInputs load_startup_inputs(Options const& options) {
    StartupInputs in;
    auto token = or_config_error(read_istio_token(options));
    in.identity = or_config_error(resolve_identity(options, token));
    in.roots = or_config_error(read_root_bundle(options.root_cert_path));
    if (options.output_dir.empty()) {
        in.kube_config = or_config_error(select_kube_config(options));
        in.target = {options.output_secret_namespace.empty() ? in.identity.namespace_ : options.output_secret_namespace,
                     options.output_secret};
    }
    return in;
}

istio::CaClientConfig ca_client_config(Options const& options, RootBundle const& roots) {
    return istio::CaClientConfig{options.ca_address, effective_ca_tls_server_name(options), roots.pem, options.cluster_name,
                                 options.ca_call_timeout};
}

}  // namespace gic::agent
