#pragma once
// core/v1 Event bodies as client-go's recorder writes them (kubernetes-api.md section 4):
// metadata.name `<object>.<hex unix nanos>` in the involved object's namespace, firstTimestamp =
// lastTimestamp = now, count 1, source.component and reportingComponent = the component, and no
// eventTime (which would switch the server to the strict events.k8s.io validation). Pure: the
// recorder that posts them lives with the elector.

#include "kube/object_meta.hpp"

#include <boost/json/object.hpp>

#include <chrono>
#include <string>

namespace gic::kube {

struct ObjectReference {
    std::string kind;
    std::string api_version;
    std::string namespace_;
    std::string name;
    std::string uid;
    std::string resource_version;
};

// The reference to the object with `meta` as `kind` in `api_version`.
ObjectReference reference_to(ObjectMeta const& meta, std::string kind, std::string api_version);

inline constexpr char event_normal[] = "Normal";
inline constexpr char event_warning[] = "Warning";

// An Event ready to POST: where it goes (namespace, name) and the body.
struct Event {
    std::string namespace_;
    std::string name;
    boost::json::object body;
};

Event make_event(ObjectReference const& involved, std::string const& type, std::string const& reason,
                 std::string const& message, std::string const& component, std::chrono::system_clock::time_point now);

}  // namespace gic::kube
