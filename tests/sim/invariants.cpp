#include "invariants.hpp"

#include "pki/chain.hpp"
#include "pki/key.hpp"
#include "util/base64.hpp"

#include <algorithm>
#include <cstdio>

namespace gic::sim {

namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

std::string seconds(util::SteadyTime t) {
    auto const ms = std::chrono::duration_cast<std::chrono::milliseconds>(t - testing::VirtualTime::start).count();
    char text[32];
    std::snprintf(text, sizeof text, "+%lld.%03llds", static_cast<long long>(ms / 1000), static_cast<long long>(ms % 1000));
    return text;
}

std::optional<std::string> data_field(json::object const& secret, char const* key) {
    auto const* data = secret.if_contains("data");
    if (data == nullptr || !data->is_object()) return std::nullopt;
    auto const* value = data->as_object().if_contains(key);
    if (value == nullptr || !value->is_string()) return std::nullopt;
    return util::base64_decode(value->as_string());
}

std::string string_at(json::object const& object, char const* outer, char const* inner) {
    auto const* o = object.if_contains(outer);
    if (o == nullptr || !o->is_object()) return {};
    auto const* v = o->as_object().if_contains(inner);
    return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

// Lease and Secret requests other than the LIST+WATCH a follower keeps open, Event creates, and
// CA calls.
std::uint64_t active_requests(Replica& replica) {
    std::uint64_t total = 0;
    if (auto* api = replica.api()) {
        for (auto const& [what, count] : api->requests()) {
            bool const follow = what.rfind("watch ", 0) == 0 || what.rfind("list ", 0) == 0;
            if (!follow) total += count;
        }
    }
    if (auto* events = replica.events_api())
        for (auto const& [what, count] : events->requests()) total += count;
    if (auto* ca = replica.ca()) total += ca->calls();
    return total;
}

std::string_view string_of(json::object const& object, char const* key) {
    auto const* v = object.if_contains(key);
    return v != nullptr && v->is_string() ? std::string_view(v->as_string()) : std::string_view();
}

}  // namespace

bool World::fault_during(util::SteadyTime from, util::SteadyTime to, std::vector<FaultKind> const& kinds) const {
    for (auto const& fault : schedule) {
        // Faults of the Event connection alone excuse nothing (events never delay the work).
        if (kinds.empty() ? events_only(fault.kind) : std::find(kinds.begin(), kinds.end(), fault.kind) == kinds.end())
            continue;
        auto const start = at(fault.at);
        auto const end = start + fault.duration;
        if (start <= to && end >= from) return true;
    }
    return false;
}

Invariants::Invariants(World& world) : world_(world) {}

void Invariants::fail(std::string invariant, std::string detail) {
    if (violation_) return;
    world_.trace.add("INVARIANT " + invariant + " FAILED: " + detail);
    violation_ = Violation{std::move(invariant), std::move(detail)};
}

std::chrono::milliseconds Invariants::clock_offset(std::string const& replica) const {
    for (auto const& r : world_.replicas)
        if (r->name() == replica)
            return std::chrono::duration_cast<std::chrono::milliseconds>(r->clock().wall_offset());
    return {};
}

util::SteadyTime Invariants::due(Leaf const& leaf, double fraction) const {
    auto const life = leaf.not_after - (leaf.not_before + 2min);
    return leaf.issued_at + std::chrono::duration_cast<std::chrono::milliseconds>(life * fraction);
}

bool Invariants::chains_to_published(Leaf const& leaf) const {
    for (auto const& root : world_.istiod.published_fingerprints())
        if (std::find(leaf.root_fingerprints.begin(), leaf.root_fingerprints.end(), root) != leaf.root_fingerprints.end())
            return true;
    return false;
}

void Invariants::changed(Change const& change) {
    if (change.key.resource == "leases" && change.key.name == world_.deployment.lease_name) {
        // A new term (another holder, or the same one acquiring again) opens a race the
        // followers may join once; renewals keep acquireTime.
        auto const holder = string_at(*change.object, "spec", "holderIdentity");
        auto const acquired = string_at(*change.object, "spec", "acquireTime");
        bool const renewal = !holder.empty() && holder == lease_holder_ && acquired == lease_acquired_;
        if (!renewal) lease_holder_since_ = change.at;
        // The holder renews every retry period; only a fault besides the Events' may stretch that.
        auto const cadence = world_.timings.retry_period + 1s;
        if (renewal && change.at - lease_renewed_at_ > cadence &&
            !world_.fault_during(lease_renewed_at_ - world_.timings.lease_duration, change.at))
            fail("renewal-cadence", holder + " renewed the Lease " +
                                        std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                           change.at - lease_renewed_at_).count()) +
                                        " ms after its previous renewal with no fault around but the Events'");
        lease_holder_ = holder;
        lease_acquired_ = acquired;
        if (change.at != lease_renewed_at_) lease_renewed_before_ = lease_renewed_at_;
        lease_renewed_at_ = change.at;
        return;
    }
    if (change.key.resource == "secrets" && change.key.name == world_.deployment.secret_name) secret_written(change);
    if (change.key.resource == "events") event_created(change);
}

