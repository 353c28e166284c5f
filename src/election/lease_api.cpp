#include "election/lease_api.hpp"

#include "util/deadline.hpp"

namespace gic::election {

namespace json = boost::json;
using boost::asio::awaitable;

namespace {

constexpr char lease_group[] = "coordination.k8s.io";

kube::ApiError lease_error(kube::ResourceRef const& ref, char const* verb) {
    kube::ApiError e;
    e.verb = verb;
    e.resource = ref.resource;
    e.api_group = lease_group;
    e.namespace_ = ref.namespace_;
    e.name = ref.name;
    return e;
}

}  // namespace

kube::ResourceRef lease_ref(std::string const& namespace_, std::string const& name) {
    kube::ResourceRef ref;
    ref.group_version = "coordination.k8s.io/v1";
    ref.resource = "leases";
    ref.namespace_ = namespace_;
    ref.name = name;
    return ref;
}

kube::ApiError malformed_lease(kube::ResourceRef const& ref, char const* verb, Error const& unreadable) {
    auto e = lease_error(ref, verb);
    e.reason = "Malformed";
    e.message = "the answer is not a readable Lease: " + unreadable.message;
    return e;
}

KubeLeaseApi::KubeLeaseApi(kube::Api& api, std::string namespace_, std::string name)
    : api_(api), ref_(lease_ref(namespace_, name)) {}

LeaseResult KubeLeaseApi::typed(kube::ApiResult<json::object> answer, char const* verb) const {
    if (!answer) return answer.error();
    auto lease = parse_lease(std::move(*answer));
    if (!lease) return malformed_lease(ref_, verb, lease.error());
    return std::move(*lease);
}

awaitable<LeaseResult> KubeLeaseApi::get() {
    auto answer = co_await api_.get(ref_);
    co_return typed(std::move(answer), "get");
}

awaitable<LeaseResult> KubeLeaseApi::create(Lease const& lease) {
    auto const body = to_json(lease);  // named: the call keeps a reference to it while suspended
    auto answer = co_await api_.create(ref_, body);
    co_return typed(std::move(answer), "create");
}

awaitable<LeaseResult> KubeLeaseApi::update(Lease const& lease) {
    auto const body = to_json(lease);  // named: the call keeps a reference to it while suspended
    auto answer = co_await api_.update(ref_, body);
    co_return typed(std::move(answer), "update");
}

BoundedLeaseApi::BoundedLeaseApi(LeaseApi& inner, util::Clock& clock, std::chrono::milliseconds timeout,
                                 kube::ResourceRef ref)
    : inner_(inner), clock_(clock), timeout_(timeout), ref_(std::move(ref)) {}

awaitable<LeaseResult> BoundedLeaseApi::bounded(awaitable<LeaseResult> call, char const* verb) {
    // Named first: g++ 12 may destroy temporaries inside a co_await expression twice.
    auto race = util::with_deadline(clock_, clock_.steady_now() + timeout_, std::move(call));
    auto raced = co_await std::move(race);
    if (raced) co_return std::move(*raced);
    auto timed_out = lease_error(ref_, verb);
    timed_out.reason = "Timeout";
    timed_out.message = "no answer within " + std::to_string(timeout_.count()) + " ms";
    co_return timed_out;
}

awaitable<LeaseResult> BoundedLeaseApi::get() { co_return co_await bounded(inner_.get(), "get"); }

awaitable<LeaseResult> BoundedLeaseApi::create(Lease const& lease) {
    co_return co_await bounded(inner_.create(lease), "create");
}

awaitable<LeaseResult> BoundedLeaseApi::update(Lease const& lease) {
    co_return co_await bounded(inner_.update(lease), "update");
}

}  // namespace gic::election
