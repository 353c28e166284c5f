#include "kube/pem_check.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include <fcntl.h>
#include <unistd.h>

namespace gic::kube {

namespace {

struct BioFree {
    void operator()(BIO* b) const { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;

BioPtr memory_bio(std::string_view pem) { return BioPtr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()))); }

}  // namespace

Result<std::shared_ptr<ParsedCertificates const>> parse_certificates_pem(std::string_view pem) {
    if (pem.find("-----BEGIN CERTIFICATE-----") == std::string_view::npos) {
        return make_error("no PEM certificate found");
    }
    auto bio = memory_bio(pem);
    auto parsed = std::make_shared<ParsedCertificates>();
    for (;;) {
        ERR_clear_error();
        X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
        if (!cert) break;
        parsed->certs.emplace_back(cert, X509_free);
    }
    unsigned long const err = ERR_peek_last_error();
    ERR_clear_error();
    // Reading stops with PEM_R_NO_START_LINE at the end of the input; anything else is a bad block.
    if (err != 0 && !(ERR_GET_LIB(err) == ERR_LIB_PEM && ERR_GET_REASON(err) == PEM_R_NO_START_LINE)) {
        return make_error("PEM certificate #" + std::to_string(parsed->certs.size() + 1) + " does not parse");
    }
    if (parsed->certs.empty()) return make_error("no PEM certificate found");
    parsed->pem = std::string(pem);
    return std::shared_ptr<ParsedCertificates const>(std::move(parsed));
}

Result<void> check_certificates_pem(std::string_view pem) {
    auto parsed = parse_certificates_pem(pem);
    if (!parsed) return parsed.error();
    return {};
}

Result<void> check_private_key_pem(std::string_view pem) {
    auto bio = memory_bio(pem);
    ERR_clear_error();
    EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
    ERR_clear_error();
    if (!key) return make_error("no parsable PEM private key found");
    EVP_PKEY_free(key);
    return {};
}

Result<std::string> read_whole_file(std::string const& path) {
    int const fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return make_error(std::strerror(errno));
    std::string content;
    char chunk[8192];
    for (;;) {
        ssize_t const n = ::read(fd, chunk, sizeof chunk);
        if (n < 0) {
            if (errno == EINTR) continue;
            int const saved = errno;
            ::close(fd);
            return make_error(std::strerror(saved));
        }
        if (n == 0) break;
        content.append(chunk, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return content;
}

std::string trim_whitespace(std::string_view text) {
    auto const is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; };
    while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
    while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
    return std::string(text);
}

}  // namespace gic::kube
