#pragma once
// Faults injected through the admin endpoint (POST /faults). They form a queue: each
// CreateCertificate call consumes one use of the fault at the head; a fault without a count
// applies to every call until DELETE /faults.

#include "util/error.hpp"

#include <grpcpp/support/status_code_enum.h>

#include <chrono>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace gic::emu::istiod {

// Well-formed but bad responses.
enum class FaultMode {
    none,
    wrong_identity,   // leaf for another SPIFFE identity
    wrong_key,        // leaf for a key that is not the CSR's
    expired,          // leaf whose notAfter has passed
    short_chain,      // one element only ("invalid empty CertChain" for pilot-agent)
    untrusted_chain,  // chain from a CA that is not in the published root bundle
};

std::optional<FaultMode> parse_fault_mode(std::string_view name);
std::string_view fault_mode_name(FaultMode mode);

struct Fault {
    std::optional<grpc::StatusCode> code;  // non-OK: the call ends with this status
    std::string message = "injected fault";
    std::optional<int> count;              // nullopt: until cleared
    std::chrono::milliseconds delay{0};    // before answering (status, mode or normal answer)
    FaultMode mode = FaultMode::none;

    std::string describe() const;
};

// {"code": 14 | "UNAVAILABLE", "message": "...", "count": N, "delayMs": N, "mode": "wrong-key"}.
// Errors name the field.
Result<Fault> parse_fault_json(std::string_view body);

class FaultInjector {
public:
    void add(Fault fault);
    void clear();
    // The fault for the next call, with one use consumed; nullopt when none is queued.
    std::optional<Fault> take();
    std::size_t size() const;

private:
    mutable std::mutex mutex_;
    std::deque<Fault> queue_;
};

}  // namespace gic::emu::istiod
