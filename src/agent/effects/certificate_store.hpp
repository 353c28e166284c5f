#pragma once
// Where the certificate lives: the output Secret, or --output-dir. The Rotator and --once talk to
// this interface only.

#include "agent/effects/output_dir.hpp"
#include "agent/effects/secret_writer.hpp"
#include "agent/decisions/tls_material.hpp"
#include "kube/api.hpp"
#include "kube/object_meta.hpp"
#include "util/clock.hpp"
#include "util/error.hpp"

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>

namespace gic::agent {

class CertificateStore {
public:
    virtual ~CertificateStore() = default;
    // What is stored now; nullopt when nothing is (no Secret, or no files).
    virtual boost::asio::awaitable<Result<std::optional<TlsMaterial>>> read() = 0;
    // Writes `issued` unless a newer valid certificate is already stored.
    virtual boost::asio::awaitable<Result<WriteOutcome>> write(KeyedChain const& issued, SecretWriteContext const& context) = 0;
    // "Secret ns/name" or "directory /path", for logs and summaries.
    virtual std::string describe() const = 0;
};

class SecretStore final : public CertificateStore {
public:
    // `clock`: the wall time at which a stored certificate is judged newer and valid.
    SecretStore(kube::Api& api, SecretTarget target, util::Clock& clock)
        : api_(api), target_(std::move(target)), clock_(clock) {}
    boost::asio::awaitable<Result<std::optional<TlsMaterial>>> read() override;
    boost::asio::awaitable<Result<WriteOutcome>> write(KeyedChain const& issued, SecretWriteContext const& context) override;
    std::string describe() const override { return "Secret " + target_.display(); }

    SecretTarget const& target() const { return target_; }
    // GETs the Secret now and keeps the answer: the next write() starts from it instead of reading
    // again (write_tls_secret's `read_ahead`). --once runs it while the certificate is issued.
    boost::asio::awaitable<void> read_ahead();
    // The Secret's metadata (uid, resourceVersion) from the latest read or write (empty before the first).
    kube::ObjectMeta const& last_seen() const { return seen_; }

private:
    kube::Api& api_;
    SecretTarget target_;
    util::Clock& clock_;
    kube::ObjectMeta seen_;
    std::optional<kube::ApiResult<boost::json::object>> read_ahead_;
};

class DirectoryStore final : public CertificateStore {
public:
    // Opens --output-dir and locks it for this object's life (see OutputDirectory::open). Throws
    // gic::ConfigError (exit 2) when the directory is unsafe or another agent holds it. `clock`: the
    // wall time at which a stored certificate is judged newer, and the timestamp naming each set written.
    DirectoryStore(std::string const& directory, util::Clock& clock);
    boost::asio::awaitable<Result<std::optional<TlsMaterial>>> read() override;
    boost::asio::awaitable<Result<WriteOutcome>> write(KeyedChain const& issued, SecretWriteContext const& context) override;
    std::string describe() const override { return "directory " + directory_.path(); }

private:
    OutputDirectory directory_;
    util::Clock& clock_;
};

}  // namespace gic::agent
