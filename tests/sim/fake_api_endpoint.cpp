// One replica's connection to the fake API server: latency, request counts, faults, and the watch
// stream as the real client's would behave (ends at timeoutSeconds, a read deadline of
// timeoutSeconds + idle_grace when nothing comes, a transport error when the connection breaks).

#include "fake_api_server.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>

namespace gic::sim {

namespace json = boost::json;
using boost::asio::awaitable;
using kube::ApiResult;

char const* link_name(Link link) {
    switch (link) {
    case Link::up: return "up";
    case Link::partitioned_hang: return "partitioned (hang)";
    case Link::partitioned_fail: return "partitioned (fail)";
    case Link::black_hole: return "black hole";
    case Link::silent: return "silent";
    case Link::dead: return "dead";
    }
    return "?";
}

namespace {

std::string describe_ref(kube::ResourceRef const& ref) {
    return ref.resource + (ref.name.empty() ? std::string() : "/" + ref.name);
}

// The reason the API server gives with a refusal of `code`.
char const* reason_for(int code) {
    switch (code) {
    case 400: return "BadRequest";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "NotFound";
    case 409: return "Conflict";
    case 410: return "Expired";
    case 422: return "Invalid";
    case 429: return "TooManyRequests";
    case 503: return "ServiceUnavailable";
    case 504: return "Timeout";
    default: return "InternalError";
    }
}

std::string describe_answer(ApiResult<json::object> const& answer) {
    if (answer) {
        auto const* metadata = answer->if_contains("metadata");
        auto const* rv = metadata && metadata->is_object() ? metadata->as_object().if_contains("resourceVersion") : nullptr;
        return "200" + (rv && rv->is_string() ? " rv=" + std::string(rv->as_string()) : std::string());
    }
    if (answer.error().code == 0) return "transport error (" + answer.error().message + ")";
    return std::to_string(answer.error().code) + " " + answer.error().reason;
}

}  // namespace

class FakeWatchStream final : public kube::WatchStream {
public:
    FakeWatchStream(FakeApiEndpoint& endpoint, std::shared_ptr<ServerWatch> watch, kube::ResourceRef collection,
                    kube::WatchOptions const& options)
        : endpoint_(&endpoint),
          watch_(std::move(watch)),
          collection_(std::move(collection)),
          timer_(endpoint.executor(), endpoint.clock()),
          end_(endpoint.clock().steady_now() + options.timeout_seconds),
          read_deadline_(end_ + options.idle_grace),
          bookmark_at_(options.allow_bookmarks ? endpoint.clock().steady_now() + options.timeout_seconds / 2
                                               : util::SteadyTime::max()) {
        watch_->wake = [this] {
            timer_.cancel();
            if (endpoint_ != nullptr && endpoint_->on_watch_woken) endpoint_->on_watch_woken();
        };
        endpoint.streams_.push_back(this);
    }

    ~FakeWatchStream() override {
        watch_->wake = nullptr;
        watch_->pending.clear();
        if (endpoint_ != nullptr) std::erase(endpoint_->streams_, this);
    }

