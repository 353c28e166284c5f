#pragma once
// istiod's serving certificate on disk, where gRPC's FileWatcherCertificateProvider reads it.
// Each issue goes to a fresh directory DIR/serving-N/{key.pem,cert.pem}; the symlink DIR/serving
// is then renamed over atomically, so the provider never sees a key from one issue with a
// certificate from another.

#include "ca_state.hpp"

#include <string>

namespace gic::emu::istiod {

class ServingFiles {
public:
    explicit ServingFiles(std::string state_dir);

    // Issues a serving certificate from the snapshot's active signer and switches the link.
    void issue(CaState const& ca, std::shared_ptr<CaSnapshot const> const& snapshot);

    std::string key_path() const { return state_dir_ + "/serving/key.pem"; }
    std::string cert_path() const { return state_dir_ + "/serving/cert.pem"; }
    // How often gRPC re-reads the files (seconds), and so how long a switch takes to be served.
    static constexpr unsigned refresh_interval_seconds = 1;

private:
    std::string state_dir_;
    int generation_ = 0;
};

}  // namespace gic::emu::istiod
