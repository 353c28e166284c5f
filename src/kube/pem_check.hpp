#pragma once
// Early checks of PEM material from a kubeconfig or the service-account mount, so that a bad
// file is reported at startup naming the file instead of failing every TLS handshake later.

#include "util/error.hpp"

#include <string>
#include <string_view>

namespace gic::kube {

// At least one CERTIFICATE block and every block parses. The error says what is wrong (no
// path: the caller names the source).
Result<void> check_certificates_pem(std::string_view pem);
// One private key (PKCS#8, PKCS#1 or SEC1). Never puts key material in the error.
Result<void> check_private_key_pem(std::string_view pem);

// Whole file contents; the error is the system's reason ("No such file or directory").
Result<std::string> read_whole_file(std::string const& path);

// Without leading and trailing whitespace (tokens, namespace files).
std::string trim_whitespace(std::string_view text);

}  // namespace gic::kube
