#include "common/token_signing_key.hpp"

#include "common/temp_dir.hpp"

#include "pki/key.hpp"

namespace gic::test {

std::string const& token_signing_key_file() {
    // RSA, as kube-apiserver's keys usually are: the tokens stay RS256 like the emulator's own.
    static TempDir const dir("gic-token-key");
    static std::string const path = [] {
        auto const file = dir.file("sa-signing.key");
        write_file(file, pki::PrivateKey::generate(pki::KeyAlgorithm::rsa2048).to_pkcs8_pem(), 0600);
        return file;
    }();
    return path;
}

}  // namespace gic::test
