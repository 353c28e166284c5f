#pragma once
// An in-process Kubernetes API server for the fault simulator, and the per-replica connection to
// it (a kube::Api), so the agent's real Secret, Lease and follower code runs against it unchanged.
//
// FakeApiServer keeps objects by (resource, namespace, name) with one global resourceVersion
// counter and answers as the real server does: 404 NotFound, 409 AlreadyExists on create, 409
// Conflict on a stale metadata.resourceVersion, uid and creationTimestamp set on create, Status
// bodies shaped like the real ones (decoded by the agent's own kube::api_error_from_response).
// LIST supports fieldSelector metadata.name; WATCH replays the changes after a resourceVersion
// (ADDED / MODIFIED / DELETED), sends bookmarks, ends at timeoutSeconds, and answers 410 Gone when
// the version is older than its history window (compaction), as etcd-backed servers do.
//
// FakeApiEndpoint is one client's view: its own clock for latency and waits, its own request
// counts and send times, and its own faults (partition, black hole, a silent connection, any
// refusal code, forced 409/410, 403).
//
// A small library of its own (sim_fake_api: no gRPC, no CA): the simulator's world and the
// election unit tests (tests/unit/election) both run the agent's code against it.
//
// Everything runs on one thread (the caller's); nothing here is thread-safe.

#include "kube/api.hpp"
#include "trace.hpp"
#include "util/clock.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace gic::sim {

struct ObjectKey {
    std::string resource;  // "secrets", "leases"
    std::string namespace_;
    std::string name;
    auto operator<=>(ObjectKey const&) const = default;
};

// An object as committed: never modified afterwards, so the store, the history, the watches and
// the invariants share one copy (a Lease renewal every retry period, a Secret of several KiB).
using Snapshot = std::shared_ptr<boost::json::object const>;

// One committed change, as a watch sees it.
struct Change {
    std::uint64_t resource_version = 0;
    kube::WatchEventType type = kube::WatchEventType::added;
    ObjectKey key;
    Snapshot object;
    util::SteadyTime at{};
    std::string actor;  // the replica whose request made it
    bool conditional = true;  // an update that carried a resourceVersion
};

// An event not yet read: the object is copied out only when the reader takes it.
struct PendingEvent {
    kube::WatchEventType type = kube::WatchEventType::added;
    Snapshot object;
};

// The server side of one open watch: the events not yet read, and how to wake the reader.
struct ServerWatch {
    std::string resource;
    std::string namespace_;
    std::string name;  // from fieldSelector metadata.name; empty = all
    std::deque<PendingEvent> pending;
    std::function<void()> wake;
};

class FakeApiServer {
public:
    // `clock` is the server's own (creationTimestamp, history compaction).
    FakeApiServer(util::Clock& clock, Trace& trace) : clock_(clock), trace_(trace) {}

    // Kubernetes semantics, answered at once; `actor` names the caller in the history. Errors are
    // the HTTP code and a Status body, decoded as the real client decodes them.
    kube::ApiResult<boost::json::object> get(kube::ResourceRef const& ref);
    kube::ApiResult<boost::json::object> create(kube::ResourceRef const& ref, boost::json::object const& body,
                                                std::string const& actor);
    kube::ApiResult<boost::json::object> update(kube::ResourceRef const& ref, boost::json::object const& body,
                                                std::string const& actor);
    kube::ApiResult<boost::json::object> list(kube::ResourceRef const& collection, kube::ListOptions const& options);
    // Registers a watch from options.resource_version: the changes since then are pending at once.
    // 410 when that version has been compacted away.
    kube::ApiResult<std::shared_ptr<ServerWatch>> watch(kube::ResourceRef const& collection,
                                                        kube::WatchOptions const& options);

    std::optional<boost::json::object> find(ObjectKey const& key) const;
    // Every object of `resource` stored now, oldest first (by resourceVersion): the Events posted.
    std::vector<boost::json::object> all_of(std::string const& resource) const;
    std::uint64_t resource_version() const { return resource_version_; }
    util::Clock& clock() const { return clock_; }

    // Changes older than this are compacted: a watch from before them gets 410.
    std::chrono::seconds history_window{75};
    // Told about every committed change (the simulator's invariants).
    std::function<void(Change const&)> on_change;

private:
    void commit(Change change);
    void compact();

    util::Clock& clock_;
    Trace& trace_;
    std::uint64_t resource_version_ = 1000;
    std::uint64_t compacted_through_ = 1000;  // history holds every change after this version
    std::uint64_t next_uid_ = 1;
    std::map<ObjectKey, Snapshot> objects_;
    std::deque<Change> history_;
    std::vector<std::weak_ptr<ServerWatch>> watches_;
};

// A Status error exactly as the server would send it, decoded by the agent's own parser.
kube::ApiError status_error(int code, std::string const& reason, std::string const& message, kube::ResourceRef const& ref,
                            char const* verb, std::optional<std::chrono::seconds> retry_after = std::nullopt);

