// LIST and WATCH (watch.hpp): a watch is one request on a dedicated HttpsConnection whose
// chunked body is read piece by piece and framed into events.

#include "kube/watch.hpp"

#include "kube/https_connection.hpp"
#include "kube/status_parse.hpp"
#include "kube/watch_framer.hpp"

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>

#include <deque>

namespace gic::kube {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using Clock = std::chrono::steady_clock;

namespace {

// Body bytes kept from an error answer to a watch request (a Status is small).
constexpr std::size_t max_error_body = 64 * 1024;

std::string query_escape(std::string_view text) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : text) {
        bool const unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                                c == '-' || c == '_' || c == '.' || c == '~';
        if (unreserved) {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 0xf];
        }
    }
    return out;
}

void add_param(std::string& query, std::string_view key, std::string_view value) {
    if (!query.empty()) query += '&';
    query += key;
    query += '=';
    query += query_escape(value);
}

std::string api_group_of(std::string const& group_version) {
    auto const slash = group_version.find('/');
    return slash == std::string::npos ? std::string{} : group_version.substr(0, slash);
}

ApiError watch_error(Client const& client, ResourceRef const& ref, ApiError error) {
    error.verb = "watch";
    error.resource = ref.resource;
    error.api_group = api_group_of(ref.group_version);
    error.namespace_ = ref.namespace_;
    error.name = ref.name;
    error.server = client.config().server;
    return error;
}

ApiError transport_error(Client const& client, ResourceRef const& ref, std::string message) {
    ApiError error;
    error.code = 0;
    error.message = std::move(message);
    return watch_error(client, ref, std::move(error));
}

class HttpWatchStream final : public WatchStream {
public:
    HttpWatchStream(std::unique_ptr<HttpsConnection> connection, Clock::time_point deadline, std::size_t max_event_bytes,
                    Client const& client, ResourceRef ref)
        : connection_(std::move(connection)),
          deadline_(deadline),
          framer_(max_event_bytes),
          client_(client),
          ref_(std::move(ref)) {}

    ~HttpWatchStream() override { connection_->close(); }

    asio::awaitable<ApiResult<std::optional<WatchEvent>>> next() override {
        for (;;) {
            if (!ready_.empty()) {
                WatchEvent event = std::move(ready_.front());
                ready_.pop_front();
                co_return std::optional<WatchEvent>(std::move(event));
            }
            if (failed_) co_return *failed_;
            if (ended_) co_return std::optional<WatchEvent>();
            // Throws operation_aborted (connection closed) when the caller is cancelled.
            auto bytes = co_await connection_->read_body_some(deadline_);
            if (!bytes) {
                failed_ = transport_error(client_, ref_, bytes.error().message);
                continue;
            }
            if (bytes->empty()) {
                ended_ = true;
                connection_->close();
                if (framer_.mid_event())
                    failed_ = transport_error(client_, ref_, "the watch stream from " + client_.config().server +
                                                                 " ended in the middle of an event");
                continue;
            }
            if (auto fed = framer_.feed(*bytes, ready_); !fed) {
                connection_->close();
                failed_ = transport_error(client_, ref_, fed.error().message + " from " + client_.config().server);
            }
        }
    }

private:
    std::unique_ptr<HttpsConnection> connection_;
    Clock::time_point deadline_;
    WatchFramer framer_;
    Client const& client_;
    ResourceRef ref_;
    std::deque<WatchEvent> ready_;  // events already framed, handed out before any error
    std::optional<ApiError> failed_;
    bool ended_ = false;
};

}  // namespace

asio::awaitable<ApiResult<boost::json::object>> list(Client& client, ResourceRef const& collection,
                                                     ListOptions const& options) {
    std::string query;
    if (!options.field_selector.empty()) add_param(query, "fieldSelector", options.field_selector);
    if (!options.resource_version.empty()) add_param(query, "resourceVersion", options.resource_version);
    co_return co_await client.list_collection(collection, query);
}

asio::awaitable<ApiResult<std::unique_ptr<WatchStream>>> watch(Client& client, ResourceRef const& collection,
                                                               WatchOptions const& options) {
    // Copies: the caller's arguments may be temporaries that end before this coroutine does.
    ResourceRef const ref = collection;
    WatchOptions const opts = options;
    std::string query = "watch=1";
    if (!opts.resource_version.empty()) add_param(query, "resourceVersion", opts.resource_version);
    if (opts.allow_bookmarks) add_param(query, "allowWatchBookmarks", "true");
    if (!opts.field_selector.empty()) add_param(query, "fieldSelector", opts.field_selector);
    add_param(query, "timeoutSeconds", std::to_string(opts.timeout_seconds.count()));

    HttpsConnection::Request request(http::verb::get, client.config().path_prefix + ref.path() + "?" + query, 11);
    request.set(http::field::host, client.host_header());
    request.set(http::field::user_agent, client.options().user_agent);
    request.set(http::field::accept, "application/json");
    request.keep_alive(true);
    request.prepare_payload();

    auto const started = Clock::now();
    auto const stream_deadline = started + opts.timeout_seconds + opts.idle_grace;
    // The head must come within the usual request timeout (the server sends it at once).
    auto const head_deadline = std::min(stream_deadline, started + client.options().request_timeout);
    // Authenticated by the client, as its other requests are.
    auto opened = co_await client.open_stream(request, ref.resource, head_deadline);
    if (!opened) {
        client.observe("watch", ref.resource, 0, Clock::now() - started);
        co_return transport_error(client, ref, opened.error().message);
    }
    auto connection = std::move(opened->connection);
    HttpsConnection::ResponseHead const head = opened->head;
    int const code = head.code;
    client.observe("watch", ref.resource, code, Clock::now() - started);
    if (code != 200) {
        // Read the (small) error body for its Status, then give up the connection.
        std::string body;
        while (body.size() < max_error_body) {
            auto bytes = co_await connection->read_body_some(head_deadline);
            if (!bytes || bytes->empty()) break;
            body += *bytes;
        }
        connection->close();
        std::optional<std::chrono::seconds> retry_after;
        if (!head.retry_after.empty()) retry_after = parse_retry_after(head.retry_after);
        co_return watch_error(client, ref, api_error_from_response(code, body, retry_after));
    }
    co_return std::unique_ptr<WatchStream>(
        std::make_unique<HttpWatchStream>(std::move(connection), stream_deadline, opts.max_event_bytes, client, ref));
}

}  // namespace gic::kube

namespace gic::kube {

boost::asio::awaitable<ApiResult<boost::json::object>> Client::list(ResourceRef const& collection,
                                                                    ListOptions const& options) {
    co_return co_await kube::list(*this, collection, options);
}

boost::asio::awaitable<ApiResult<std::unique_ptr<WatchStream>>> Client::watch(ResourceRef const& collection,
                                                                              WatchOptions const& options) {
    co_return co_await kube::watch(*this, collection, options);
}

}  // namespace gic::kube
