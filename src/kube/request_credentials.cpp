#include "kube/request_credentials.hpp"

#include <cctype>

#include "observe/log.hpp"

#include <boost/beast/http/field.hpp>

namespace gic::kube {

namespace asio = boost::asio;
namespace http = boost::beast::http;

namespace {

std::string describe_credentials(RestConfig const& config) {
    if (config.credential_provider) return config.credential_provider->describe();
    std::string source = config.origin.empty() ? std::string{} : " from " + config.origin;
    if (!config.token_file.empty()) return "bearer token file " + config.token_file + source;
    if (!config.bearer_token.empty()) return "bearer token" + source;
    if (!config.client_cert_pem.empty()) return "client certificate" + source;
    return "no credentials" + source;
}

}  // namespace

RequestAuthenticator::RequestAuthenticator(RestConfig const& config)
    : provider_(config.credential_provider),
      static_token_(config.bearer_token),
      client_cert_pem_(config.client_cert_pem),
      client_key_pem_(config.client_key_pem),
      impersonate_(config.impersonate),
      description_(describe_credentials(config)) {
    if (!config.token_file.empty()) token_source_.emplace(config.token_file, config.bearer_token);
}

std::string RequestAuthenticator::static_token(bool force_reread) {
    if (!token_source_) return static_token_;
    auto token = force_reread ? token_source_->refresh() : token_source_->token();
    if (auto rotation_error = token_source_->take_rotation_error()) {
        // Never the token itself: the path and the reason only.
        observe::log_warning("kube", "unable to rotate token, keeping the last good one",
                             {{"error", rotation_error->message}});
    }
    return token ? *token : static_token_;
}

RequestCredentials RequestAuthenticator::combine(Credentials const& from_provider) {
    RequestCredentials out;
    out.from_provider = from_provider;
    out.bearer_token = from_provider.bearer_token.empty() ? static_token() : from_provider.bearer_token;
    if (!from_provider.client_cert_pem.empty()) {
        out.client_cert_pem = from_provider.client_cert_pem;
        out.client_key_pem = from_provider.client_key_pem;
    } else {
        out.client_cert_pem = client_cert_pem_;
        out.client_key_pem = client_key_pem_;
    }
    return out;
}

// An exec plugin's errors already start with its description; others get it in front.
Error RequestAuthenticator::named(Error const& error) const {
    std::string const who = provider_->describe();
    if (error.message.find(who) != std::string::npos) return error;
    return wrap_error(who, error);
}

asio::awaitable<Result<RequestCredentials>> RequestAuthenticator::current() {
    if (!provider_) {
        RequestCredentials out;
        out.bearer_token = static_token();
        out.client_cert_pem = client_cert_pem_;
        out.client_key_pem = client_key_pem_;
        co_return out;
    }
    auto fetched = co_await provider_->get();
    if (!fetched) co_return named(fetched.error());
    co_return combine(*fetched);
}

asio::awaitable<Result<RequestCredentials>> RequestAuthenticator::for_attempt(std::optional<RequestCredentials>& retry) {
    if (retry) {
        RequestCredentials taken = std::move(*retry);
        retry.reset();
        co_return taken;
    }
    co_return co_await current();
}

asio::awaitable<Result<std::optional<RequestCredentials>>> RequestAuthenticator::after_unauthorized(
    RequestCredentials const& used) {
    // Copied before the first suspension: the caller's object may not outlive it.
    RequestCredentials const rejected = used;
    bool const token_from_file =
        token_source_ && !rejected.bearer_token.empty() &&
        (!rejected.from_provider || rejected.from_provider->bearer_token.empty());
    if (token_from_file) {
        // The kubelet may have rotated the token since we last read it.
        (void)static_token(true);
    }
    if (!provider_ || !rejected.from_provider) {
        if (!token_from_file) co_return std::optional<RequestCredentials>();
        auto reread = co_await current();
        if (!reread) co_return reread.error();
        co_return std::optional<RequestCredentials>(std::move(*reread));
    }
    Credentials const& replaced = *rejected.from_provider;
    auto refreshed = co_await provider_->refresh_after_unauthorized(replaced);
    if (!refreshed) co_return named(refreshed.error());
    co_return std::optional<RequestCredentials>(combine(*refreshed));
}

void RequestAuthenticator::apply(RequestCredentials const& credentials,
                                 http::request<http::string_body>& request) const {
    if (credentials.bearer_token.empty()) {
        request.erase(http::field::authorization);
    } else {
        request.set(http::field::authorization, "Bearer " + credentials.bearer_token);
    }
    if (impersonate_.empty()) return;
    // transport.NewImpersonatingRoundTripper: one header per group and per extra value.
    request.set("Impersonate-User", impersonate_.user);
    if (!impersonate_.uid.empty()) request.set("Impersonate-Uid", impersonate_.uid);
    request.erase("Impersonate-Group");
    for (auto const& group : impersonate_.groups) request.insert("Impersonate-Group", group);
    for (auto const& [key, value] : impersonate_.extra) {
        auto const name = "Impersonate-Extra-" + impersonation_header_key(key);
        request.erase(name);
    }
    for (auto const& [key, value] : impersonate_.extra)
        request.insert("Impersonate-Extra-" + impersonation_header_key(key), value);
}

std::string impersonation_header_key(std::string_view key) {
    // client-go headerKeyEscape: bytes that are not HTTP token characters, and '%', are
    // percent-encoded so that the server's url.PathUnescape gives the key back.
    static constexpr std::string_view token_punctuation = "!#$&'*+-.^_`|~";
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : key) {
        bool const legal = std::isalnum(c) != 0 || token_punctuation.find(static_cast<char>(c)) != std::string_view::npos;
        if (legal && c < 0x80) {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 0xF];
        }
    }
    return out;
}

}  // namespace gic::kube
