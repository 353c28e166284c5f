#pragma once
// The three Lease calls an elector makes, behind an interface so the election steps can be tested
// against an in-memory Lease. KubeLeaseApi is the real one over kube::Client.

#include "kube/client.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

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
    // `client` must outlive this object; its request timeout bounds every call.
    KubeLeaseApi(kube::Client& client, std::string namespace_, std::string name);

    boost::asio::awaitable<kube::ApiResult<boost::json::object>> get() override;
    boost::asio::awaitable<kube::ApiResult<boost::json::object>> create(boost::json::object const& lease) override;
    boost::asio::awaitable<kube::ApiResult<boost::json::object>> update(boost::json::object const& lease) override;

    kube::ResourceRef const& ref() const { return ref_; }

private:
    kube::Client& client_;
    kube::ResourceRef ref_;
};

// coordination.k8s.io/v1 leases in `namespace_` (name empty: the collection).
kube::ResourceRef lease_ref(std::string const& namespace_, std::string const& name);

}  // namespace gic::election
