#pragma once
// Early checks of PEM material from a kubeconfig or the service-account mount, so that a bad
// file is reported at startup naming the file instead of failing every TLS handshake later.

#include "util/error.hpp"

#include <openssl/types.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace gic::kube {

// At least one CERTIFICATE block and every block parses. The error says what is wrong (no
// path: the caller names the source).
Result<void> check_certificates_pem(std::string_view pem);

// The certificates of a CA bundle, decoded once at load: the TLS context trusts these objects
// instead of decoding the text again (OpenSSL 3.0 spends millions of instructions on each
// certificate). `pem` is the text they were read from; a RestConfig whose ca_pem is other text
// does not use them.
struct ParsedCertificates {
    std::string pem;
    std::vector<std::shared_ptr<X509>> certs;
};
// check_certificates_pem, keeping what it decoded. Same errors.
Result<std::shared_ptr<ParsedCertificates const>> parse_certificates_pem(std::string_view pem);
// One private key (PKCS#8, PKCS#1 or SEC1). Never puts key material in the error.
Result<void> check_private_key_pem(std::string_view pem);

// Whole file contents; the error is the system's reason ("No such file or directory").
Result<std::string> read_whole_file(std::string const& path);

// Without leading and trailing whitespace (tokens, namespace files).
std::string trim_whitespace(std::string_view text);

}  // namespace gic::kube
