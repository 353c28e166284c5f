#pragma once
// The three Lease calls an elector makes, behind an interface so the election steps can be tested
// against an in-memory Lease. KubeLeaseApi is the one over a kube::Api (the agent's kube::Client,
// or the in-process API server of tests and the simulator).

#include "kube/api.hpp"
#include "util/clock.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <string>

namespace gic::election {

class LeaseApi {
public:
    virtual ~LeaseApi() = default;
    virtual boost::asio::awaitable<kube::ApiResult<boost::json::object>> get() = 0;
    virtual boost::asio::awaitable<kube::ApiResult<boost::json::object>> create(boost::json::object const& lease) = 0;
    // PUT; the body carries the resourceVersion last read (409 on a stale one).
    virtual boost::asio::awaitable<kube::ApiResult<boost::json::object>> update(boost::json::object const& lease) = 0;
};

class KubeLeaseApi final : public LeaseApi {
public:
    // `api` must outlive this object.
    KubeLeaseApi(kube::Api& api, std::string namespace_, std::string name);

    boost::asio::awaitable<kube::ApiResult<boost::json::object>> get() override;
    boost::asio::awaitable<kube::ApiResult<boost::json::object>> create(boost::json::object const& lease) override;
    boost::asio::awaitable<kube::ApiResult<boost::json::object>> update(boost::json::object const& lease) override;

    kube::ResourceRef const& ref() const { return ref_; }

private:
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

    boost::asio::awaitable<kube::ApiResult<boost::json::object>> get() override;
    boost::asio::awaitable<kube::ApiResult<boost::json::object>> create(boost::json::object const& lease) override;
    boost::asio::awaitable<kube::ApiResult<boost::json::object>> update(boost::json::object const& lease) override;

private:
    boost::asio::awaitable<kube::ApiResult<boost::json::object>> bounded(
        boost::asio::awaitable<kube::ApiResult<boost::json::object>> call, char const* verb);

    LeaseApi& inner_;
    util::Clock& clock_;
    std::chrono::milliseconds timeout_;
    kube::ResourceRef ref_;
};

// coordination.k8s.io/v1 leases in `namespace_` (name empty: the collection).
kube::ResourceRef lease_ref(std::string const& namespace_, std::string const& name);

}  // namespace gic::election
