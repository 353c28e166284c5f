#pragma once
// Reading OpenSSL's thread-local error queue into one line for our error messages.

#include <string>

namespace gic::pki::detail {

// The reason of the most recent OpenSSL error ("bad base64 decode"), or `fallback` when the
// queue is empty. Always leaves the queue empty, so that stale errors never leak into the next
// call's message.
std::string take_openssl_error(std::string const& fallback = "unknown OpenSSL error");

// Empties the queue (before a call whose failure we want to explain).
void clear_openssl_errors();

}  // namespace gic::pki::detail
