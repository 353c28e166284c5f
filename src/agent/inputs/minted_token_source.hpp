#pragma once
// An Istio token minted with the TokenRequest API (POST .../serviceaccounts/<sa>/token, audience
// istio-ca) for when no token is mounted (standalone use with a kubeconfig) or when the mounted
// one belongs to another service account than the target identity (istiod signs for the token's
// identity whatever the CSR says). The token is cached; keep_fresh() mints again at 80 % of its
// life, like the kubelet rotates projected tokens, and keeps the old token while it is valid if a
// mint fails.
//
// RBAC for the Kubernetes credentials in use: verb "create" on "serviceaccounts/token" (core
// group) in the target's namespace, which may be limited with resourceNames: [<sa>].

#include "agent/decisions/identity.hpp"
#include "agent/inputs/token_source.hpp"
#include "kube/api.hpp"
#include "kube/token_request.hpp"
#include "util/clock.hpp"
#include "util/error.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace gic::agent {

struct MintRequest {
    std::string namespace_;
    std::string service_account;
    std::vector<std::string> audiences{"istio-ca"};
    std::chrono::seconds expiration{3600};
};

// The token and its expiry as the TokenRequest answer states them (kube/token_request.hpp).
using MintedToken = kube::IssuedToken;

// When to mint again: 80 % of the way from `minted_at` to the expiry.
std::chrono::system_clock::time_point refresh_time(std::chrono::system_clock::time_point minted_at,
                                                   std::chrono::system_clock::time_point expires_at);
// How long keep_fresh() waits at `now` before minting: until refresh_time() of the token minted at
// `minted_at` that expires at `expires_at`; zero without a token or once that time has passed.
std::chrono::system_clock::duration wait_before_minting(std::optional<std::chrono::system_clock::time_point> expires_at,
                                                        std::chrono::system_clock::time_point minted_at,
                                                        std::chrono::system_clock::time_point now);
// The wait after a failed mint, given the wait after the previous failure of the same run (zero
// for the first): 1 s, doubling up to 1 min.
std::chrono::seconds mint_retry_delay(std::chrono::seconds previous);

class MintedTokenSource final : public TokenSource {
public:
    // `clock`: the wall time compared with the token's expiry, and the waits of keep_fresh().
    MintedTokenSource(kube::Api& api, MintRequest request, util::Clock& clock);

    // Mints now. The error names the RBAC permission when the API refused (403), the service
    // account when it does not exist (404), and checks that the token is for the requested
    // service account (never a certificate for the wrong identity).
    boost::asio::awaitable<Result<void>> mint();

    // Runs until cancelled: mints again at 80 % of the current token's life; a failed mint is
    // retried with backoff (1 s doubling to 1 min) and logged, the old token serving meanwhile.
    boost::asio::awaitable<void> keep_fresh();

    // The cached token; an error when none was minted or it has expired (naming the last failure).
    Result<std::string> token() override;
    std::string describe() const override;

    std::optional<std::chrono::system_clock::time_point> expires_at() const;

private:
    kube::Api& api_;
    MintRequest request_;
    util::Clock& clock_;
    std::optional<MintedToken> current_;
    std::chrono::system_clock::time_point minted_at_{};
    std::optional<Error> last_error_;
};

}  // namespace gic::agent
