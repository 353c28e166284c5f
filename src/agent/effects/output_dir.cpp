#include "agent/effects/output_dir.hpp"

#include "agent/decisions/output_dir_layout.hpp"
#include "observe/log.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>
#include <vector>

namespace gic::agent {
namespace layout = output_layout;
namespace {

// A certificate chain or key is a few kilobytes; anything larger is not ours.
constexpr std::size_t max_file_size = std::size_t{1} << 20;
// Timestamped names taken already (by a planted entry or a write in the same nanosecond).
constexpr int max_name_attempts = 16;
// Leftovers removed per write; more (planted) ones wait for the next write.
constexpr std::size_t max_leftovers_per_write = 64;
// A timestamped directory holds our three files; one holding more was not written by us.
constexpr std::size_t max_entries_in_set = 8;
// Our link targets are "..data/tls.key" or a timestamped name.
constexpr std::size_t max_link_target = 128;

Error sys_error(std::string what, int error_number) { return make_error(std::move(what), std::strerror(error_number)); }

// Errors that mean "nothing of ours is there", as opposed to an I/O failure.
bool is_absent(int error_number) {
    return error_number == ENOENT || error_number == ELOOP || error_number == ENOTDIR || error_number == EACCES ||
           error_number == ENXIO || error_number == EISDIR;
}

// What is at `name` in `dir`, without following a symlink.
struct Entry {
    bool exists = false;
    bool is_symlink = false;
    bool is_directory = false;
    std::string link_target;  // for a symlink
};

Result<Entry> look_at(int dir, std::string const& name, std::string const& shown) {
    struct stat st {};
    if (::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        int const e = errno;
        if (e == ENOENT) return Entry{};
        return sys_error("cannot inspect " + shown, e);
    }
    Entry entry{true, S_ISLNK(st.st_mode), S_ISDIR(st.st_mode), {}};
    if (entry.is_symlink) {
        std::array<char, max_link_target> target{};
        auto const n = ::readlinkat(dir, name.c_str(), target.data(), target.size());
        if (n < 0) {
            int const e = errno;
            if (e == ENOENT || e == EINVAL) return Entry{};  // gone or replaced meanwhile
            return sys_error("cannot read the link " + shown, e);
        }
        // A target filling the buffer may be truncated; it then matches none of ours, as it should.
        entry.link_target.assign(target.data(), static_cast<std::size_t>(n));
    }
    return entry;
}

// A regular file of ours at `name`, opened without following a link; nullopt when there is none
// (absent, a symlink, a FIFO, another user's). Over max_file_size it reads as "".
Result<std::optional<std::string>> read_regular(int dir, std::string const& name, std::string const& shown) {
    // O_NONBLOCK: a FIFO planted under the name must not block the loop.
    OwnedFd fd(::openat(dir, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
    if (!fd) {
        int const e = errno;
        if (is_absent(e)) return std::optional<std::string>{};
        return sys_error("cannot read " + shown, e);
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return sys_error("cannot read " + shown, errno);
    if (!S_ISREG(st.st_mode) || st.st_uid != ::geteuid()) return std::optional<std::string>{};
    if (static_cast<std::uint64_t>(st.st_size) > max_file_size) return std::optional<std::string>(std::string());
    std::string content;
    std::array<char, 16384> buffer{};
    for (;;) {
        auto const n = ::read(fd.get(), buffer.data(), buffer.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return sys_error("cannot read " + shown, errno);
        }
        if (n == 0) break;
        content.append(buffer.data(), static_cast<std::size_t>(n));
        // The file grew after fstat; it is not ours.
        if (content.size() > max_file_size) return std::optional<std::string>(std::string());
    }
    return std::optional<std::string>(std::move(content));
}

// The timestamped directory ..data points to, when it points to one.
Result<std::optional<std::string>> data_target(int dir, std::string const& path) {
    auto entry = look_at(dir, std::string(layout::data_link), path + "/" + std::string(layout::data_link));
    if (!entry) return entry.error();
    if (!entry->is_symlink || !layout::is_timestamp_dir_name(entry->link_target)) return std::optional<std::string>{};
    return std::optional<std::string>(entry->link_target);
}

// Opens the timestamped directory `name` if it is a directory of ours.
Result<OwnedFd> open_set_dir(int dir, std::string const& name, std::string const& shown) {
    OwnedFd fd(::openat(dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) {
        int const e = errno;
        if (is_absent(e)) return OwnedFd{};
        return sys_error("cannot open " + shown, e);
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return sys_error("cannot open " + shown, errno);
    if (!S_ISDIR(st.st_mode) || st.st_uid != ::geteuid()) return OwnedFd{};
    return fd;
}

// The three files of a set in `dir` (a timestamped directory, or the output directory itself for
// the plain files of older versions); nullopt when none is there.
Result<std::optional<TlsMaterial>> read_files(int dir, std::string const& shown) {
    std::array<std::string, 3> content;  // in visible_names order
    bool any = false;
    for (std::size_t i = 0; i < layout::visible_names.size(); ++i) {
        std::string const name(layout::visible_names[i]);
        auto file = read_regular(dir, name, shown + "/" + name);
        if (!file) return file.error();
        any = any || file->has_value();
        content[i] = file->value_or(std::string());
    }
    if (!any) return std::optional<TlsMaterial>{};
    static_assert(layout::visible_names[0] == "ca.crt" && layout::visible_names[2] == "tls.crt");
    return std::optional<TlsMaterial>(TlsMaterial{content[2], content[1], content[0]});
}

Result<std::optional<TlsMaterial>> read_set(int dir, std::string const& name, std::string const& shown) {
    auto set = open_set_dir(dir, name, shown);
    if (!set) return set.error();
    if (!*set) return std::optional<TlsMaterial>{};
    return read_files(set->get(), shown);
}

Result<void> write_new_file(int dir, std::string const& name, std::string const& content, mode_t mode,
                            std::string const& shown) {
    OwnedFd fd(::openat(dir, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
    if (!fd) return sys_error("cannot create " + shown, errno);
    // openat honours the umask; the key must be exactly 0600 whatever it is.
    if (::fchmod(fd.get(), mode) != 0) return sys_error("cannot set the mode of " + shown, errno);
    std::size_t written = 0;
    while (written < content.size()) {
        auto const n = ::write(fd.get(), content.data() + written, content.size() - written);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return sys_error("cannot write " + shown, errno);
        if (n == 0) return make_error("cannot write " + shown, "short write");
        written += static_cast<std::size_t>(n);
    }
    if (::fsync(fd.get()) != 0) return sys_error("cannot write " + shown, errno);
    return fd.close(shown);
}

Result<void> sync_dir(int dir, std::string const& shown) {
    if (::fsync(dir) != 0) return sys_error("cannot sync " + shown, errno);
    return {};
}

// Removes the timestamped directory `name` and its files (or whatever non-directory sits under
// that name), without following links.
Result<void> remove_set_dir(int dir, std::string const& name, std::string const& shown) {
    OwnedFd set(::openat(dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!set) {
        int const e = errno;
        if (e == ENOENT) return {};
        if (e != ELOOP && e != ENOTDIR) return sys_error("cannot remove " + shown, e);
        if (::unlinkat(dir, name.c_str(), 0) != 0 && errno != ENOENT) return sys_error("cannot remove " + shown, errno);
        return {};
    }
    // fdopendir owns the descriptor it is given; a second one keeps `set` for unlinkat.
    OwnedFd listing(::openat(set.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!listing) return sys_error("cannot list " + shown, errno);
    DIR* stream = ::fdopendir(listing.get());
    if (stream == nullptr) return sys_error("cannot list " + shown, errno);
    (void)listing.release();
    std::vector<std::string> names;
    // At most a few more than ours: with more, the rmdir below fails and names the directory.
    while (dirent const* entry = ::readdir(stream)) {
        std::string const entry_name = entry->d_name;
        if (entry_name != "." && entry_name != "..") names.push_back(entry_name);
        if (names.size() > max_entries_in_set) break;
    }
    ::closedir(stream);
    for (auto const& entry_name : names) {
        if (::unlinkat(set.get(), entry_name.c_str(), 0) != 0 && errno != ENOENT)
            return sys_error("cannot remove " + shown + "/" + entry_name, errno);
    }
    if (::unlinkat(dir, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT)
        return sys_error("cannot remove " + shown, errno);
    return {};
}

// Removes older sets and what an interrupted write left (output_layout::is_leftover), keeping
// the set `keep`. Best effort: a leftover that cannot be removed is logged and costs nothing but
// space, and one that is in the way fails the write where it is in the way, with its name.
void remove_leftovers(int dir, std::string const& path, std::string const& keep) {
    OwnedFd listing(::openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    DIR* stream = listing ? ::fdopendir(listing.get()) : nullptr;
    if (stream == nullptr) {
        observe::log_warning("output-dir", "cannot list the directory to clean up", {{"dir", path}, {"error", std::strerror(errno)}});
        return;
    }
    (void)listing.release();
    std::vector<std::string> leftovers;
    // Every entry is looked at (a directory full of other names must not hide ours); only the
    // first few leftovers are kept.
    while (dirent const* entry = ::readdir(stream)) {
        if (leftovers.size() < max_leftovers_per_write && layout::is_leftover(entry->d_name, keep))
            leftovers.emplace_back(entry->d_name);
    }
    ::closedir(stream);
    for (auto const& name : leftovers) {
        auto removed = remove_set_dir(dir, name, path + "/" + name);
        if (!removed) observe::log_warning("output-dir", "cannot remove a leftover", {{"error", removed.error().message}});
    }
}

// Creates a timestamped directory holding `material`, fsynced, and switches ..data to it with
// one rename. Returns its name.
Result<std::string> publish(int dir, std::string const& path, TlsMaterial const& material,
                            std::chrono::system_clock::time_point now) {
    std::string name;
    for (int attempt = 0;; ++attempt) {
        name = layout::timestamp_dir_name(now + std::chrono::nanoseconds(attempt));
        if (::mkdirat(dir, name.c_str(), 0700) == 0) break;
        int const e = errno;
        if (e != EEXIST || attempt + 1 == max_name_attempts) return sys_error("cannot create " + path + "/" + name, e);
    }
    auto const shown = path + "/" + name;
    auto abandon = [&](Error error) {
        if (auto removed = remove_set_dir(dir, name, shown); !removed)
            observe::log_warning("output-dir", "cannot remove an abandoned set", {{"error", removed.error().message}});
        return error;
    };
    auto set = open_set_dir(dir, name, shown);
    if (!set) return abandon(set.error());
    if (!*set) return abandon(make_error("cannot create " + shown, "it was replaced while being created"));
    if (::fchmod(set->get(), 0700) != 0) return abandon(sys_error("cannot set the mode of " + shown, errno));
    for (auto file : layout::visible_names) {
        std::string const file_name(file);
        auto const& content = file == "tls.key" ? material.key_pem : file == "tls.crt" ? material.chain_pem : material.roots_pem;
        mode_t const mode = file == "tls.key" ? 0600 : 0644;
        if (auto r = write_new_file(set->get(), file_name, content, mode, shown + "/" + file_name); !r)
            return abandon(r.error());
    }
    if (auto r = sync_dir(set->get(), shown); !r) return abandon(r.error());
    if (auto r = set->close(shown); !r) return abandon(r.error());

    std::string const tmp(layout::data_link_tmp);
    if (::symlinkat(name.c_str(), dir, tmp.c_str()) != 0) return abandon(sys_error("cannot create " + path + "/" + tmp, errno));
    if (::renameat(dir, tmp.c_str(), dir, std::string(layout::data_link).c_str()) != 0) {
        int const e = errno;
        ::unlinkat(dir, tmp.c_str(), 0);
        return abandon(sys_error("cannot replace " + path + "/" + std::string(layout::data_link), e));
    }
    if (auto r = sync_dir(dir, path); !r) return r.error();
    return name;
}

// Points the visible `name` at ..data/<name>: a new link under a unique name renamed over it, so
// that a plain file or a foreign link there is replaced in one step and never followed.
Result<void> link_visible(int dir, std::string const& path, std::string const& name) {
    std::random_device random;
    auto const unique = (std::uint64_t{random()} << 32) | random();
    auto const tmp = layout::visible_link_tmp_name(name, unique);
    auto const target = layout::visible_link_target(name);
    if (::symlinkat(target.c_str(), dir, tmp.c_str()) != 0) return sys_error("cannot create " + path + "/" + tmp, errno);
    if (::renameat(dir, tmp.c_str(), dir, name.c_str()) != 0) {
        int const e = errno;
        ::unlinkat(dir, tmp.c_str(), 0);
        return sys_error("cannot link " + path + "/" + name, e);
    }
    return {};
}

Result<std::array<layout::VisibleEntry, 3>> visible_entries(int dir, std::string const& path) {
    std::array<layout::VisibleEntry, 3> out{};
    for (std::size_t i = 0; i < layout::visible_names.size(); ++i) {
        std::string const name(layout::visible_names[i]);
        auto entry = look_at(dir, name, path + "/" + name);
        if (!entry) return entry.error();
        out[i] = layout::classify_visible(entry->exists, entry->is_symlink, entry->link_target, name);
    }
    return out;
}

// The set a reader opening the visible names sees now: plain files, or links through ..data.
Result<std::optional<TlsMaterial>> read_visible(int dir, std::string const& path,
                                                std::array<layout::VisibleEntry, 3> const& entries) {
    auto through_data = data_target(dir, path);
    if (!through_data) return through_data.error();
    std::optional<TlsMaterial> linked;
    if (*through_data) {
        auto set = read_set(dir, **through_data, path + "/" + **through_data);
        if (!set) return set.error();
        linked = std::move(*set);
    }
    auto plain = read_files(dir, path);
    if (!plain) return plain.error();
    std::array<std::string, 3> content;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        auto const* source = entries[i] == layout::VisibleEntry::data_link ? (linked ? &*linked : nullptr)
                                                                           : (*plain ? &**plain : nullptr);
        if (source == nullptr) continue;
        content[i] = i == 0 ? source->roots_pem : i == 1 ? source->key_pem : source->chain_pem;
    }
    return std::optional<TlsMaterial>(TlsMaterial{content[2], content[1], content[0]});
}

Error refusal(std::string const& path, std::string const& reason) {
    return make_error("--output-dir " + path + " " + reason + "; refusing to write a private key there");
}

// Opens `path` as a directory without following a final symlink, creating it 0700 when missing.
Result<OwnedFd> open_directory(std::string const& path) {
    // A trailing slash would make the kernel follow a final symlink despite O_NOFOLLOW.
    auto name = path;
    while (name.size() > 1 && name.back() == '/') name.pop_back();
    bool created = ::mkdir(name.c_str(), 0700) == 0;
    if (!created && errno == ENOENT) {
        // Missing parents are created as mkdir -p would; only the last one must be private.
        std::error_code ec;
        std::filesystem::create_directories(std::filesystem::path(name).parent_path(), ec);
        if (ec) return make_error("cannot create --output-dir " + path, ec.message());
        created = ::mkdir(name.c_str(), 0700) == 0;
    }
    if (!created && errno != EEXIST) return sys_error("cannot create --output-dir " + path, errno);
    OwnedFd fd(::open(name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) {
        int const e = errno;
        struct stat st {};
        if (e == ELOOP || (e == ENOTDIR && ::lstat(name.c_str(), &st) == 0 && S_ISLNK(st.st_mode)))
            return refusal(path, "is a symbolic link");
        if (e == ENOTDIR) return make_error("--output-dir " + path + " is not a directory");
        return sys_error("cannot open --output-dir " + path, e);
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return sys_error("cannot inspect --output-dir " + path, errno);
    // mkdir honours the umask; a directory we created is exactly 0700 whatever it is.
    if (created && st.st_uid == ::geteuid()) {
        if (::fchmod(fd.get(), 0700) != 0) return sys_error("cannot set the mode of --output-dir " + path, errno);
        st.st_mode = (st.st_mode & ~mode_t{07777}) | 0700;
    }
    layout::DirectoryFacts const facts{false, S_ISDIR(st.st_mode), st.st_uid, st.st_mode};
    if (auto reason = layout::directory_refusal(facts, ::geteuid())) return refusal(path, *reason);
    return fd;
}

// Takes the exclusive lock of the directory, held as long as the returned descriptor is open.
Result<OwnedFd> lock_directory(int dir, std::string const& path) {
    std::string const name(layout::lock_file);
    auto const shown = path + "/" + name;
    // O_NONBLOCK: a FIFO planted under the name must not block the open.
    OwnedFd fd(::openat(dir, name.c_str(), O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0600));
    if (!fd) {
        int const e = errno;
        if (e == ELOOP) return refusal(path, "holds " + name + " as a symbolic link");
        return sys_error("cannot open the lock " + shown, e);
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return sys_error("cannot open the lock " + shown, errno);
    if (!S_ISREG(st.st_mode) || st.st_uid != ::geteuid())
        return refusal(path, "holds " + name + " that is not a regular file of this user");
    while (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
        int const e = errno;
        if (e == EINTR) continue;
        if (e == EWOULDBLOCK) return make_error("--output-dir " + path + " is in use by another gen-istio-cert (it holds the lock " + shown + ")");
        return sys_error("cannot lock " + shown, e);
    }
    return fd;
}

}  // namespace

OwnedFd& OwnedFd::operator=(OwnedFd&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
}

OwnedFd::~OwnedFd() {
    if (fd_ >= 0) ::close(fd_);
}

Result<void> OwnedFd::close(std::string const& what) {
    int const fd = std::exchange(fd_, -1);
    // Not retried on EINTR: Linux has released the descriptor either way.
    if (fd >= 0 && ::close(fd) != 0) return sys_error("cannot write " + what, errno);
    return {};
}

Result<OutputDirectory> OutputDirectory::open(std::string path) {
    auto dir = open_directory(path);
    if (!dir) return dir.error();
    auto lock = lock_directory(dir->get(), path);
    if (!lock) return lock.error();
    return OutputDirectory(std::move(path), std::move(*dir), std::move(*lock));
}

Result<void> OutputDirectory::write(TlsMaterial const& material, std::chrono::system_clock::time_point now) {
    int const dir = dir_.get();
    auto current = data_target(dir, path_);
    if (!current) return current.error();
    remove_leftovers(dir, path_, current->value_or(std::string()));

    auto entries = visible_entries(dir, path_);
    if (!entries) return entries.error();
    bool complete = false;
    std::optional<TlsMaterial> visible;
    if (std::find(entries->begin(), entries->end(), layout::VisibleEntry::other) != entries->end()) {
        auto read = read_visible(dir, path_, *entries);
        if (!read) return read.error();
        visible = std::move(*read);
        complete = visible && !visible->chain_pem.empty() && !visible->key_pem.empty() && !visible->roots_pem.empty();
    }
    if (layout::must_preserve_visible_set(*entries, complete)) {
        // The names still show an older version's plain files: the same set goes under ..data
        // first, so that replacing the names one by one never mixes two sets.
        auto preserved = publish(dir, path_, *visible, now);
        if (!preserved) return preserved.error();
        for (std::size_t i = 0; i < entries->size(); ++i) {
            if ((*entries)[i] == layout::VisibleEntry::data_link) continue;
            if (auto r = link_visible(dir, path_, std::string(layout::visible_names[i])); !r) return r;
            (*entries)[i] = layout::VisibleEntry::data_link;
        }
        if (auto r = sync_dir(dir, path_); !r) return r;
    }

    auto published = publish(dir, path_, material, now);
    if (!published) return published.error();
    // A fresh directory (or one whose names were removed) gains its links after ..data exists,
    // so each name resolves to the new set as soon as it appears.
    bool linked = false;
    for (std::size_t i = 0; i < entries->size(); ++i) {
        if ((*entries)[i] == layout::VisibleEntry::data_link) continue;
        if (auto r = link_visible(dir, path_, std::string(layout::visible_names[i])); !r) return r;
        linked = true;
    }
    if (linked) {
        if (auto r = sync_dir(dir, path_); !r) return r;
    }
    remove_leftovers(dir, path_, *published);
    return {};
}

Result<std::optional<TlsMaterial>> OutputDirectory::read() const {
    int const dir = dir_.get();
    auto target = data_target(dir, path_);
    if (!target) return target.error();
    if (*target) return read_set(dir, **target, path_ + "/" + **target);
    // No ..data: a directory an older version wrote plain files to (or nothing yet).
    return read_files(dir, path_);
}

}  // namespace gic::agent