    awaitable<ApiResult<std::optional<kube::WatchEvent>>> next() override {
        for (;;) {
            if (endpoint_ == nullptr) co_return transport("the connection was closed");
            auto& clock = endpoint_->clock();
            auto const link = endpoint_->faults().link;
            if (link == Link::partitioned_fail || link == Link::dead) {
                broken_ = true;
                co_return transport("connection reset by peer");
            }
            bool const flowing = link == Link::up && !broken_;
            auto const now = clock.steady_now();
            if (flowing && !watch_->pending.empty()) {
                kube::WatchEvent event{watch_->pending.front().type, *watch_->pending.front().object};
                watch_->pending.pop_front();
                co_return std::optional<kube::WatchEvent>(std::move(event));
            }
            if (flowing && now >= end_) co_return std::optional<kube::WatchEvent>();
            if (!flowing && now >= read_deadline_) co_return transport("no bytes within the watch read deadline");
            if (flowing && now >= bookmark_at_) {
                bookmark_at_ = util::SteadyTime::max();
                json::object bookmark{
                    {"kind", collection_.resource},
                    {"apiVersion", collection_.group_version},
                    {"metadata",
                     json::object{{"resourceVersion", std::to_string(endpoint_->server().resource_version())}}}};
                co_return std::optional<kube::WatchEvent>(kube::WatchEvent{kube::WatchEventType::bookmark, bookmark});
            }
            // A stalled connection stays stalled even when the partition heals (the real client
            // only notices through its read deadline).
            if (!flowing) broken_ = true;
            timer_.expires_at(flowing ? std::min(end_, bookmark_at_) : read_deadline_);
            co_await timer_.wait();
        }
    }

    void wake() { timer_.cancel(); }
    bool delivers(std::string const& resource) const { return !broken_ && collection_.resource == resource; }
    void detach() { endpoint_ = nullptr; }

private:
    kube::ApiError transport(std::string message) const {
        kube::ApiError error;
        error.verb = "watch";
        error.resource = collection_.resource;
        error.namespace_ = collection_.namespace_;
        error.message = std::move(message);
        error.server = "https://fake-api-server";
        return error;
    }

