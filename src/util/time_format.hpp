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
// Accepts "Z" or a numeric offset and any number of fraction digits. Times outside the years
// 1824..2116 are clamped to them (see system_time_from_seconds).
std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text);

// Seconds since the epoch (a JWT `exp`, an X.509 or RFC 3339 time) as a system_clock time,
// clamped to the years 1824..2116. system_clock counts nanoseconds in 64 bits, which ends in
// 2262: "9999-12-31T23:59:59Z" (X.509's "no expiry") would overflow it. Half that range keeps the
// difference of two such times, and half of it added to either, representable.
std::chrono::system_clock::time_point system_time_from_seconds(long long seconds);

}  // namespace gic::util