// How one replica's connection to the API server misbehaves.
enum class Link {
    up,
    partitioned_hang,  // requests never arrive: the caller's timeout (or ours) ends them
    partitioned_fail,  // requests fail at once with a transport error
    black_hole,        // requests arrive and are applied, answers never come back
    silent,            // requests vanish: never applied, never answered until their caller gives
                       // up (cancels them); open watches stall until their read deadline
    dead,              // the process is gone: nothing is sent
};
char const* link_name(Link link);

struct EndpointFaults {
    Link link = Link::up;
    std::chrono::milliseconds latency{4};  // round trip; the request arrives half-way
    int error_code = 0;                    // any HTTP code answered instead of serving (0: none)
    std::chrono::seconds retry_after{0};   // sent with 429/503
    int forced_conflicts = 0;              // the next N updates answer 409 Conflict
    int forced_gone = 0;                   // the next N watches answer 410 (as the answer or as an ERROR event)
    bool forbidden = false;                // RBAC denies every request (403)
};

class FakeWatchStream;

class FakeApiEndpoint final : public kube::Api {
public:
    FakeApiEndpoint(boost::asio::any_io_executor executor, util::Clock& clock, FakeApiServer& server, std::string actor,
                    Trace& trace);
    ~FakeApiEndpoint() override;

    boost::asio::awaitable<kube::ApiResult<boost::json::object>> get(kube::ResourceRef const& ref) override;
    boost::asio::awaitable<kube::ApiResult<boost::json::object>> create(kube::ResourceRef const& ref,
                                                                        boost::json::object const& body) override;
    boost::asio::awaitable<kube::ApiResult<boost::json::object>> update(kube::ResourceRef const& ref,
                                                                        boost::json::object const& body) override;
    boost::asio::awaitable<kube::ApiResult<boost::json::object>> list(kube::ResourceRef const& collection,
                                                                      kube::ListOptions const& options) override;
    boost::asio::awaitable<kube::ApiResult<std::unique_ptr<kube::WatchStream>>> watch(
        kube::ResourceRef const& collection, kube::WatchOptions const& options) override;

    EndpointFaults const& faults() const { return faults_; }
    // Changes the faults; open watch streams notice at once (a partition breaks them).
    void set_faults(EndpointFaults faults);
    // Shorthands that change one of them.
    void set_link(Link link);
    void set_latency(std::chrono::milliseconds latency);
    void refuse_with(int code);  // every request answers HTTP `code`; 0 serves again

    // Requests sent, by "verb resource" ("update leases"); watches count as "watch <resource>".
    std::map<std::string, std::uint64_t> const& requests() const { return requests_; }
    std::uint64_t requests_of(std::string const& resource) const;
    // Requests sent with `verb` ("get", "watch", ...), of any resource.
    std::uint64_t count(std::string const& verb) const;
    // Every request in order: its verb and when it was sent (this endpoint's steady time).
    std::vector<std::pair<std::string, util::SteadyTime>> const& sent() const { return sent_; }
    // When the server last took a successful create or update of `resource` from this endpoint.
    std::optional<util::SteadyTime> last_write(std::string const& resource) const;
    // Whether a watch on `resource` is open and its connection still delivers.
    bool watching(std::string const& resource) const;
    std::string const& actor() const { return actor_; }
    util::Clock& clock() const { return clock_; }
    FakeApiServer& server() const { return server_; }
    Trace& trace() const { return trace_; }
    boost::asio::any_io_executor executor() const { return executor_; }

    // When this endpoint last answered with an injected fault instead of the server's answer
    // (a forced 409 or 410, 5xx/429, 403, a transport error).
    util::SteadyTime last_injected_fault() const { return last_injected_fault_; }

    // What kube::Client applies to every request: a hung call ends with a transport error then.
    std::chrono::milliseconds request_timeout{10'000};
    // Told when a change committed by any replica wakes one of this endpoint's watches: the one
    // way a replica's handlers make work ready on another replica's io_context, so the simulator
    // polls again only the replicas this names (simulation.cpp).
    std::function<void()> on_watch_woken;

private:
    friend class FakeWatchStream;
    using Serve = std::function<kube::ApiResult<boost::json::object>()>;
    // `note` follows the object in the trace line (an Event's reason).
    boost::asio::awaitable<kube::ApiResult<boost::json::object>> call(char const* verb, kube::ResourceRef ref, Serve serve,
                                                                      std::string note = {});
    kube::ApiError transport_error(char const* verb, kube::ResourceRef const& ref, std::string message) const;
    void wake_streams();

    boost::asio::any_io_executor executor_;
    util::Clock& clock_;
    FakeApiServer& server_;
    std::string actor_;
    Trace& trace_;
    EndpointFaults faults_;
    std::uint64_t gone_answers_ = 0;
    util::SteadyTime last_injected_fault_{};
    std::map<std::string, std::uint64_t> requests_;
    std::vector<std::pair<std::string, util::SteadyTime>> sent_;
    std::map<std::string, util::SteadyTime> last_writes_;
    std::vector<FakeWatchStream*> streams_;
};

}  // namespace gic::sim
