#pragma once
// List filters: fieldSelector (metadata.name, metadata.namespace, and Secret's type) and
// labelSelector (=, ==, !=, in, notin, exists, !exists).

#include "request.hpp"

#include "util/error.hpp"

#include <boost/json.hpp>

#include <functional>
#include <string>

namespace gic::emu::kube {

using ObjectPredicate = std::function<bool(boost::json::object const&)>;

// Errors are the upstream BadRequest messages.
Result<ObjectPredicate> parse_field_selector(std::string const& selector, std::string const& plural);
Result<ObjectPredicate> parse_label_selector(std::string const& selector);

// The fieldSelector and labelSelector query parameters of a list or watch, both in one
// predicate (an absent one matches everything).
Result<ObjectPredicate> parse_list_selectors(RequestInfo const& info, std::string const& plural);

}  // namespace gic::emu::kube
