#include "audit_log.hpp"

#include "json_util.hpp"

#include <cstdio>

namespace gic::emu::kube {

namespace json = boost::json;

namespace {

constexpr std::size_t max_entries = 100000;

std::string_view verb_of(ChangeType type) {
    switch (type) {
    case ChangeType::added: return "create";
    case ChangeType::modified: return "update";
    case ChangeType::deleted: return "delete";
    }
    return "update";
}

}  // namespace

std::string format_rfc3339_micro(std::chrono::system_clock::time_point t) {
    auto const micros =
        std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count() % 1000000;
    auto base = format_rfc3339(t);  // ...SSZ
    char fraction[16];
    std::snprintf(fraction, sizeof fraction, ".%06lld", static_cast<long long>(micros));
    return base.substr(0, base.size() - 1) + fraction + "Z";
}

AuditLog::Scope::Scope(AuditLog& log, std::string user, std::string verb) : log_(log) {
    log_.actor_ = Actor{std::move(user), std::move(verb)};
}

AuditLog::Scope::~Scope() { log_.actor_.reset(); }

void AuditLog::attach(ObjectStore& store) {
    store.add_observer([this](StoreChange const& change) { on_change(change); });
}

void AuditLog::on_change(StoreChange const& change) {
    // The store keys resources as "leases.coordination.k8s.io"; the log splits that.
    auto const dot = change.resource.find('.');
    std::string resource = change.resource.substr(0, dot);
    std::string group = dot == std::string::npos ? std::string() : change.resource.substr(dot + 1);
    json::object entry{{"time", format_rfc3339_micro(std::chrono::system_clock::now())},
                       {"user", actor_ ? actor_->user : std::string("system:emulator")},
                       {"verb", actor_ && !actor_->verb.empty() ? actor_->verb : std::string(verb_of(change.type))},
                       {"change", verb_of(change.type)},
                       {"resource", resource},
                       {"group", group},
                       {"namespace", change.namespace_},
                       {"name", change.name},
                       {"resourceVersion", std::to_string(change.resource_version)}};
    if (resource == "leases") {
        auto const* spec = object_field(change.object, "spec");
        auto const* holder = spec ? spec->if_contains("holderIdentity") : nullptr;
        entry["holderIdentity"] = holder && holder->is_string() ? json::value(holder->as_string()) : json::value(nullptr);
    }
    if (entries_.size() >= max_entries) entries_.pop_front();
    entries_.push_back(std::move(entry));
}

json::array AuditLog::to_json() const {
    json::array a;
    for (auto const& e : entries_) a.push_back(e);
    return a;
}

}  // namespace gic::emu::kube
