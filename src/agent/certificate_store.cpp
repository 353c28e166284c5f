#include "agent/certificate_store.hpp"

#include "agent/output_dir.hpp"

namespace gic::agent {

boost::asio::awaitable<Result<std::optional<TlsMaterial>>> SecretStore::read() {
    co_return co_await read_tls_secret(client_, target_, &seen_);
}

boost::asio::awaitable<Result<WriteOutcome>> SecretStore::write(KeyedChain const& issued, SecretWriteContext const& context) {
    co_return co_await write_tls_secret(client_, target_, issued, context, &seen_);
}

boost::asio::awaitable<Result<std::optional<TlsMaterial>>> DirectoryStore::read() {
    auto material = read_output_dir(directory_);
    if (!material) co_return material.error();
    if (material->chain_pem.empty() && material->key_pem.empty() && material->roots_pem.empty())
        co_return std::optional<TlsMaterial>{};
    co_return std::optional<TlsMaterial>(std::move(*material));
}

boost::asio::awaitable<Result<WriteOutcome>> DirectoryStore::write(KeyedChain const& issued, SecretWriteContext const& context) {
    // Files have no resourceVersion, but the rule is the same: never go back to an older certificate.
    if (auto stored = read_output_dir(directory_); stored && !stored->chain_pem.empty()) {
        if (auto parsed = parse_tls_material(*stored);
            parsed && stored_is_newer(*parsed, issued, context.spiffe_id, context.trusted_roots, std::chrono::system_clock::now()))
            co_return WriteOutcome::kept_newer;
    }
    bool existed = !read_output_dir(directory_)->chain_pem.empty();
    auto written = write_output_dir(directory_, issued.material());
    if (!written) co_return written.error();
    co_return existed ? WriteOutcome::updated : WriteOutcome::created;
}

}  // namespace gic::agent
