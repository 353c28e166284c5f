#include "election/lease_api.hpp"

namespace gic::election {

namespace json = boost::json;
using boost::asio::awaitable;

kube::ResourceRef lease_ref(std::string const& namespace_, std::string const& name) {
    kube::ResourceRef ref;
    ref.group_version = "coordination.k8s.io/v1";
    ref.resource = "leases";
    ref.namespace_ = namespace_;
    ref.name = name;
    return ref;
}

KubeLeaseApi::KubeLeaseApi(kube::Client& client, std::string namespace_, std::string name)
    : client_(client), ref_(lease_ref(namespace_, name)) {}

awaitable<kube::ApiResult<json::object>> KubeLeaseApi::get() { co_return co_await client_.get(ref_); }

awaitable<kube::ApiResult<json::object>> KubeLeaseApi::create(json::object const& lease) {
    co_return co_await client_.create(ref_, lease);
}

awaitable<kube::ApiResult<json::object>> KubeLeaseApi::update(json::object const& lease) {
    co_return co_await client_.update(ref_, lease);
}

}  // namespace gic::election
