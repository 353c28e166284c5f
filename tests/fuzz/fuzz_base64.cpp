// Base64 (Secret data, kubeconfig *-data) and base64url (JWT segments) decoding of arbitrary text.
// Invariants: decoding accepts only canonical text, so whatever decodes re-encodes to the same
// text (base64url: up to the trailing '=' it ignores); and every byte string round-trips.

#include "fuzz_check.hpp"
#include "util/base64.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    std::string_view const input(reinterpret_cast<char const*>(data), size);

    if (auto decoded = gic::util::base64_decode(input)) {
        FUZZ_CHECK(gic::util::base64_encode(*decoded) == input);
    }
    if (auto decoded = gic::util::base64url_decode(input)) {
        std::string_view unpadded = input;
        while (!unpadded.empty() && unpadded.back() == '=') unpadded.remove_suffix(1);
        FUZZ_CHECK(gic::util::base64url_encode(*decoded) == unpadded);
    }

    auto const round_trip = gic::util::base64_decode(gic::util::base64_encode(input));
    FUZZ_CHECK(round_trip && *round_trip == input);
    auto const url_round_trip = gic::util::base64url_decode(gic::util::base64url_encode(input));
    FUZZ_CHECK(url_round_trip && *url_round_trip == input);
    return 0;
}
