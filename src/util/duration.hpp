#pragma once
// Go-style durations ("90s", "15m", "1h30m", "500ms"), the form Kubernetes users type.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace gic::util {

// Accepts a sequence of <decimal number><unit> with units ns, us, µs, ms, s, m, h; "0" alone is
// zero. Rejects negatives, empty input, missing units and overflow.
std::optional<std::chrono::nanoseconds> parse_go_duration(std::string_view text);

// Formats like Go's time.Duration.String() for whole units: "24h0m0s", "1m30s", "500ms".
std::string format_go_duration(std::chrono::nanoseconds d);

}  // namespace gic::util
