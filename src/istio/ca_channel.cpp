#include "istio/ca_channel.hpp"

#include <grpc/grpc.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

namespace gic::istio {

void validate_ca_channel_config(CaClientConfig const& config) {
    if (config.address.empty()) throw ConfigError("--ca-address: empty CA address");
    // gRPC treats empty pem_root_certs as "use the system roots"; the CA must be pinned to istiod's root.
    if (config.root_pem.empty()) {
        throw ConfigError("--root-cert-path: the root bundle for the CA " + config.address + " is empty");
    }
}

std::shared_ptr<grpc::Channel> make_ca_channel(CaClientConfig const& config) {
    validate_ca_channel_config(config);

    grpc::SslCredentialsOptions tls;
    tls.pem_root_certs = config.root_pem;  // no client certificate: istiod authenticates the bearer token

    grpc::ChannelArguments args;
    if (!config.tls_server_name.empty()) args.SetSslTargetNameOverride(config.tls_server_name);
    args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30'000);
    args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10'000);
    args.SetMaxReceiveMessageSize(max_ca_response_bytes);
    // Our caller owns retries (it knows about backoff, token refresh and root rotation).
    args.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);

    return grpc::CreateCustomChannel(config.address, grpc::SslCredentials(tls), args);
}

}  // namespace gic::istio
