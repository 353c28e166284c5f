#pragma once
// An in-process IstioCertificateService on 127.0.0.1 (an ephemeral port) whose behaviour each
// test sets. Handlers run on gRPC's server threads (sync API); the server records what it saw.

#include "ca.grpc.pb.h"

#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_context.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace gic::test {

using CaRequest = ::istio::v1::auth::IstioCertificateRequest;
using CaResponse = ::istio::v1::auth::IstioCertificateResponse;
using CaHandler = std::function<grpc::Status(grpc::ServerContext&, CaRequest const&, CaResponse&)>;

// One call as the server received it.
struct SeenCall {
    std::multimap<std::string, std::string> metadata;  // keys lower case, as on the wire
    CaRequest request;
};

class FakeCaServer {
public:
    // Insecure when `credentials` is null (only for the bridge tests: the CaClient is TLS-only).
    explicit FakeCaServer(std::shared_ptr<grpc::ServerCredentials> credentials = nullptr);
    ~FakeCaServer();
    FakeCaServer(FakeCaServer const&) = delete;
    FakeCaServer& operator=(FakeCaServer const&) = delete;

    std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
    void set_handler(CaHandler handler);
    std::vector<SeenCall> seen() const;

private:
    class Service;
    std::unique_ptr<Service> service_;
    std::unique_ptr<grpc::Server> server_;
    int port_ = 0;
};

// For handlers: blocks the server thread until the client cancels the call (or its deadline
// passes), at most `limit`. Returns true when the call was cancelled.
bool wait_for_client_cancel(grpc::ServerContext& context, std::chrono::milliseconds limit);

// A successful answer with `chain` as cert_chain.
CaHandler answer_with(std::vector<std::string> chain);

// An address on 127.0.0.1 where nothing listens (a port bound and released again).
std::string closed_loopback_address();

}  // namespace gic::test
