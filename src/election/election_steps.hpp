#pragma once
// tryAcquireOrRenew and release as client-go runs them (kubernetes-api.md section 4), over a
// LeaseApi and an ElectionState, with the clock injected so tests and the simulator move time.

#include "election/election_state.hpp"
#include "election/lease_api.hpp"
#include "util/clock.hpp"

#include <boost/asio/awaitable.hpp>

#include <string>

namespace gic::election {

struct Attempt {
    enum class Outcome {
        acquired,       // we hold the Lease now (created, taken over, or renewed)
        held_by_other,  // someone else holds it and it has not expired by our clock
        failed,         // an API error (conflict included) or an unreadable Lease
    };
    Outcome outcome = Outcome::failed;
    std::string error;  // for failed: one line naming the call and the Lease
};

// One tryAcquireOrRenew: the fast path when we lead, else GET; 404 -> create (transitions 0);
// held by another and not expired -> held_by_other; else PUT with the resourceVersion read,
// keeping acquireTime/transitions when we already hold it, transitions + 1 when we take it over.
boost::asio::awaitable<Attempt> try_acquire_or_renew(LeaseApi& api, ElectionState& state, util::Clock const& clock);

// Release after the guarded work stopped: GET, and only if the Lease still names us, PUT
// {holder "", leaseDurationSeconds 1, acquireTime = renewTime = now, transitions unchanged};
// a conflict re-reads, at most `attempts` times. Success when released or nothing was ours to
// release; the error names the call and the Lease.
boost::asio::awaitable<Result<void>> release(LeaseApi& api, ElectionState& state, util::Clock const& clock, int attempts = 3);

}  // namespace gic::election
