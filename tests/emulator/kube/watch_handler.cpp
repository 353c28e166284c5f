#include "watch_handler.hpp"

#include "json_util.hpp"
#include "selectors.hpp"
#include "watch_hub.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <charconv>
#include <memory>
#include <optional>

namespace gic::emu::kube {

namespace asio = boost::asio;
namespace json = boost::json;
using Clock = std::chrono::steady_clock;

namespace {

// How far before the server's timeout the last bookmark goes out (the watch cache's rule).
constexpr auto final_bookmark_lead = std::chrono::seconds(2);

std::string event_line(std::string_view type, json::object const& object) {
    std::string line = json::serialize(json::object{{"type", type}, {"object", object}});
    line += '\n';
    return line;
}

std::string_view event_type(ChangeType type) {
    switch (type) {
    case ChangeType::added: return "ADDED";
    case ChangeType::modified: return "MODIFIED";
    case ChangeType::deleted: return "DELETED";
    }
    return "MODIFIED";
}

std::optional<std::uint64_t> parse_rv(std::string const& text) {
    std::uint64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

// Everything a running watch needs, shared by the stream body's copies.
struct WatchState {
    WatchState(WatchHub& hub, ObjectStore const& store, WatchSubscription::Filter filter)
        : store(store), subscription(hub, std::move(filter)) {}

    ObjectStore const& store;
    WatchSubscription subscription;
    std::vector<std::string> initial;  // lines to send first (synthetic ADDED or the ERROR)
    bool end_after_initial = false;    // the ERROR event closes the stream
    bool bookmarks = false;
    std::string kind, api_version;
    std::chrono::milliseconds timeout{0};
    std::chrono::milliseconds bookmark_interval{0};

    std::string bookmark_line() const {
        json::object object{{"kind", kind},
                            {"apiVersion", api_version},
                            {"metadata", json::object{{"resourceVersion",
                                                       std::to_string(store.current_resource_version())}}}};
        return event_line("BOOKMARK", object);
    }
};

asio::awaitable<StreamEnd> run_watch(std::shared_ptr<WatchState> state, ChunkWriter& out) {
    auto executor = co_await asio::this_coro::executor;
    asio::steady_timer wake(executor);
    state->subscription.set_waker(&wake);
    out.on_client_gone([&wake] { wake.cancel(); });
    struct Detach {
        WatchState& state;
        ChunkWriter& out;
        ~Detach() {
            state.subscription.set_waker(nullptr);
            out.on_client_gone(nullptr);
        }
    } detach{*state, out};

    for (auto& line : state->initial)
        if (!co_await out.write(std::move(line))) co_return StreamEnd::abort;
    state->initial.clear();
    if (state->end_after_initial) co_return StreamEnd::complete;

    auto const start = Clock::now();
    auto const deadline = start + state->timeout;
    auto next_bookmark = start + state->bookmark_interval;
    auto final_bookmark = deadline - final_bookmark_lead;
    bool final_bookmark_sent = !state->bookmarks || final_bookmark <= start;
    for (;;) {
        auto& pending = state->subscription.pending();
        while (!pending.empty()) {
            StoreChange change = std::move(pending.front());
            pending.pop_front();
            if (!co_await out.write(event_line(event_type(change.type), change.object))) co_return StreamEnd::abort;
        }
        if (out.client_gone()) co_return StreamEnd::abort;
        auto const now = Clock::now();
        if (now >= deadline) co_return StreamEnd::complete;
        if (state->bookmarks) {
            bool due = now >= next_bookmark || (!final_bookmark_sent && now >= final_bookmark);
            if (due) {
                if (now >= final_bookmark) final_bookmark_sent = true;
                next_bookmark = now + state->bookmark_interval;
                if (!co_await out.write(state->bookmark_line())) co_return StreamEnd::abort;
                continue;
            }
        }
        auto wake_at = deadline;
        if (state->bookmarks) {
            wake_at = std::min(wake_at, next_bookmark);
            if (!final_bookmark_sent) wake_at = std::min(wake_at, final_bookmark);
        }
        wake.expires_at(wake_at);
        co_await wake.async_wait(asio::as_tuple(asio::use_awaitable));
    }
}

}  // namespace

Reply handle_watch(ServerContext& ctx, ResourceType const& type, RequestInfo const& info) {
    auto selected = parse_list_selectors(info, type.plural);
    if (!selected) return error_reply(bad_request(selected.error().message));
    ObjectPredicate const matches_selectors = *selected;
    auto const& settings = ctx.watches.settings();
    std::chrono::milliseconds timeout = settings.default_timeout;
    if (info.has_query("timeoutSeconds")) {
        auto seconds = info.query_int("timeoutSeconds");
        if (auto const* error = std::get_if<std::string>(&seconds)) return error_reply(bad_request(*error));
        // 0 means the server's default; a negative value ends the watch at once.
        auto const value = std::get<std::int64_t>(seconds);
        if (value != 0)
            timeout = std::chrono::seconds(std::clamp<std::int64_t>(value, 0, 365LL * 24 * 3600));
    }
    std::string const rv_text = info.query_param("resourceVersion");
    std::optional<std::uint64_t> resume_from;
    if (!rv_text.empty() && rv_text != "0") {
        resume_from = parse_rv(rv_text);
        if (!resume_from)
            return error_reply(bad_request("invalid resource version: " + go_quote(rv_text)));
    }

    std::string const resource = type.qualified_plural();
    std::string const ns = type.namespaced ? info.namespace_ : "";
    std::string const name = info.name;  // the old /watch/.../name form: only that object
    auto matches_object = [matches_selectors, ns, name](json::object const& o) {
        if (!ns.empty() && metadata_string(o, "namespace") != ns) return false;
        if (!name.empty() && metadata_string(o, "name") != name) return false;
        return matches_selectors(o);
    };
    auto filter = [resource, matches_object](StoreChange const& change) {
        return change.resource == resource && matches_object(change.object);
    };

    auto state = std::make_shared<WatchState>(ctx.watches, ctx.store, filter);
    state->bookmarks = info.query_flag("allowWatchBookmarks");
    state->kind = type.kind;
    state->api_version = type.api_version();
    state->timeout = timeout;
    state->bookmark_interval = settings.bookmark_interval;

    if (!resume_from) {
        std::optional<std::string> list_ns;
        if (!ns.empty()) list_ns = ns;
        for (auto const& item : ctx.store.list(resource, list_ns).items)
            if (matches_object(item)) state->initial.push_back(event_line("ADDED", item));
    } else if (ctx.watches.too_old(*resume_from)) {
        auto expired = status_from_code(410, "Expired",
                                        "too old resource version: " + rv_text + " (" +
                                            std::to_string(ctx.watches.compacted()) + ")");
        state->initial.push_back(event_line("ERROR", expired.to_status()));
        state->end_after_initial = true;
    } else {
        for (auto const& change : ctx.watches.changes_after(*resume_from))
            if (filter(change)) state->initial.push_back(event_line(event_type(change.type), change.object));
    }

    Reply reply;
    reply.response.result(http::status::ok);
    reply.response.set(http::field::content_type, "application/json");
    reply.response.set(http::field::cache_control, "no-cache, private");
    reply.stream = [state](ChunkWriter& out) { return run_watch(state, out); };
    return reply;
}

StreamBody stalled_stream() {
    return [](ChunkWriter& out) -> asio::awaitable<StreamEnd> {
        asio::steady_timer wake(co_await asio::this_coro::executor, asio::steady_timer::time_point::max());
        out.on_client_gone([&wake] { wake.cancel(); });
        while (!out.client_gone()) co_await wake.async_wait(asio::as_tuple(asio::use_awaitable));
        out.on_client_gone(nullptr);
        co_return StreamEnd::abort;
    };
}

}  // namespace gic::emu::kube
