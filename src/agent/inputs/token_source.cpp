#include "agent/inputs/token_source.hpp"

#include "agent/inputs/mounted_files.hpp"

namespace gic::agent {

Result<std::string> FileTokenSource::token() { return read_token_file(path_, "Istio token (--istio-token-path)"); }

}  // namespace gic::agent
