#include "election/lease_record.hpp"

#include "util/time_format.hpp"

#include <limits>

namespace gic::election {

namespace json = boost::json;

namespace {

Result<std::int32_t> int32_field(json::object const& spec, char const* name) {
    auto const* v = spec.if_contains(name);
    if (v == nullptr || v->is_null()) return 0;
    std::int64_t n = 0;
    if (v->is_int64()) {
        n = v->as_int64();
    } else if (v->is_uint64() && v->as_uint64() <= std::uint64_t(std::numeric_limits<std::int32_t>::max())) {
        n = std::int64_t(v->as_uint64());
    } else {
        return make_error(std::string("Lease spec.") + name, "not an int32");
    }
    if (n < std::numeric_limits<std::int32_t>::min() || n > std::numeric_limits<std::int32_t>::max())
        return make_error(std::string("Lease spec.") + name, "out of int32 range");
    return std::int32_t(n);
}

Result<std::optional<WallTime>> time_field(json::object const& spec, char const* name) {
    auto const* v = spec.if_contains(name);
    if (v == nullptr || v->is_null()) return std::optional<WallTime>{};
    if (!v->is_string()) return make_error(std::string("Lease spec.") + name, "not a string");
    auto const t = util::parse_rfc3339(v->as_string());
    if (!t) return make_error(std::string("Lease spec.") + name, "not an RFC 3339 time: \"" + std::string(v->as_string()) + "\"");
    return std::optional<WallTime>(to_wall_time(*t));
}

json::value time_value(std::optional<WallTime> const& t) {
    if (!t) return nullptr;  // MicroTime's zero value is written as null
    return json::value(util::format_rfc3339_micro(std::chrono::time_point_cast<std::chrono::system_clock::duration>(*t)));
}

}  // namespace

WallTime to_wall_time(std::chrono::system_clock::time_point t) {
    return std::chrono::floor<std::chrono::microseconds>(t);
}

Result<LeaderElectionRecord> record_from_lease(json::object const& lease) {
    LeaderElectionRecord record;
    auto const* spec_value = lease.if_contains("spec");
    if (spec_value == nullptr || spec_value->is_null()) return record;
    if (!spec_value->is_object()) return make_error("Lease spec", "not an object");
    auto const& spec = spec_value->as_object();
    if (auto const* holder = spec.if_contains("holderIdentity"); holder != nullptr && !holder->is_null()) {
        if (!holder->is_string()) return make_error("Lease spec.holderIdentity", "not a string");
        record.holder_identity = std::string(holder->as_string());
    }
    auto duration = int32_field(spec, "leaseDurationSeconds");
    if (!duration) return duration.error();
    record.lease_duration_seconds = *duration;
    auto transitions = int32_field(spec, "leaseTransitions");
    if (!transitions) return transitions.error();
    record.leader_transitions = *transitions;
    auto acquire = time_field(spec, "acquireTime");
    if (!acquire) return acquire.error();
    record.acquire_time = *acquire;
    auto renew = time_field(spec, "renewTime");
    if (!renew) return renew.error();
    record.renew_time = *renew;
    return record;
}

json::object lease_spec(LeaderElectionRecord const& record) {
    json::object spec;
    spec["holderIdentity"] = record.holder_identity;
    spec["leaseDurationSeconds"] = record.lease_duration_seconds;
    spec["acquireTime"] = time_value(record.acquire_time);
    spec["renewTime"] = time_value(record.renew_time);
    spec["leaseTransitions"] = record.leader_transitions;
    return spec;
}

Result<Lease> parse_lease(json::object object) {
    auto meta = kube::parse_object_meta(object);
    if (!meta) return meta.error();
    auto record = record_from_lease(object);
    if (!record) return record.error();
    return Lease{std::move(*meta), std::move(*record), std::make_shared<json::object const>(std::move(object))};
}

json::object to_json(Lease const& lease) {
    json::object object;
    if (lease.raw) {
        // Every field as read, but the spec as written: the old spec is replaced, not copied.
        object.reserve(lease.raw->size());
        for (auto const& [key, value] : *lease.raw) {
            if (key == "spec") {
                object.emplace(key, lease_spec(lease.record));
            } else {
                object.emplace(key, value);
            }
        }
    }
    // Defensive: a read object from a List has no kind; the API needs none for PUT, but tools do.
    if (!object.contains("apiVersion")) object["apiVersion"] = "coordination.k8s.io/v1";
    if (!object.contains("kind")) object["kind"] = "Lease";
    kube::write_object_meta(lease.metadata, object);
    if (!object.contains("spec")) object["spec"] = lease_spec(lease.record);
    return object;
}

Lease new_lease(std::string const& namespace_, std::string const& name, LeaderElectionRecord const& record) {
    Lease lease;
    lease.metadata.name = name;
    lease.metadata.namespace_ = namespace_;
    lease.record = record;
    return lease;
}

}  // namespace gic::election
