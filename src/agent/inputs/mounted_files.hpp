#pragma once
// The files the agent reads: the Istio token and the root bundle. Errors name the path.

#include "pki/certificate.hpp"
#include "util/error.hpp"

#include <string>
#include <vector>

namespace gic::agent {

// Reads a whole file. The error says "cannot read <what> <path>: <reason>".
Result<std::string> read_text_file(std::string const& path, std::string const& what);

// The token with surrounding whitespace trimmed (as pilot-agent and client-go do). An empty file is
// an error. The token itself never appears in an error.
Result<std::string> read_token_file(std::string const& path, std::string const& what);

struct RootBundle {
    std::string pem;                       // the file as read (written to the Secret as ca.crt)
    std::vector<pki::Certificate> certs;   // every certificate in it
};

// Errors: unreadable, empty, or holding no PEM certificate (each naming the path).
Result<RootBundle> read_root_bundle(std::string const& path);

}  // namespace gic::agent
