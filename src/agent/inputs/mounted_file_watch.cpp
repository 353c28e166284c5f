#include "agent/inputs/mounted_file_watch.hpp"

#include "agent/inputs/mounted_files.hpp"
#include "observe/log.hpp"
#include "util/file_watcher.hpp"

#include <boost/asio/this_coro.hpp>

#include <filesystem>
#include <functional>
#include <vector>

namespace gic::agent {
namespace {

constexpr char const* component = "inputs";

std::string base_name(std::string const& path) {
    return path.empty() ? std::string() : std::filesystem::path(path).filename().string();
}

class InputState {
public:
    explicit InputState(WatchedInputs inputs) : in_(std::move(inputs)) {
        if (in_.token_path.empty()) return;
        if (auto token = read_token_file(in_.token_path, "Istio token"); token) token_hash_ = std::hash<std::string>{}(*token);
    }

    void check_token() {
        if (in_.token_path.empty()) return;
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
        if (in_.metrics != nullptr) in_.metrics->token_reloaded();
        observe::log_info(component, "Istio token rotated", {{"path", in_.token_path}});
    }

    void check_roots() {
        if (in_.roots.path().empty()) return;
        apply_root_update(in_.roots.reload(), in_.roots, in_.roots_changed);
    }

    void check_all() {
        check_token();
        check_roots();
    }

    std::vector<std::string> files() const {
        std::vector<std::string> paths;
        if (!in_.token_path.empty()) paths.push_back(in_.token_path);
        if (!in_.roots.path().empty()) paths.push_back(in_.roots.path());
        return paths;
    }

private:
    WatchedInputs in_;
    std::size_t token_hash_ = 0;
};

}  // namespace

boost::asio::awaitable<void> watch_inputs(WatchedInputs inputs, std::chrono::seconds fallback_period) {
    auto executor = co_await boost::asio::this_coro::executor;
    auto const token_name = base_name(inputs.token_path);
    auto const root_name = base_name(inputs.roots.path());
    auto& clock = *inputs.clock;
    InputState state(std::move(inputs));
    auto const files = state.files();
    if (files.empty()) co_return;
    for (;;) {
        auto watcher = util::FileWatcher::create(executor, files);
        if (watcher) {
            // Changes that happened before the watch was in place are caught by this first look.
            state.check_all();
            for (;;) {
                auto changed = co_await watcher->wait_for_change();
                if (!changed) {
                    observe::log_warning(component, "file watch ended; re-reading periodically",
                                         {{"error", changed.error().message}});
                    break;
                }
                for (auto const& name : *changed) {
                    if (!token_name.empty() && name == token_name) state.check_token();
                    if (!root_name.empty() && name == root_name) state.check_roots();
                }
            }
        } else {
            observe::log_warning(component, "cannot watch the token and root files; re-reading periodically",
                                 {{"error", watcher.error().message}});
        }
        co_await util::sleep_for(clock, fallback_period);
        state.check_all();
    }
}

}  // namespace gic::agent
