#pragma once
// CreateCertificate as istiod answers it (security/pkg/server/ca/server.go), without gRPC types
// so that it can be driven directly by tests: authenticate (bearer token, clusterid, TokenReview),
// reject impersonation, check the CSR and the TTL, sign for the caller's identity and shape the
// chain. Faults from the admin endpoint are applied here.

#include "ca_state.hpp"
#include "faults.hpp"
#include "request_log.hpp"
#include "token_reviewer.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <grpcpp/support/status_code_enum.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace gic::emu::istiod {

struct ServiceConfig {
    std::string trust_domain = "cluster.local";
    std::string cluster_id = "Kubernetes";
    std::vector<std::string> token_audiences{"istio-ca"};
    std::chrono::seconds default_ttl{24 * 3600};
    std::chrono::seconds max_ttl{2160 * 3600};
};

struct CallInput {
    std::string peer;                          // "ipv4:127.0.0.1:5555"
    std::vector<std::string> authorization;    // every `authorization` value
    std::vector<std::string> clusterid;        // every `clusterid` value
    std::string csr_pem;
    std::int64_t validity_seconds = 0;
    std::string impersonated_identity;         // metadata["ImpersonatedIdentity"]
    std::string cert_signer;                   // metadata["CertSigner"] (read, not used: no signers configured)
};

struct CallOutcome {
    grpc::StatusCode code = grpc::OK;
    std::string message;
    std::vector<std::string> cert_chain;
};

using LogSink = std::function<void(std::string const&)>;

class CertificateService {
public:
    // `timers` runs injected delays; `log` receives one line per call and istiod's
    // authentication failure lines (never a token or a key).
    CertificateService(ServiceConfig config, CaState& ca, TokenReviewer& reviewer, FaultInjector& faults,
                       RequestLog& requests, boost::asio::any_io_executor timers, LogSink log);

    // `done` runs exactly once, on the reviewer's or the timer's thread (or inline).
    void create_certificate(CallInput input, std::function<void(CallOutcome)> done);

    ServiceConfig const& config() const { return config_; }

private:
    struct Call;
    void start(std::shared_ptr<Call> call);
    void authenticated(std::shared_ptr<Call> call, TokenReviewResult review);
    CallOutcome sign(Call& call);
    void finish(std::shared_ptr<Call> const& call, CallOutcome outcome);

    ServiceConfig config_;
    CaState& ca_;
    TokenReviewer& reviewer_;
    FaultInjector& faults_;
    RequestLog& requests_;
    boost::asio::any_io_executor timers_;
    LogSink log_;
};

}  // namespace gic::emu::istiod
