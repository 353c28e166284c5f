#include "election/lease_api.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/this_coro.hpp>

namespace gic::election {

namespace json = boost::json;
using boost::asio::awaitable;
using namespace boost::asio::experimental::awaitable_operators;

kube::ResourceRef lease_ref(std::string const& namespace_, std::string const& name) {
    kube::ResourceRef ref;
    ref.group_version = "coordination.k8s.io/v1";
    ref.resource = "leases";
    ref.namespace_ = namespace_;
    ref.name = name;
    return ref;
}

KubeLeaseApi::KubeLeaseApi(kube::Api& api, std::string namespace_, std::string name)
    : api_(api), ref_(lease_ref(namespace_, name)) {}

awaitable<kube::ApiResult<json::object>> KubeLeaseApi::get() { co_return co_await api_.get(ref_); }

awaitable<kube::ApiResult<json::object>> KubeLeaseApi::create(json::object const& lease) {
    co_return co_await api_.create(ref_, lease);
}

awaitable<kube::ApiResult<json::object>> KubeLeaseApi::update(json::object const& lease) {
    co_return co_await api_.update(ref_, lease);
}

BoundedLeaseApi::BoundedLeaseApi(LeaseApi& inner, util::Clock& clock, std::chrono::milliseconds timeout,
                                 kube::ResourceRef ref)
    : inner_(inner), clock_(clock), timeout_(timeout), ref_(std::move(ref)) {}

awaitable<kube::ApiResult<json::object>> BoundedLeaseApi::bounded(awaitable<kube::ApiResult<json::object>> call,
                                                                  char const* verb) {
    util::Timer timer(co_await boost::asio::this_coro::executor, clock_);
    timer.expires_after(timeout_);
    // Named first: g++ 12 may destroy temporaries inside a co_await expression twice.
    auto race = std::move(call) || timer.wait();
    auto raced = co_await std::move(race);
    if (raced.index() == 0) co_return std::move(std::get<0>(raced));
    kube::ApiError timed_out;
    timed_out.reason = "Timeout";
    timed_out.message = "no answer within " + std::to_string(timeout_.count()) + " ms";
    timed_out.verb = verb;
    timed_out.resource = ref_.resource;
    timed_out.api_group = "coordination.k8s.io";
    timed_out.namespace_ = ref_.namespace_;
    timed_out.name = ref_.name;
    co_return timed_out;
}

awaitable<kube::ApiResult<json::object>> BoundedLeaseApi::get() { co_return co_await bounded(inner_.get(), "get"); }

awaitable<kube::ApiResult<json::object>> BoundedLeaseApi::create(json::object const& lease) {
    co_return co_await bounded(inner_.create(lease), "create");
}

awaitable<kube::ApiResult<json::object>> BoundedLeaseApi::update(json::object const& lease) {
    co_return co_await bounded(inner_.update(lease), "update");
}

}  // namespace gic::election
