#pragma once
// Watching leader election from outside: several agent replicas against one Sandbox, what each
// announced in its log, and the Lease writes the kube-apiserver-emulator's audit log recorded.
// Shared by the election integration tests and the election benchmark.

#include "common/sandbox.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace gic::test {

// The Lease the agent elects on for the sandbox's service account.
std::string election_lease_name();

// One agent in continuous mode, started with POD_NAME=<pod>.
struct Replica {
    std::string pod;
    std::unique_ptr<ChildProcess> process;

    // The identity it announced ("<pod>_<uuid>"), once it became leader.
    std::optional<std::string> leader_identity() const;
    // How many times it announced becoming leader.
    int terms() const;
};

Replica start_replica(Sandbox const& sb, std::string const& pod, std::vector<std::string> const& flags);
// Replicas gateway-0 .. gateway-<n-1>, each with `flags`.
std::vector<Replica> start_replicas(Sandbox const& sb, int n, std::vector<std::string> const& flags);

// One write from the emulator's audit log (/emulator/v1/audit); `holder` is the Lease's
// holderIdentity when the write was to a Lease that named one.
struct AuditEntry {
    std::chrono::system_clock::time_point time;
    std::string resource, name, verb, holder;
};

std::vector<AuditEntry> audit(Sandbox const& sb);
// The writes to election_lease_name(), oldest first.
std::vector<AuditEntry> lease_writes(Sandbox const& sb);

}  // namespace gic::test
