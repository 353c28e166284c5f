#pragma once
// An in-memory Lease with the API server's rules that matter to an elector: resourceVersion
// bumps on every write, PUT with a stale resourceVersion -> 409 Conflict, POST of an existing
// Lease -> 409 AlreadyExists, GET of a missing one -> 404. Calls are recorded and failures can
// be injected per verb. The Lease is stored as the wire object (to_json of what was sent, read
// back with parse_lease, as KubeLeaseApi does), so tests check exactly what a client-go elector
// would read.

#include "election/lease_api.hpp"

#include <boost/json.hpp>

#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace gic::election::test {

class FakeLeaseApi final : public LeaseApi {
public:
    std::optional<boost::json::object> lease;  // what the server stores
    std::vector<std::string> calls;             // "get", "create", "update"
    std::vector<boost::json::object> writes;    // bodies of successful writes
    std::map<std::string, std::deque<int>> fail_next;  // verb -> HTTP codes to answer with, in order
    int next_rv = 100;

    // Stores `spec` as a Lease written by someone else (a client-go elector, kubectl).
    void put_foreign(boost::json::object spec) {
        boost::json::object l;
        l["apiVersion"] = "coordination.k8s.io/v1";
        l["kind"] = "Lease";
        l["metadata"] = boost::json::object{{"name", "gic"}, {"namespace", "ns"}, {"uid", "uid-1"},
                                            {"resourceVersion", std::to_string(next_rv++)}};
        l["spec"] = std::move(spec);
        lease = std::move(l);
    }
    // A metadata-only change (a label), as another controller might make.
    void touch_metadata() {
        auto& m = lease->at("metadata").as_object();
        m["labels"] = boost::json::object{{"touched", std::to_string(next_rv)}};
        m["resourceVersion"] = std::to_string(next_rv++);
    }
    boost::json::object const& spec() const { return lease->at("spec").as_object(); }

    boost::asio::awaitable<LeaseResult> get() override {
        calls.push_back("get");
        if (auto e = injected("get")) co_return *e;
        if (!lease) co_return error(404, "NotFound");
        co_return typed(*lease, "get");
    }
    boost::asio::awaitable<LeaseResult> create(Lease const& sent) override {
        calls.push_back("create");
        if (auto e = injected("create")) co_return *e;
        if (lease) co_return error(409, "AlreadyExists");
        auto body = to_json(sent);
        auto stored = body;
        auto& m = stored["metadata"].as_object();
        m["uid"] = "uid-created";
        m["resourceVersion"] = std::to_string(next_rv++);
        lease = stored;
        writes.push_back(std::move(body));
        co_return typed(stored, "create");
    }
    boost::asio::awaitable<LeaseResult> update(Lease const& sent) override {
        calls.push_back("update");
        if (auto e = injected("update")) co_return *e;
        auto body = to_json(sent);
        auto const* rv = body.at("metadata").as_object().if_contains("resourceVersion");
        if (rv == nullptr) co_return error(422, "Invalid");
        if (lease && lease->at("metadata").at("resourceVersion") != *rv) co_return error(409, "Conflict");
        auto stored = body;
        stored["metadata"].as_object()["resourceVersion"] = std::to_string(next_rv++);
        lease = stored;
        writes.push_back(std::move(body));
        co_return typed(stored, "update");
    }

private:
    static LeaseResult typed(boost::json::object const& object, char const* verb) {
        auto read = parse_lease(object);
        if (!read) return malformed_lease(lease_ref("ns", "gic"), verb, read.error());
        return std::move(*read);
    }
    static kube::ApiError error(int code, std::string reason) {
        kube::ApiError e;
        e.code = code;
        e.reason = std::move(reason);
        e.message = "injected";
        e.resource = "leases";
        e.api_group = "coordination.k8s.io";
        e.namespace_ = "ns";
        e.name = "gic";
        return e;
    }
    std::optional<kube::ApiError> injected(std::string const& verb) {
        auto& q = fail_next[verb];
        if (q.empty()) return std::nullopt;
        int code = q.front();
        q.pop_front();
        return error(code, code == 409 ? "Conflict" : code == 404 ? "NotFound" : "InternalError");
    }
};

}  // namespace gic::election::test
