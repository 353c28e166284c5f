#pragma once
// gRPC status codes by name, for the admin endpoint and the request log.

#include <grpcpp/support/status_code_enum.h>

#include <optional>
#include <string>
#include <string_view>

namespace gic::emu::istiod {

// "UNAVAILABLE" for grpc::UNAVAILABLE.
std::string status_code_name(grpc::StatusCode code);
// Accepts the canonical upper-case names and grpc-go's CamelCase ("Unavailable"), case-insensitively.
std::optional<grpc::StatusCode> parse_status_code(std::string_view name);
std::optional<grpc::StatusCode> status_code_from_int(long long value);

}  // namespace gic::emu::istiod
