#pragma once
// Text that a server chose (a Kubernetes Status message or reason, a gRPC status message, an
// excerpt of a body) made fit for our one-line errors, Events and the --once summary: a hostile
// or broken server must not be able to add lines to a log, send terminal escapes to an
// operator's screen, or grow an Event past what the API accepts.

#include <cstddef>
#include <string>
#include <string_view>

namespace gic::util {

// `text` on one line: line breaks and tabs become spaces, other control bytes (C0, DEL) become
// '?', leading and trailing spaces go, and at most `max_bytes` bytes are kept (then "..." follows;
// a cut never splits a UTF-8 sequence). Printable bytes, quotes and UTF-8 are kept as sent:
// Kubernetes messages quote names ("secrets \"x\" is forbidden").
std::string server_text(std::string_view text, std::size_t max_bytes = 512);

}  // namespace gic::util
