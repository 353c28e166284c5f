#pragma once
// What authenticates each request of a Client and of its watches, client-go's auth round
// trippers in one place: a CredentialProvider (exec plugin) asked before every request, else the
// static bearer token, re-read from tokenFile as client-go does; the client certificate pair the
// connection must present; and what to try after a 401.
//
// A kubeconfig user with static credentials never gets a provider (the loader follows client-go:
// the plugin is not run then); in-process providers that overlap static credentials win.
// Thread Safety: io_context thread only.

#include "kube/credential_provider.hpp"
#include "kube/rest_config.hpp"
#include "kube/token_file_source.hpp"
#include "util/error.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace gic::kube {

// The credentials one request is sent with.
struct RequestCredentials {
    std::optional<Credentials> from_provider;  // what the provider returned: handed back after a 401
    std::string bearer_token;                  // "" without one; never logged
    std::string client_cert_pem;               // with client_key_pem, or both empty
    std::string client_key_pem;                // never logged
};

// An `as-user-extra` key as an Impersonate-Extra-<key> header name part (client-go headerKeyEscape).
std::string impersonation_header_key(std::string_view key);

class RequestAuthenticator {
public:
    explicit RequestAuthenticator(RestConfig const& config);

    // For the next request: the provider's credentials (it fetches when it has none or they
    // expired), else the static ones. Errors name the provider.
    boost::asio::awaitable<Result<RequestCredentials>> current();

    // For the next attempt of a request: `retry` (taken) when a 401 left credentials to send it
    // once more with, else current(). `retry` must outlive the call (pass a named object).
    boost::asio::awaitable<Result<RequestCredentials>> for_attempt(std::optional<RequestCredentials>& retry);

    // After a 401 to a request sent with `used`: the credentials to send it once more with, or
    // nullopt when nothing can have changed (a static token). Asks the provider to replace
    // `used`, and re-reads the token file when the token came from it. Errors name the provider.
    boost::asio::awaitable<Result<std::optional<RequestCredentials>>> after_unauthorized(RequestCredentials const& used);

    // The static or token-file token (not the provider's), re-read from the file when due.
    std::string static_token(bool force_reread = false);

    // Sets `Authorization: Bearer` on `request` (or removes it when there is no token) and the
    // Impersonate-* headers of the kubeconfig's `as*` fields.
    void apply(RequestCredentials const& credentials,
               boost::beast::http::request<boost::beast::http::string_body>& request) const;

    // Where the credentials come from, for ApiError::credentials; never a secret.
    std::string const& description() const { return description_; }

private:
    RequestCredentials combine(Credentials const& from_provider);
    Error named(Error const& error) const;

    std::shared_ptr<CredentialProvider> provider_;
    std::string static_token_;
    std::string client_cert_pem_;
    std::string client_key_pem_;
    std::optional<TokenFileSource> token_source_;
    Impersonation impersonate_;
    std::string description_;
};

}  // namespace gic::kube
