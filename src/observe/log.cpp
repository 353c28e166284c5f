#include "observe/log.hpp"

#include "util/time_format.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <boost/log/attributes/value_extraction.hpp>
#include <boost/log/core.hpp>
#include <boost/log/expressions.hpp>
#include <boost/log/sinks/sync_frontend.hpp>
#include <boost/log/sinks/text_ostream_backend.hpp>
#include <boost/log/sources/logger.hpp>
#include <boost/log/sources/record_ostream.hpp>
#include <boost/core/null_deleter.hpp>

#include <chrono>
#include <iostream>

namespace gic::observe {
namespace {

namespace blog = boost::log;

Level g_level = Level::info;
Format g_format = Format::text;

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

// Text values are quoted only when they need it, like logfmt.
std::string text_value(std::string const& v) {
    if (!v.empty() && v.find_first_of(" \"=\t\n") == std::string::npos) return v;
    return json_string(v);
}

blog::sources::logger& logger() {
    static blog::sources::logger lg;
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

void init_logging(Level level, Format format) {
    g_level = level;
    g_format = format;
    using backend_t = blog::sinks::text_ostream_backend;
    auto backend = boost::make_shared<backend_t>();
    backend->add_stream(boost::shared_ptr<std::ostream>(&std::clog, boost::null_deleter()));
    backend->auto_flush(true);
    auto sink = boost::make_shared<blog::sinks::synchronous_sink<backend_t>>(backend);
    sink->set_formatter(blog::expressions::stream << blog::expressions::smessage);
    blog::core::get()->remove_all_sinks();
    blog::core::get()->add_sink(sink);
}

void log(Level level, std::string_view component, std::string_view message, std::initializer_list<Field> fields) {
    if (level < g_level) return;
    auto now = util::format_rfc3339_micro(std::chrono::system_clock::now());
    std::string line;
    if (g_format == Format::json) {
        line = "{\"time\":" + json_string(now) + ",\"level\":" + json_string(level_name(level)) +
               ",\"component\":" + json_string(component) + ",\"msg\":" + json_string(message);
        for (auto const& [k, v] : fields) line += "," + json_string(k) + ":" + json_string(v);
        line += "}";
    } else {
        line = now + " " + std::string(level_name(level)) + " " + std::string(component) + ": " + std::string(message);
        for (auto const& [k, v] : fields) line += " " + std::string(k) + "=" + text_value(v);
    }
    BOOST_LOG(logger()) << line;
}

}  // namespace gic::observe
