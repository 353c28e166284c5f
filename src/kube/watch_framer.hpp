#pragma once
// Splits a watch body into events: JSON values one after another (one per line from the API
// server, but split on JSON-value boundaries as client-go's framer does), arriving in pieces
// that may end anywhere, each value capped in size.

#include "kube/watch.hpp"
#include "util/error.hpp"

#include <boost/json/stream_parser.hpp>

#include <cstddef>
#include <deque>
#include <string_view>

namespace gic::kube {

class WatchFramer {
public:
    explicit WatchFramer(std::size_t max_event_bytes) : max_event_bytes_(max_event_bytes) {}

    // Consumes `bytes`; complete events go to `out`. An error names what was wrong (bad JSON, an
    // unknown event type, an event over the size cap); the stream is unusable after it.
    Result<void> feed(std::string_view bytes, std::deque<WatchEvent>& out);
    // True when part of an event has been read but not its end.
    bool mid_event() const { return bytes_in_event_ > 0; }

private:
    std::size_t max_event_bytes_;
    boost::json::stream_parser parser_;
    std::size_t bytes_in_event_ = 0;  // non-whitespace bytes fed into the current value
};

// Decodes one {"type","object"} value. Errors name the problem.
Result<WatchEvent> decode_watch_event(boost::json::value const& value);

}  // namespace gic::kube
