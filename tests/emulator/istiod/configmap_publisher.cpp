#include "configmap_publisher.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace gic::emu::istiod {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {
constexpr char const* kName = "istio-ca-root-cert";
constexpr char const* kKey = "root-cert.pem";
}  // namespace

asio::awaitable<bool> ConfigMapPublisher::publish(std::string root_bundle) {
    auto generation = ++generation_;
    bool all = true;
    for (auto const& ns : namespaces_) {
        if (co_await publish_one(ns, root_bundle)) continue;
        all = false;
        asio::co_spawn(co_await asio::this_coro::executor, retry(ns, root_bundle, generation), asio::detached);
    }
    co_return all;
}

asio::awaitable<void> ConfigMapPublisher::retry(std::string ns, std::string root_bundle, std::uint64_t generation) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    while (generation == generation_) {
        timer.expires_after(std::chrono::seconds(1));
        co_await timer.async_wait(asio::use_awaitable);
        if (generation != generation_) break;
        if (co_await publish_one(ns, root_bundle, true)) break;
    }
}

asio::awaitable<bool> ConfigMapPublisher::publish_one(std::string ns, std::string root_bundle, bool quiet) {
    kube::ResourceRef ref{"v1", "configmaps", ns, kName, ""};
    try {
        auto current = co_await client_.get(ref);
        kube::ApiResult<json::object> written = current;
        if (current) {
            json::object cm = *current;
            auto& data = cm["data"];
            if (!data.is_object()) data = json::object{};
            if (auto const* v = data.as_object().if_contains(kKey); v && v->is_string() && v->as_string() == root_bundle)
                co_return true;  // already current
            data.as_object()[kKey] = root_bundle;
            written = co_await client_.update(ref, cm);
        } else if (current.error().is_not_found()) {
            json::object cm{{"apiVersion", "v1"},
                            {"kind", "ConfigMap"},
                            {"metadata", json::object{{"name", kName}, {"namespace", ns}}},
                            {"data", json::object{{kKey, root_bundle}}}};
            written = co_await client_.create(ref, cm);
        }
        if (!written) {
            if (!quiet) log_("publishing ConfigMap " + std::string(kName) + " in " + ns + " failed (retrying every second): " +
                             written.error().describe());
            co_return false;
        }
    } catch (std::exception const& e) {
        if (!quiet) log_("publishing ConfigMap " + std::string(kName) + " in " + ns + " failed: " + e.what());
        co_return false;
    }
    log_("published ConfigMap " + std::string(kName) + " in " + ns);
    co_return true;
}

}  // namespace gic::emu::istiod
