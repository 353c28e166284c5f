#pragma once
// The error type carried across module boundaries: one line, naming the flag, file or server
// that is wrong, so that it can be printed to an operator as it is.

#include <boost/system/result.hpp>

#include <stdexcept>
#include <string>
#include <utility>

namespace gic {

// Built with make_error / wrap_error. Deliberately not constructible from a string, so that
// Result<std::string> r = some_string; means a value, never an error.
struct Error {
    std::string message;

    // User-declared, so Error is not an aggregate (C++20) and not constructible from a string.
    Error() = default;

    static Error from_message(std::string message) {
        Error e;
        e.message = std::move(message);
        return e;
    }
};

// Lets boost::system::result<T, Error>::value() throw something readable.
[[noreturn]] inline void throw_exception_from_error(Error const& e, boost::source_location const&) {
    throw std::runtime_error(e.message);
}

template <class T>
using Result = boost::system::result<T, Error>;

// Builds an Error whose message is `context: detail` (detail omitted when empty).
inline Error make_error(std::string context, std::string const& detail = {}) {
    if (!detail.empty()) {
        context += ": ";
        context += detail;
    }
    return Error::from_message(std::move(context));
}

// Prefixes an existing error with more context ("reading token: ...").
inline Error wrap_error(std::string context, Error const& inner) { return make_error(std::move(context), inner.message); }

// A configuration or usage error found at startup: main prints it and exits 2.
class ConfigError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

}  // namespace gic
