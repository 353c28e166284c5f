#pragma once
// The metadata every Kubernetes object carries, read once from the wire object so the code above
// the API sees typed fields instead of walking JSON. Only the fields the agent uses are modelled;
// the object itself is kept alongside wherever it is written back (a PUT replaces the whole
// object, so fields we do not model must travel back untouched).

#include "util/error.hpp"

#include <boost/json/object.hpp>

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace gic::kube {

struct ObjectMeta {
    std::string name;
    std::string namespace_;
    std::string uid;
    std::string resource_version;
    std::map<std::string, std::string> labels;
    std::map<std::string, std::string> annotations;

    bool operator==(ObjectMeta const&) const = default;
};

// metadata of `object` (an object, or a List whose metadata is a ListMeta). A missing metadata or
// field reads as empty, as Go's decoder does; a field of the wrong type is an error naming it
// ("metadata.uid: not a string").
Result<ObjectMeta> parse_object_meta(boost::json::object const& object);

// Only metadata.resourceVersion of `object` (what a watch goes on from), read as
// parse_object_meta reads it, without the rest of the metadata: nullopt when it is not a string
// (a missing metadata or field reads as empty).
std::optional<std::string_view> resource_version_of(boost::json::object const& object);

// Writes `meta` into `object`'s metadata: the non-empty strings, and labels/annotations when
// there are any (or the object had the key). Everything else in metadata (ownerReferences,
// managedFields, ...) is left as it was.
void write_object_meta(ObjectMeta const& meta, boost::json::object& object);

// A JSON object of strings (labels, annotations, ConfigMap and Secret data) as a map; `field`
// names it in the error when it, or one of its values, is not what it should be. Null reads empty.
Result<std::map<std::string, std::string>> parse_string_map(boost::json::value const* value, std::string const& field);

boost::json::object string_map_json(std::map<std::string, std::string> const& map);

}  // namespace gic::kube
