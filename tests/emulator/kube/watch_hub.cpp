#include "watch_hub.hpp"

namespace gic::emu::kube {

WatchSubscription::WatchSubscription(WatchHub& hub, Filter filter) : hub_(hub), filter_(std::move(filter)) {
    hub_.subscriptions_.insert(this);
}

WatchSubscription::~WatchSubscription() { hub_.subscriptions_.erase(this); }

void WatchSubscription::deliver(StoreChange const& change) {
    if (!filter_(change)) return;
    pending_.push_back(change);
    if (waker_) waker_->cancel();
}

void WatchHub::attach(ObjectStore& store) {
    store.add_observer([this](StoreChange const& change) { on_change(change); });
}

std::vector<StoreChange> WatchHub::changes_after(std::uint64_t rv) const {
    std::vector<StoreChange> out;
    for (auto const& change : history_)
        if (change.resource_version > rv) out.push_back(change);
    return out;
}

void WatchHub::on_change(StoreChange const& committed) {
    StoreChange change = committed;
    if (change.type == ChangeType::deleted) {
        // As etcd3's watcher: the last state, at the revision of the deletion, so that a client
        // resuming from the event's version does not see the deletion again.
        if (auto* meta = change.object.if_contains("metadata"); meta && meta->is_object())
            meta->as_object()["resourceVersion"] = std::to_string(change.resource_version);
    }
    history_.push_back(change);
    while (history_.size() > settings_.history) {
        compacted_ = history_.front().resource_version;
        history_.pop_front();
    }
    for (auto* subscription : subscriptions_) subscription->deliver(change);
}

}  // namespace gic::emu::kube
