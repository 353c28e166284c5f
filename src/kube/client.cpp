// The Kubernetes REST client: serialised requests over one HttpsConnection, with client-go's
// rate limit, token refresh and Retry-After handling.

#include "kube/client.hpp"

#include "kube/async_mutex.hpp"
#include "kube/https_connection.hpp"
#include "kube/rate_limiter.hpp"
#include "kube/request_credentials.hpp"
#include "kube/status_parse.hpp"
#include "observe/log.hpp"
#include "util/duration.hpp"
#include "util/loop_thread.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <optional>

namespace gic::kube {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using asio::use_awaitable;
using Clock = std::chrono::steady_clock;

namespace {

std::string api_group_of(std::string const& group_version) {
    auto const slash = group_version.find('/');
    return slash == std::string::npos ? std::string{} : group_version.substr(0, slash);
}

}  // namespace

struct Client::Impl {
    Impl(asio::any_io_executor ex, RestConfig cfg, ClientOptions opts)
        : executor(ex),
          config(std::move(cfg)),
          options(std::move(opts)),
          authenticator(config),
          connection(ex, config),
          mutex(ex),
          limiter(options.qps, options.burst, Clock::now()) {
        if (config.insecure_skip_tls_verify && config.ca_pem.empty()) {
            // Once per client, so that it cannot be missed in the agent's log.
            observe::log_warning("kube",
                                 "INSECURE: the API server's certificate chain and name are NOT verified "
                                 "(insecure-skip-tls-verify); credentials may be sent to an impostor",
                                 {{"server", config.server}, {"origin", config.origin}});
        }
        // Host carries the URL's authority (the TLS server name only changes what is verified).
        host_header = config.host.find(':') != std::string::npos ? "[" + config.host + "]" : config.host;
        if (config.port != "443") host_header += ":" + config.port;
    }

    asio::any_io_executor executor;
    RestConfig config;
    ClientOptions options;
    std::string host_header;
    RequestAuthenticator authenticator;
    HttpsConnection connection;
    AsyncMutex mutex;
    TokenBucket limiter;

    ApiError error_for(ApiError error, std::string const& verb, ResourceRef const& ref) const {
        error.verb = verb;
        error.resource = ref.subresource.empty() ? ref.resource : ref.resource + "/" + ref.subresource;
        error.api_group = api_group_of(ref.group_version);
        error.namespace_ = ref.namespace_;
        error.name = ref.name;
        error.server = config.server;
        error.credentials = authenticator.description();
        return error;
    }

    ApiError transport_error(std::string message, std::string const& verb, ResourceRef const& ref) const {
        ApiError error;
        error.code = 0;
        error.reason = "";
        error.message = std::move(message);
        return error_for(std::move(error), verb, ref);
    }

    asio::awaitable<void> sleep_for(Clock::duration delay) {
        asio::steady_timer timer(executor, delay);
        co_await timer.async_wait(use_awaitable);
    }

    // client-go's tryThrottle: every request, retries included, takes a token first.
    asio::awaitable<void> throttle() {
        auto const wait = limiter.reserve(Clock::now());
        if (wait <= Clock::duration::zero()) co_return;
        if (wait > std::chrono::milliseconds(50)) {
            observe::log_debug("kube", "waiting for client-side throttling",
                               {{"wait_ms", std::to_string(
                                                std::chrono::duration_cast<std::chrono::milliseconds>(wait).count())}});
        }
        try {
            co_await sleep_for(wait);
        } catch (...) {
            limiter.cancel_reservation();
            throw;
        }
    }

    std::string target_for(std::string path, std::string const& query) const {
        std::string target = config.path_prefix + path;
        std::string params = query;
        if (options.send_timeout_param && options.request_timeout.count() > 0) {
            if (!params.empty()) params += '&';
            params += "timeout=" + util::format_go_duration(options.request_timeout);
        }
        if (!params.empty()) target += "?" + params;
        return target;
    }

