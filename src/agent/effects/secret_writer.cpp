#include "agent/effects/secret_writer.hpp"

#include "agent/effects/secret_object.hpp"
#include "observe/log.hpp"

namespace gic::agent {

kube::ResourceRef secret_ref(SecretTarget const& t) { return {"v1", "secrets", t.namespace_, t.name, ""}; }

namespace {

constexpr int max_conflict_attempts = 5;

Error api_error(SecretTarget const& t, kube::ApiError const& e) {
    return make_error("Secret " + t.display(), e.describe());
}

Error wrong_type_error(SecretTarget const& t, std::string const& type) {
    return make_error("Secret " + t.display() + " has type \"" + type + "\", not " + tls_secret_type +
                      "; a Secret's type cannot be changed, so it was left untouched: delete it or choose another "
                      "--output-secret");
}

// The Secret a GET answered with, its metadata noted in `seen`; the error names the field that
// cannot be read.
Result<kube::Secret> secret_in(SecretTarget const& t, boost::json::object const& answer, kube::ObjectMeta* seen) {
    auto secret = kube::parse_secret(answer);
    if (!secret) return wrap_error("Secret " + t.display(), secret.error());
    if (seen != nullptr) *seen = secret->metadata;
    return secret;
}

// A write took effect whatever its answer holds: `seen` follows the answer's metadata when it is
// readable, and the outcome stands either way.
void note_written(kube::ObjectMeta* seen, boost::json::object const& answer) {
    if (seen == nullptr) return;
    if (auto meta = kube::parse_object_meta(answer)) *seen = std::move(*meta);
}

}  // namespace

char const* write_outcome_name(WriteOutcome outcome) {
    switch (outcome) {
        case WriteOutcome::created: return "created";
        case WriteOutcome::updated: return "updated";
        case WriteOutcome::kept_newer: return "kept-newer";
    }
    return "";
}

boost::asio::awaitable<Result<std::optional<TlsMaterial>>> read_tls_secret(kube::Api& api,
                                                                          SecretTarget const& target, kube::ObjectMeta* seen) {
    auto got = co_await api.get(secret_ref(target));
    if (!got) {
        if (got.error().is_not_found()) co_return std::optional<TlsMaterial>{};
        co_return api_error(target, got.error());
    }
    auto secret = secret_in(target, *got, seen);
    if (!secret) co_return secret.error();
    if (auto type = secret_type(*secret); type != tls_secret_type) co_return wrong_type_error(target, type);
    auto material = read_tls_material(*secret);
    if (!material) co_return wrap_error("Secret " + target.display(), material.error());
    co_return std::optional<TlsMaterial>(std::move(*material));
}

boost::asio::awaitable<Result<WriteOutcome>> write_tls_secret(kube::Api& api, util::Clock& clock, SecretTarget const& target,
                                                              KeyedChain const& issued, SecretWriteContext const& context,
                                                              kube::ObjectMeta* seen,
                                                              std::optional<kube::ApiResult<boost::json::object>> read_ahead) {
    // Only an answer that settles what is stored saves the GET; a failed one is not repeated as ours.
    if (read_ahead && !*read_ahead && !read_ahead->error().is_not_found()) read_ahead.reset();
    auto const material = issued.material();
    auto const annotations = describe_annotations(issued, context.spiffe_id, context.writer);
    auto const ref = secret_ref(target);

    for (int attempt = 1; attempt <= max_conflict_attempts; ++attempt) {
        kube::ApiResult<boost::json::object> got = kube::ApiError{};
        if (read_ahead) {
            got = std::move(*read_ahead);
            read_ahead.reset();
        } else {
            auto reading = api.get(ref);
            got = co_await std::move(reading);
        }
        if (!got && got.error().is_not_found()) {
            auto const fresh = make_tls_secret(target.namespace_, target.name, material, annotations);
            auto created = co_await api.create(ref, kube::to_json(fresh));
            if (created) {
                note_written(seen, *created);
                co_return WriteOutcome::created;
            }
            if (created.error().is_already_exists()) {
                observe::log_info("secret", "Secret appeared while creating it; re-reading", {{"secret", target.display()}});
                continue;
            }
            co_return api_error(target, created.error());
        }
        if (!got) co_return api_error(target, got.error());

        auto read = secret_in(target, *got, seen);
        if (!read) co_return read.error();
        auto& secret = *read;
        if (auto type = secret_type(secret); type != tls_secret_type) co_return wrong_type_error(target, type);

        // Another writer may have renewed since we issued: never replace a newer valid certificate.
        if (auto stored_material = read_tls_material(secret);
            stored_material && stored_material_is_newer(*stored_material, issued, context.spiffe_id,
                                                        context.trusted_roots, clock.wall_now()))
            co_return WriteOutcome::kept_newer;

        apply_tls_material(secret, material, annotations);
        // The object as read with our fields set: a PUT replaces it whole, so nothing else changes.
        auto updated = co_await api.update(ref, kube::to_json(secret));
        if (updated) {
            note_written(seen, *updated);
            co_return WriteOutcome::updated;
        }
        if (updated.error().is_conflict()) {
            observe::log_info("secret", "Secret changed since it was read; re-reading",
                              {{"secret", target.display()}, {"attempt", std::to_string(attempt)}});
            continue;
        }
        co_return api_error(target, updated.error());
    }
    co_return make_error("Secret " + target.display(), "gave up after " + std::to_string(max_conflict_attempts) +
                                                           " conflicting updates (another writer keeps changing it)");
}

}  // namespace gic::agent
