#include "agent/inputs/mounted_files.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace gic::agent {

Result<std::string> read_text_file(std::string const& path, std::string const& what) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return make_error("cannot read " + what + " " + path, std::strerror(errno));
    std::ostringstream ss;
    ss << in.rdbuf();
    if (in.bad()) return make_error("cannot read " + what + " " + path, std::strerror(errno));
    return ss.str();
}

Result<std::string> read_token_file(std::string const& path, std::string const& what) {
    auto text = read_text_file(path, what);
    if (!text) return text.error();
    auto const whitespace = " \t\r\n";
    auto first = text->find_first_not_of(whitespace);
    if (first == std::string::npos) return make_error(what + " " + path + " is empty");
    auto last = text->find_last_not_of(whitespace);
    return text->substr(first, last - first + 1);
}

Result<RootBundle> read_root_bundle(std::string const& path) {
    auto text = read_text_file(path, "root certificate file (--root-cert-path)");
    if (!text) return text.error();
    if (text->find_first_not_of(" \t\r\n") == std::string::npos)
        return make_error("root certificate file (--root-cert-path) " + path + " is empty");
    auto certs = pki::parse_pem_bundle(*text);
    if (!certs) return make_error("root certificate file (--root-cert-path) " + path, certs.error().message);
    return RootBundle{std::move(*text), std::move(*certs)};
}

}  // namespace gic::agent