    void observe(std::string_view verb, ResourceRef const& ref, int code, Clock::time_point started) const {
        if (!options.observer) return;
        std::string const resource = ref.subresource.empty() ? ref.resource : ref.resource + "/" + ref.subresource;
        options.observer(verb, resource, code, Clock::now() - started);
    }

    // Parameters by value: the coroutine may outlive the caller's temporaries.
    asio::awaitable<ApiResult<boost::json::object>> call(http::verb method, std::string verb, ResourceRef ref,
                                                         std::string path, std::optional<std::string> payload,
                                                         std::string query = {}) {
        util::expect_loop_thread(executor, "kube::Client request");  // its connection and limiter are unlocked
        std::string const target = target_for(std::move(path), query);
        bool refreshed_after_401 = false;
        std::optional<RequestCredentials> refreshed;  // what a 401 was answered with: the retry's
        int retries = 0;
        auto const call_started = Clock::now();
        for (;;) {
            co_await throttle();
            auto fetched = co_await authenticator.for_attempt(refreshed);
            if (!fetched) co_return transport_error(fetched.error().message, verb, ref);
            RequestCredentials const credentials = std::move(*fetched);
            HttpsConnection::Request request(method, target, 11);
            request.set(http::field::host, host_header);
            request.set(http::field::user_agent, options.user_agent);
            request.set(http::field::accept, "application/json");
            authenticator.apply(credentials, request);
            if (payload) {
                request.set(http::field::content_type, "application/json");
                request.body() = *payload;
            }
            request.keep_alive(true);
            request.prepare_payload();

            std::optional<Result<HttpsConnection::Response>> round_trip;
            auto const started = Clock::now();
            {
                // One request at a time on the connection; waiters are served in order.
                auto guard = co_await mutex.lock();
                // A rotated client certificate replaces the connection made with the old one.
                if (auto switched = connection.use_client_certificate(credentials.client_cert_pem,
                                                                      credentials.client_key_pem);
                    !switched) {
                    round_trip = wrap_error(authenticator.description(), switched.error());
                } else {
                    round_trip = co_await connection.round_trip(request, Clock::now() + options.request_timeout);
                }
            }
            Result<HttpsConnection::Response>& exchanged = *round_trip;
            if (!exchanged) {
                observe(verb, ref, 0, started);
                co_return transport_error(exchanged.error().message, verb, ref);
            }

            HttpsConnection::Response const& response = *exchanged;
            int const code = response.result_int();
            observe(verb, ref, code, started);
            if (code >= 200 && code <= 206) co_return decode_object(response.body(), code, verb, ref);

            if (code == 401 && !refreshed_after_401) {
                // Once only: fresh credentials that are refused too are an answer, not a loop.
                refreshed_after_401 = true;
                auto renewed = co_await authenticator.after_unauthorized(credentials);
                if (!renewed) {
                    co_return transport_error("the server answered 401 Unauthorized and getting new credentials "
                                              "failed: " + renewed.error().message,
                                              verb, ref);
                }
                if (*renewed) {
                    refreshed = std::move(**renewed);
                    continue;
                }
            }
            std::optional<std::chrono::seconds> retry_after;
            if (auto const it = response.find(http::field::retry_after); it != response.end()) {
                retry_after = parse_retry_after(it->value());
            }
            // parse_retry_after caps the wait at max_retry_after.
            bool const within_deadline =
                retry_after && Clock::now() + *retry_after <= call_started + options.retry_deadline;
            if ((code == 429 || code >= 500) && retry_after && retries < options.max_retries && within_deadline) {
                ++retries;
                observe::log_debug("kube", "retrying after the server's Retry-After",
                                   {{"verb", verb},
                                    {"path", target},
                                    {"code", std::to_string(code)},
                                    {"retry_after_s", std::to_string(retry_after->count())},
                                    {"retry", std::to_string(retries)}});
                co_await sleep_for(*retry_after);
                continue;
            }
            co_return error_for(api_error_from_response(code, response.body(), retry_after), verb, ref);
        }
    }

