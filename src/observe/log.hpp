#pragma once
// Structured logging on Boost.Log: every record has time, level, component and a message, plus
// key=value fields (identity, Secret, Lease ...). Output goes to stderr as text or JSON lines.
// Tokens, keys and certificate bodies are never passed here.
// Thread safety: log() may be called from any thread (gRPC calls it from its own); lines never
// interleave. init_logging() is meant for start-up, before other threads log.

#include <initializer_list>
#include <iosfwd>
#include <string>
#include <string_view>
#include <utility>

namespace gic::observe {

enum class Level { debug, info, warning, error };
enum class Format { text, json };

// Parses "debug" | "info" | "warning" | "error".
bool parse_level(std::string_view text, Level& out);

void init_logging(Level level, Format format);

// Also sends the lines to `out` instead of stderr (tests); `out` must outlive the logging.
void init_logging(Level level, Format format, std::ostream& out);

using Field = std::pair<std::string_view, std::string>;

void log(Level level, std::string_view component, std::string_view message, std::initializer_list<Field> fields = {});

// One log line without its newline, as log() writes it:
//   text: 2026-11-29T15:46:26.123456Z info rotator: certificate written identity=spiffe://... serial=0a1b
//   json: {"time":"...","level":"info","component":"rotator","msg":"certificate written","identity":"..."}
// Text values with spaces, quotes, '=' or control characters are JSON-quoted, so every record stays
// on one line in both formats.
std::string format_line(Format format, std::string_view time, Level level, std::string_view component,
                        std::string_view message, std::initializer_list<Field> fields);

inline void log_debug(std::string_view c, std::string_view m, std::initializer_list<Field> f = {}) { log(Level::debug, c, m, f); }
inline void log_info(std::string_view c, std::string_view m, std::initializer_list<Field> f = {}) { log(Level::info, c, m, f); }
inline void log_warning(std::string_view c, std::string_view m, std::initializer_list<Field> f = {}) { log(Level::warning, c, m, f); }
inline void log_error(std::string_view c, std::string_view m, std::initializer_list<Field> f = {}) { log(Level::error, c, m, f); }

}  // namespace gic::observe
