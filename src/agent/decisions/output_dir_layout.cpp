#include "agent/decisions/output_dir_layout.hpp"

#include "util/time_bounds.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>

namespace gic::agent::output_layout {
namespace {

// "..2026_12_07_13_53_46.123456789": where the digits are.
constexpr std::string_view timestamp_shape = "..dddd_dd_dd_dd_dd_dd.ddddddddd";

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

std::string octal_mode(mode_t mode) {
    char text[8];
    std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
    return text;
}

}  // namespace

std::string timestamp_dir_name(std::chrono::system_clock::time_point now) {
    using namespace std::chrono;
    now = util::clamp_time(now);
    auto const day = floor<days>(now);
    year_month_day const date{day};
    hh_mm_ss const time{floor<nanoseconds>(now - day)};
    char name[64];
    std::snprintf(name, sizeof name, "..%04d_%02u_%02u_%02lld_%02lld_%02lld.%09lld", static_cast<int>(date.year()),
                  static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                  static_cast<long long>(time.hours().count()), static_cast<long long>(time.minutes().count()),
                  static_cast<long long>(time.seconds().count()), static_cast<long long>(time.subseconds().count()));
    return name;
}

bool is_timestamp_dir_name(std::string_view name) {
    if (name.size() != timestamp_shape.size()) return false;
    for (std::size_t i = 0; i < name.size(); ++i) {
        bool const digit = name[i] >= '0' && name[i] <= '9';
        if (timestamp_shape[i] == 'd' ? !digit : name[i] != timestamp_shape[i]) return false;
    }
    return true;
}

std::string visible_link_target(std::string_view name) { return std::string(data_link) + "/" + std::string(name); }

std::string visible_link_tmp_name(std::string_view name, std::uint64_t unique) {
    char suffix[17];
    std::snprintf(suffix, sizeof suffix, "%016llx", static_cast<unsigned long long>(unique));
    return ".." + std::string(name) + ".tmp-" + suffix;
}

VisibleEntry classify_visible(bool exists, bool is_symlink, std::string_view link_target, std::string_view name) {
    if (!exists) return VisibleEntry::missing;
    if (is_symlink && link_target == visible_link_target(name)) return VisibleEntry::data_link;
    return VisibleEntry::other;
}

bool must_preserve_visible_set(std::array<VisibleEntry, 3> const& entries, bool visible_set_complete) {
    bool const any_other = std::any_of(entries.begin(), entries.end(), [](VisibleEntry e) { return e == VisibleEntry::other; });
    return any_other && visible_set_complete;
}

bool is_leftover(std::string_view entry, std::string_view keep) {
    if (entry == data_link_tmp || (is_timestamp_dir_name(entry) && entry != keep)) return true;
    for (auto name : visible_names) {
        auto const replacement_prefix = ".." + std::string(name) + ".tmp-";
        if (starts_with(entry, replacement_prefix) && entry.size() == replacement_prefix.size() + 16) return true;
        if (entry == "." + std::string(name) + ".tmp") return true;
    }
    return false;
}

std::optional<std::string> directory_refusal(DirectoryFacts const& facts, uid_t effective_uid) {
    if (facts.is_symlink) return "is a symbolic link";
    if (!facts.is_directory) return "is not a directory";
    if (facts.owner != effective_uid)
        return "is owned by uid " + std::to_string(facts.owner) + ", not by this user (uid " + std::to_string(effective_uid) + ")";
    if ((facts.mode & (S_IWGRP | S_IWOTH)) != 0 && (facts.mode & S_ISVTX) == 0)
        return "is writable by group or others without the sticky bit (mode " + octal_mode(facts.mode) + ")";
    return std::nullopt;
}

}  // namespace gic::agent::output_layout