    ApiResult<boost::json::object> decode_object(std::string const& text, int code, std::string const& verb,
                                                 ResourceRef const& ref) const {
        auto invalid = [&](std::string const& detail) {
            ApiError error;
            error.code = code;
            error.reason = "InvalidResponse";
            error.message = "decoding the response from " + config.server + ": " + detail;
            return error_for(std::move(error), verb, ref);
        };
        if (text.empty()) return invalid("empty body");
        boost::system::error_code ec;
        boost::json::value value = boost::json::parse(text, ec);
        if (ec) return invalid("invalid JSON: " + ec.message());
        if (!value.is_object()) return invalid("not a JSON object");
        return std::move(value.as_object());
    }
};

Client::Client(asio::any_io_executor executor, RestConfig config, ClientOptions options)
    : impl_(std::make_unique<Impl>(std::move(executor), std::move(config), std::move(options))) {}

Client::~Client() = default;

RestConfig const& Client::config() const { return impl_->config; }

ClientOptions const& Client::options() const { return impl_->options; }

std::string const& Client::host_header() const { return impl_->host_header; }

asio::awaitable<Result<Client::OpenedStream>> Client::open_stream(HttpsConnection::Request& request,
                                                                  std::string const& resource,
                                                                  std::chrono::steady_clock::time_point deadline) {
    Impl& impl = *impl_;
    auto const executor = co_await asio::this_coro::executor;
    std::optional<RequestCredentials> refreshed;
    for (bool refreshed_after_401 = false;;) {
        auto fetched = co_await impl.authenticator.for_attempt(refreshed);
        if (!fetched) co_return fetched.error();
        RequestCredentials const credentials = std::move(*fetched);
        impl.authenticator.apply(credentials, request);
        auto connection = std::make_unique<HttpsConnection>(executor, impl.config);
        if (auto presented = connection->use_client_certificate(credentials.client_cert_pem, credentials.client_key_pem);
            !presented) {
            co_return wrap_error(impl.authenticator.description(), presented.error());
        }
        auto const started = Clock::now();
        auto head = co_await connection->start_stream(request, deadline);
        if (!head) co_return head.error();
        if (head->code == 401 && !refreshed_after_401) {
            refreshed_after_401 = true;
            connection->close();
            observe("watch", resource, head->code, Clock::now() - started);
            auto renewed = co_await impl.authenticator.after_unauthorized(credentials);
            if (!renewed) {
                co_return make_error("the server answered 401 Unauthorized and getting new credentials failed",
                                     renewed.error().message);
            }
            if (*renewed) {
                refreshed = std::move(**renewed);
                continue;
            }
        }
        co_return OpenedStream{std::move(connection), *head};
    }
}

void Client::observe(std::string_view verb, std::string_view resource, int code, std::chrono::nanoseconds took) const {
    if (impl_->options.observer) impl_->options.observer(verb, resource, code, took);
}

asio::awaitable<ApiResult<boost::json::object>> Client::list_collection(ResourceRef const& collection,
                                                                       std::string query) {
    return impl_->call(http::verb::get, "list", collection, collection.path(), std::nullopt, std::move(query));
}

asio::awaitable<ApiResult<boost::json::object>> Client::get(ResourceRef const& ref) {
    return impl_->call(http::verb::get, "get", ref, ref.path(), std::nullopt);
}

asio::awaitable<ApiResult<boost::json::object>> Client::create(ResourceRef const& ref, boost::json::object const& body) {
    ResourceRef collection = ref;
    if (ref.subresource.empty()) collection.name.clear();
    return impl_->call(http::verb::post, "create", ref, collection.path(), boost::json::serialize(body));
}

asio::awaitable<ApiResult<boost::json::object>> Client::update(ResourceRef const& ref, boost::json::object const& body) {
    return impl_->call(http::verb::put, "update", ref, ref.path(), boost::json::serialize(body));
}

asio::awaitable<ApiResult<boost::json::object>> Client::remove(ResourceRef const& ref) {
    return impl_->call(http::verb::delete_, "delete", ref, ref.path(), std::nullopt);
}

}  // namespace gic::kube
