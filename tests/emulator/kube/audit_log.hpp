#pragma once
// The audit log of writes: one entry per committed create, update or delete (dry runs and
// failed writes never reach it), with who wrote it and when, so that tests can prove for example
// that no two leader-election replicas wrote the Secret in overlapping terms.
// GET /emulator/v1/audit (admin only) serves it.

#include "store.hpp"

#include <boost/json.hpp>

#include <deque>
#include <optional>
#include <string>

namespace gic::emu::kube {

class AuditLog {
public:
    // Records every change of `store` from now on; attach before anything is stored.
    void attach(ObjectStore& store);

    // While the returned scope lives, changes are attributed to `user` doing `verb` (the request
    // being handled). Changes outside any scope are the emulator's own (user "system:emulator").
    class Scope {
    public:
        Scope(AuditLog& log, std::string user, std::string verb);
        ~Scope();
        Scope(Scope const&) = delete;
        Scope& operator=(Scope const&) = delete;

    private:
        AuditLog& log_;
    };

    boost::json::array to_json() const;
    void clear() { entries_.clear(); }

private:
    struct Actor {
        std::string user, verb;
    };
    void on_change(StoreChange const& change);

    std::optional<Actor> actor_;
    std::deque<boost::json::object> entries_;
};

// RFC 3339 in UTC with exactly six fraction digits (metav1.MicroTime).
std::string format_rfc3339_micro(std::chrono::system_clock::time_point t);

}  // namespace gic::emu::kube
