#pragma once
// Fault injection and the request log, driven by tests through the admin-only endpoints
// POST/DELETE /emulator/v1/faults and GET/DELETE /emulator/v1/requests.

#include "request.hpp"
#include "util/error.hpp"

#include <boost/json.hpp>

#include <deque>
#include <optional>
#include <string>
#include <vector>

namespace gic::emu::kube {

struct Fault {
    // Matching: an absent field matches anything. `resource` matches "secrets" and also
    // "serviceaccounts/token" for subresource requests.
    std::optional<std::string> verb, resource, namespace_, name;
    unsigned status = 0;  // 0: no error answer (delay only, or drop)
    std::string reason, message;
    int retry_after_seconds = 0;
    int count = 1;  // times to fire; -1 for every matching request
    int delay_ms = 0;
    bool drop = false;  // close the connection without answering
    // Watches only: answer with the head and then send nothing (a silent connection), or cut the
    // connection after this many events (0: never).
    bool stall_watch = false;
    int drop_after_events = 0;
    int id = 0;

    bool matches(RequestInfo const& info) const;
    boost::json::object to_json() const;
    // Errors name the offending field.
    static Result<Fault> from_json(boost::json::value const& value);
    // The error answer for this fault (status != 0).
    ApiError to_error() const;
};

class FaultInjector {
public:
    int add(Fault fault);
    void clear() { faults_.clear(); }
    // The first armed fault matching the request; consumes one firing.
    std::optional<Fault> take(RequestInfo const& info);
    boost::json::array to_json() const;

private:
    std::vector<Fault> faults_;
    int next_id_ = 1;
};

struct RequestRecord {
    std::string time;  // RFC 3339 with milliseconds
    std::string method, verb, path, query, user;
    std::string resource, subresource, namespace_, name;
    unsigned code = 0;  // 0 when the connection was dropped
    std::string fault;  // "" or the id of the fault that fired
    std::string content_type;  // of the request body ("" without one)
};

class RequestLog {
public:
    void add(RequestRecord record);
    void clear() { records_.clear(); }
    boost::json::array to_json() const;

private:
    std::deque<RequestRecord> records_;
};

}  // namespace gic::emu::kube
