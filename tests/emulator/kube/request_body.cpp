#include "request_body.hpp"

#include "json_util.hpp"
#include "kube_protobuf.hpp"

#include <stdexcept>

namespace gic::emu::kube {

namespace json = boost::json;

void throw_exception_from_error(ApiError const& e, boost::source_location const&) {
    throw std::logic_error("API error used as a value: " + e.message);
}

namespace {

std::string media_type(HttpRequest const& request) {
    std::string ct(request[http::field::content_type]);
    auto semi = ct.find(';');
    if (semi != std::string::npos) ct.resize(semi);
    while (!ct.empty() && ct.back() == ' ') ct.pop_back();
    return ct;
}

ApiResult<json::object> parse_any(HttpRequest const& request, std::string const& kind) {
    auto ct = media_type(request);
    if (ct == protobuf_content_type) {
        auto obj = decode_kubernetes_protobuf(request.body());
        if (!obj) return bad_request(obj.error().message);
        return std::move(*obj);
    }
    if (!ct.empty() && ct != "application/json" && ct != "*/*") return unsupported_media_type(ct);
    boost::system::error_code ec;
    auto value = json::parse(request.body(), ec);
    if (ec) return bad_request(kind + " in version \"v1\" cannot be handled as a " + kind + ": " + ec.message());
    if (!value.is_object())
        return bad_request(kind + " in version \"v1\" cannot be handled as a " + kind + ": the body is not an object");
    return std::move(value.as_object());
}

ApiResult<json::object> check_type(json::object object, std::string const& api_version, std::string const& kind) {
    auto got_version = string_field(object, "apiVersion");
    auto got_kind = string_field(object, "kind");
    if (!got_version.empty() && got_version != api_version)
        return bad_request("the API version in the data (" + got_version +
                           ") does not match the expected API version (" + api_version + ")");
    if (!got_kind.empty() && got_kind != kind)
        return bad_request("the kind in the data (" + got_kind + ") does not match the expected kind (" + kind + ")");
    object["apiVersion"] = api_version;
    object["kind"] = kind;
    if (!object.contains("metadata") || !object["metadata"].is_object()) object["metadata"] = json::object();
    return object;
}

}  // namespace

ApiResult<json::object> decode_object_body(HttpRequest const& request, ResourceType const& type) {
    return decode_object_body(request, type.api_version(), type.kind);
}

ApiResult<json::object> decode_object_body(HttpRequest const& request, std::string const& api_version,
                                           std::string const& kind) {
    auto obj = parse_any(request, kind);
    if (!obj) return obj.error();
    return check_type(std::move(*obj), api_version, kind);
}

ApiResult<json::object> decode_optional_json_body(HttpRequest const& request) {
    if (request.body().empty()) return json::object();
    boost::system::error_code ec;
    auto value = json::parse(request.body(), ec);
    if (ec || !value.is_object()) return bad_request("the request body is not a JSON object");
    return std::move(value.as_object());
}

}  // namespace gic::emu::kube
