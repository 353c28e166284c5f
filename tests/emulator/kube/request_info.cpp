#include "request.hpp"

#include <cctype>
#include <limits>
#include <vector>

namespace gic::emu::kube {

namespace json = boost::json;

std::string RequestInfo::query_param(std::string const& key) const {
    auto it = query.find(key);
    return it == query.end() ? std::string() : it->second;
}

std::string url_decode(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == '%' && i + 2 < text.size() && std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
            std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
            out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
            i += 2;
        } else if (c == '+') {
            out += ' ';
        } else {
            out += c;
        }
    }
    return out;
}

bool RequestInfo::query_flag(std::string const& key) const {
    if (!has_query(key)) return false;
    auto value = query_param(key);
    if (value == "0") return false;
    if (value.size() != 5) return true;
    for (std::size_t i = 0; i < 5; ++i)
        if (std::tolower(static_cast<unsigned char>(value[i])) != "false"[i]) return true;
    return false;
}

std::variant<std::int64_t, std::string> RequestInfo::query_int(std::string const& key) const {
    auto const text = query_param(key);
    auto error = [&](char const* why) {
        return "strconv.ParseInt: parsing " + go_quote(text) + ": " + why;
    };
    std::string_view digits = text;
    bool negative = false;
    if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
        negative = digits[0] == '-';
        digits.remove_prefix(1);
    }
    if (digits.empty()) return error("invalid syntax");
    // Accumulate as a negative number so that the int64 minimum fits.
    std::int64_t value = 0;
    bool overflow = false;
    for (char c : digits) {
        if (c < '0' || c > '9') return error("invalid syntax");
        int const d = c - '0';
        if (value < (std::numeric_limits<std::int64_t>::min() + d) / 10) overflow = true;
        if (!overflow) value = value * 10 - d;
    }
    if (overflow || (!negative && value == std::numeric_limits<std::int64_t>::min()))
        return error("value out of range");
    return negative ? value : -value;
}

namespace {

std::vector<std::string> split_path(std::string_view path) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (start <= path.size()) {
        auto end = path.find('/', start);
        if (end == std::string_view::npos) end = path.size();
        if (end > start) parts.emplace_back(path.substr(start, end - start));
        start = end + 1;
    }
    return parts;
}

std::string lower_method(http::verb method) {
    std::string m(http::to_string(method));
    for (auto& c : m) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return m;
}

}  // namespace

RequestInfo parse_request_info(http::verb method, std::string_view target) {
    RequestInfo info;
    auto q = target.find('?');
    info.path = url_decode(target.substr(0, q));
    if (q != std::string_view::npos) {
        auto query = target.substr(q + 1);
        std::size_t start = 0;
        while (start < query.size()) {
            auto end = query.find('&', start);
            if (end == std::string_view::npos) end = query.size();
            auto pair = query.substr(start, end - start);
            auto eq = pair.find('=');
            // The first occurrence wins, as the parameter codec reads values[0].
            if (!pair.empty())
                info.query.emplace(url_decode(pair.substr(0, eq)),
                                   eq == std::string_view::npos ? std::string() : url_decode(pair.substr(eq + 1)));
            start = end + 1;
        }
    }
    info.verb = lower_method(method);

    auto parts = split_path(info.path);
    std::size_t i = 0;
    if (parts.size() >= 2 && parts[0] == "api") {
        info.version = parts[1];
        i = 2;
    } else if (parts.size() >= 3 && parts[0] == "apis") {
        info.group = parts[1];
        info.version = parts[2];
        i = 3;
    } else {
        return info;
    }
    if (i >= parts.size()) return info;  // /api/v1 or /apis/<g>/<v>: discovery
    info.resource_request = true;
    if (parts[i] == "namespaces" && i + 2 < parts.size()) {
        info.namespace_ = parts[i + 1];
        i += 2;
    }
    info.resource = parts[i];
    if (i + 1 < parts.size()) info.name = parts[i + 1];
    if (i + 2 < parts.size()) info.subresource = parts[i + 2];
    // A namespace is addressed as /api/v1/namespaces/<name>: its own namespace is itself.
    if (info.resource == "namespaces" && info.namespace_.empty()) info.namespace_ = info.name;

    bool const watch = info.query_flag("watch");
    switch (method) {
    case http::verb::get:
        info.verb = watch ? "watch" : (info.name.empty() ? "list" : "get");
        break;
    case http::verb::post: info.verb = "create"; break;
    case http::verb::put: info.verb = "update"; break;
    case http::verb::patch: info.verb = "patch"; break;
    case http::verb::delete_: info.verb = info.name.empty() ? "deletecollection" : "delete"; break;
    default: break;
    }
    return info;
}

Reply json_reply(http::status status, json::value const& body, std::string_view content_type) {
    Reply r;
    r.response.result(status);
    r.response.set(http::field::content_type, content_type);
    r.response.set(http::field::cache_control, "no-cache, private");
    r.response.body() = json::serialize(body);
    r.response.body() += "\n";
    return r;
}

Reply error_reply(ApiError const& error) {
    Reply r = json_reply(static_cast<http::status>(error.code), error.to_status());
    if (error.retry_after_seconds && *error.retry_after_seconds > 0)
        r.response.set(http::field::retry_after, std::to_string(*error.retry_after_seconds));
    return r;
}

}  // namespace gic::emu::kube
