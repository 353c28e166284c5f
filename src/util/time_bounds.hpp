#pragma once
// Times read from outside (certificate validity, token claims) clamped into a range that
// std::chrono::system_clock can do arithmetic on.
//
// system_clock counts nanoseconds in 64 bits: it overflows in April 2262, and the difference of
// two times overflows once they are more than 292 years apart. RFC 5280 writes "no well-defined
// expiration" as 99991231235959Z, and a token may carry any number as `exp`. So every such time
// is clamped into [earliest_time, latest_time]: the difference of any two clamped times, and
// a clamped time plus a few decades, stay representable. For a renewal agent a date after 2200
// means "practically never", and one before 1970 means "long ago"; nothing decides differently.

#include <chrono>
#include <cmath>
#include <cstdint>

namespace gic::util {

inline constexpr std::chrono::sys_seconds earliest_time{std::chrono::sys_days{std::chrono::year{1970} / 1 / 1}};
inline constexpr std::chrono::sys_seconds latest_time{std::chrono::sys_days{std::chrono::year{2200} / 1 / 1}};

// Seconds since the Unix epoch, clamped into [earliest_time, latest_time].
constexpr std::chrono::system_clock::time_point time_from_unix_seconds(std::int64_t seconds) {
    auto const low = earliest_time.time_since_epoch().count();
    auto const high = latest_time.time_since_epoch().count();
    seconds = seconds < low ? low : (seconds > high ? high : seconds);
    return std::chrono::system_clock::time_point(std::chrono::seconds(seconds));
}

// `t` clamped into [earliest_time, latest_time]: for functions that subtract times they are given.
constexpr std::chrono::system_clock::time_point clamp_time(std::chrono::system_clock::time_point t) {
    return t < earliest_time ? std::chrono::system_clock::time_point(earliest_time)
                             : (t > latest_time ? std::chrono::system_clock::time_point(latest_time) : t);
}

// The same for a JSON number, which may be fractional, huge, negative or infinite. The fraction
// is dropped (rounded down); NaN reads as earliest_time.
inline std::chrono::system_clock::time_point time_from_unix_seconds(double seconds) {
    auto const low = static_cast<double>(earliest_time.time_since_epoch().count());
    auto const high = static_cast<double>(latest_time.time_since_epoch().count());
    // Compared as doubles first: converting an out-of-range double to an integer is undefined.
    if (!(seconds >= low)) return earliest_time;
    if (seconds >= high) return latest_time;
    return time_from_unix_seconds(static_cast<std::int64_t>(std::floor(seconds)));
}

}  // namespace gic::util
