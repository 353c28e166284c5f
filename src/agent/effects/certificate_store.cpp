#include "agent/effects/certificate_store.hpp"

#include <utility>

namespace gic::agent {

boost::asio::awaitable<Result<std::optional<TlsMaterial>>> SecretStore::read() {
    co_return co_await read_tls_secret(api_, target_, &seen_);
}

boost::asio::awaitable<void> SecretStore::read_ahead() {
    auto const ref = secret_ref(target_);  // named: the call keeps a reference to it while suspended
    read_ahead_ = co_await api_.get(ref);
}

boost::asio::awaitable<Result<WriteOutcome>> SecretStore::write(KeyedChain const& issued, SecretWriteContext const& context) {
    auto read_ahead = std::exchange(read_ahead_, std::nullopt);
    co_return co_await write_tls_secret(api_, clock_, target_, issued, context, &seen_, std::move(read_ahead));
}

namespace {

OutputDirectory open_output_directory(std::string const& directory) {
    auto opened = OutputDirectory::open(directory);
    if (!opened) throw ConfigError(opened.error().message);
    return std::move(*opened);
}

}  // namespace

DirectoryStore::DirectoryStore(std::string const& directory, util::Clock& clock)
    : directory_(open_output_directory(directory)), clock_(clock) {}

// The directory is local: its blocking syscalls are short and run on the loop (output_dir.hpp).
boost::asio::awaitable<Result<std::optional<TlsMaterial>>> DirectoryStore::read() { co_return directory_.read(); }

boost::asio::awaitable<Result<WriteOutcome>> DirectoryStore::write(KeyedChain const& issued, SecretWriteContext const& context) {
    auto stored = directory_.read();
    if (!stored) co_return stored.error();
    bool const existed = *stored && !(*stored)->chain_pem.empty();
    // Files have no resourceVersion, but the rule is the same: never go back to an older certificate.
    auto const now = clock_.wall_now();
    if (existed) {
        if (stored_material_is_newer(**stored, issued, context.spiffe_id, context.trusted_roots, now))
            co_return WriteOutcome::kept_newer;
    }
    auto written = directory_.write(issued.material(), now);
    if (!written) co_return written.error();
    co_return existed ? WriteOutcome::updated : WriteOutcome::created;
}

}  // namespace gic::agent
