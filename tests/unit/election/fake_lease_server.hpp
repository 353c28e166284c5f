#pragma once
// An in-memory API server for one Lease, reached through one kube::Api per replica (a
// Connection), so the real LeaderElector runs against it in virtual time. What matters to an
// elector is kept: resourceVersion bumps on every write; PUT with a stale resourceVersion -> 409
// Conflict, of a missing Lease -> 404; POST of an existing one -> 409 AlreadyExists; GET of a
// missing one -> 404; LIST with the collection's resourceVersion; WATCH from a resourceVersion
// (replaying later writes), ending at its timeoutSeconds. Events (POST to "events") are kept.
//
// A connection can answer late (latency), refuse every request (fail_with), or be black-holed: a
// request sent through it then never answers (until the caller cancels it), and its open watches
// stop delivering and fail at their read deadline (timeoutSeconds + idle grace), as
// kube::Client's do on a stalled connection. Every request is recorded per connection.

#include "kube/api.hpp"
#include "util/clock.hpp"

#include <boost/asio/this_coro.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace gic::election::test {

class FakeLeaseServer {
public:
    class Connection;

    // `clock` is the server's: it ends watches at their timeoutSeconds and stamps writes.
    explicit FakeLeaseServer(util::Clock& clock) : clock_(clock) {}

    std::optional<boost::json::object> const& lease() const { return lease_; }
    std::string holder() const {
        if (!lease_) return {};
        auto const* spec = lease_->if_contains("spec");
        auto const* holder = spec != nullptr && spec->is_object() ? spec->as_object().if_contains("holderIdentity") : nullptr;
        return holder != nullptr && holder->is_string() ? std::string(holder->as_string()) : std::string();
    }
    std::vector<boost::json::object> const& events() const { return events_; }
    // Deletes the Lease (kubectl delete): watches see DELETED.
    void delete_lease() {
        if (!lease_) return;
        auto gone = *lease_;
        gone["metadata"].as_object()["resourceVersion"] = std::to_string(++resource_version_);
        lease_.reset();
        publish(kube::WatchEventType::deleted, std::move(gone));
    }

    class Connection final : public kube::Api {
    public:
        Connection(FakeLeaseServer& server, std::string name) : server_(server), name_(std::move(name)) {}

        std::string const& name() const { return name_; }
        // Requests by verb ("get", "create", "update", "list", "watch"), black-holed ones included.
        std::map<std::string, int> calls;
        int count(std::string const& verb) const {
            auto const found = calls.find(verb);
            return found == calls.end() ? 0 : found->second;
        }
        // Every request in order: its verb and when it was sent (server steady time).
        std::vector<std::pair<std::string, util::SteadyTime>> requests;
        // When this connection's last successful Lease write was taken (server steady time).
        std::optional<util::SteadyTime> last_write;

        // Every request takes this long to be answered (its effect happens then).
        std::chrono::milliseconds latency{0};
        // Every request is answered with this HTTP code (an API server that refuses them all).
        std::optional<int> fail_with;

        bool black_holed() const { return black_holed_; }
        void set_black_holed(bool on) {
            black_holed_ = on;
            if (on) server_.break_streams(*this);
        }

        boost::asio::awaitable<kube::ApiResult<boost::json::object>> get(kube::ResourceRef const& ref) override {
            co_await sent("get");
            if (fail_with) co_return error(*fail_with, "Failed", ref, "get");
            if (!server_.lease_) co_return error(404, "NotFound", ref, "get");
            co_return *server_.lease_;
        }
        boost::asio::awaitable<kube::ApiResult<boost::json::object>> create(kube::ResourceRef const& ref,
                                                                            boost::json::object const& body) override {
            co_await sent("create");
            if (fail_with) co_return error(*fail_with, "Failed", ref, "create");
            if (ref.resource == "events") {
                server_.events_.push_back(body);
                co_return body;
            }
            if (server_.lease_) co_return error(409, "AlreadyExists", ref, "create");
            auto stored = body;
            auto& metadata = stored["metadata"].as_object();
            metadata["uid"] = "uid-" + std::to_string(server_.resource_version_ + 1);
            co_return written(kube::WatchEventType::added, std::move(stored));
        }
        boost::asio::awaitable<kube::ApiResult<boost::json::object>> update(kube::ResourceRef const& ref,
                                                                            boost::json::object const& body) override {
            co_await sent("update");
            if (fail_with) co_return error(*fail_with, "Failed", ref, "update");
            auto const* rv = body.at("metadata").as_object().if_contains("resourceVersion");
            if (rv == nullptr) co_return error(422, "Invalid", ref, "update");
            if (!server_.lease_) co_return error(404, "NotFound", ref, "update");
            if (server_.lease_->at("metadata").at("resourceVersion") != *rv) co_return error(409, "Conflict", ref, "update");
            co_return written(kube::WatchEventType::modified, body);
        }
        boost::asio::awaitable<kube::ApiResult<boost::json::object>> list(kube::ResourceRef const& ref,
                                                                          kube::ListOptions const&) override {
            co_await sent("list");
            if (fail_with) co_return error(*fail_with, "Failed", ref, "list");
            boost::json::array items;
            if (server_.lease_) items.push_back(*server_.lease_);
            co_return boost::json::object{
                {"kind", "LeaseList"},
                {"metadata", boost::json::object{{"resourceVersion", std::to_string(server_.resource_version_)}}},
                {"items", std::move(items)}};
        }
        boost::asio::awaitable<kube::ApiResult<std::unique_ptr<kube::WatchStream>>> watch(
            kube::ResourceRef const&, kube::WatchOptions const& options) override {
            using Opened = kube::ApiResult<std::unique_ptr<kube::WatchStream>>;
            co_await sent("watch");
            if (fail_with) co_return Opened(error(*fail_with, "Failed", kube::ResourceRef{}, "watch"));
            auto const executor = co_await boost::asio::this_coro::executor;
            auto stream = std::make_unique<Stream>(server_, *this, executor, options);
            // Replays what was written after the version the watcher has seen.
            auto const from = options.resource_version.empty() ? server_.resource_version_
                                                               : std::stoull(options.resource_version);
            for (auto const& [version, event] : server_.history_)
                if (version > from) stream->push(event);
            co_return Opened(std::unique_ptr<kube::WatchStream>(std::move(stream)));
        }

