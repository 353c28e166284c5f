#include "kube/watch_framer.hpp"

#include <boost/json/serialize.hpp>

namespace gic::kube {

namespace json = boost::json;

namespace {

bool is_json_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

}  // namespace

Result<WatchEvent> decode_watch_event(json::value const& value) {
    if (!value.is_object()) return make_error("watch event", "not a JSON object");
    auto const& o = value.as_object();
    auto const* type = o.if_contains("type");
    if (!type || !type->is_string()) return make_error("watch event", "no \"type\" string");
    auto const* object = o.if_contains("object");
    if (!object || !object->is_object()) return make_error("watch event", "no \"object\" object");
    WatchEvent event;
    std::string_view const t = type->as_string();
    if (t == "ADDED") event.type = WatchEventType::added;
    else if (t == "MODIFIED") event.type = WatchEventType::modified;
    else if (t == "DELETED") event.type = WatchEventType::deleted;
    else if (t == "BOOKMARK") event.type = WatchEventType::bookmark;
    else if (t == "ERROR") event.type = WatchEventType::error;
    else return make_error("watch event", "unknown type \"" + std::string(t) + "\"");
    event.object = object->as_object();
    return event;
}

Result<void> WatchFramer::feed(std::string_view bytes, std::deque<WatchEvent>& out) {
    while (!bytes.empty()) {
        if (bytes_in_event_ == 0) {
            // Separators between values are not part of any event.
            std::size_t skip = 0;
            while (skip < bytes.size() && is_json_space(bytes[skip])) ++skip;
            bytes.remove_prefix(skip);
            if (bytes.empty()) break;
        }
        boost::system::error_code ec;
        std::size_t const used = parser_.write_some(bytes.data(), bytes.size(), ec);
        if (ec) return make_error("watch stream", "invalid JSON: " + ec.message());
        bytes_in_event_ += used;
        bytes.remove_prefix(used);
        if (bytes_in_event_ > max_event_bytes_)
            return make_error("watch stream", "an event is larger than " + std::to_string(max_event_bytes_) + " bytes");
        if (!parser_.done()) continue;
        json::value value = parser_.release();
        parser_.reset();
        bytes_in_event_ = 0;
        auto event = decode_watch_event(value);
        if (!event) return event.error();
        out.push_back(std::move(*event));
    }
    return {};
}

}  // namespace gic::kube
