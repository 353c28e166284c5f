#pragma once
// Watch support: a bounded history of store changes (as etcd's compaction window, so an old
// resourceVersion gets 410 Expired) and the open watches that receive each change as it is
// committed. Single-threaded: it lives on the server's io_context.

#include "store.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/json.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace gic::emu::kube {

struct WatchSettings {
    std::size_t history = 1000;                  // --watch-history: changes kept for resuming watches
    std::chrono::milliseconds bookmark_interval{60'000};  // --bookmark-interval
    std::chrono::seconds default_timeout{1800};  // without timeoutSeconds (min-request-timeout)
};

// One open watch: the changes that matched its filter, waiting to be written.
class WatchSubscription {
public:
    using Filter = std::function<bool(StoreChange const&)>;

    WatchSubscription(class WatchHub& hub, Filter filter);
    ~WatchSubscription();
    WatchSubscription(WatchSubscription const&) = delete;
    WatchSubscription& operator=(WatchSubscription const&) = delete;

    std::deque<StoreChange>& pending() { return pending_; }
    // The timer the stream waits on; a new change cancels it. nullptr detaches.
    void set_waker(boost::asio::steady_timer* waker) { waker_ = waker; }

private:
    friend class WatchHub;
    void deliver(StoreChange const& change);

    WatchHub& hub_;
    Filter filter_;
    std::deque<StoreChange> pending_;
    boost::asio::steady_timer* waker_ = nullptr;
};

class WatchHub {
public:
    explicit WatchHub(WatchSettings settings) : settings_(settings) {}

    // Feeds the hub from the store; call before anything is stored.
    void attach(ObjectStore& store);

    WatchSettings const& settings() const { return settings_; }
    // A resume from `rv` is impossible when changes after it were dropped from the history.
    bool too_old(std::uint64_t rv) const { return rv < compacted_; }
    // The newest resourceVersion no longer in the history (0 while nothing was dropped).
    std::uint64_t compacted() const { return compacted_; }
    // Retained changes with resourceVersion > rv, oldest first.
    std::vector<StoreChange> changes_after(std::uint64_t rv) const;
    std::size_t open_watches() const { return subscriptions_.size(); }

private:
    friend class WatchSubscription;
    void on_change(StoreChange const& committed);

    WatchSettings settings_;
    std::deque<StoreChange> history_;
    std::uint64_t compacted_ = 0;
    std::set<WatchSubscription*> subscriptions_;
};

}  // namespace gic::emu::kube
