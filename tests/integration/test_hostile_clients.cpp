// Hostile clients and a hostile network, against the real agent: any pod that can reach the probe
// and metrics ports floods them (never-ending chunk extensions and trailers, huge headers,
// slowloris, hundreds of idle connections) while /healthz and /metrics must keep answering and the
// agent's memory must stay flat; and SIGTERM when the Kubernetes API accepts connections but never
// answers must still end the process within a second (a second signal at once).
//
// The attackers run in this process on one io_context, every loop bounded by the attack's end
// (and every byte count by a cap), every connection by a deadline.

#include "common/sanitizers.hpp"
#include "common/http_client.hpp"
#include "common/sandbox.hpp"
#include "common/wait.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

using namespace gic::test;
using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

// Resident memory of a process (VmRSS in /proc/PID/status), in KiB; 0 once it is gone.
long rss_kib(int pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    return 0;
}

double ms_of(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

struct Listeners {
    unsigned short health = 0;
    unsigned short metrics = 0;
};

// The ports of an agent started with both listeners on 127.0.0.1:0, from its startup log.
Listeners listeners_of(ChildProcess& agent) {
    auto const health = agent.wait_for(R"(serving health probes address=127\.0\.0\.1:(\d+))", 30s);
    auto const metrics = agent.wait_for(R"(serving metrics address=127\.0\.0\.1:(\d+))", 30s);
    BOOST_TEST_REQUIRE((health && metrics), agent.log());
    return {static_cast<unsigned short>(std::stoi((*health)[1])), static_cast<unsigned short>(std::stoi((*metrics)[1]))};
}

// Everything the attack saw, for the checks and the report.
struct AttackLog {
    Clock::time_point end;
    int probes = 0;
    int probe_failures = 0;
    std::string first_probe_failure;
    double slowest_probe_ms = 0;
    long rss_max_kib = 0;
    std::vector<double> slowloris_cut_ms;  // from a slowloris connection's first byte to its end
    std::size_t flood_bytes = 0;
    int flood_connections = 0;
    int idle_reconnects = 0;
};

using Awaitable = asio::awaitable<void>;
constexpr auto use = asio::as_tuple(asio::use_awaitable);

tcp::endpoint loopback(unsigned short port) { return {asio::ip::make_address("127.0.0.1"), port}; }

bool running(AttackLog const& log) { return Clock::now() < log.end; }

Awaitable pause(std::chrono::milliseconds d) {
    asio::steady_timer timer(co_await asio::this_coro::executor, d);
    co_await timer.async_wait(use);
}

// Sends `prefix`, then `filler` forever: what a client that never ends a line does. Reconnects when
// the agent cuts it off; at most `cap` bytes in all.
Awaitable flood(unsigned short port, std::string prefix, char filler, AttackLog& log) {
    auto const cap = std::size_t(256) << 20;
    std::string const chunk(16 * 1024, filler);
    std::size_t sent = 0;
    while (running(log) && sent < cap) {
        beast::tcp_stream stream(co_await asio::this_coro::executor);
        stream.expires_after(2s);
        auto [connect_ec] = co_await stream.async_connect(loopback(port), use);
        if (connect_ec) {
            co_await pause(50ms);
            continue;
        }
        ++log.flood_connections;
        stream.expires_after(2s);
        auto [ec, n] = co_await asio::async_write(stream, asio::buffer(prefix), use);
        while (!ec && running(log) && sent < cap) {
            stream.expires_after(2s);
            std::tie(ec, n) = co_await asio::async_write(stream, asio::buffer(chunk), use);
            sent += n;
            log.flood_bytes += n;
        }
    }
}

// A request trickled one byte every 100 ms, never finished; records when the agent ends it.
Awaitable slowloris(unsigned short port, AttackLog& log) {
    std::string const request = "GET /healthz HTTP/1.1\r\nHost: a\r\n";
    std::string const more = "X-Slow: 1\r\n";
    while (running(log)) {
        tcp::socket socket(co_await asio::this_coro::executor);
        auto [connect_ec] = co_await socket.async_connect(loopback(port), use);
        if (connect_ec) {
            co_await pause(50ms);
            continue;
        }
        auto const first_byte = Clock::now();
        bool ended = false;
        // The agent ending the connection completes this read (EOF or reset).
        auto reader = [](tcp::socket& s, bool& done) -> Awaitable {
            char byte = 0;
            co_await s.async_read_some(asio::buffer(&byte, 1), use);
            done = true;
        };
        asio::co_spawn(co_await asio::this_coro::executor, reader(socket, ended), asio::detached);
        for (std::size_t i = 0; !ended && running(log); ++i) {
            char const byte = i < request.size() ? request[i] : more[(i - request.size()) % more.size()];
            co_await asio::async_write(socket, asio::buffer(&byte, 1), use);
            co_await pause(100ms);
        }
        if (ended) log.slowloris_cut_ms.push_back(ms_of(Clock::now() - first_byte));
        boost::system::error_code ignored;
        socket.close(ignored);
        co_await pause(20ms);  // let the reader see the close before the socket goes
    }
}

// `count` connections that send nothing, re-opened whenever the agent closes one.
Awaitable idle_crowd(unsigned short port, int count, AttackLog& log) {
    auto executor = co_await asio::this_coro::executor;
    auto one = [](asio::any_io_executor ex, unsigned short p, AttackLog& l) -> Awaitable {
        while (running(l)) {
            tcp::socket socket(ex);
            auto [connect_ec] = co_await socket.async_connect(loopback(p), use);
            if (connect_ec) {
                co_await pause(50ms);
                continue;
            }
            // Waits until the agent closes it (to make room) or the attack ends.
            asio::steady_timer end(ex, l.end);
            char byte = 0;
            auto waiting = [](tcp::socket& s, char& b) -> Awaitable { co_await s.async_read_some(asio::buffer(&b, 1), use); };
            asio::co_spawn(ex, waiting(socket, byte), [&end](std::exception_ptr) { end.cancel(); });
            co_await end.async_wait(use);
            if (!running(l)) {
                boost::system::error_code ignored;
                socket.close(ignored);
                co_await pause(20ms);
                co_return;
            }
            ++l.idle_reconnects;
            co_await pause(1s);  // a crowd of idle connections, not a connect storm
        }
    };
    for (int i = 0; i < count; ++i) asio::co_spawn(executor, one(executor, port, log), asio::detached);
    co_return;
}

// GET `path` on a fresh connection as a kubelet probe does (1 s timeout); counts failures.
Awaitable probe_every(unsigned short port, std::string path, AttackLog& log) {
    while (running(log)) {
        auto const started = Clock::now();
        beast::tcp_stream stream(co_await asio::this_coro::executor);
        stream.expires_after(1s);
        std::string failure;
        auto [ec] = co_await stream.async_connect(loopback(port), use);
        http::response<http::string_body> res;
        if (!ec) {
            http::request<http::empty_body> req(http::verb::get, path, 11);
            req.set(http::field::host, "127.0.0.1");
            req.keep_alive(false);
            std::size_t n = 0;
            std::tie(ec, n) = co_await http::async_write(stream, req, use);
            beast::flat_buffer buffer;
            if (!ec) std::tie(ec, n) = co_await http::async_read(stream, buffer, res, use);
        }
        auto const took = ms_of(Clock::now() - started);
        ++log.probes;
        log.slowest_probe_ms = std::max(log.slowest_probe_ms, took);
        if (ec || res.result_int() != 200) {
            ++log.probe_failures;
            if (log.first_probe_failure.empty())
                log.first_probe_failure = path + ": " + (ec ? ec.message() : std::to_string(res.result_int()));
        }
        co_await pause(100ms);
    }
}

Awaitable sample_rss(int pid, AttackLog& log) {
    while (running(log)) {
        log.rss_max_kib = std::max(log.rss_max_kib, rss_kib(pid));
        co_await pause(50ms);
    }
}

// The agent with both listeners on loopback, single replica, once it has written its certificate.
std::unique_ptr<ChildProcess> start_listening_agent(Sandbox const& sb) {
    auto agent = sb.start_agent({"--leader-elect=false", "--metrics-bind-address=127.0.0.1:0",
                                 "--health-probe-bind-address=127.0.0.1:0"},
                                "agent");
    BOOST_TEST_REQUIRE(agent->wait_for("certificate (written|reused)", 30s).has_value(), agent->log());
    return agent;
}

// An elected leader that has written its certificate, with no listeners.
std::unique_ptr<ChildProcess> start_leader(Sandbox const& sb) {
    auto agent = sb.start_agent({"--metrics-bind-address=0", "--health-probe-bind-address=0"}, "agent");
    BOOST_TEST_REQUIRE(agent->wait_for("became leader", 30s).has_value(), agent->log());
    BOOST_TEST_REQUIRE(agent->wait_for("certificate written", 30s).has_value(), agent->log());
    return agent;
}

// Every Kubernetes API request from now on is accepted and never answered (10 minutes).
void black_hole_the_api(Sandbox const& sb) { sb.kube_fault(R"({"delayMs":600000,"count":-1})"); }

}  // namespace

