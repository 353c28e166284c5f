#pragma once
// A temporary directory removed with everything in it when the test ends.

#include <string>

namespace gic::test {

class TempDir {
public:
    explicit TempDir(std::string const& prefix = "gic-test");
    ~TempDir();
    TempDir(TempDir const&) = delete;
    TempDir& operator=(TempDir const&) = delete;
    std::string const& path() const { return path_; }
    std::string file(std::string const& name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

std::string read_file(std::string const& path);
void write_file(std::string const& path, std::string const& content, unsigned mode = 0644);

}  // namespace gic::test
