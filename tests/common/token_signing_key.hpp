#pragma once
// One service-account signing key per test process, for every kube-apiserver-emulator the process
// starts (--service-account-signing-key-file). Left to itself, each emulator generates an RSA 2048
// key, 0.1 to 0.3 s of CPU on the 2-core machine; a suite starts dozens of them.

#include <string>

namespace gic::test {

// A PEM file holding an RSA 2048 key, generated on the first call; removed when the process exits.
std::string const& token_signing_key_file();

}  // namespace gic::test