void Invariants::event_created(Change const& change) {
    ++events_;
    auto const& event = *change.object;
    auto const who = change.actor;
    Replica const* sender = nullptr;
    for (auto const& r : world_.replicas)
        if (r->name() == who) sender = r.get();
    if (sender == nullptr) return fail("event-owner", "an Event from no replica (" + who + ")");
    auto const reason = std::string(string_of(event, "reason"));
    auto const message = std::string(string_of(event, "message"));
    auto const* involved_value = event.if_contains("involvedObject");
    auto const involved = involved_value != nullptr && involved_value->is_object() ? involved_value->as_object() : json::object();
    // Only a replica that has led in this incarnation records anything: the elector reports its
    // own terms, the Rotator (which runs only as writer) its certificates.
    auto const since = world_.started_at[static_cast<std::size_t>(sender->index())];
    bool const has_led = std::any_of(world_.terms.begin(), world_.terms.end(), [&](WriterTerm const& term) {
        return term.replica == sender->index() && term.start >= since;
    });
    if (!has_led) return fail("event-owner", who + " (never writer since it started) posted " + reason + ": " + message);
    if (reason == "LeaderElection") {
        if (string_of(involved, "kind") != "Lease" || string_of(involved, "name") != world_.deployment.lease_name)
            return fail("event-owner", who + " posted LeaderElection about another object");
        if (message != sender->identity() + " became leader" && message != sender->identity() + " stopped leading")
            return fail("event-owner", who + " posted LeaderElection \"" + message + "\" (not its own term)");
    } else if (reason == "CertificateIssued" || reason == "CertificateIssueFailed") {
        if (string_of(involved, "kind") != "Secret" || string_of(involved, "name") != world_.deployment.secret_name)
            return fail("event-owner", who + " posted " + reason + " about another object");
        if (reason == "CertificateIssued") {
            // "issued <spiffe id> serial=<hex> ...": a leaf istiod signed for this replica that it stored.
            auto const at = message.find("serial=");
            auto const serial = at == std::string::npos ? std::string()
                                                        : message.substr(at + 7, message.find(' ', at) - (at + 7));
            auto const leaf = world_.istiod.leaf(serial);
            if (!leaf || leaf->actor != who || !ever_in_secret_.contains(serial))
                return fail("event-owner", who + " posted CertificateIssued for a leaf it did not store: " + message);
        }
    } else {
        return fail("event-owner", who + " posted an Event the agent never records: " + reason);
    }
    // Two per term (became leader, stopped leading), and per certificate istiod signed at most one
    // CertificateIssued and one failure (failures are told once per run of them, and a run ends
    // with a signed certificate, or with the term).
    auto const bound = 3 * (world_.terms.size() + world_.istiod.signed_leaves().size()) + 3;
    if (events_ > bound)
        fail("events-bounded", std::to_string(events_) + " Events for " + std::to_string(world_.terms.size()) +
                                   " writer terms and " + std::to_string(world_.istiod.signed_leaves().size()) +
                                   " certificates signed");
}

