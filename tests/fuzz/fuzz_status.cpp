// A non-2xx answer of the API server: the Retry-After header and the body (a Status, or anything
// a proxy sends), turned into an ApiError and described for operators.
// Input: two bytes of HTTP code (mapped to 400..599), the header up to the first '\n', the body.
// Invariants: an error always has a reason and a message; Retry-After is a bounded
// non-negative number of seconds; whatever the server sent, the reason and message are bounded and
// the description is one line without control bytes.

#include "fuzz_check.hpp"
#include "kube/status_parse.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    if (size < 2) return 0;
    int const code = 400 + (data[0] << 8 | data[1]) % 200;
    std::string_view input(reinterpret_cast<char const*>(data + 2), size - 2);
    std::size_t const newline = input.find('\n');
    std::string_view const header = input.substr(0, newline);
    std::string_view const body = newline == std::string_view::npos ? std::string_view{} : input.substr(newline + 1);

    auto const retry_after = gic::kube::parse_retry_after(header);
    if (retry_after) FUZZ_CHECK(retry_after->count() >= 0 && retry_after->count() <= 999'999'999);

    auto error = gic::kube::api_error_from_response(code, body, retry_after);
    FUZZ_CHECK(error.code == code);
    FUZZ_CHECK(!error.reason.empty());
    FUZZ_CHECK(!error.message.empty());
    if (retry_after) FUZZ_CHECK(error.retry_after == retry_after);
    if (error.retry_after) FUZZ_CHECK(error.retry_after->count() > 0 || retry_after);

    error.verb = "update";
    error.resource = "secrets";
    error.namespace_ = "istio-system";
    error.name = "gateway-cert";
    error.server = "https://127.0.0.1:6443";
    auto const description = error.describe();
    FUZZ_CHECK(!description.empty());
    FUZZ_CHECK(error.reason.size() <= 64 + 3);
    FUZZ_CHECK(error.message.size() <= 512 + 3 + 200 + 3 + 64);  // a generic message plus a body excerpt at most
    for (char const c : description) {
        auto const byte = static_cast<unsigned char>(c);
        FUZZ_CHECK(byte >= 0x20 && byte != 0x7F);
    }
    return 0;
}
