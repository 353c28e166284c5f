#pragma once
// Small helpers for reading and building Kubernetes objects held as Boost.JSON values.

#include <boost/json.hpp>

#include <chrono>
#include <string>
#include <string_view>

namespace gic::emu::kube {

// The string at obj[key], or "" when absent or not a string.
std::string string_field(boost::json::object const& obj, std::string_view key);
// obj[key] as an object, or nullptr.
boost::json::object const* object_field(boost::json::object const& obj, std::string_view key);
// obj[key], made an object if absent or of another type.
boost::json::object& ensure_object(boost::json::object& obj, std::string_view key);

std::string metadata_string(boost::json::object const& obj, std::string_view key);

// RFC 3339 in UTC with whole seconds, as metav1.Time marshals.
std::string format_rfc3339(std::chrono::system_clock::time_point t);
std::string now_rfc3339();
// A random version 4 UUID (lower-case, hyphenated), as the API server assigns.
std::string random_uuid();
// Five characters from the alphabet generateName uses.
std::string random_name_suffix();

}  // namespace gic::emu::kube
