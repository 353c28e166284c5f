#pragma once
// Gives back what start-up needed once the agent has nothing to do for a while (after each
// certificate check, until the next renewal): free heap pages go back to the kernel, and this
// process stops mapping the code it ran to start (gRPC, OpenSSL and protobuf initialisation,
// option parsing, the first issue). Code pages stay in the page cache; the few the idle agent runs
// fault back in cheaply, the rest no longer count in its resident set. Best effort: errors are
// ignored, nothing observable changes but memory figures.

#include <cstddef>

namespace gic::util {

// Returns the number of bytes of code mappings released (0 when /proc is not readable).
std::size_t release_idle_memory();

}  // namespace gic::util
