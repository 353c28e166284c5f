#pragma once
// A v1 ConfigMap as the agent reads it (istio-ca-root-cert): metadata and string data. The agent
// never writes one, so no object is kept for a round trip.

#include "kube/object_meta.hpp"
#include "util/error.hpp"

#include <boost/json/object.hpp>

#include <map>
#include <string>

namespace gic::kube {

struct ConfigMap {
    ObjectMeta metadata;
    std::map<std::string, std::string> data;
};

// Errors name the field ("data[root-cert.pem]: not a string").
Result<ConfigMap> parse_config_map(boost::json::object const& object);

}  // namespace gic::kube
