#pragma once
// Admission of connections to a listener with a fixed number of slots (pure, no I/O): a new
// connection takes a free slot; when none is free it takes the slot of the oldest idle connection
// (one waiting for its next request), which the caller then closes; when every connection is busy
// the new one is refused. An attacker's idle connections thus never lock out a probe, and memory
// stays bounded by the slot count.
//
// Thread Safety: none (one loop).

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>

namespace gic::observe {

class ConnectionSlots {
public:
    using Id = std::uint64_t;

    explicit ConnectionSlots(std::size_t capacity) : capacity_(capacity) {}

    struct Admission {
        std::optional<Id> admitted;  // the new connection's id; nullopt: refuse it
        std::optional<Id> evicted;   // an idle connection to close to make room
    };

    // A new connection arrived; it starts idle (no request byte yet).
    Admission admit();
    // The connection is reading or answering a request (busy) or waiting for the next one (idle).
    void set_idle(Id id, bool idle);
    // The connection ended (a no-op for an evicted one).
    void release(Id id);

    // False once the connection was evicted (or released).
    bool holds(Id id) const { return idle_.contains(id); }
    std::size_t size() const { return idle_.size(); }
    std::size_t capacity() const { return capacity_; }

private:
    std::size_t capacity_;
    std::map<Id, bool> idle_;  // ordered by id: the first idle entry is the oldest
    Id next_ = 0;
};

}  // namespace gic::observe
