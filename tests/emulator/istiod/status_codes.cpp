#include "status_codes.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

namespace gic::emu::istiod {
namespace {

constexpr std::array<std::pair<grpc::StatusCode, std::string_view>, 17> kNames{{
    {grpc::OK, "OK"},
    {grpc::CANCELLED, "CANCELLED"},
    {grpc::UNKNOWN, "UNKNOWN"},
    {grpc::INVALID_ARGUMENT, "INVALID_ARGUMENT"},
    {grpc::DEADLINE_EXCEEDED, "DEADLINE_EXCEEDED"},
    {grpc::NOT_FOUND, "NOT_FOUND"},
    {grpc::ALREADY_EXISTS, "ALREADY_EXISTS"},
    {grpc::PERMISSION_DENIED, "PERMISSION_DENIED"},
    {grpc::RESOURCE_EXHAUSTED, "RESOURCE_EXHAUSTED"},
    {grpc::FAILED_PRECONDITION, "FAILED_PRECONDITION"},
    {grpc::ABORTED, "ABORTED"},
    {grpc::OUT_OF_RANGE, "OUT_OF_RANGE"},
    {grpc::UNIMPLEMENTED, "UNIMPLEMENTED"},
    {grpc::INTERNAL, "INTERNAL"},
    {grpc::UNAVAILABLE, "UNAVAILABLE"},
    {grpc::DATA_LOSS, "DATA_LOSS"},
    {grpc::UNAUTHENTICATED, "UNAUTHENTICATED"},
}};

// "Unavailable" and "unavailable" → "UNAVAILABLE"; "InvalidArgument" → "INVALID_ARGUMENT".
std::string canonical(std::string_view name) {
    std::string out;
    for (std::size_t i = 0; i < name.size(); ++i) {
        char c = name[i];
        bool camel_boundary = i > 0 && std::isupper(static_cast<unsigned char>(c)) &&
                              std::islower(static_cast<unsigned char>(name[i - 1]));
        if (camel_boundary) out += '_';
        out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return out;
}

}  // namespace

std::string status_code_name(grpc::StatusCode code) {
    for (auto const& [c, n] : kNames)
        if (c == code) return std::string(n);
    return "CODE_" + std::to_string(static_cast<int>(code));
}

std::optional<grpc::StatusCode> parse_status_code(std::string_view name) {
    auto wanted = canonical(name);
    if (wanted == "CANCELED") wanted = "CANCELLED";  // grpc-go spelling
    for (auto const& [c, n] : kNames)
        if (n == wanted) return c;
    return std::nullopt;
}

std::optional<grpc::StatusCode> status_code_from_int(long long value) {
    if (value < 0 || value > 16) return std::nullopt;
    return static_cast<grpc::StatusCode>(value);
}

}  // namespace gic::emu::istiod
