#include "grpc_service.hpp"

namespace gic::emu::istiod {
namespace {

std::vector<std::string> header_values(grpc::ServerContextBase const& context, std::string const& key) {
    std::vector<std::string> out;
    auto [begin, end] = context.client_metadata().equal_range(grpc::string_ref(key));
    for (auto it = begin; it != end; ++it) out.emplace_back(it->second.data(), it->second.size());
    return out;
}

std::string string_field(google::protobuf::Struct const& metadata, std::string const& key) {
    auto it = metadata.fields().find(key);
    if (it == metadata.fields().end() || !it->second.has_string_value()) return {};
    return it->second.string_value();
}

}  // namespace

CallInput make_call_input(grpc::ServerContextBase const& context, istio::v1::auth::IstioCertificateRequest const& request) {
    CallInput in;
    in.peer = context.peer();
    in.authorization = header_values(context, "authorization");
    in.clusterid = header_values(context, "clusterid");
    in.csr_pem = request.csr();
    in.validity_seconds = request.validity_duration();
    in.impersonated_identity = string_field(request.metadata(), "ImpersonatedIdentity");
    in.cert_signer = string_field(request.metadata(), "CertSigner");
    return in;
}

grpc::ServerUnaryReactor* GrpcCertificateService::CreateCertificate(grpc::CallbackServerContext* context,
                                                                    istio::v1::auth::IstioCertificateRequest const* request,
                                                                    istio::v1::auth::IstioCertificateResponse* response) {
    auto* reactor = context->DefaultReactor();
    // The reactor (and `response`) stay valid until Finish; gRPC accepts Finish from any thread,
    // even before this handler returns.
    service_.create_certificate(make_call_input(*context, *request), [reactor, response](CallOutcome outcome) {
        if (outcome.code != grpc::OK) return reactor->Finish(grpc::Status(outcome.code, outcome.message));
        for (auto& element : outcome.cert_chain) response->add_cert_chain(std::move(element));
        reactor->Finish(grpc::Status::OK);
    });
    return reactor;
}

}  // namespace gic::emu::istiod
