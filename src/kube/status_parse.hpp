#pragma once
// Turns a non-2xx response into an ApiError the way client-go does: the Status body when the
// server sent one, else a Status made up from the HTTP code.

#include "kube/api_error.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace gic::kube {

// Code, reason, message and retry_after from the response; the caller fills in what the request
// was (verb, resource, namespace, name, server). `retry_after_header` wins over
// details.retryAfterSeconds; either is capped at max_retry_after.
ApiError api_error_from_response(int http_code, std::string_view body,
                                 std::optional<std::chrono::seconds> retry_after_header);

// The reason client-go derives from a bare HTTP code ("NotFound" for 404, ...).
std::string reason_for_code(int http_code);

// The longest wait a server can ask for, through Retry-After or details.retryAfterSeconds: a
// longer one is shortened to this (a server or proxy must not park the agent for a day).
inline constexpr std::chrono::seconds max_retry_after{60};

// Retry-After as client-go reads it: a non-negative integer number of seconds, nothing else;
// capped at max_retry_after.
std::optional<std::chrono::seconds> parse_retry_after(std::string_view header);

}  // namespace gic::kube
