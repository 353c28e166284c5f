#include "observe/connection_slots.hpp"

namespace gic::observe {

ConnectionSlots::Admission ConnectionSlots::admit() {
    Admission admission;
    if (idle_.size() >= capacity_) {
        auto oldest_idle = idle_.begin();
        while (oldest_idle != idle_.end() && !oldest_idle->second) ++oldest_idle;
        if (oldest_idle == idle_.end()) return admission;
        admission.evicted = oldest_idle->first;
        idle_.erase(oldest_idle);
    }
    admission.admitted = next_++;
    idle_.emplace(*admission.admitted, true);
    return admission;
}

void ConnectionSlots::set_idle(Id id, bool idle) {
    if (auto it = idle_.find(id); it != idle_.end()) it->second = idle;
}

void ConnectionSlots::release(Id id) { idle_.erase(id); }

}  // namespace gic::observe
