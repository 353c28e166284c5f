#pragma once
// --output-dir: tls.crt, tls.key (mode 0600) and ca.crt written atomically (temp file, fsync,
// rename), so that a reader never sees a half-written file or a key from another certificate
// for longer than the two renames take.

#include "agent/tls_material.hpp"
#include "util/error.hpp"

#include <string>

namespace gic::agent {

// Creates `dir` (0700) when missing. The error names the file that could not be written.
Result<void> write_output_dir(std::string const& dir, TlsMaterial const& material);

// Reads back what write_output_dir wrote; missing files read as empty.
Result<TlsMaterial> read_output_dir(std::string const& dir);

}  // namespace gic::agent