void Invariants::secret_written(Change const& change) {
    auto const who = change.actor;
    if (!change.conditional) fail("secret-monotonic", "the Secret was updated by " + who + " without a resourceVersion");
    auto const* type = change.object->if_contains("type");
    if (type == nullptr || !type->is_string() || type->as_string() != "kubernetes.io/tls")
        return fail("secret-valid", "the Secret written by " + who + " is not of type kubernetes.io/tls");
    auto const crt = data_field(*change.object, "tls.crt");
    auto const key_pem = data_field(*change.object, "tls.key");
    auto const ca = data_field(*change.object, "ca.crt");
    if (!crt || !key_pem || !ca)
        return fail("secret-valid", "the Secret written by " + who + " lacks tls.crt, tls.key or ca.crt");
    auto chain = pki::parse_pem_bundle(*crt);
    auto key = pki::PrivateKey::from_pem(*key_pem);
    auto roots = pki::parse_pem_bundle(*ca);
    if (!chain || !key || !roots)
        return fail("secret-valid", "the Secret written by " + who + " holds unparsable PEM");
    auto const& leaf = chain->front();
    auto const now = world_.server_clock.wall_now();
    if (leaf.uri_sans() != std::vector<std::string>{world_.istiod.spiffe_id()})
        return fail("secret-valid", "the leaf written by " + who + " is for another identity");
    if (!leaf.matches_key(*key)) return fail("secret-valid", "the leaf written by " + who + " does not match tls.key");
    if (auto verified = pki::verify_chain(*chain, world_.istiod.roots_ever_published(), now); !verified)
        return fail("secret-valid", "the chain written by " + who + " does not verify on the server's clock: " +
                                        verified.error().message);
    writer_verifies(who, *chain);
    if (violation_) return;
    auto const signed_leaf = world_.istiod.leaf(leaf.serial_hex());
    if (!signed_leaf || !signed_leaf->good)
        return fail("secret-valid", "the leaf written by " + who + " is not a good answer of istiod");

    Leaf written{leaf.serial_hex(), leaf.not_before(), leaf.not_after(), signed_leaf->issued_at, signed_leaf->actor, {}};
    for (auto const& root : world_.istiod.roots_ever_published())
        if (pki::verify_chain(*chain, {root}, now)) written.root_fingerprints.push_back(root.fingerprint_sha256());

    if (current_ && current_->serial != written.serial) {
        if (written.not_before < current_->not_before)
            return fail("secret-monotonic", who + " replaced a leaf by one issued earlier");
        // Renewed early? Only a leaf that was still good for the published roots counts.
        auto const earliest = due(*current_, 1.0 - world_.timings.renew_ratio - 0.01);
        auto const offset = std::chrono::abs(clock_offset(written.issued_by));
        if (chains_to_published(*current_) && written.issued_at + offset + 5s < earliest)
            return fail("renewal-early", written.issued_by + " renewed at " + seconds(written.issued_at) +
                                             ", before 49 % of the previous leaf's life (" + seconds(earliest) + ")");
    }
    if (!current_ || current_->serial != written.serial) ++certificates_;
    ever_in_secret_[written.serial] = true;
    current_ = std::move(written);
}

void Invariants::writer_verifies(std::string const& who, std::vector<pki::Certificate> const& chain) {
    Replica* writer = nullptr;
    for (auto const& r : world_.replicas)
        if (r->name() == who) writer = r.get();
    if (writer == nullptr) return fail("writer-verifies", "the Secret was written by no replica (" + who + ")");
    auto const at = writer->clock().wall_now();
    if (pki::verify_chain(chain, writer->mounted_roots(), at)) return;
    // The write left the replica up to a request timeout ago: its file may have changed since.
    bool const just_synced = world_.time.now() - writer->mounted_at() <= 10s + 5s;
    if (just_synced && pki::verify_chain(chain, writer->previous_roots(), at)) return;
    fail("writer-verifies", who + " wrote a chain that the root file it has mounted (synced at " +
                                seconds(writer->mounted_at()) + ") does not verify");
}

void Invariants::check_new_terms() {
    auto& terms = world_.terms;
    for (; terms_seen_ < terms.size(); ++terms_seen_) {
        auto const& term = terms[terms_seen_];
        for (std::size_t i = 0; i < terms_seen_; ++i) {
            auto const& other = terms[i];
            if (other.replica == term.replica) continue;
            if (other.end && *other.end <= term.start) continue;
            // The older term's holder was paused: client-go's margin does not cover that.
            bool paused = false;
            for (auto const& fault : world_.schedule)
                if (fault.kind == FaultKind::suspend && fault.replica == other.replica &&
                    world_.at(fault.at) <= term.start && world_.at(fault.at) >= other.start - world_.timings.lease_duration)
                    paused = true;
            if (paused) {
                ++tolerated_overlaps_;
                world_.trace.add("overlap of r" + std::to_string(other.replica) + " and r" + std::to_string(term.replica) +
                                 " after a suspended process (recorded)");
                continue;
            }
            return fail("single-writer", "r" + std::to_string(term.replica) + " became writer at " + seconds(term.start) +
                                             " while r" + std::to_string(other.replica) + " (since " +
                                             seconds(other.start) + ") still was");
        }
    }
}

