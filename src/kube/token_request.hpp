#pragma once
// authentication.k8s.io/v1 TokenRequest (POST .../serviceaccounts/<sa>/token): the request body
// and the token in the answer's status, read once here so the code above sees typed values.

#include "util/error.hpp"

#include <boost/json/object.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace gic::kube {

// {"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","spec":{"audiences":[...],"expirationSeconds":n}}.
boost::json::object token_request(std::vector<std::string> const& audiences, std::chrono::seconds expiration);

struct IssuedToken {
    std::string token;  // never logged
    std::chrono::system_clock::time_point expires_at;
};

// status.token and status.expirationTimestamp of the answer. Errors name the missing field.
Result<IssuedToken> parse_token_request_status(boost::json::object const& answer);

}  // namespace gic::kube
