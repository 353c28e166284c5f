#pragma once
// Credentials that come from somewhere other than the kubeconfig itself (an exec plugin today),
// asked for before each request. The client holds one through RestConfig::credential_provider.
//
// What the client does with a provider (client-go's exec round tripper):
//   - before each request: `auto creds = co_await provider->get();` on error fail the request with
//     the provider's message (it names the command and its stderr); set `Authorization: Bearer`
//     from creds.bearer_token when non-empty; when creds.client_cert_pem differs from the one the
//     connection was built with, close the connection and build a new one with the new pair.
//   - on HTTP 401 to a request made with `creds`: `co_await provider->refresh_after_unauthorized(creds)`
//     and send the request once more with what it returns.
// Thread Safety: use from the io_context's thread only.

#include "util/error.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <optional>
#include <string>

namespace gic::kube {

struct Credentials {
    std::string bearer_token;     // never logged
    std::string client_cert_pem;  // with client_key_pem, or both empty
    std::string client_key_pem;   // never logged
    std::optional<std::chrono::system_clock::time_point> expires_at;  // empty: never expire

    bool operator==(Credentials const&) const = default;
};

class CredentialProvider {
public:
    virtual ~CredentialProvider() = default;

    // The cached credentials, fetched first when there are none or they have expired. Concurrent
    // callers share one fetch.
    virtual boost::asio::awaitable<Result<Credentials>> get() = 0;

    // The server refused `used` (401): fetch new credentials, unless another caller already
    // replaced `used`, in which case the newer ones are returned without fetching again.
    virtual boost::asio::awaitable<Result<Credentials>> refresh_after_unauthorized(Credentials const& used) = 0;

    // For messages: "exec plugin /usr/bin/get-token (kubeconfig /x, user \"u\")".
    virtual std::string describe() const = 0;
};

}  // namespace gic::kube