void Invariants::check_followers() {
    auto const now = world_.time.now();
    follower_requests_.resize(world_.replicas.size() * 2, 0);
    for (std::size_t i = 0; i < world_.replicas.size(); ++i) {
        auto& replica = *world_.replicas[i];
        auto& seen = follower_requests_[2 * i];
        auto& incarnation = follower_requests_[2 * i + 1];
        if (!replica.alive()) continue;
        auto const count = active_requests(replica);
        if (incarnation != replica.incarnations()) {
            incarnation = replica.incarnations();
            seen = count;
            continue;
        }
        if (count == seen) continue;
        seen = count;
        if (replica.leading() || replica.writing() || replica.stopping()) continue;
        auto const& faults = replica.api()->faults();
        if (faults.link != Link::up || faults.forbidden || faults.error_code != 0) continue;
        // A stalled watch (a half-open connection) is noticed only at its read deadline; until
        // then the Lease looks unrenewed to this replica and it asks, as designed.
        if (!replica.api()->watching("leases")) continue;
        // A failed attempt (an injected 409, 5xx, ...) is retried a retry period later.
        if (now - replica.api()->last_injected_fault() < world_.timings.lease_duration + 3 * world_.timings.retry_period)
            continue;
        // A follower that lost a race for the Lease may look once more a retry period later.
        // A renewal at this very instant may meet requests sent on the expiry it just averted.
        auto const renewed = lease_renewed_at_ == now ? lease_renewed_before_ : lease_renewed_at_;
        bool const held_by_other = !lease_holder_.empty() && lease_holder_ != replica.identity() &&
                                   now - renewed < world_.timings.lease_duration - 2s &&
                                   now - lease_holder_since_ > 3 * world_.timings.retry_period;
        bool const settled = now - world_.started_at[i] > world_.timings.lease_duration + 30s &&
                             now - world_.link_disturbed_at[i] > world_.timings.lease_duration + 60s;
        bool recently_writer = false;
        for (auto const& term : world_.terms)
            if (term.replica == static_cast<int>(i) && (!term.end || now - *term.end < 30s)) recently_writer = true;
        bool const paused = world_.fault_during(now - 60s, now, {FaultKind::suspend});
        if (held_by_other && settled && !recently_writer && !paused)
            return fail("quiet-follower", replica.name() + " sent a request besides its watch while " + lease_holder_ +
                                              " renewed the Lease");
    }
}

void Invariants::check_renewal_timing() {
    if (!current_) return;
    auto const now = world_.time.now();
    auto const wall = world_.server_clock.wall_now();
    auto const earliest = due(*current_, 1.0 - world_.timings.renew_ratio - 0.01);
    if (wall >= current_->not_after) {
        if (!world_.fault_during(earliest, now, {FaultKind::ca_outage, FaultKind::ca_hang}))
            return fail("secret-unexpired", "the Secret's leaf expired at " + seconds(now) + " with istiod reachable");
    }
    auto const latest = due(*current_, 1.0 - world_.timings.renew_ratio + 0.01);
    if (now <= latest) return;
    // The delays the schedule forces: each fault around the renewal window, plus the retry
    // backoff (60 s at most) and a failover (lease duration) after it.
    std::chrono::milliseconds allowance = 2min;
    for (auto const& fault : world_.schedule) {
        if (events_only(fault.kind)) continue;
        auto const start = world_.at(fault.at);
        if (start <= now && start + fault.duration >= earliest - 2min)
            allowance += std::chrono::duration_cast<std::chrono::milliseconds>(fault.duration) + 90s;
    }
    // Wrong answers istiod gave around the renewal (each costs a retry with backoff).
    for (auto const& leaf : world_.istiod.signed_leaves())
        if (!leaf.good && leaf.issued_at >= earliest - 2min) allowance += 90s;
    if (now > latest + allowance)
        fail("renewal-late", "the leaf due by " + seconds(latest) + " is still in the Secret at " + seconds(now) +
                                 " (allowance " + std::to_string(allowance.count() / 1000) + " s)");
}

