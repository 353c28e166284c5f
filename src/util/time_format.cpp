#include "util/time_format.hpp"

#include "util/time_bounds.hpp"

#include <cctype>
#include <cstdio>
#include <ctime>

namespace gic::util {
namespace {

std::string format_seconds(std::chrono::system_clock::time_point t) {
    std::time_t secs = std::chrono::system_clock::to_time_t(t);
    // to_time_t may round; floor instead so that fractions stay within the second.
    auto floored = std::chrono::floor<std::chrono::seconds>(t);
    secs = std::chrono::system_clock::to_time_t(std::chrono::system_clock::time_point(floored));
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    return buf;
}

}  // namespace

std::string format_rfc3339(std::chrono::system_clock::time_point t) { return format_seconds(t) + "Z"; }

std::string format_rfc3339_micro(std::chrono::system_clock::time_point t) {
    auto floored = std::chrono::floor<std::chrono::seconds>(t);
    auto micros = std::chrono::duration_cast<std::chrono::microseconds>(t - floored).count();
    // micros is in [0, 999999]; the buffer fits any long long so the compiler can see no truncation.
    char frac[24];
    std::snprintf(frac, sizeof frac, ".%06lld", static_cast<long long>(micros));
    return format_seconds(t) + frac + "Z";
}

std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text) {
    std::tm tm{};
    int consumed = 0;
    std::string s(text);
    if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
                    &tm.tm_sec, &consumed) != 6 || consumed != 19)
        return std::nullopt;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    std::size_t i = 19;
    std::chrono::nanoseconds fraction{0};
    if (i < s.size() && s[i] == '.') {
        ++i;
        long long scale = 100'000'000;
        std::size_t digits = 0;
        while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
            fraction += std::chrono::nanoseconds((s[i] - '0') * scale);
            scale /= 10;
            ++i;
            ++digits;
        }
        if (digits == 0) return std::nullopt;
    }
    long offset_seconds = 0;
    if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
        ++i;
    } else if (i + 6 == s.size() && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
        int oh = 0, om = 0;
        if (std::sscanf(s.c_str() + i + 1, "%2d:%2d", &oh, &om) != 2) return std::nullopt;
        offset_seconds = (oh * 3600 + om * 60) * (s[i] == '+' ? 1 : -1);
        i += 6;
    } else {
        return std::nullopt;
    }
    if (i != s.size()) return std::nullopt;
    // timegm of a four-digit year and the offset are far from overflowing a long long.
    auto const tp = time_from_unix_seconds(std::int64_t{static_cast<long long>(timegm(&tm)) - offset_seconds});
    return clamp_time(tp + std::chrono::duration_cast<std::chrono::system_clock::duration>(fraction));
}

}  // namespace gic::util
