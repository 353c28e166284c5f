#pragma once
// The three Lease calls an elector makes, typed, behind an interface so the election steps can be
// tested against an in-memory Lease. KubeLeaseApi is the one over a kube::Api (the agent's
// kube::Client, or the in-process API server of tests and the simulator): it is the boundary where
// a Lease object is serialised (to_json) and read (parse_lease), once per call.

#include "election/lease_record.hpp"
#include "kube/api.hpp"
#include "util/clock.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <string>

namespace gic::election {

using LeaseResult = kube::ApiResult<Lease>;

class LeaseApi {
public:
    virtual ~LeaseApi() = default;
    virtual boost::asio::awaitable<LeaseResult> get() = 0;
    virtual boost::asio::awaitable<LeaseResult> create(Lease const& lease) = 0;
    // PUT; the Lease carries the resourceVersion last read (409 on a stale one), and the fields it
    // does not model (`raw`) travel back as read.
    virtual boost::asio::awaitable<LeaseResult> update(Lease const& lease) = 0;
};

class KubeLeaseApi final : public LeaseApi {
public:
    // `api` must outlive this object.
    KubeLeaseApi(kube::Api& api, std::string namespace_, std::string name);

    // An answer that is not a readable Lease (a field of the wrong type, an unparsable time) fails
    // the call with one error, malformed_lease(): code 0, reason "Malformed", the message naming
    // the field. A write answered that way did take effect; the elector reads the Lease again.
    boost::asio::awaitable<LeaseResult> get() override;
    boost::asio::awaitable<LeaseResult> create(Lease const& lease) override;
    boost::asio::awaitable<LeaseResult> update(Lease const& lease) override;

    kube::ResourceRef const& ref() const { return ref_; }

private:
    LeaseResult typed(kube::ApiResult<boost::json::object> answer, char const* verb) const;

    kube::Api& api_;
    kube::ResourceRef ref_;
};

// Bounds every call of `inner` by `timeout` on `clock`: a call still unanswered then is cancelled
// and fails as a transport error (code 0). The elector's deadlines hold whatever the transport
// below does, and a black-holed API times out in virtual time as it does in real time.
class BoundedLeaseApi final : public LeaseApi {
public:
    // `inner` and `clock` must outlive this object.
    BoundedLeaseApi(LeaseApi& inner, util::Clock& clock, std::chrono::milliseconds timeout, kube::ResourceRef ref);

    boost::asio::awaitable<LeaseResult> get() override;
    boost::asio::awaitable<LeaseResult> create(Lease const& lease) override;
    boost::asio::awaitable<LeaseResult> update(Lease const& lease) override;

private:
    boost::asio::awaitable<LeaseResult> bounded(boost::asio::awaitable<LeaseResult> call, char const* verb);

    LeaseApi& inner_;
    util::Clock& clock_;
    std::chrono::milliseconds timeout_;
    kube::ResourceRef ref_;
};

// coordination.k8s.io/v1 leases in `namespace_` (name empty: the collection).
kube::ResourceRef lease_ref(std::string const& namespace_, std::string const& name);

// The error of a call on `ref` whose answer is not a readable Lease:
//   get leases "ns/name": the answer is not a readable Lease: Lease spec.renewTime: not a string
kube::ApiError malformed_lease(kube::ResourceRef const& ref, char const* verb, Error const& unreadable);

}  // namespace gic::election
