#pragma once
// List filters: fieldSelector (metadata.name, metadata.namespace, and Secret's type) and
// labelSelector (=, ==, !=, in, notin, exists, !exists).

#include "util/error.hpp"

#include <boost/json.hpp>

#include <functional>
#include <string>

namespace gic::emu::kube {

using ObjectPredicate = std::function<bool(boost::json::object const&)>;

// Errors are the upstream BadRequest messages.
Result<ObjectPredicate> parse_field_selector(std::string const& selector, std::string const& plural);
Result<ObjectPredicate> parse_label_selector(std::string const& selector);

}  // namespace gic::emu::kube
