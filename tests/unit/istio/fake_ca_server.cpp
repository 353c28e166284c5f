#include "fake_ca_server.hpp"

#include <grpcpp/server_builder.h>

#include <stdexcept>
#include <thread>

namespace gic::test {

class FakeCaServer::Service final : public ::istio::v1::auth::IstioCertificateService::Service {
public:
    grpc::Status CreateCertificate(grpc::ServerContext* context, CaRequest const* request,
                                   CaResponse* response) override {
        CaHandler handler;
        {
            std::lock_guard lock(mutex_);
            SeenCall call;
            for (auto const& [key, value] : context->client_metadata()) {
                call.metadata.emplace(std::string(key.data(), key.size()), std::string(value.data(), value.size()));
            }
            call.request = *request;
            seen_.push_back(std::move(call));
            handler = handler_;
        }
        if (!handler) return {grpc::StatusCode::UNIMPLEMENTED, "no handler set"};
        return handler(*context, *request, *response);
    }

    void set_handler(CaHandler handler) {
        std::lock_guard lock(mutex_);
        handler_ = std::move(handler);
    }

    std::vector<SeenCall> seen() const {
        std::lock_guard lock(mutex_);
        return seen_;
    }

private:
    mutable std::mutex mutex_;
    CaHandler handler_;
    std::vector<SeenCall> seen_;
};

FakeCaServer::FakeCaServer(std::shared_ptr<grpc::ServerCredentials> credentials) : service_(std::make_unique<Service>()) {
    if (!credentials) credentials = grpc::InsecureServerCredentials();
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", credentials, &port_);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    if (!server_ || port_ == 0) throw std::runtime_error("fake CA server: could not listen on 127.0.0.1");
}

FakeCaServer::~FakeCaServer() {
    // Handlers blocked in wait_for_client_cancel see the cancellation this deadline causes.
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
    server_->Wait();
}

void FakeCaServer::set_handler(CaHandler handler) { service_->set_handler(std::move(handler)); }

std::vector<SeenCall> FakeCaServer::seen() const { return service_->seen(); }

bool wait_for_client_cancel(grpc::ServerContext& context, std::chrono::milliseconds limit) {
    // The sync API offers no notification; polling is fine on a test server thread.
    auto const until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
        if (context.IsCancelled()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return context.IsCancelled();
}

CaHandler CancelWatcher::handler(std::function<void()> on_arrival) {
    return [this, on_arrival = std::move(on_arrival)](grpc::ServerContext& ctx, CaRequest const&, CaResponse&) {
        if (on_arrival) on_arrival();
        saw_.set_value(wait_for_client_cancel(ctx, std::chrono::seconds(20)));
        return grpc::Status::OK;
    };
}

bool CancelWatcher::saw_cancel() {
    return seen_.wait_for(std::chrono::seconds(20)) == std::future_status::ready && seen_.get();
}

CaHandler answer_with(std::vector<std::string> chain) {
    return [chain = std::move(chain)](grpc::ServerContext&, CaRequest const&, CaResponse& response) {
        for (auto const& element : chain) response.add_cert_chain(element);
        return grpc::Status::OK;
    };
}

}  // namespace gic::test
