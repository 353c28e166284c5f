// Precompiled header of the targets built on Asio, Beast and Boost.JSON (meson cpp_pch, see
// meson.build "Build time"). Parsing these headers took about a third of each of those
// translation units' compile time; compiled once per target, every object of the target reuses
// the result. Only headers that do not depend on a macro a source file sets may be listed here:
// the compiler includes this file before the first line of every source of the target.
#ifndef GIC_PCH_ASIO_PCH_HPP
#define GIC_PCH_ASIO_PCH_HPP

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <boost/system/result.hpp>

#endif  // GIC_PCH_ASIO_PCH_HPP