void Invariants::check_trusted() {
    if (!current_ || chains_to_published(*current_)) {
        untrusted_since_.reset();
        return;
    }
    auto const now = world_.time.now();
    // The agent hears of a new bundle through its mounted file: the time runs from when the last
    // replica's file holds it.
    if (now < world_.roots_synced_by) {
        untrusted_since_.reset();
        return;
    }
    if (!untrusted_since_) untrusted_since_ = now;
    // The agent hears of the new bundle at once and reissues: a CA round trip, plus whatever
    // the schedule forces meanwhile.
    std::chrono::milliseconds allowance = 2min;
    for (auto const& fault : world_.schedule) {
        if (fault.kind == FaultKind::root_rotation || fault.kind == FaultKind::token_rotation || events_only(fault.kind))
            continue;
        auto const start = world_.at(fault.at);
        if (start <= now && start + fault.duration >= *untrusted_since_ - 2min)
            allowance += std::chrono::duration_cast<std::chrono::milliseconds>(fault.duration) + 90s;
    }
    for (auto const& leaf : world_.istiod.signed_leaves())
        if (!leaf.good && leaf.issued_at >= *untrusted_since_ - 2min) allowance += 90s;
    if (now - *untrusted_since_ > allowance)
        fail("secret-trusted", "the Secret's leaf has not chained to a published root since " + seconds(*untrusted_since_));
}

void Invariants::check_wasted_calls() {
    auto const now = world_.time.now();
    auto const& leaves = world_.istiod.signed_leaves();
    for (; signed_seen_ < leaves.size(); ++signed_seen_) {
        auto const& leaf = leaves[signed_seen_];
        if (!leaf.good) continue;
        if (world_.fault_during(leaf.issued_at - 3min, leaf.issued_at + 1min)) continue;
        bool const restarted = std::any_of(world_.started_at.begin(), world_.started_at.end(), [&](auto t) {
            return t > testing::VirtualTime::start && t >= leaf.issued_at - 3min;
        });
        if (restarted) continue;
        awaiting_secret_.emplace_back(leaf.serial, leaf.issued_at + 30s);
    }
    for (auto it = awaiting_secret_.begin(); it != awaiting_secret_.end();) {
        if (it->second > now) {
            ++it;
            continue;
        }
        if (!ever_in_secret_.contains(it->first))
            return fail("one-call-per-renewal", "a certificate istiod signed at " + seconds(it->second - 30s) +
                                                    " with no fault around never reached the Secret");
        it = awaiting_secret_.erase(it);
    }
}

void Invariants::step() {
    if (violation_) return;
    for (auto const& replica : world_.replicas)
        if (replica->failure) return fail("agent-error", *replica->failure);
    check_new_terms();
    if (violation_) return;
    check_followers();
    if (violation_) return;
    check_renewal_timing();
    if (violation_) return;
    check_trusted();
    if (violation_) return;
    check_wasted_calls();
    // Wrong answers istiod still owes are a fault that is not over yet.
    if (world_.istiod.faults.bad_answers > 0) last_effect_ = world_.time.now();
    // So are root files kubelet has yet to sync.
    auto const effects_over = std::max({world_.faults_over, last_effect_, world_.roots_synced_by});
    if (!converged_checked_ && world_.time.now() >= effects_over + convergence_bound)
        finish();
}

void Invariants::finish() {
    if (converged_checked_ || violation_) return;
    converged_checked_ = true;
    int leaders = 0;
    for (auto const& replica : world_.replicas) {
        if (!replica->alive()) return fail("convergence", replica->name() + " is not running after the last fault");
        if (replica->leading()) ++leaders;
    }
    if (leaders != 1) return fail("convergence", std::to_string(leaders) + " leaders after the last fault");
    if (!current_) return fail("convergence", "no Secret after the last fault");
    if (!chains_to_published(*current_))
        return fail("convergence", "the Secret's leaf does not chain to the published roots after the last fault");
    if (world_.time.now() > due(*current_, 1.0 - world_.timings.renew_ratio + 0.01) + 2min)
        return fail("convergence", "the Secret's leaf is overdue for renewal after the last fault");
}

}  // namespace gic::sim
