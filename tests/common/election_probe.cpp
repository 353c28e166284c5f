#include "common/election_probe.hpp"

#include "util/time_format.hpp"

#include <boost/json.hpp>

namespace gic::test {

std::string election_lease_name() { return std::string(Sandbox::sa_name) + ".gen-istio-cert.teg.tetrate.io"; }

// Plain string search: std::regex recurses per character and overflows the stack on long logs.
std::optional<std::string> Replica::leader_identity() const {
    auto const log = process->log();
    static std::string const marker = "election: ";
    for (auto at = log.find(marker); at != std::string::npos; at = log.find(marker, at + 1)) {
        auto const start = at + marker.size();
        auto const space = log.find(' ', start);
        if (space != std::string::npos && log.compare(space, 15, " became leader ") == 0)
            return log.substr(start, space - start);
    }
    return std::nullopt;
}

int Replica::terms() const {
    auto const log = process->log();
    int n = 0;
    for (auto at = log.find(" became leader "); at != std::string::npos; at = log.find(" became leader ", at + 1)) ++n;
    return n;
}

Replica start_replica(Sandbox const& sb, std::string const& pod, std::vector<std::string> const& flags) {
    return Replica{pod, sb.start_agent(flags, pod, {"POD_NAME=" + pod})};
}

std::vector<Replica> start_replicas(Sandbox const& sb, int n, std::vector<std::string> const& flags) {
    std::vector<Replica> replicas;
    for (int i = 0; i < n; ++i) replicas.push_back(start_replica(sb, "gateway-" + std::to_string(i), flags));
    return replicas;
}

std::vector<AuditEntry> audit(Sandbox const& sb) {
    std::vector<AuditEntry> out;
    for (auto const& v : sb.kube_admin_items("/emulator/v1/audit")) {
        auto const& e = v.as_object();
        AuditEntry a;
        a.time = *util::parse_rfc3339(e.at("time").as_string());
        a.resource = std::string(e.at("resource").as_string());
        a.name = std::string(e.at("name").as_string());
        a.verb = std::string(e.at("verb").as_string());
        if (auto const* h = e.if_contains("holderIdentity"); h != nullptr && h->is_string()) a.holder = std::string(h->as_string());
        out.push_back(std::move(a));
    }
    return out;
}

std::vector<AuditEntry> lease_writes(Sandbox const& sb) {
    auto const lease = election_lease_name();
    std::vector<AuditEntry> out;
    for (auto& a : audit(sb))
        if (a.resource == "leases" && a.name == lease) out.push_back(std::move(a));
    return out;
}

}  // namespace gic::test
