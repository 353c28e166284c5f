#pragma once
// A v1 Secret as the agent reads and writes it: metadata, type and data (values as on the wire,
// base64), with the object as read kept for the round trip: to_json() puts the typed fields back
// into it, so an update never drops a field another tool set.

#include "kube/object_meta.hpp"
#include "util/error.hpp"

#include <boost/json/object.hpp>

#include <map>
#include <string>

namespace gic::kube {

struct Secret {
    ObjectMeta metadata;
    std::string type;                          // "" when absent (the API server then means Opaque)
    std::map<std::string, std::string> data;   // key -> base64 value
    boost::json::object raw;                   // the object as read; empty for a new Secret
};

// Errors name the field ("data[tls.crt]: not a string").
Result<Secret> parse_secret(boost::json::object const& object);

// The object to send: `raw` with metadata, type and data set from the typed fields (apiVersion
// and kind added when missing, as a create needs).
boost::json::object to_json(Secret const& secret);

}  // namespace gic::kube
