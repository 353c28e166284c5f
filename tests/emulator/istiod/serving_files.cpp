#include "serving_files.hpp"

#include <filesystem>
#include <stdexcept>
#include <system_error>

namespace gic::emu::istiod {
namespace fs = std::filesystem;

ServingFiles::ServingFiles(std::string state_dir) : state_dir_(std::move(state_dir)) {}

void ServingFiles::issue(CaState const& ca, std::shared_ptr<CaSnapshot const> const& snapshot) {
    auto serving = ca.issue_serving_cert(snapshot);
    std::string name = "serving-" + std::to_string(++generation_);
    fs::path dir = fs::path(state_dir_) / name;
    fs::remove_all(dir);
    fs::create_directories(dir);
    write_file_atomic((dir / "key.pem").string(), serving.key.to_pkcs8_pem(), 0600);
    write_file_atomic((dir / "cert.pem").string(), CaState::serving_chain_pem(serving, *snapshot->active), 0644);

    fs::path link = fs::path(state_dir_) / "serving";
    fs::path tmp = fs::path(state_dir_) / "serving.tmp";
    fs::remove(tmp);
    fs::create_directory_symlink(name, tmp);
    std::error_code ec;
    fs::rename(tmp, link, ec);  // rename(2) replaces a symlink atomically
    if (ec) throw std::runtime_error("switching " + link.string() + ": " + ec.message());
    if (generation_ > 2) fs::remove_all(fs::path(state_dir_) / ("serving-" + std::to_string(generation_ - 2)));
}

}  // namespace gic::emu::istiod
