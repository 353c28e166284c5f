#include "kube/event.hpp"

#include "util/time_format.hpp"

#include <boost/json/value.hpp>

#include <cstdint>
#include <cstdio>
#include <random>

namespace gic::kube {

namespace json = boost::json;

namespace {

std::string hex(std::uint64_t n) {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%llx", static_cast<unsigned long long>(n));
    return buf;
}

// client-go names an Event `<object>.<hex unix nanos>` and falls back to a random name when that
// is not a valid object name (too long).
std::string event_name(std::string const& object_name, std::chrono::system_clock::time_point now) {
    auto const nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
    auto name = object_name + "." + hex(std::uint64_t(nanos));
    if (!object_name.empty() && name.size() <= 253) return name;
    std::random_device rd;
    return hex((std::uint64_t(rd()) << 32) | rd()) + hex(std::uint64_t(nanos));
}

}  // namespace

ObjectReference reference_to(ObjectMeta const& meta, std::string kind, std::string api_version) {
    return {std::move(kind), std::move(api_version), meta.namespace_, meta.name, meta.uid, meta.resource_version};
}

Event make_event(ObjectReference const& involved, std::string const& type, std::string const& reason,
                 std::string const& message, std::string const& component, std::chrono::system_clock::time_point now) {
    Event out;
    out.namespace_ = involved.namespace_.empty() ? std::string("default") : involved.namespace_;
    out.name = event_name(involved.name, now);
    json::object& event = out.body;
    event["apiVersion"] = "v1";
    event["kind"] = "Event";
    event["metadata"] = json::object{{"name", out.name}, {"namespace", out.namespace_}};
    json::object ref;
    ref["kind"] = involved.kind;
    ref["apiVersion"] = involved.api_version;
    ref["namespace"] = involved.namespace_;
    ref["name"] = involved.name;
    if (!involved.uid.empty()) ref["uid"] = involved.uid;
    if (!involved.resource_version.empty()) ref["resourceVersion"] = involved.resource_version;
    event["involvedObject"] = std::move(ref);
    event["type"] = type;
    event["reason"] = reason;
    event["message"] = message;
    event["source"] = json::object{{"component", component}};
    auto const stamp = util::format_rfc3339(now);
    event["firstTimestamp"] = stamp;
    event["lastTimestamp"] = stamp;
    event["count"] = 1;
    event["reportingComponent"] = component;
    event["reportingInstance"] = "";
    return out;
}

}  // namespace gic::kube
