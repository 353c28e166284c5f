#include "agent/output_dir.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace gic::agent {
namespace {

Result<void> write_atomic(std::string const& dir, std::string const& name, std::string const& content, mode_t mode) {
    auto path = dir + "/" + name;
    auto tmp = dir + "/." + name + ".tmp";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) return make_error("cannot write " + tmp, std::strerror(errno));
    // open() honours the umask; the key must be exactly 0600 whatever it is.
    ::fchmod(fd, mode);
    std::size_t written = 0;
    while (written < content.size()) {
        auto n = ::write(fd, content.data() + written, content.size() - written);
        if (n < 0) {
            if (errno == EINTR) continue;
            auto err = std::strerror(errno);
            ::close(fd);
            ::unlink(tmp.c_str());
            return make_error("cannot write " + tmp, err);
        }
        written += std::size_t(n);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
        ::unlink(tmp.c_str());
        return make_error("cannot write " + tmp, std::strerror(errno));
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        auto err = std::strerror(errno);
        ::unlink(tmp.c_str());
        return make_error("cannot replace " + path, err);
    }
    return {};
}

std::string read_if_present(std::string const& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return {};
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace

Result<void> write_output_dir(std::string const& dir, TlsMaterial const& material) {
    std::error_code ec;
    if (!std::filesystem::exists(dir, ec)) {
        std::filesystem::create_directories(dir, ec);
        if (ec) return make_error("cannot create --output-dir " + dir, ec.message());
        ::chmod(dir.c_str(), 0700);
    } else if (!std::filesystem::is_directory(dir, ec)) {
        return make_error("--output-dir " + dir + " is not a directory");
    }
    // ca.crt first: roots a new chain needs are trusted before the chain is presented. Then the
    // key: a reader pairing tls.crt with tls.key sees the old pair or, for the moment between the
    // renames, the new key with the old certificate, which fails loudly rather than silently
    // (Envoy rejects a mismatched pair and keeps the previous one). tls.crt last, so once it
    // exists the other two do.
    if (auto r = write_atomic(dir, "ca.crt", material.roots_pem, 0644); !r) return r;
    if (auto r = write_atomic(dir, "tls.key", material.key_pem, 0600); !r) return r;
    if (auto r = write_atomic(dir, "tls.crt", material.chain_pem, 0644); !r) return r;
    return {};
}

Result<TlsMaterial> read_output_dir(std::string const& dir) {
    return TlsMaterial{read_if_present(dir + "/tls.crt"), read_if_present(dir + "/tls.key"),
                       read_if_present(dir + "/ca.crt")};
}

}  // namespace gic::agent