    private:
        // Counts the request; a black-holed one never answers (it throws when its caller cancels it).
        boost::asio::awaitable<void> sent(char const* verb) {
            ++calls[verb];
            requests.emplace_back(verb, server_.clock_.steady_now());
            if (latency.count() > 0) co_await util::sleep_for(server_.clock_, latency);
            if (!black_holed_) co_return;
            util::Timer never(co_await boost::asio::this_coro::executor, server_.clock_);
            never.expires_at(util::SteadyTime::max());
            for (;;) (void)co_await never.wait();
        }
        boost::json::object written(kube::WatchEventType type, boost::json::object stored) {
            stored["metadata"].as_object()["resourceVersion"] = std::to_string(++server_.resource_version_);
            server_.lease_ = stored;
            last_write = server_.clock_.steady_now();
            server_.publish(type, stored);
            return stored;
        }
        static kube::ApiError error(int code, std::string reason, kube::ResourceRef const& ref, char const* verb) {
            kube::ApiError e;
            e.verb = verb;
            e.code = code;
            e.reason = std::move(reason);
            e.message = "fake API server";
            e.resource = ref.resource;
            e.namespace_ = ref.namespace_;
            e.name = ref.name;
            return e;
        }

        FakeLeaseServer& server_;
        std::string name_;
        bool black_holed_ = false;
    };

private:
    class Stream final : public kube::WatchStream {
    public:
        Stream(FakeLeaseServer& server, Connection& connection, boost::asio::any_io_executor executor,
               kube::WatchOptions const& options)
            : server_(server),
              connection_(connection),
              wake_(executor, server.clock_),
              ends_at_(server.clock_.steady_now() + options.timeout_seconds),
              read_deadline_(ends_at_ + options.idle_grace) {
            server_.streams_.push_back(this);
        }
        ~Stream() override { std::erase(server_.streams_, this); }

        Connection const& connection() const { return connection_; }
        void push(kube::WatchEvent event) {
            if (broken_) return;
            pending_.push_back(std::move(event));
            wake_.cancel();
        }
        // The connection went silent: nothing more arrives, the read deadline ends the stream.
        void break_off() {
            broken_ = true;
            pending_.clear();
            wake_.cancel();
        }

        boost::asio::awaitable<kube::ApiResult<std::optional<kube::WatchEvent>>> next() override {
            using Next = kube::ApiResult<std::optional<kube::WatchEvent>>;
            for (;;) {
                auto const now = server_.clock_.steady_now();
                if (broken_) {
                    if (now >= read_deadline_) {
                        kube::ApiError e;
                        e.message = "no bytes from the watch within its read deadline";
                        e.verb = "watch";
                        e.resource = "leases";
                        co_return Next(e);
                    }
                    wake_.expires_at(read_deadline_);
                } else {
                    if (!pending_.empty()) {
                        auto event = std::move(pending_.front());
                        pending_.pop_front();
                        co_return Next(std::optional<kube::WatchEvent>(std::move(event)));
                    }
                    if (now >= ends_at_) co_return Next(std::optional<kube::WatchEvent>());
                    wake_.expires_at(ends_at_);
                }
                (void)co_await wake_.wait();
            }
        }

    private:
        FakeLeaseServer& server_;
        Connection& connection_;
        util::Timer wake_;
        util::SteadyTime ends_at_;
        util::SteadyTime read_deadline_;
        std::deque<kube::WatchEvent> pending_;
        bool broken_ = false;
    };

    void publish(kube::WatchEventType type, boost::json::object object) {
        kube::WatchEvent event{type, std::move(object)};
        history_.emplace_back(resource_version_, event);
        for (auto* stream : streams_) stream->push(event);
    }
    void break_streams(Connection const& connection) {
        for (auto* stream : streams_)
            if (&stream->connection() == &connection) stream->break_off();
    }

    util::Clock& clock_;
    std::optional<boost::json::object> lease_;
    std::uint64_t resource_version_ = 100;
    std::vector<std::pair<std::uint64_t, kube::WatchEvent>> history_;
    std::vector<Stream*> streams_;
    std::vector<boost::json::object> events_;
};

}  // namespace gic::election::test
