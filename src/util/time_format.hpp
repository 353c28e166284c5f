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
// Accepts "Z" or a numeric offset and any number of fraction digits. Times outside what a
// renewal agent needs are clamped into [earliest_time, latest_time] (util/time_bounds.hpp), so
// "9999-12-31T23:59:59Z" never overflows system_clock.
std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text);

}  // namespace gic::util
