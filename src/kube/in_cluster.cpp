// client-go's rest.InClusterConfig plus clientcmd's in-cluster namespace lookup.

#include "kube/pem_check.hpp"
#include "kube/rest_config.hpp"

#include <cstdlib>

namespace gic::kube {

namespace {

std::string env(char const* name) {
    char const* value = std::getenv(name);
    return value ? std::string(value) : std::string{};
}

}  // namespace

Result<RestConfig> load_in_cluster_config(InClusterPaths const& paths) {
    std::string const host = env("KUBERNETES_SERVICE_HOST");
    std::string const port = env("KUBERNETES_SERVICE_PORT");
    if (host.empty() || port.empty()) {
        return make_error(
            "unable to load in-cluster configuration, KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be "
            "defined");
    }

    RestConfig config;
    config.origin = "in-cluster config";
    config.server = "https://" + join_host_port(host, port);
    if (auto split = split_server_url(config); !split) {
        return wrap_error("in-cluster config (KUBERNETES_SERVICE_HOST/KUBERNETES_SERVICE_PORT)", split.error());
    }

    // A read error is fatal at startup; later reads keep the last good token (TokenFileSource).
    auto token = read_whole_file(paths.token_file);
    if (!token) return wrap_error("reading service-account token " + paths.token_file, token.error());
    config.bearer_token = trim_whitespace(*token);
    if (config.bearer_token.empty()) return make_error("service-account token " + paths.token_file + " is empty");
    config.token_file = paths.token_file;

    // client-go only logs an unparsable ca.crt and falls back to the system roots; we never run
    // without verifying the server, so it is an error.
    auto ca = read_whole_file(paths.ca_file);
    if (!ca) return wrap_error("reading service-account CA " + paths.ca_file, ca.error());
    auto checked = parse_certificates_pem(*ca);
    if (!checked) {
        return wrap_error("service-account CA " + paths.ca_file, checked.error());
    }
    config.ca_pem = std::move(*ca);
    config.ca_certs = std::move(*checked);

    config.namespace_ = env("POD_NAMESPACE");
    if (config.namespace_.empty()) {
        if (auto ns = read_whole_file(paths.namespace_file)) config.namespace_ = trim_whitespace(*ns);
    }
    if (config.namespace_.empty()) config.namespace_ = "default";
    return config;
}

}  // namespace gic::kube