BOOST_AUTO_TEST_SUITE(hostile_clients)

BOOST_AUTO_TEST_CASE(floods_of_the_probe_ports_leave_probes_answering_and_memory_flat) {
    Sandbox sb;
    auto agent = start_listening_agent(sb);
    auto const ports = listeners_of(*agent);
    // A few scrapes first, so that what a normal scrape allocates is in the baseline.
    for (int i = 0; i < 3; ++i) {
        BOOST_TEST_REQUIRE(http_request("GET", "http://127.0.0.1:" + std::to_string(ports.metrics) + "/metrics").status == 200);
        BOOST_TEST_REQUIRE(http_request("GET", "http://127.0.0.1:" + std::to_string(ports.health) + "/healthz").status == 200);
    }
    auto const rss_before = rss_kib(agent->pid());
    BOOST_TEST_REQUIRE(rss_before > 0);

    AttackLog log;
    // Longer than the 5 s request deadline, so that slowloris connections are seen cut off.
    auto const duration = 7s;
    log.end = Clock::now() + duration;
    // The floods and the idle crowd on one thread; the probes, the slowloris connections (which
    // must send their first byte right after connecting, as a kubelet does) and the memory samples
    // on another, so that the floods' writes do not delay them. Each thread touches only its own
    // fields of `log`.
    asio::io_context attackers(1);
    for (auto port : {ports.health, ports.metrics}) {
        asio::co_spawn(attackers, flood(port, "GET /healthz HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1;ext=", 'x', log), asio::detached);
        asio::co_spawn(attackers, flood(port, "GET /healthz HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-Trailer: ", 't', log), asio::detached);
        asio::co_spawn(attackers, flood(port, "GET /healthz HTTP/1.1\r\nX-Huge: ", 'h', log), asio::detached);
        asio::co_spawn(attackers, idle_crowd(port, 200, log), asio::detached);
    }
    asio::io_context watchers(1);
    for (auto port : {ports.health, ports.metrics})
        for (int i = 0; i < 4; ++i) asio::co_spawn(watchers, slowloris(port, log), asio::detached);
    asio::co_spawn(watchers, probe_every(ports.health, "/healthz", log), asio::detached);
    asio::co_spawn(watchers, probe_every(ports.metrics, "/metrics", log), asio::detached);
    asio::co_spawn(watchers, sample_rss(agent->pid(), log), asio::detached);
    // Every coroutine ends by itself at log.end; the margin is a bound.
    std::thread attack([&attackers, bound = duration + 3s] { attackers.run_for(bound); });
    watchers.run_for(duration + 3s);
    attack.join();
    auto const rss_after = rss_kib(agent->pid());

    auto const growth_kib = std::max(log.rss_max_kib, rss_after) - rss_before;
    BOOST_TEST_MESSAGE("flood: RSS " << rss_before << " KiB before, max " << log.rss_max_kib << " KiB during, "
                                     << rss_after << " KiB after (growth " << growth_kib << " KiB); "
                                     << (log.flood_bytes >> 20) << " MiB sent on " << log.flood_connections
                                     << " flood connections; " << log.idle_reconnects << " idle connections closed for room; "
                                     << log.probes << " probes, " << log.probe_failures << " failed, slowest "
                                     << log.slowest_probe_ms << " ms");
    BOOST_TEST(agent->running(), agent->log());
    BOOST_TEST(log.probes >= 20);
    BOOST_TEST(log.probe_failures == 0, log.first_probe_failure);
    BOOST_TEST(log.slowest_probe_ms < 1000.0);
    if (gic::test::address_sanitizer) {
        BOOST_TEST_MESSAGE("memory bound not checked: AddressSanitizer's quarantine keeps freed memory resident");
    } else {
        BOOST_TEST(growth_kib < 4 * 1024, "the agent grew by " << growth_kib << " KiB under the flood");
    }
    // The floods were cut off (each connection can carry a few KiB), not absorbed.
    BOOST_TEST(log.flood_connections > 12);
    BOOST_TEST(log.idle_reconnects > 0, "idle connections were never closed to make room");
    // Slowloris connections end at the 5 s request deadline, however steadily they trickle.
    BOOST_TEST_REQUIRE(!log.slowloris_cut_ms.empty(), "no slowloris connection was cut off");
    for (auto const cut : log.slowloris_cut_ms) {
        BOOST_TEST(cut > 4500.0);
        BOOST_TEST(cut < 6500.0);
    }
    // Still serving normally afterwards.
    BOOST_TEST(http_request("GET", "http://127.0.0.1:" + std::to_string(ports.health) + "/healthz").status == 200);
}

