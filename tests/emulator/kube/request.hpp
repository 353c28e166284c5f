#pragma once
// The request as the pipeline sees it: the raw HTTP message, Kubernetes RequestInfo (verb,
// group/version/resource, namespace, name) derived from its path, and the reply.

#include "api_status.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <cstdint>

namespace gic::emu::kube {

namespace http = boost::beast::http;
using HttpRequest = http::request<http::string_body>;
using HttpResponse = http::response<http::string_body>;

// Mirrors apiserver's RequestInfo. Resource requests live under /api/v1 and /apis/<g>/<v>;
// everything else (discovery, /version, /openapi, /emulator) is a non-resource request.
struct RequestInfo {
    bool resource_request = false;
    std::string path;  // URL-decoded, without the query
    std::map<std::string, std::string> query;
    // Kubernetes verb: get list watch create update patch delete deletecollection; for
    // non-resource requests the lower-case HTTP method.
    std::string verb;
    std::string group, version, namespace_, resource, subresource, name;

    // The first value of a parameter, as Go's url.Values.Get and the parameter codec read it.
    std::string query_param(std::string const& key) const;
    bool has_query(std::string const& key) const { return query.count(key) != 0; }
    // A boolean parameter as apimachinery's Convert_Slice_string_To_bool reads it: absent, "0" and
    // "false" (any case) are false; anything else, "True" and the empty string included, is true.
    bool query_flag(std::string const& key) const;
    // An integer parameter as Convert_Slice_string_To_int64 reads it (strconv.ParseInt base 10): the
    // value, or the Go error text for a BadRequest.
    std::variant<std::int64_t, std::string> query_int(std::string const& key) const;
};

RequestInfo parse_request_info(http::verb method, std::string_view target);
std::string url_decode(std::string_view text);

// The connection as a long-running answer (a watch) sees it: chunks written and flushed one by
// one, and news of the client going away (its side closed, or the connection failed).
class ChunkWriter {
public:
    virtual ~ChunkWriter() = default;
    // Sends `data` as one chunk; false when the client is gone.
    virtual boost::asio::awaitable<bool> write(std::string data) = 0;
    virtual bool client_gone() const = 0;
    // Called once when the client goes away while the body runs (to wake a waiting stream).
    virtual void on_client_gone(std::function<void()> callback) = 0;
};

// How a streamed body ended: `complete` sends the last chunk; `abort` closes the connection
// without it (a dropped stream, or a client that is gone).
enum class StreamEnd { complete, abort };
using StreamBody = std::function<boost::asio::awaitable<StreamEnd>(ChunkWriter&)>;

// What the pipeline hands back to the connection: a response, or an instruction to close the
// connection without answering (fault injection). With `stream` set the response head is sent
// with chunked encoding and the body comes from `stream`; the connection closes after it.
struct Reply {
    HttpResponse response;
    bool drop = false;
    StreamBody stream;
};

Reply json_reply(http::status status, boost::json::value const& body,
                 std::string_view content_type = "application/json");
Reply error_reply(ApiError const& error);

}  // namespace gic::emu::kube
