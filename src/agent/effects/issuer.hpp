#pragma once
// One issuance: a new key, the CSR pilot-agent would send, CreateCertificate, and validation of
// the answer against our key, our identity and the trusted root bundle. Nothing is written here.

#include "agent/decisions/identity.hpp"
#include "agent/decisions/tls_material.hpp"
#include "istio/ca_client.hpp"
#include "pki/certificate.hpp"
#include "pki/key.hpp"
#include "util/backoff.hpp"
#include "util/clock.hpp"
#include "util/error.hpp"
#include "util/worker.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <functional>
#include <vector>

namespace gic::observe {
class AgentMetrics;
}

namespace gic::agent {

using KeyGenerator = std::function<boost::asio::awaitable<pki::PrivateKey>(pki::KeyAlgorithm)>;

// Generates keys on `worker`, off the loop; the worker must outlive every key it is asked for.
KeyGenerator generate_on(util::Worker& worker);

struct IssueParams {
    WorkloadIdentity identity;
    pki::KeyAlgorithm algorithm = pki::KeyAlgorithm::rsa2048;
    std::chrono::seconds ttl{24 * 3600};
    std::vector<pki::Certificate> trusted_roots;
    observe::AgentMetrics* metrics = nullptr;  // CA call count and duration; none recorded when null
    // Makes the new key; required. The agent generates it on a worker thread (generate_on), so
    // the loop keeps running; virtual-time tests generate it on the loop, where no thread can race
    // their clock.
    KeyGenerator generate_key;
};

struct IssueResult {
    KeyedChain issued;
    std::chrono::system_clock::time_point received_at;  // Istio's rotation math uses the receive time
};

enum class IssueFailure {
    local,            // reading the token, building the CSR
    ca_retriable,     // UNAVAILABLE, INTERNAL, RESOURCE_EXHAUSTED, ABORTED, DEADLINE_EXCEEDED
    unauthenticated,  // the token was refused (audience, expiry, cluster name)
    ca_rejected,      // INVALID_ARGUMENT and other non-retriable statuses: a configuration problem
    invalid_response, // the CA answered with something that fails validation
    misconfigured,    // the CA signs for another trust domain than --trust-domain: a flag to fix
};

struct IssueError {
    Error error;
    IssueFailure kind = IssueFailure::local;
};

template <class T>
using IssueOutcome = boost::system::result<T, IssueError>;

// Generates the key with params.generate_key (the loop keeps running meanwhile), then reads the
// token through `token_reader` before each attempt (kubelet rotates it), retries retriable
// CA statuses up to `attempts` times with `backoff` (waiting on `clock`), and validates what comes
// back. The receive time is `clock`'s wall time; CA call durations are measured on its steady time.
boost::asio::awaitable<IssueOutcome<IssueResult>> issue_certificate(istio::CertificateAuthority& ca, util::Clock& clock,
                                                                    IssueParams const& params,
                                                                    std::function<Result<std::string>()> const& token_reader,
                                                                    int attempts, util::BackoffPolicy backoff);

}  // namespace gic::agent

namespace gic::agent {
[[noreturn]] inline void throw_exception_from_error(IssueError const& e, boost::source_location const&) {
    throw std::runtime_error(e.error.message);
}
}  // namespace gic::agent
