#include "faults.hpp"

#include "status_codes.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace gic::emu::istiod {
namespace json = boost::json;

std::optional<FaultMode> parse_fault_mode(std::string_view name) {
    for (auto m : {FaultMode::wrong_identity, FaultMode::wrong_key, FaultMode::expired, FaultMode::short_chain,
                   FaultMode::untrusted_chain})
        if (fault_mode_name(m) == name) return m;
    return std::nullopt;
}

std::string_view fault_mode_name(FaultMode mode) {
    switch (mode) {
    case FaultMode::none: return "none";
    case FaultMode::wrong_identity: return "wrong-identity";
    case FaultMode::wrong_key: return "wrong-key";
    case FaultMode::expired: return "expired";
    case FaultMode::short_chain: return "short-chain";
    case FaultMode::untrusted_chain: return "untrusted-chain";
    }
    return "unknown";
}

std::string Fault::describe() const {
    std::string out;
    if (code) out += "code=" + status_code_name(*code);
    if (mode != FaultMode::none) out += std::string(out.empty() ? "" : " ") + "mode=" + std::string(fault_mode_name(mode));
    if (delay.count() > 0) out += std::string(out.empty() ? "" : " ") + "delayMs=" + std::to_string(delay.count());
    return out;
}

Result<Fault> parse_fault_json(std::string_view body) {
    boost::system::error_code ec;
    json::value v = json::parse(body, ec);
    if (ec) return make_error("fault body is not JSON", ec.message());
    if (!v.is_object()) return make_error("fault body must be a JSON object");
    Fault f;
    for (auto const& [key, value] : v.as_object()) {
        if (key == "code") {
            if (value.is_int64()) {
                auto c = status_code_from_int(value.as_int64());
                if (!c) return make_error("fault field \"code\": " + std::to_string(value.as_int64()) + " is not a gRPC status code (0-16)");
                f.code = c;
            } else if (value.is_string()) {
                auto c = parse_status_code(value.as_string());
                if (!c) return make_error("fault field \"code\": unknown gRPC status name \"" + std::string(value.as_string()) + "\"");
                f.code = c;
            } else {
                return make_error("fault field \"code\" must be an integer or a status name");
            }
        } else if (key == "message") {
            if (!value.is_string()) return make_error("fault field \"message\" must be a string");
            f.message = value.as_string();
        } else if (key == "count") {
            if (!value.is_int64() || value.as_int64() < 1 || value.as_int64() > 1'000'000)
                return make_error("fault field \"count\" must be a positive integer");
            f.count = static_cast<int>(value.as_int64());
        } else if (key == "delayMs") {
            if (!value.is_int64() || value.as_int64() < 0 || value.as_int64() > 600'000)
                return make_error("fault field \"delayMs\" must be an integer between 0 and 600000");
            f.delay = std::chrono::milliseconds(value.as_int64());
        } else if (key == "mode") {
            if (!value.is_string()) return make_error("fault field \"mode\" must be a string");
            auto m = parse_fault_mode(value.as_string());
            if (!m)
                return make_error("fault field \"mode\": unknown mode \"" + std::string(value.as_string()) +
                                  "\" (expected wrong-identity, wrong-key, expired, short-chain or untrusted-chain)");
            f.mode = *m;
        } else {
            return make_error("fault field \"" + std::string(key) + "\" is not known (code, message, count, delayMs, mode)");
        }
    }
    if (f.code == grpc::OK) return make_error("fault field \"code\" must not be OK (0): omit it for a delay or a mode");
    if (f.code && f.mode != FaultMode::none) return make_error("fault fields \"code\" and \"mode\" exclude each other");
    if (!f.code && f.mode == FaultMode::none && f.delay.count() == 0)
        return make_error("fault must set \"code\", \"mode\" or \"delayMs\"");
    return f;
}

void FaultInjector::add(Fault fault) {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(fault));
}

void FaultInjector::clear() {
    std::lock_guard lock(mutex_);
    queue_.clear();
}

std::optional<Fault> FaultInjector::take() {
    std::lock_guard lock(mutex_);
    if (queue_.empty()) return std::nullopt;
    Fault f = queue_.front();
    if (queue_.front().count && --*queue_.front().count <= 0) queue_.pop_front();
    return f;
}

std::size_t FaultInjector::size() const {
    std::lock_guard lock(mutex_);
    return queue_.size();
}

}  // namespace gic::emu::istiod
