#include "util/idle_memory.hpp"

#include <malloc.h>
#include <sys/mman.h>

#include <cstdio>
#include <cstring>

namespace gic::util {
namespace {

// /proc/self/maps of a statically linked agent has a few dozen lines; the bound only keeps a
// surprising file from holding us.
constexpr int max_map_lines = 4096;

}  // namespace

std::size_t release_idle_memory() {
    ::malloc_trim(0);
    std::FILE* maps = std::fopen("/proc/self/maps", "re");
    if (maps == nullptr) return 0;
    std::size_t released = 0;
    char line[4096 + 256];
    for (int n = 0; n < max_map_lines && std::fgets(line, sizeof line, maps) != nullptr; ++n) {
        unsigned long begin = 0, end = 0;
        char perms[5] = {};
        int path_at = 0;
        if (std::sscanf(line, "%lx-%lx %4s %*s %*s %*s %n", &begin, &end, perms, &path_at) < 3) continue;
        // Only private, read-only, executable mappings of files: their pages are the file's own,
        // never written, so dropping them loses nothing (MADV_DONTNEED on written private pages
        // would). Data, relocated read-only data, heap and stacks are left alone.
        if (std::strcmp(perms, "r-xp") != 0 || line[path_at] != '/') continue;
        if (::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED) == 0) released += end - begin;
    }
    std::fclose(maps);
    return released;
}

}  // namespace gic::util
