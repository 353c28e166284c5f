#include "kube/object_follower.hpp"

#include "kube/object_meta.hpp"
#include "observe/log.hpp"
#include "util/backoff.hpp"
#include "util/deadline.hpp"

#include <boost/json/serialize.hpp>

#include <random>

namespace gic::kube {
namespace {

namespace json = boost::json;
using std::chrono::milliseconds;

constexpr int expired_status = 410;

// A list, or a watch whose response has not begun, abandoned after this long whatever the Api
// below does (kube::Client's own request timeout is shorter), so that a request lost on the way
// delays the follower, never stops it.
constexpr std::chrono::seconds request_bound{60};

template <class T>
boost::asio::awaitable<ApiResult<T>> bounded(util::Clock& clock, boost::asio::awaitable<ApiResult<T>> call,
                                             char const* verb, ResourceRef const& collection) {
    // Named first: g++ 12 may destroy temporaries inside a co_await expression twice.
    auto race = util::with_deadline(clock, clock.steady_now() + request_bound, std::move(call));
    auto raced = co_await std::move(race);
    if (raced) co_return std::move(*raced);
    ApiError timed_out;
    timed_out.reason = "Timeout";
    timed_out.message = "no answer within " + std::to_string(request_bound.count()) + " s";
    timed_out.verb = verb;
    timed_out.resource = collection.resource;
    timed_out.namespace_ = collection.namespace_;
    co_return timed_out;
}

std::optional<json::object> named_item(json::object const& list, std::string const& name) {
    std::optional<json::object> found;
    auto const* items = list.if_contains("items");
    if (items == nullptr || !items->is_array()) return found;
    for (auto const& item : items->as_array()) {
        if (!item.is_object()) continue;
        if (auto meta = parse_object_meta(item.as_object()); meta && meta->name == name) found = item.as_object();
    }
    return found;
}

}  // namespace

namespace detail {

void log_unreadable(FollowedObject const& followed, Error const& error) {
    observe::log_warning(followed.log_component, "ignoring an unreadable object; keeping the last one read",
                         {{"object", followed.display}, {"error", error.message}});
}

boost::asio::awaitable<void> follow_raw_object(Api& api, util::Clock& clock, std::uint64_t seed, FollowedObject followed,
                                               RawObserver on_change) {
    std::mt19937_64 rng{seed};
    util::Backoff backoff(util::BackoffPolicy{milliseconds(800), 2.0, milliseconds(30'000), 0.2}, rng());
    auto const selector = "metadata.name=" + followed.name;
    std::uniform_int_distribution<int> timeout_seconds(300, 599);
    auto const warn = [&](char const* what, milliseconds delay, std::string const& detail) {
        observe::log_warning(followed.log_component, what,
                             {{"object", followed.display}, {"retry_in_ms", std::to_string(delay.count())}, {"error", detail}});
    };
    for (;;) {
        ListOptions list_options;
        list_options.field_selector = selector;
        auto const listed = co_await bounded(clock, api.list(followed.collection, list_options), "list", followed.collection);
        if (!listed) {
            auto const delay = backoff.next();
            warn("cannot list the object; retrying", delay, listed.error().describe());
            co_await util::sleep_for(clock, delay);
            continue;
        }
        on_change(named_item(*listed, followed.name));
        auto const list_meta = parse_object_meta(*listed);
        auto resource_version = list_meta ? list_meta->resource_version : std::string();

        // Watch from the list's version until the stream fails; then relist.
        for (bool relist = false; !relist;) {
            WatchOptions watch_options;
            watch_options.field_selector = selector;
            watch_options.resource_version = resource_version;
            watch_options.timeout_seconds = std::chrono::seconds(timeout_seconds(rng));
            auto const started = clock.steady_now();
            auto opened = co_await bounded(clock, api.watch(followed.collection, watch_options), "watch", followed.collection);
            if (!opened) {
                relist = true;
                if (opened.error().code == expired_status) break;  // too old: relist at once
                auto const delay = backoff.next();
                warn("cannot watch the object; relisting", delay, opened.error().describe());
                co_await util::sleep_for(clock, delay);
                break;
            }
            auto stream = std::move(*opened);
            int events = 0;
            for (;;) {
                auto next = co_await stream->next();
                if (!next) {
                    relist = true;
                    if (next.error().code == expired_status) break;
                    auto const delay = backoff.next();
                    warn("the watch failed; relisting", delay, next.error().describe());
                    co_await util::sleep_for(clock, delay);
                    break;
                }
                if (!*next) {
                    // The server ended the stream (its timeout): watch again from the last version,
                    // unless it ended at once with nothing (a misbehaving server: back off).
                    if (events == 0 && clock.steady_now() - started < std::chrono::seconds(1)) {
                        auto const delay = backoff.next();
                        warn("the watch ended at once; relisting", delay, "no events");
                        co_await util::sleep_for(clock, delay);
                        relist = true;
                    }
                    break;
                }
                auto& event = **next;
                ++events;
                if (event.type == WatchEventType::error) {
                    relist = true;
                    auto const* code = event.object.if_contains("code");
                    if (code != nullptr && code->is_int64() && code->as_int64() == expired_status) break;
                    auto const delay = backoff.next();
                    warn("the watch sent an error; relisting", delay, json::serialize(event.object));
                    co_await util::sleep_for(clock, delay);
                    break;
                }
                backoff.reset();
                // Kept when the event carries none we can read: watch on from the version we had.
                if (auto version = resource_version_of(event.object); version && !version->empty())
                    resource_version = *version;
                switch (event.type) {
                case WatchEventType::added:
                case WatchEventType::modified:
                    on_change(std::move(event.object));  // not read again below
                    break;
                case WatchEventType::deleted:
                    on_change(std::nullopt);
                    break;
                default:
                    break;  // bookmark: only its resourceVersion matters
                }
            }
        }
    }
}

}  // namespace detail
}  // namespace gic::kube
