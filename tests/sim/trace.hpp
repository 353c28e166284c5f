#pragma once
// What happened in a simulated run, in words: "t=+12.345s r2 PUT leases/ns/name -> 409". The last
// lines are kept in a bounded ring and printed with the seed when an invariant fails; every line
// ever added feeds a hash, so two runs of one seed can be compared without keeping their text.

#include "common/virtual_clock.hpp"

#include <cstdint>
#include <deque>
#include <iosfwd>
#include <string>

namespace gic::sim {

class Trace {
public:
    explicit Trace(testing::VirtualTime const& time, std::size_t capacity = 300) : time_(time), capacity_(capacity) {}

    void add(std::string const& line);
    // Prints every line as it is added (replaying one seed with --trace).
    void set_echo(std::ostream* out) { echo_ = out; }

    // FNV-1a over every line added so far, in order.
    std::uint64_t hash() const { return hash_; }
    std::uint64_t lines() const { return lines_; }
    // The last `lines` lines kept.
    void print(std::ostream& out, std::size_t lines = 60) const;

    // "+12.345s" since the start of the run.
    std::string elapsed() const;

private:
    testing::VirtualTime const& time_;
    std::size_t capacity_;
    std::deque<std::string> ring_;
    std::uint64_t hash_ = 1469598103934665603ull;
    std::uint64_t lines_ = 0;
    std::ostream* echo_ = nullptr;
};

}  // namespace gic::sim
