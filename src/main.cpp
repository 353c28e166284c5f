// gen-istio-cert: keeps an Istio workload certificate in a Kubernetes Secret.
// One io_context, one thread of ours; everything else is a coroutine on it.

#include "agent/setup/options.hpp"
#include "agent/run_continuous.hpp"
#include "agent/run_once.hpp"
#include "build_info.hpp"
#include "observe/grpc_log.hpp"
#include "observe/log.hpp"
#include "util/error.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <csignal>
#include <cstdlib>
#include <iostream>

namespace {

int fail(int code, std::string const& message) {
    std::cerr << "gen-istio-cert: " << message << "\n";
    return code;
}

constexpr char interrupted_once_message[] = "interrupted before the certificate was written";

// A signal is the normal way to stop the sidecar (0); for --once it means nothing was written (1).
int stopped_exit_code(bool once) { return once ? 1 : 0; }

}  // namespace

int main(int argc, char* argv[]) {
    using namespace gic;
    agent::ParsedCommandLine parsed;
    try {
        parsed = agent::parse_command_line(argc, argv);
    } catch (ConfigError const& e) {
        return fail(2, e.what());
    }
    if (parsed.action == agent::Action::help) {
        std::cout << agent::help_text();
        return 0;
    }
    if (parsed.action == agent::Action::version) {
        std::cout << "gen-istio-cert " << GIC_VERSION << "\n";
        return 0;
    }
    auto const& options = parsed.options;
    observe::Level level{};
    observe::parse_level(options.log_level, level);
    observe::init_logging(level, options.log_format == agent::LogFormat::json ? observe::Format::json
                                                                              : observe::Format::text);
    observe::route_grpc_logs(level);

    boost::asio::io_context io(1);
    boost::asio::cancellation_signal stop;
    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    bool interrupted = false;
    // The first signal stops the work gracefully (bounded: the Lease release and queued Events have
    // deadlines); a second one exits at once, with the exit code of a normal stop.
    auto on_second_signal = [&](boost::system::error_code ec, int signal_number) {
        if (ec) return;
        observe::log_warning("agent", "second signal: exiting at once", {{"signal", std::to_string(signal_number)}});
        if (options.once) fail(stopped_exit_code(true), interrupted_once_message);
        std::_Exit(stopped_exit_code(options.once));
    };
    signals.async_wait([&](boost::system::error_code ec, int) {
        if (ec) return;
        interrupted = true;
        stop.emit(boost::asio::cancellation_type::terminal);
        signals.async_wait(on_second_signal);
    });

    int exit_code = 1;
    std::string config_error;
    auto on_exit = [&](std::exception_ptr e, int rc) {
        signals.cancel();
        if (!e) {
            exit_code = rc;
            return;
        }
        try {
            std::rethrow_exception(e);
        } catch (ConfigError const& ce) {
            config_error = ce.what();
            exit_code = 2;
        } catch (std::exception const& ex) {
            exit_code = 1;
            if (!interrupted) std::cerr << "gen-istio-cert: " << ex.what() << "\n";
        }
    };
    if (options.once) {
        boost::asio::co_spawn(io, agent::run_once(options), boost::asio::bind_cancellation_slot(stop.slot(), on_exit));
    } else {
        boost::asio::co_spawn(io, agent::run_continuous(options, GIC_VERSION),
                              boost::asio::bind_cancellation_slot(stop.slot(), [&](std::exception_ptr e) { on_exit(e, 1); }));
    }
    io.run();
    if (!config_error.empty()) return fail(2, config_error);
    if (interrupted) {
        if (options.once) return fail(stopped_exit_code(true), interrupted_once_message);
        observe::log_info("agent", "stopped");
        return stopped_exit_code(false);
    }
    return exit_code;
}
