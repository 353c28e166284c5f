#pragma once
// client-go's client-side rate limit: a token bucket (golang.org/x/time/rate) with QPS and
// burst. Sans-io: the caller passes the time and sleeps for the returned delay itself.

#include <chrono>

namespace gic::kube {

class TokenBucket {
public:
    using Clock = std::chrono::steady_clock;

    // qps <= 0 disables the limit (every reservation is immediate). The bucket starts full.
    TokenBucket(double qps, int burst, Clock::time_point now);

    // Takes one token and returns how long the caller must wait before using it (zero when one
    // was available). Reservations queue up: tokens may go negative.
    Clock::duration reserve(Clock::time_point now);

    // Gives back a reservation that was not used (its wait was cancelled).
    void cancel_reservation();

    // Tokens available at `now` (may be negative while reservations are pending).
    double tokens_at(Clock::time_point now) const;

private:
    double qps_;
    double burst_;
    double tokens_;
    Clock::time_point last_;
};

}  // namespace gic::kube
