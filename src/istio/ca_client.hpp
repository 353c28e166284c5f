#pragma once
// Client of istiod's CA: `istio.v1.auth.IstioCertificateService/CreateCertificate` over TLS,
// through gRPC's callback API bridged to an awaitable that resumes on the agent's io_context.
//
// The channel trusts only the configured root bundle (the `istio-ca-root-cert` ConfigMap) and
// verifies the server name `tls_server_name` (GRPC_SSL_TARGET_NAME_OVERRIDE_ARG), as pilot-agent does.
//
// Per-Operation Cancellation: cancelling the awaiting coroutine calls ClientContext::TryCancel();
// the call then completes with CANCELLED. Thread Safety: io_context thread only.
//
// Errors: the constructor and rebuild_channel throw gic::ConfigError for an empty address or an
// empty root bundle (an empty bundle would make gRPC fall back to the system roots).
// Channel: dialled by the first call and released when the last call in flight completes, so an
// idle agent holds no connection and gRPC runs no threads (renewals are hours apart).
// Lifetime: each call holds the channel and stub it started on, so the CaClient may be destroyed
// or rebuilt while calls are in flight; cancel those through their coroutines (shutdown order:
// cancel calls, let the io_context drain; the last call releases the channel on the io thread).
//
// Headers sent on every call: `authorization: Bearer <token>` and `clusterid: <cluster_id>`,
// both even when the value is empty, as pilot-agent sends `clusterid`. Request body: csr,
// validity_duration in seconds and metadata {"CertSigner": ""}.

#include "util/error.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/system/result.hpp>
#include <grpcpp/support/status.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace gic::istio {

struct CaClientConfig {
    std::string address;           // host:port, e.g. "istiod.istio-system.svc:15012"
    std::string tls_server_name;   // verified against istiod's serving certificate SANs
    std::string root_pem;          // trusted roots (every certificate in the bundle)
    std::string cluster_id;        // sent as the `clusterid` header, even when empty
    std::chrono::milliseconds call_timeout{30'000};  // per-call gRPC deadline
};

struct CaError {
    grpc::StatusCode code = grpc::StatusCode::UNKNOWN;
    std::string message;   // the server's status message
    std::string address;
    std::string tls_server_name;  // the name the TLS handshake verified (for the hint)

    // Retried with backoff: UNAVAILABLE, INTERNAL, RESOURCE_EXHAUSTED, ABORTED (pilot-agent's set)
    // and DEADLINE_EXCEEDED (our own per-call deadline).
    // Not retriable: everything else, among them CANCELLED (we asked for it), UNAUTHENTICATED and
    // INVALID_ARGUMENT (a token, flag or CA setting must change first), and the client-side
    // "invalid empty CertChain" error, reported as UNKNOWN: a CA that answers OK with fewer than two
    // elements does so deterministically, pilot-agent's retry interceptor does not retry it either,
    // and the caller's own backoff loop still tries again later.
    bool is_retriable() const;
    // One line for operators, naming the CA address and a hint for the usual causes:
    // UNAUTHENTICATED mentions the audience `istio-ca`, token expiry and --cluster-name;
    // INVALID_ARGUMENT mentions --cert-ttl; TLS failures mention --root-cert-path and --ca-tls-server-name.
    std::string describe() const;
};

// "UNAVAILABLE", "DEADLINE_EXCEEDED", ... (the canonical gRPC code names).
std::string_view status_code_name(grpc::StatusCode code);

// Lets result<T, CaError>::value() throw something readable.
[[noreturn]] void throw_exception_from_error(CaError const& error, boost::source_location const& location);

struct CertificateRequest {
    std::string csr_pem;
    std::chrono::seconds validity{0};  // sent as validity_duration (seconds); 0 = CA default
    std::string token;                 // bearer token (audience istio-ca); never logged
};

// What the agent asks of a CA: CreateCertificate, and a fresh connection after a failure or a root
// rotation. CaClient is istiod's over gRPC; tests and the fault simulator put an in-process CA
// behind the same interface.
class CertificateAuthority {
public:
    virtual ~CertificateAuthority() = default;
    // cert_chain as the CA sent it (leaf first, root bundle last), or why not.
    virtual boost::asio::awaitable<boost::system::result<std::vector<std::string>, CaError>> create_certificate(
        CertificateRequest const& request) = 0;
    // The next call connects anew, trusting `root_pem`.
    virtual void rebuild_channel(std::string root_pem) = 0;
    // host:port, for messages.
    virtual std::string const& address() const = 0;
};

class CaClient final : public CertificateAuthority {
public:
    CaClient(boost::asio::any_io_executor executor, CaClientConfig config);
    ~CaClient();
    CaClient(CaClient const&) = delete;
    CaClient& operator=(CaClient const&) = delete;

    // Returns cert_chain as the CA sent it (leaf first, root bundle last). A response with fewer than
    // two elements is an error ("invalid empty CertChain"), as in pilot-agent.
    boost::asio::awaitable<boost::system::result<std::vector<std::string>, CaError>> create_certificate(
        CertificateRequest const& request) override;

    // Drops the channel; the next call builds a new one with `root_pem` (root rotation, or after a
    // failure). Calls in flight finish on the old channel, which they keep alive until they complete.
    void rebuild_channel(std::string root_pem) override;
    std::string const& address() const override { return config().address; }

    // Dials the CA now (name resolution, TCP, the TLS handshake, on gRPC's threads) rather than at
    // the first call, so that the connection is made while the caller does other work (--once:
    // the key, the CSR, the API connection). The channel lasts while the returned hold or a call
    // on it does; release the hold on the io thread once the call has started or ended. A failed
    // dial is the call's to report.
    std::shared_ptr<void const> connect_ahead();

    CaClientConfig const& config() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace gic::istio
