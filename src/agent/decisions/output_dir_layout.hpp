#pragma once
// The --output-dir layout and the decisions about it, without any I/O (output_dir.cpp performs
// them). The layout is kubelet's AtomicWriter (pkg/volume/util/atomic_writer.go), so that
// readers that already follow projected volumes follow us too:
//
//   DIR/..2026_12_07_13_53_46.123456789/{tls.crt, tls.key, ca.crt}   the set, written once, 0700
//   DIR/..data -> ..2026_12_07_13_53_46.123456789                     switched by one rename
//   DIR/tls.crt -> ..data/tls.crt  (and tls.key, ca.crt)              created once
//   DIR/.gen-istio-cert.lock                                          flock of the writing agent
//
// A reader opening DIR/tls.crt and DIR/tls.key resolves ..data for each; the set it sees is the
// old one or the new one, and a reader that resolves ..data once (as the agent does) sees one set.

#include <sys/types.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gic::agent::output_layout {

inline constexpr std::string_view data_link = "..data";
inline constexpr std::string_view data_link_tmp = "..data_tmp";
inline constexpr std::string_view lock_file = ".gen-istio-cert.lock";
// The order a fresh directory gains its links in: ca.crt first, tls.crt last, so that a reader
// that waits for tls.crt finds the other two.
inline constexpr std::array<std::string_view, 3> visible_names = {"ca.crt", "tls.key", "tls.crt"};

// "..YYYY_MM_DD_HH_MM_SS.NNNNNNNNN" (UTC) for `now`; times outside 1970..9999 are clamped.
std::string timestamp_dir_name(std::chrono::system_clock::time_point now);
// True for names timestamp_dir_name produces (exactly that shape: digits where digits belong).
bool is_timestamp_dir_name(std::string_view name);

// What a visible name must link to: "..data/<name>".
std::string visible_link_target(std::string_view name);
// A unique name to create a replacement link under before renaming it over `name`.
std::string visible_link_tmp_name(std::string_view name, std::uint64_t unique);

// What a visible name is now.
enum class VisibleEntry {
    missing,    // nothing there
    data_link,  // the symlink "..data/<name>": in place
    other,      // a plain file (older versions wrote those), another symlink, anything else
};
VisibleEntry classify_visible(bool exists, bool is_symlink, std::string_view link_target, std::string_view name);

// Before the first switch of a directory whose visible names are not all links yet (plain files
// from an older version), the set readers see now is published under ..data first and the names
// are linked to it, so that no reader pairs a new certificate with an old key while the names
// change one by one. Only worth it when the visible set is complete.
bool must_preserve_visible_set(std::array<VisibleEntry, 3> const& entries, bool visible_set_complete);

// True for a name in the directory that is ours to remove: a timestamped directory other than
// `keep` (the one ..data points to), ..data_tmp or a replacement link left by an interrupted
// write, or a ".<name>.tmp" file older versions wrote (one may hold a key). Anything else,
// the lock file included, is left alone.
bool is_leftover(std::string_view entry, std::string_view keep);

// What stat says about the --output-dir itself.
struct DirectoryFacts {
    bool is_symlink = false;
    bool is_directory = true;
    uid_t owner = 0;
    mode_t mode = 0;  // st_mode
};

// Why the agent refuses to keep a private key in this directory, or nullopt when it is safe:
// a symbolic link (where it points can change under us), not a directory, owned by another user
// (who can change its mode or remove our files), or writable by group or others without the
// sticky bit (anyone allowed to write could rename our files away or replace them). A writable
// directory with the sticky bit (like /tmp) is accepted: others may add names, never remove or
// rename ours, and every name we create is created exclusively without following links.
std::optional<std::string> directory_refusal(DirectoryFacts const& facts, uid_t effective_uid);

}  // namespace gic::agent::output_layout
