#include "agent/effects/issuer.hpp"

#include "observe/log.hpp"
#include "observe/metrics.hpp"
#include "pki/chain.hpp"
#include "pki/csr.hpp"


#include <stdexcept>

namespace gic::agent {

KeyGenerator generate_on(util::Worker& worker) {
    // Not a coroutine: async_generate_key takes what it needs by value.
    return [&worker](pki::KeyAlgorithm algorithm) { return pki::async_generate_key(worker, algorithm); };
}

boost::asio::awaitable<IssueOutcome<IssueResult>> issue_certificate(istio::CertificateAuthority& ca, util::Clock& clock,
                                                                    IssueParams const& params,
                                                                    std::function<Result<std::string>()> const& token_reader,
                                                                    int attempts, util::BackoffPolicy backoff_policy) {
    auto const spiffe_id = params.identity.spiffe_id();
    if (!params.generate_key) throw std::logic_error("issue_certificate: IssueParams::generate_key is not set");
    auto key = co_await params.generate_key(params.algorithm);
    auto csr = pki::make_csr_pem(key, spiffe_id);
    if (!csr) co_return IssueError{wrap_error("building the CSR for " + spiffe_id, csr.error()), IssueFailure::local};

    util::Backoff backoff(backoff_policy);
    for (int attempt = 1;; ++attempt) {
        auto token = token_reader();
        if (!token) co_return IssueError{token.error(), IssueFailure::local};
        istio::CertificateRequest request{*csr, params.ttl, std::move(*token)};
        auto const call_started = clock.steady_now();
        auto response = co_await ca.create_certificate(request);
        if (params.metrics)
            params.metrics->ca_request(response ? std::string_view("OK") : istio::status_code_name(response.error().code),
                                       clock.steady_now() - call_started);
        if (!response) {
            auto const& ca_error = response.error();
            if (!ca_error.is_retriable() || attempt >= attempts) {
                auto kind = ca_error.is_retriable()                                   ? IssueFailure::ca_retriable
                            : ca_error.code == grpc::StatusCode::UNAUTHENTICATED ? IssueFailure::unauthenticated
                                                                                 : IssueFailure::ca_rejected;
                co_return IssueError{make_error(ca_error.describe()), kind};
            }
            auto delay = backoff.next();
            observe::log_warning("issuer", "CA call failed; retrying",
                                 {{"identity", spiffe_id},
                                  {"attempt", std::to_string(attempt)},
                                  {"retry_in_ms", std::to_string(delay.count())},
                                  {"error", ca_error.describe()}});
            co_await util::sleep_for(clock, delay);
            continue;
        }
        auto received_at = clock.wall_now();
        auto chain = pki::split_ca_response(*response, params.trusted_roots);
        if (!chain)
            co_return IssueError{make_error("the CA at " + ca.address() + " returned an unusable chain",
                                            chain.error().message + "; nothing was written"),
                                 IssueFailure::invalid_response};
        // istiod signs for its mesh's trustDomain whatever the CSR says: a different one is a
        // configuration error to name, not a bad answer to retry.
        if (auto const uris = chain->leaf().uri_sans(); uris.size() == 1) {
            if (auto other = other_trust_domain(uris.front(), params.identity)) {
                co_return IssueError{
                    make_error("the CA at " + ca.address() + " signs for trust domain \"" + *other +
                                   "\", not \"" + params.identity.trust_domain + "\" (--trust-domain)",
                               "set --trust-domain=" + *other + ", the mesh's trustDomain; nothing was written"),
                    IssueFailure::misconfigured};
            }
        }
        auto valid = pki::validate_issued(*chain, key, spiffe_id, params.trusted_roots, received_at);
        if (!valid)
            co_return IssueError{make_error("the certificate from the CA at " + ca.address() + " failed validation",
                                            valid.error().message + "; nothing was written"),
                                 IssueFailure::invalid_response};
        co_return IssueResult{KeyedChain{std::move(*chain), std::move(key)}, received_at};
    }
}

}  // namespace gic::agent
