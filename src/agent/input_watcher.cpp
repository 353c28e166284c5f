#include "agent/input_watcher.hpp"

#include "agent/input_files.hpp"
#include "observe/log.hpp"
#include "util/file_watcher.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <filesystem>
#include <functional>

namespace gic::agent {
namespace {

constexpr char const* component = "inputs";

class InputState {
public:
    explicit InputState(WatchedInputs inputs) : in_(inputs) {
        if (auto token = read_token_file(in_.token_path, "Istio token"); token) token_hash_ = std::hash<std::string>{}(*token);
    }

    void check_token() {
        auto token = read_token_file(in_.token_path, "Istio token (--istio-token-path)");
        if (!token) {
            observe::log_warning(component, "cannot read the rotated token; the last one read is used until it is readable",
                                 {{"error", token.error().message}});
            return;
        }
        // Only a hash is kept: the token itself stays out of memory we hold on to and out of logs.
        auto hash = std::hash<std::string>{}(*token);
        if (hash == token_hash_) return;
        token_hash_ = hash;
        observe::log_info(component, "Istio token rotated", {{"path", in_.token_path}});
    }

    void check_roots() {
        auto changed = in_.roots.reload();
        if (!changed) {
            observe::log_error(component, "cannot load the new root bundle; keeping the previous one",
                               {{"error", changed.error().message}});
            return;
        }
        if (!*changed) return;
        observe::log_info(component, "root bundle reloaded",
                          {{"path", in_.roots.path()}, {"roots", std::to_string(in_.roots.current().certs.size())}});
        in_.ca.rebuild_channel(in_.roots.current().pem);
        in_.rotator.roots_changed();
    }

private:
    WatchedInputs in_;
    std::size_t token_hash_ = 0;
};

}  // namespace

boost::asio::awaitable<void> watch_inputs(WatchedInputs inputs, std::chrono::seconds fallback_period) {
    auto executor = co_await boost::asio::this_coro::executor;
    InputState state(inputs);
    auto const token_name = std::filesystem::path(inputs.token_path).filename().string();
    auto const root_name = std::filesystem::path(inputs.roots.path()).filename().string();
    for (;;) {
        auto watcher = util::FileWatcher::create(executor, {inputs.token_path, inputs.roots.path()});
        if (watcher) {
            // Changes that happened before the watch was in place are caught by this first look.
            state.check_token();
            state.check_roots();
            for (;;) {
                auto changed = co_await watcher->wait_for_change();
                if (!changed) {
                    observe::log_warning(component, "file watch ended; re-reading periodically",
                                         {{"error", changed.error().message}});
                    break;
                }
                for (auto const& name : *changed) {
                    if (name == token_name) state.check_token();
                    if (name == root_name) state.check_roots();
                }
            }
        } else {
            observe::log_warning(component, "cannot watch the token and root files; re-reading periodically",
                                 {{"error", watcher.error().message}});
        }
        boost::asio::steady_timer timer(executor, fallback_period);
        co_await timer.async_wait(boost::asio::use_awaitable);
        state.check_token();
        state.check_roots();
    }
}

}  // namespace gic::agent