    FakeApiEndpoint* endpoint_;
    std::shared_ptr<ServerWatch> watch_;
    kube::ResourceRef collection_;
    util::Timer timer_;
    util::SteadyTime end_;
    util::SteadyTime read_deadline_;
    util::SteadyTime bookmark_at_;
    bool broken_ = false;
};

FakeApiEndpoint::FakeApiEndpoint(boost::asio::any_io_executor executor, util::Clock& clock, FakeApiServer& server,
                                 std::string actor, Trace& trace)
    : executor_(std::move(executor)), clock_(clock), server_(server), actor_(std::move(actor)), trace_(trace) {}

FakeApiEndpoint::~FakeApiEndpoint() {
    for (auto* stream : streams_) stream->detach();
}

void FakeApiEndpoint::set_faults(EndpointFaults faults) {
    faults_ = std::move(faults);
    wake_streams();
}

void FakeApiEndpoint::set_link(Link link) {
    auto faults = faults_;
    faults.link = link;
    set_faults(faults);
}

void FakeApiEndpoint::set_latency(std::chrono::milliseconds latency) {
    auto faults = faults_;
    faults.latency = latency;
    set_faults(faults);
}

void FakeApiEndpoint::refuse_with(int code) {
    auto faults = faults_;
    faults.error_code = code;
    set_faults(faults);
}

void FakeApiEndpoint::wake_streams() {
    for (auto* stream : streams_) stream->wake();
}

std::uint64_t FakeApiEndpoint::requests_of(std::string const& resource) const {
    std::uint64_t total = 0;
    for (auto const& [what, count] : requests_)
        if (what.size() > resource.size() && what.compare(what.size() - resource.size(), resource.size(), resource) == 0 &&
            what[what.size() - resource.size() - 1] == ' ')
            total += count;
    return total;
}

std::uint64_t FakeApiEndpoint::count(std::string const& verb) const {
    std::uint64_t total = 0;
    for (auto const& [what, n] : requests_)
        if (what.size() > verb.size() && what.compare(0, verb.size(), verb) == 0 && what[verb.size()] == ' ') total += n;
    return total;
}

std::optional<util::SteadyTime> FakeApiEndpoint::last_write(std::string const& resource) const {
    auto const found = last_writes_.find(resource);
    if (found == last_writes_.end()) return std::nullopt;
    return found->second;
}

bool FakeApiEndpoint::watching(std::string const& resource) const {
    return std::any_of(streams_.begin(), streams_.end(), [&](auto* stream) { return stream->delivers(resource); });
}

kube::ApiError FakeApiEndpoint::transport_error(char const* verb, kube::ResourceRef const& ref, std::string message) const {
    kube::ApiError error;
    error.verb = verb;
    error.resource = ref.resource;
    error.namespace_ = ref.namespace_;
    error.name = ref.name;
    error.message = std::move(message);
    error.server = "https://fake-api-server";
    return error;
}

awaitable<ApiResult<json::object>> FakeApiEndpoint::call(char const* verb, kube::ResourceRef ref, Serve serve,
                                                         std::string note) {
    ++requests_[std::string(verb) + " " + ref.resource];
    auto const started = clock_.steady_now();
    sent_.emplace_back(verb, started);
    // A silent connection answers nothing: only the caller's cancellation ends the wait.
    auto const vanish = [this] { return util::sleep_until(clock_, util::SteadyTime::max()); };
    auto const half = faults_.latency / 2;
    auto const timed_out = started + request_timeout;
    ApiResult<json::object> answer = transport_error(verb, ref, "unreachable");
    bool served = false;
    switch (faults_.link) {
    case Link::dead:
        answer = transport_error(verb, ref, "connection refused");
        break;
    case Link::partitioned_fail:
        answer = transport_error(verb, ref, "connect: no route to host");
        break;
    case Link::silent:
        co_await vanish();
        break;
    case Link::partitioned_hang:
        co_await util::sleep_until(clock_, timed_out);
        answer = transport_error(verb, ref, "context deadline exceeded (Client.Timeout exceeded while awaiting headers)");
        break;
    case Link::black_hole:
    case Link::up: {
        // A connection without latency answers within the caller's own turn: no timer, so a test
        // that ends at an instant leaves no call waiting on a clock.
        if (half.count() > 0) co_await util::sleep_for(clock_, half);
        // The request arrives now; the link may have changed on the way.
        auto const link = faults_.link;
        if (link == Link::silent) co_await vanish();
        if (link == Link::dead || link == Link::partitioned_fail || link == Link::partitioned_hang) {
            if (link == Link::partitioned_hang) co_await util::sleep_until(clock_, timed_out);
            answer = transport_error(verb, ref, "connection reset by peer");
            break;
        }
        if (faults_.forbidden) {
            answer = status_error(403, "Forbidden",
                                  std::string(verb) + " " + ref.resource + " is forbidden: User \"system:serviceaccount:" +
                                      ref.namespace_ + ":gateway\" cannot " + verb + " resource \"" + ref.resource + "\"",
                                  ref, verb);
        } else if (faults_.error_code != 0) {
            std::optional<std::chrono::seconds> retry_after;
            if (faults_.retry_after.count() > 0) retry_after = faults_.retry_after;
            answer = status_error(faults_.error_code, reason_for(faults_.error_code),
                                  faults_.error_code == 429   ? "Too many requests, please try again later."
                                  : faults_.error_code >= 500 ? "etcdserver: request timed out"
                                                              : "refused by the fake API server",
                                  ref, verb, retry_after);
        } else if (std::string_view(verb) == "update" && faults_.forced_conflicts > 0) {
            --faults_.forced_conflicts;
            answer = status_error(409, "Conflict",
                                  "Operation cannot be fulfilled on " + ref.resource + " \"" + ref.name +
                                      "\": the object has been modified; please apply your changes to the latest "
                                      "version and try again",
                                  ref, verb);
        } else {
            served = true;
            answer = serve();
            if (answer && (std::string_view(verb) == "create" || std::string_view(verb) == "update"))
                last_writes_[ref.resource] = clock_.steady_now();
        }
        if (link == Link::black_hole) {
            co_await util::sleep_until(clock_, timed_out);
            answer = transport_error(verb, ref, "context deadline exceeded (Client.Timeout exceeded while awaiting headers)");
            break;
        }
        if (faults_.latency - half > std::chrono::milliseconds(0)) co_await util::sleep_for(clock_, faults_.latency - half);
        if (faults_.link == Link::silent) co_await vanish();
        if (faults_.link != Link::up) {
            // The answer is lost on the way back.
            if (faults_.link == Link::partitioned_hang || faults_.link == Link::black_hole) co_await util::sleep_until(clock_, timed_out);
            answer = transport_error(verb, ref, "connection reset by peer");
        }
        break;
    }
    }
    if (!served || (!answer && answer.error().code == 0)) last_injected_fault_ = clock_.steady_now();
    trace_.add(actor_ + " " + verb + " " + describe_ref(ref) + note + " -> " + describe_answer(answer));
    co_return answer;
}

awaitable<ApiResult<json::object>> FakeApiEndpoint::get(kube::ResourceRef const& ref) {
    // The caller's arguments outlive the call (it is awaited here): no copies.
    Serve serve = [this, &ref] { return server_.get(ref); };
    auto pending = call("get", ref, std::move(serve));
    co_return co_await std::move(pending);
}

awaitable<ApiResult<json::object>> FakeApiEndpoint::create(kube::ResourceRef const& ref, json::object const& body) {
    Serve serve = [this, &ref, &body] { return server_.create(ref, body, actor_); };
    std::string note;
    if (auto const* reason = body.if_contains("reason"); reason != nullptr && reason->is_string())
        note = " (" + std::string(reason->as_string()) + ")";
    auto pending = call("create", ref, std::move(serve), std::move(note));
    co_return co_await std::move(pending);
}

awaitable<ApiResult<json::object>> FakeApiEndpoint::update(kube::ResourceRef const& ref, json::object const& body) {
    Serve serve = [this, &ref, &body] { return server_.update(ref, body, actor_); };
    auto pending = call("update", ref, std::move(serve));
    co_return co_await std::move(pending);
}

awaitable<ApiResult<json::object>> FakeApiEndpoint::list(kube::ResourceRef const& collection,
                                                         kube::ListOptions const& options) {
    Serve serve = [this, &collection, &options] { return server_.list(collection, options); };
    auto pending = call("list", collection, std::move(serve));
    co_return co_await std::move(pending);
}

awaitable<ApiResult<std::unique_ptr<kube::WatchStream>>> FakeApiEndpoint::watch(kube::ResourceRef const& collection,
                                                                                  kube::WatchOptions const& options) {
    std::shared_ptr<ServerWatch> opened;
    // The watch request itself travels like any other; its answer is the stream's head.
    Serve serve = [&]() -> ApiResult<json::object> {
        if (faults_.forced_gone > 0) {
            --faults_.forced_gone;
            last_injected_fault_ = clock_.steady_now();
            // Alternately as the answer and as the stream's first event, as servers do both.
            if (gone_answers_++ % 2 == 0)
                return status_error(410, "Expired", "too old resource version: " + options.resource_version, collection,
                                    "watch");
            auto watch = std::make_shared<ServerWatch>();
            watch->resource = collection.resource;
            watch->namespace_ = collection.namespace_;
            json::object status{{"kind", "Status"}, {"apiVersion", "v1"}, {"metadata", json::object()},
                                {"status", "Failure"}, {"reason", "Expired"}, {"code", 410},
                                {"message", "too old resource version: " + options.resource_version}};
            watch->pending.push_back(
                {kube::WatchEventType::error, std::make_shared<json::object const>(std::move(status))});
            opened = std::move(watch);
            return json::object();
        }
        auto watch = server_.watch(collection, options);
        if (!watch) return watch.error();
        opened = std::move(*watch);
        return json::object();
    };
    auto pending = call("watch", collection, std::move(serve));
    auto head = co_await std::move(pending);
    if (!head) co_return head.error();
    std::unique_ptr<kube::WatchStream> stream = std::make_unique<FakeWatchStream>(*this, opened, collection, options);
    co_return stream;
}

}  // namespace gic::sim
