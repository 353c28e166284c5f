#include "pki/openssl_error.hpp"

#include <openssl/err.h>

namespace gic::pki::detail {

std::string take_openssl_error(std::string const& fallback) {
    unsigned long const code = ERR_peek_last_error();
    std::string message = fallback;
    if (code != 0) {
        if (char const* reason = ERR_reason_error_string(code)) {
            message = reason;
        } else {
            char buffer[256];
            ERR_error_string_n(code, buffer, sizeof buffer);
            message = buffer;
        }
    }
    ERR_clear_error();
    return message;
}

void clear_openssl_errors() { ERR_clear_error(); }

}  // namespace gic::pki::detail