BOOST_AUTO_TEST_CASE(sigterm_with_the_api_black_holed_exits_within_a_second) {
    Sandbox sb;
    auto agent = start_leader(sb);
    black_hole_the_api(sb);
    auto const signalled = Clock::now();
    agent->signal(SIGTERM);
    auto const rc = agent->wait(30s);  // long enough to measure a slow exit, not only to fail it
    auto const took = Clock::now() - signalled;
    BOOST_TEST_MESSAGE("SIGTERM with the API black-holed: exit after " << ms_of(took) << " ms");
    BOOST_TEST_REQUIRE(rc.has_value(), agent->log());
    BOOST_TEST(*rc == 0, "exit code " << *rc << "\n" << agent->log());
    BOOST_TEST((took < 1s), "exit took " << ms_of(took) << " ms\n" << agent->log());
    auto const log = agent->log();
    BOOST_TEST(log.find("releasing the Lease timed out") != std::string::npos, log);
    std::smatch dropped;
    BOOST_TEST_REQUIRE(std::regex_search(log, dropped, std::regex(R"(events dropped at shutdown.* dropped=(\d+))")), log);
    BOOST_TEST(std::stoi(dropped[1]) >= 1);  // at least "stopped leading"
}

BOOST_AUTO_TEST_CASE(a_second_signal_exits_at_once) {
    Sandbox sb;
    auto agent = start_leader(sb);
    black_hole_the_api(sb);
    auto const first = Clock::now();
    agent->signal(SIGTERM);
    // The graceful stop now waits for the Lease release (400 ms at most).
    std::this_thread::sleep_for(100ms);
    auto const second = Clock::now();
    agent->signal(SIGTERM);
    auto const rc = agent->wait(30s);
    auto const now = Clock::now();
    BOOST_TEST_MESSAGE("second SIGTERM: exit " << ms_of(now - second) << " ms after it, " << ms_of(now - first)
                                               << " ms after the first");
    BOOST_TEST_REQUIRE(rc.has_value(), agent->log());
    BOOST_TEST(*rc == 0, agent->log());  // as for a normal stop
    BOOST_TEST((now - second < 250ms), "exit took " << ms_of(now - second) << " ms after the second signal");
    BOOST_TEST(agent->log().find("second signal: exiting at once") != std::string::npos, agent->log());
    BOOST_TEST(agent->log().find("releasing the Lease timed out") == std::string::npos, agent->log());
}

BOOST_AUTO_TEST_SUITE_END()
