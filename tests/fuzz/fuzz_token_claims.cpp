// Service-account JWTs (the token file, TokenRequest answers): the claims that name the identity.
// Invariant: an accepted token names a namespace and a service account.

#include "agent/setup/token_claims.hpp"
#include "fuzz_check.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    std::string_view const input(reinterpret_cast<char const*>(data), size);
    auto claims = gic::agent::parse_token_claims(input);
    if (!claims) {
        FUZZ_CHECK(!claims.error().message.empty());
        return 0;
    }
    FUZZ_CHECK(!claims->namespace_.empty());
    FUZZ_CHECK(!claims->service_account.empty());
    return 0;
}
