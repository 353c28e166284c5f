// Status decoding (apimachinery's NewGenericServerResponse, client-go's transformResponse).

#include "kube/status_parse.hpp"

#include "util/server_text.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cctype>

namespace gic::kube {

namespace {

struct CodeInfo {
    char const* reason;
    char const* message;  // generic text when the body is not a Status
};

CodeInfo info_for_code(int code) {
    switch (code) {
        case 400: return {"BadRequest", "the server rejected our request for an unknown reason"};
        case 401: return {"Unauthorized", "the server has asked for the client to provide credentials"};
        case 403: return {"Forbidden", "the server does not allow access to the requested resource"};
        case 404: return {"NotFound", "the server could not find the requested resource"};
        case 405: return {"MethodNotAllowed", "the server does not allow this method on the requested resource"};
        case 406: return {"NotAcceptable", "the server was unable to respond with a content type that the client supports"};
        case 409: return {"Conflict", "the server reported a conflict"};
        case 410: return {"Gone", "the requested resource is no longer available"};
        case 413: return {"RequestEntityTooLarge", "the server has rejected the request due to its size"};
        case 415: return {"UnsupportedMediaType", "the server does not support the media type sent in the request"};
        case 422: return {"Invalid", "the server rejected our request due to an error in our request"};
        case 429: return {"TooManyRequests", "the server has received too many requests and has asked us to try again later"};
        case 503: return {"ServiceUnavailable", "the server is currently unable to handle the request"};
        case 504: return {"Timeout", "the server was unable to return a response in the time allotted, but may still be processing the request"};
        default: break;
    }
    if (code >= 500) return {"InternalError", "an error on the server has prevented the request from succeeding"};
    return {"Unknown", "an error on the server has prevented the request from succeeding"};
}

// A short, single-line excerpt of a non-Status body for the message.
std::string excerpt(std::string_view body) { return util::server_text(body, 200); }

}  // namespace

std::string reason_for_code(int http_code) { return info_for_code(http_code).reason; }

std::optional<std::chrono::seconds> parse_retry_after(std::string_view header) {
    while (!header.empty() && header.front() == ' ') header.remove_prefix(1);
    while (!header.empty() && header.back() == ' ') header.remove_suffix(1);
    if (header.empty() || header.size() > 9) return std::nullopt;
    if (!std::all_of(header.begin(), header.end(), [](unsigned char c) { return std::isdigit(c) != 0; })) {
        return std::nullopt;
    }
    return std::min(std::chrono::seconds(std::stol(std::string(header))), max_retry_after);
}

ApiError api_error_from_response(int http_code, std::string_view body,
                                 std::optional<std::chrono::seconds> retry_after_header) {
    ApiError error;
    error.code = http_code;
    error.retry_after = retry_after_header;
    if (error.retry_after) error.retry_after = std::min(*error.retry_after, max_retry_after);

    boost::system::error_code ec;
    boost::json::value const parsed = boost::json::parse(body, ec);
    boost::json::object const* status = nullptr;
    if (!ec && parsed.is_object()) {
        auto const* kind = parsed.as_object().if_contains("kind");
        if (kind && kind->is_string() && kind->as_string() == "Status") status = &parsed.as_object();
    }

    if (status) {
        if (auto const* reason = status->if_contains("reason"); reason && reason->is_string()) {
            error.reason = util::server_text(reason->as_string(), 64);
        }
        if (auto const* message = status->if_contains("message"); message && message->is_string()) {
            error.message = util::server_text(message->as_string());
        }
        auto const* details = status->if_contains("details");
        if (details && details->is_object() && !error.retry_after) {
            if (auto const* seconds = details->as_object().if_contains("retryAfterSeconds");
                seconds && seconds->is_int64() && seconds->as_int64() > 0) {
                error.retry_after = std::min(std::chrono::seconds(seconds->as_int64()), max_retry_after);
            }
        }
    }
    CodeInfo const info = info_for_code(http_code);
    if (error.reason.empty()) error.reason = info.reason;
    if (error.message.empty()) {
        error.message = info.message;
        if (!status && !body.empty()) error.message += " (response: " + excerpt(body) + ")";
    }
    return error;
}

}  // namespace gic::kube
