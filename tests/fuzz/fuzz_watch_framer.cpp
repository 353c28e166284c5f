// A watch response body: JSON events one after another, arriving in reads that may end anywhere.
// The first byte picks the read size (1 to 64 bytes); the rest is the stream.
// Invariant: the framing does not depend on where reads end. Fed in one piece or in small
// pieces, the stream gives the same events, the same verdict and the same "mid event" state.

#include "fuzz_check.hpp"
#include "kube/watch_framer.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string_view>

namespace {

// Small enough that the fuzzer reaches it, large enough for real events.
constexpr std::size_t max_event_bytes = 2048;

struct Outcome {
    bool ok = true;
    bool mid_event = false;
    std::deque<gic::kube::WatchEvent> events;
};

Outcome frame(std::string_view stream, std::size_t read_size) {
    gic::kube::WatchFramer framer(max_event_bytes);
    Outcome outcome;
    while (!stream.empty()) {
        std::size_t const n = std::min(read_size, stream.size());
        if (!framer.feed(stream.substr(0, n), outcome.events)) {
            outcome.ok = false;
            return outcome;
        }
        stream.remove_prefix(n);
    }
    outcome.mid_event = framer.mid_event();
    return outcome;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    if (size == 0) return 0;
    std::size_t const read_size = 1 + data[0] % 64;
    std::string_view const stream(reinterpret_cast<char const*>(data + 1), size - 1);

    Outcome const whole = frame(stream, stream.size() + 1);
    Outcome const pieces = frame(stream, read_size);
    FUZZ_CHECK(whole.ok == pieces.ok);
    FUZZ_CHECK(whole.events.size() == pieces.events.size());
    for (std::size_t i = 0; i < whole.events.size(); ++i) {
        FUZZ_CHECK(whole.events[i].type == pieces.events[i].type);
        FUZZ_CHECK(boost::json::serialize(whole.events[i].object) == boost::json::serialize(pieces.events[i].object));
    }
    if (whole.ok) FUZZ_CHECK(whole.mid_event == pieces.mid_event);
    return 0;
}
