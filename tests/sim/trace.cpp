#include "trace.hpp"

#include <algorithm>
#include <cstdio>
#include <ostream>

namespace gic::sim {

std::string Trace::elapsed() const {
    auto const ms = std::chrono::duration_cast<std::chrono::milliseconds>(time_.now() - testing::VirtualTime::start).count();
    char text[32];
    std::snprintf(text, sizeof text, "+%lld.%03llds", static_cast<long long>(ms / 1000), static_cast<long long>(ms % 1000));
    return text;
}

void Trace::add(std::string const& line) {
    std::string full = "t=" + elapsed() + " " + line;
    for (unsigned char c : full) {
        hash_ ^= c;
        hash_ *= 1099511628211ull;
    }
    hash_ ^= '\n';
    hash_ *= 1099511628211ull;
    ++lines_;
    if (echo_ != nullptr) *echo_ << full << '\n';
    ring_.push_back(std::move(full));
    if (ring_.size() > capacity_) ring_.pop_front();
}

void Trace::print(std::ostream& out, std::size_t lines) const {
    auto const shown = std::min(lines, ring_.size());
    if (lines_ > shown) out << "  ... " << (lines_ - shown) << " earlier lines\n";
    for (auto it = ring_.end() - static_cast<std::ptrdiff_t>(shown); it != ring_.end(); ++it) out << "  " << *it << '\n';
}

}  // namespace gic::sim
