#include "util/duration.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <limits>

namespace gic::util {

std::optional<std::chrono::nanoseconds> parse_go_duration(std::string_view text) {
    if (text.empty()) return std::nullopt;
    if (text == "0") return std::chrono::nanoseconds{0};
    long double total = 0;
    std::size_t i = 0;
    while (i < text.size()) {
        std::size_t start = i;
        while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
        if (i == start) return std::nullopt;
        std::string number(text.substr(start, i - start));
        if (number == "." || std::count(number.begin(), number.end(), '.') > 1) return std::nullopt;
        long double value = std::stold(number);
        std::size_t unit_start = i;
        while (i < text.size() && !std::isdigit(static_cast<unsigned char>(text[i])) && text[i] != '.') ++i;
        std::string_view unit = text.substr(unit_start, i - unit_start);
        long double scale = 0;
        if (unit == "ns") scale = 1;
        else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") scale = 1e3;
        else if (unit == "ms") scale = 1e6;
        else if (unit == "s") scale = 1e9;
        else if (unit == "m") scale = 60e9;
        else if (unit == "h") scale = 3600e9;
        else return std::nullopt;
        total += value * scale;
        if (total > static_cast<long double>(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
    }
    return std::chrono::nanoseconds{static_cast<std::int64_t>(std::llround(total))};
}

std::string format_go_duration(std::chrono::nanoseconds d) {
    using namespace std::chrono;
    if (d == nanoseconds{0}) return "0s";
    std::string out;
    if (d < seconds{1}) {
        if (d % milliseconds{1} == nanoseconds{0}) return std::to_string(duration_cast<milliseconds>(d).count()) + "ms";
        return std::to_string(d.count()) + "ns";
    }
    auto h = duration_cast<hours>(d);
    auto m = duration_cast<minutes>(d - h);
    auto s = duration_cast<seconds>(d - h - m);
    if (h.count() > 0) out += std::to_string(h.count()) + "h" + std::to_string(m.count()) + "m";
    else if (m.count() > 0) out += std::to_string(m.count()) + "m";
    out += std::to_string(s.count()) + "s";
    return out;
}

}  // namespace gic::util
