#include "observe/log.hpp"

#include "util/time_format.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <boost/log/attributes/value_extraction.hpp>
#include <boost/log/core.hpp>
#include <boost/log/expressions.hpp>
#include <boost/log/sinks/sync_frontend.hpp>
#include <boost/log/sinks/text_ostream_backend.hpp>
#include <boost/log/sources/logger.hpp>  // logger_mt
#include <boost/log/sources/record_ostream.hpp>
#include <boost/core/null_deleter.hpp>

#include <atomic>
#include <chrono>
#include <iostream>

namespace gic::observe {
namespace {

namespace blog = boost::log;

// log() is called from gRPC's threads too (grpc_log.cpp): everything it reads is atomic or
// internally locked.
std::atomic<Level> g_level{Level::info};
std::atomic<Format> g_format{Format::text};

std::string_view level_name(Level l) {
    switch (l) {
        case Level::debug: return "debug";
        case Level::info: return "info";
        case Level::warning: return "warning";
        case Level::error: return "error";
    }
    return "info";
}

std::string json_string(std::string_view s) { return boost::json::serialize(boost::json::string(s)); }

bool has_control(std::string_view v) {
    for (unsigned char c : v)
        if (c < 0x20 || c == 0x7f) return true;
    return false;
}

// Text values are quoted only when they need it, like logfmt.
std::string text_value(std::string_view v) {
    if (!v.empty() && v.find_first_of(" \"=") == std::string_view::npos && !has_control(v)) return std::string(v);
    return json_string(v);
}

// The message is free text; only control characters (a newline from a peer's error text) force quoting.
std::string text_message(std::string_view m) { return has_control(m) ? json_string(m) : std::string(m); }

// The _mt source locks around each record; the synchronous_sink frontend serialises writes to
// the stream, so that lines from several threads never interleave.
blog::sources::logger_mt& logger() {
    static blog::sources::logger_mt lg;
    return lg;
}

}  // namespace

bool parse_level(std::string_view text, Level& out) {
    for (auto l : {Level::debug, Level::info, Level::warning, Level::error})
        if (text == level_name(l)) {
            out = l;
            return true;
        }
    return false;
}

void init_logging(Level level, Format format) { init_logging(level, format, std::clog); }

void init_logging(Level level, Format format, std::ostream& out) {
    using backend_t = blog::sinks::text_ostream_backend;
    auto backend = boost::make_shared<backend_t>();
    backend->add_stream(boost::shared_ptr<std::ostream>(&out, boost::null_deleter()));
    backend->auto_flush(true);
    auto sink = boost::make_shared<blog::sinks::synchronous_sink<backend_t>>(backend);
    sink->set_formatter(blog::expressions::stream << blog::expressions::smessage);
    blog::core::get()->remove_all_sinks();
    blog::core::get()->add_sink(sink);
    g_level = level;
    g_format = format;
}

std::string format_line(Format format, std::string_view time, Level level, std::string_view component,
                        std::string_view message, std::initializer_list<Field> fields) {
    std::string line;
    if (format == Format::json) {
        line = "{\"time\":" + json_string(time) + ",\"level\":" + json_string(level_name(level)) +
               ",\"component\":" + json_string(component) + ",\"msg\":" + json_string(message);
        for (auto const& [k, v] : fields) line += "," + json_string(k) + ":" + json_string(v);
        line += "}";
    } else {
        line = std::string(time) + " " + std::string(level_name(level)) + " " + std::string(component) + ": " +
               text_message(message);
        for (auto const& [k, v] : fields) line += " " + std::string(k) + "=" + text_value(v);
    }
    return line;
}

void log(Level level, std::string_view component, std::string_view message, std::initializer_list<Field> fields) {
    if (level < g_level.load(std::memory_order_relaxed)) return;
    auto const now = util::format_rfc3339_micro(std::chrono::system_clock::now());
    BOOST_LOG(logger()) << format_line(g_format.load(std::memory_order_relaxed), now, level, component, message,
                                       fields);
}

}  // namespace gic::observe
