// When the minted Istio token is minted again: the pure decision, and keep_fresh() running it in
// virtual time against an in-test TokenRequest endpoint.

#include "agent/inputs/minted_token_source.hpp"

#include "common/virtual_clock.hpp"
#include "util/base64.hpp"
#include "util/time_format.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <exception>
#include <optional>
#include <vector>

using namespace gic;
using namespace gic::agent;
using namespace std::chrono;
using namespace std::chrono_literals;

namespace {

namespace asio = boost::asio;
using WallTime = system_clock::time_point;

WallTime const t0 = system_clock::from_time_t(1'800'000'000);

std::string token_for(std::string const& namespace_, std::string const& service_account) {
    std::string const payload = R"({"aud":["istio-ca"],"kubernetes.io":{"namespace":")" + namespace_ +
                                R"(","serviceaccount":{"name":")" + service_account + R"(","uid":"u"}}})";
    return util::base64url_encode(R"({"alg":"RS256","kid":"k"})") + "." + util::base64url_encode(payload) + ".c2ln";
}

// The TokenRequest endpoint: answers a token valid for `life` from the clock's wall time, or
// fails the next `failures` requests. Nothing else is asked of it.
class TokenApi final : public kube::Api {
public:
    explicit TokenApi(util::Clock& clock) : clock_(clock) {}

    asio::awaitable<kube::ApiResult<boost::json::object>> create(kube::ResourceRef const& ref,
                                                                 boost::json::object const&) override {
        minted_at.push_back(clock_.wall_now());
        if (failures > 0) {
            --failures;
            co_return api_error(503, "ServiceUnavailable", "create");
        }
        auto const expires = util::format_rfc3339(clock_.wall_now() + life);
        co_return boost::json::object{
            {"status", boost::json::object{{"token", token_for(ref.namespace_, ref.name)}, {"expirationTimestamp", expires}}}};
    }
    asio::awaitable<kube::ApiResult<boost::json::object>> get(kube::ResourceRef const&) override { co_return unused(); }
    asio::awaitable<kube::ApiResult<boost::json::object>> update(kube::ResourceRef const&,
                                                                 boost::json::object const&) override {
        co_return unused();
    }
    asio::awaitable<kube::ApiResult<boost::json::object>> list(kube::ResourceRef const&, kube::ListOptions const&) override {
        co_return unused();
    }
    asio::awaitable<kube::ApiResult<std::unique_ptr<kube::WatchStream>>> watch(kube::ResourceRef const&,
                                                                                 kube::WatchOptions const&) override {
        co_return unused();
    }

    seconds life = 1h;
    int failures = 0;
    std::vector<WallTime> minted_at;

private:
    static kube::ApiError api_error(int code, char const* reason, char const* verb) {
        kube::ApiError e;
        e.code = code;
        e.reason = e.message = reason;
        e.verb = verb;
        e.resource = "serviceaccounts/token";
        return e;
    }
    static kube::ApiError unused() { return api_error(405, "MethodNotAllowed", "other"); }
    util::Clock& clock_;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(minted_token_refresh)

BOOST_AUTO_TEST_CASE(waits_until_four_fifths_of_the_life) {
    struct Case {
        char const* name;
        std::optional<WallTime> expires_at;
        WallTime minted_at;
        WallTime now;
        system_clock::duration wait;
    };
    std::vector<Case> const cases = {
        {"no token yet: mint now", std::nullopt, t0, t0, 0s},
        {"just minted: 48 of 60 minutes", t0 + 1h, t0, t0, 48min},
        {"half-way to the refresh", t0 + 1h, t0, t0 + 24min, 24min},
        {"refresh time reached", t0 + 1h, t0, t0 + 48min, 0s},
        {"expired (after a suspend): mint now", t0 + 1h, t0, t0 + 2h, 0s},
        {"the wall clock went back: the whole wait, from the clock", t0 + 1h, t0, t0 - 1h, 108min},
        {"an expiry before the mint: mint now", t0 - 1s, t0, t0, 0s},
    };
    for (auto const& c : cases) {
        BOOST_TEST_CONTEXT(c.name) {
            BOOST_TEST((wait_before_minting(c.expires_at, c.minted_at, c.now) == c.wait));
        }
    }
}

BOOST_AUTO_TEST_CASE(retries_double_from_one_second_to_a_minute) {
    std::vector<long> delays;
    seconds delay{0};
    for (int i = 0; i < 9; ++i) delays.push_back((delay = mint_retry_delay(delay)).count());
    BOOST_TEST(delays == (std::vector<long>{1, 2, 4, 8, 16, 32, 60, 60, 60}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(keep_fresh_mints_at_four_fifths_and_retries_failures) {
    testing::VirtualTime time(t0);
    testing::VirtualClock clock(time);
    asio::io_context io;
    TokenApi api(clock);
    MintedTokenSource source(api, MintRequest{"workloads", "payments"}, clock);
    asio::cancellation_signal stop;
    bool ended = false;
    asio::co_spawn(io, source.keep_fresh(),
                   asio::bind_cancellation_slot(stop.slot(), [&](std::exception_ptr) { ended = true; }));
    testing::run_until(time, {&io}, time.now() + 2h);
    // At once (no token), then every 48 minutes.
    BOOST_TEST((api.minted_at == std::vector<WallTime>{t0, t0 + 48min, t0 + 96min}));
    BOOST_TEST(source.token().has_value());
    // The API fails three times at the next refresh: 1 s, 2 s, 4 s apart; the old token serves meanwhile.
    api.failures = 3;
    api.minted_at.clear();
    testing::run_until(time, {&io}, time.now() + 30min);
    BOOST_TEST((api.minted_at == std::vector<WallTime>{t0 + 144min, t0 + 144min + 1s, t0 + 144min + 3s, t0 + 144min + 7s}));
    BOOST_TEST(source.token().has_value());
    BOOST_TEST((*source.expires_at() == t0 + 144min + 7s + 1h));
    stop.emit(asio::cancellation_type::all);
    testing::run_until(time, {&io}, time.now());
    BOOST_TEST(ended);
}

BOOST_AUTO_TEST_CASE(an_expired_token_is_refused_at_the_clock_s_time) {
    testing::VirtualTime time(t0);
    testing::VirtualClock clock(time);
    asio::io_context io;
    TokenApi api(clock);
    MintedTokenSource source(api, MintRequest{"workloads", "payments"}, clock);
    std::optional<Result<void>> minted;
    asio::co_spawn(io, source.mint(), [&](std::exception_ptr, Result<void> r) { minted = r; });
    testing::run_until(time, {&io}, time.now());
    BOOST_REQUIRE(minted.has_value());
    BOOST_TEST(minted->has_value());
    BOOST_TEST(source.token().has_value());
    clock.jump_wall(1h);  // a suspend: the token expired meanwhile
    BOOST_TEST(!source.token().has_value());
}

BOOST_AUTO_TEST_SUITE_END()
