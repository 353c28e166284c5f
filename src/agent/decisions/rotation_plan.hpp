#pragma once
// The sans-io core of the Rotator: what to do next with one identity's certificate, decided from
// what is stored, the time and how the last attempt went. No I/O, no clock of its own, no waiting:
// the Rotator (rotator.hpp) reads the store, asks, executes the answer and reports the outcome.
//
// Decisions:
// - a valid stored certificate that is not due is reused until its renewal time; when only its
//   ca.crt differs from the current roots, ca.crt is rewritten first;
// - anything else (nothing stored, unreadable material, a certificate that no longer verifies
//   against the current roots, one that is due) is issued anew at once;
// - a store that cannot be read, and a failed issuance, back off: exponential with jitter, or the
//   slow `rejected_retry` after a configuration-like rejection by the CA;
// - a failed write is retried while the certificate is comfortably valid (until half its life);
//   after that a fresh certificate is better than more retries;
// - the renewal time of a certificate is drawn once per serial, so looking again (after a sleep
//   cut short by max_sleep, or a root change) does not move it;
// - sleeps never exceed max_sleep, after which the plan is made again from wall-clock times
//   (suspend, clock jumps).
//
// Thread Safety: none needed (one io_context thread).

#include "agent/effects/issuer.hpp"
#include "agent/decisions/renewal_schedule.hpp"
#include "util/backoff.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace gic::agent {

using WallTime = std::chrono::system_clock::time_point;

struct RotationPolicy {
    RenewalPolicy renewal;
    util::BackoffPolicy backoff{std::chrono::milliseconds(500), 2.0, std::chrono::milliseconds(60'000), 0.2};
    // The wait after the CA rejected the request as a configuration problem (INVALID_ARGUMENT,
    // another trust domain): retrying sooner cannot help.
    std::chrono::milliseconds rejected_retry{std::chrono::minutes(5)};
    std::chrono::milliseconds max_sleep{std::chrono::minutes(5)};
    // How long after a look the agent gives back its start-up memory, when a long quiet spell
    // (not a retry) follows: long enough for the work started beside it to have settled.
    std::chrono::milliseconds idle_settle{std::chrono::seconds(10)};
};

// What a read of the store found, as far as the plan cares.
struct StoredState {
    enum class Kind {
        unreadable,  // the read failed (API error, wrong Secret type)
        empty,       // nothing is stored
        unusable,    // material that cannot be parsed (a missing or bad key)
        invalid,     // a certificate that cannot be kept (identity, key, chain to the roots, expiry)
        valid,       // a valid certificate for the identity
    };
    Kind kind = Kind::empty;
    // For `valid`: the leaf, and whether the stored ca.crt is the current root bundle.
    std::string serial;
    WallTime not_before{};
    WallTime not_after{};
    bool roots_current = true;
};

// Why the Rotator waits before looking again.
enum class BackOffReason { read_failed, issue_failed, issue_rejected, write_failed };

struct RotationStep {
    enum class Kind {
        reuse,          // keep what is stored; look again at `at`
        rewrite_roots,  // store the stored certificate with the current ca.crt, then look again at `at`
        issue,          // issue a certificate now
        back_off,       // wait `delay`, then look again (or issue again, after an issue failure)
    };
    Kind kind = Kind::issue;
    WallTime at{};  // reuse, rewrite_roots: the renewal time; back_off: now + delay
    std::chrono::milliseconds delay{0};
    BackOffReason reason = BackOffReason::read_failed;
    // back_off after an issue failure: tell about it (the first failure of a run), and connect to
    // the CA anew before the next attempt (after any CA error, as pilot-agent does).
    bool tell = false;
    bool rebuild_channel = false;
};

// What to do after a failed write.
struct WriteRetry {
    bool give_up = false;  // the certificate is past comfortably valid: issue a fresh one
    // Before the next write; when giving up a ca.crt rewrite, before looking at the store again.
    std::chrono::milliseconds delay{0};
};

// The next wait before the renewal time.
struct RenewalWait {
    bool due = false;  // the renewal time has come: look now
    std::chrono::milliseconds sleep{0};
    bool quiet = false;  // a long quiet spell follows: give back idle memory after the sleep
};

class RotationPlan {
public:
    RotationPlan(RotationPolicy policy, std::uint64_t seed);

    RotationPolicy const& policy() const { return policy_; }

    // After a read of the store at `now`.
    RotationStep on_stored(StoredState const& stored, WallTime now);

    // Issuing failed (the stored certificate is kept): back off, slowly after a rejection.
    RotationStep on_issue_failed(IssueFailure kind, WallTime now);

    // A certificate was issued and validated: its renewal time, drawn now and kept for its serial.
    WallTime on_issued(std::string const& serial, WallTime received_at, WallTime not_after);

    // A write of a certificate valid from `not_before` to `not_after` failed at `now`.
    WriteRetry on_write_failed(WallTime not_before, WallTime not_after, WallTime now);

    // The write of an issued certificate was given up; true when this failure is to be told.
    bool on_issued_write_given_up();

    // A write completed (including kept-newer): failures are over.
    void on_written();
    // The issued certificate is stored (or a newer one kept): a run of failures is over.
    void on_issue_completed();

    // How long to sleep before the renewal time `due`, seen at `now`; `settle` is the longest
    // first sleep of a quiet spell (policy.idle_settle on the first wait after a look, then
    // max_sleep).
    RenewalWait wait_before(WallTime due, WallTime now, std::chrono::milliseconds settle) const;

private:
    RotationStep back_off(BackOffReason reason, std::chrono::milliseconds delay, WallTime now);

    RotationPolicy policy_;
    RenewalSchedule schedule_;
    util::Backoff backoff_;
    bool failing_ = false;  // inside a run of failures already told about
    // The renewal time is drawn once per certificate (by serial) so the jitter does not drift.
    std::string scheduled_serial_;
    WallTime scheduled_due_{};
};

}  // namespace gic::agent
