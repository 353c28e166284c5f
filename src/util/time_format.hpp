#pragma once
// RFC 3339 timestamps as Kubernetes writes them: metav1.Time (whole seconds, UTC "Z") and
// metav1.MicroTime (exactly six fraction digits).

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace gic::util {

std::string format_rfc3339(std::chrono::system_clock::time_point t);        // 2026-11-29T15:46:26Z
std::string format_rfc3339_micro(std::chrono::system_clock::time_point t);  // 2026-11-29T15:46:26.123456Z
// Accepts "Z" or a numeric offset and any number of fraction digits. Times past what
// system_clock holds (after 2262, before 1678) saturate to its max() or min().
std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text);

}  // namespace gic::util
