#pragma once
// An in-process IstioCertificateService on 127.0.0.1 (an ephemeral port) whose behaviour each
// test sets. Handlers run on gRPC's server threads (sync API); the server records what it saw.

#include "ca.grpc.pb.h"

#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_context.h>

#include <chrono>
#include <functional>
#include <future>
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

// The server side of the cancellation tests: a handler that holds the call until the client
// cancels it (at most 20 s), after running `on_arrival` (for example to cancel from the client's
// side once the call is at the server), and then tells whether it saw that cancel.
class CancelWatcher {
public:
    CaHandler handler(std::function<void()> on_arrival = {});
    // True once a held call was cancelled by the client; false if it was not, or no call came within 20 s.
    bool saw_cancel();

private:
    std::promise<bool> saw_;
    std::future<bool> seen_ = saw_.get_future();
};

// A successful answer with `chain` as cert_chain.
CaHandler answer_with(std::vector<std::string> chain);

}  // namespace gic::test
