#pragma once
// istio.v1.auth.IstioCertificateService on gRPC's callback API: each call hands its headers and
// request to CertificateService and finishes its reactor from whichever thread completes it (the
// TokenReview runs on the emulator's io_context), so no gRPC thread ever blocks.

#include "ca.grpc.pb.h"
#include "certificate_service.hpp"

namespace gic::emu::istiod {

class GrpcCertificateService final : public istio::v1::auth::IstioCertificateService::CallbackService {
public:
    explicit GrpcCertificateService(CertificateService& service) : service_(service) {}

    grpc::ServerUnaryReactor* CreateCertificate(grpc::CallbackServerContext* context,
                                                istio::v1::auth::IstioCertificateRequest const* request,
                                                istio::v1::auth::IstioCertificateResponse* response) override;

private:
    CertificateService& service_;
};

// The request fields and headers CertificateService reads.
CallInput make_call_input(grpc::ServerContextBase const& context, istio::v1::auth::IstioCertificateRequest const& request);

}  // namespace gic::emu::istiod
