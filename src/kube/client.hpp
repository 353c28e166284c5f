#pragma once
// A Kubernetes REST client on the agent's io_context: Beast over asio::ssl (strict verification
// against RestConfig::ca_pem, or the system trust store without one, TLS >= 1.2; no verification
// only with insecure_skip_tls_verify and no CA, warned about once per client), Impersonate-*
// headers from the kubeconfig's `as*` fields on every request and watch, one keep-alive connection reused for sequential calls,
// per-request deadline, client-side rate limit (QPS 5, burst 10), retries of 429/5xx that carry
// Retry-After (at most 10, client-go's rule; each wait capped at 60 s, and none that would end
// after ClientOptions::retry_deadline).
//
// Credentials per request (request_credentials.hpp): with RestConfig::credential_provider, its
// get() before every request (Authorization from its token, its client certificate presented; a
// changed certificate replaces the connection), and after a 401 its refresh_after_unauthorized()
// and one more try; failures name the provider. Without one, the static token re-read from
// tokenFile like client-go (and re-read once more after a 401) and the configured certificate.
//
// Objects are plain Boost.JSON objects: callers read and modify what they own and send the rest
// back unchanged (update keeps labels, annotations and fields set by others).
//
// Per-Operation Cancellation: every awaitable honours terminal cancellation of the awaiting
// coroutine; the connection is then closed (never reused after a cancelled read) and the
// awaitable throws boost::system::system_error(asio::error::operation_aborted), as Asio's own
// operations do: a cancelled caller gets no result.
// Thread Safety: use from the io_context's thread only.

#include "kube/api.hpp"
#include "kube/api_error.hpp"
#include "kube/https_connection.hpp"
#include "kube/rest_config.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace gic::kube {


struct ClientOptions {
    std::chrono::milliseconds request_timeout{10'000};
    double qps = 5.0;   // <= 0 disables the rate limit
    int burst = 10;
    int max_retries = 10;
    // No Retry-After wait that would end later than this after the call began: the server's
    // answer is then returned. Bounds one call at about retry_deadline + request_timeout.
    std::chrono::milliseconds retry_deadline{120'000};
    std::string user_agent = "gen-istio-cert";
    // Also send the deadline as `?timeout=10s` so the server gives up too (client-go does).
    bool send_timeout_param = true;
    // Called once per HTTP exchange that completed (each retry counts, as client-go's request
    // metrics do; a watch counts when its response head arrives) with the verb ("get", "list",
    // "watch", ...), the resource ("secrets", "serviceaccounts/token"), the HTTP code (0 for a
    // transport failure) and the time it took. For metrics; must not throw.
    using RequestObserver =
        std::function<void(std::string_view verb, std::string_view resource, int code, std::chrono::nanoseconds took)>;
    RequestObserver observer{};
};

class Client final : public Api {
public:
    Client(boost::asio::any_io_executor executor, RestConfig config, ClientOptions options = {});
    ~Client();
    Client(Client const&) = delete;
    Client& operator=(Client const&) = delete;

    boost::asio::awaitable<ApiResult<boost::json::object>> get(ResourceRef const& ref) override;
    // POST to the collection of `ref` (ref.name then only names the object in errors), or to
    // ref.path() when ref.subresource is set (serviceaccounts/<name>/token).
    boost::asio::awaitable<ApiResult<boost::json::object>> create(ResourceRef const& ref, boost::json::object const& body) override;
    // PUT; the body carries metadata.resourceVersion for optimistic concurrency.
    boost::asio::awaitable<ApiResult<boost::json::object>> update(ResourceRef const& ref, boost::json::object const& body) override;
    // kube::list() and kube::watch() (watch.hpp).
    boost::asio::awaitable<ApiResult<boost::json::object>> list(ResourceRef const& collection,
                                                                ListOptions const& options) override;
    boost::asio::awaitable<ApiResult<std::unique_ptr<WatchStream>>> watch(ResourceRef const& collection,
                                                                          WatchOptions const& options) override;
    boost::asio::awaitable<ApiResult<boost::json::object>> remove(ResourceRef const& ref);
    // GET of a collection with a query string ("fieldSelector=...&resourceVersion=..."; already
    // encoded), reported with verb "list". kube::list() is the friendly form.
    boost::asio::awaitable<ApiResult<boost::json::object>> list_collection(ResourceRef const& collection,
                                                                          std::string query);

    RestConfig const& config() const;
    ClientOptions const& options() const;

    // For requests on connections of their own (watch.cpp): the Host header value.
    std::string const& host_header() const;

    // For a watch (watch.cpp): sends `request` on a new connection of its own, authenticated as
    // every request is (Authorization and the client certificate set here), and reads the
    // response head before `deadline`. A 401 is handled as for other requests: new credentials
    // and one more try on a new connection (the refused exchange is reported to the observer as
    // a "watch" of `resource`). The returned head may still be an error answer (a second 401
    // included) whose body is left on the connection. Errors name the server or the provider.
    struct OpenedStream {
        std::unique_ptr<HttpsConnection> connection;
        HttpsConnection::ResponseHead head;
    };
    boost::asio::awaitable<Result<OpenedStream>> open_stream(HttpsConnection::Request& request,
                                                             std::string const& resource,
                                                             std::chrono::steady_clock::time_point deadline);
    // Reports to ClientOptions::observer, when set.
    void observe(std::string_view verb, std::string_view resource, int code, std::chrono::nanoseconds took) const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace gic::kube
