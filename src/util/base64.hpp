#pragma once
// Base64 as Kubernetes uses it (standard alphabet, padded: Secret data, kubeconfig *-data) and
// base64url without padding (JWT segments).

#include <optional>
#include <string>
#include <string_view>

namespace gic::util {

std::string base64_encode(std::string_view bytes);
// Rejects characters outside the alphabet and bad padding; ignores nothing.
std::optional<std::string> base64_decode(std::string_view text);

std::string base64url_encode(std::string_view bytes);
// Accepts input with or without '=' padding.
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace gic::util
