// An exec credential plugin's stdout (client.authentication.k8s.io v1 and v1beta1 ExecCredential).
// The first byte picks the apiVersion the kubeconfig asked for.
// Invariant: accepted output carries a token or both halves of a client certificate pair.

#include "fuzz_check.hpp"
#include "kube/exec_credential.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    if (size == 0) return 0;
    std::string const api_version = (data[0] & 1) ? gic::kube::exec_api_v1 : gic::kube::exec_api_v1beta1;
    std::string const text(reinterpret_cast<char const*>(data + 1), size - 1);
    auto credentials = gic::kube::parse_exec_credential(text, api_version);
    if (!credentials) {
        FUZZ_CHECK(!credentials.error().message.empty());
        return 0;
    }
    FUZZ_CHECK(!credentials->bearer_token.empty() || !credentials->client_cert_pem.empty());
    FUZZ_CHECK(credentials->client_cert_pem.empty() == credentials->client_key_pem.empty());
    return 0;
}
