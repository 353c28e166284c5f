#include "util/server_text.hpp"

namespace gic::util {

namespace {

bool is_continuation_byte(unsigned char c) { return (c & 0xC0) == 0x80; }

}  // namespace

std::string server_text(std::string_view text, std::size_t max_bytes) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\n' || text.front() == '\r' || text.front() == '\t')) {
        text.remove_prefix(1);
    }
    while (!text.empty() && (text.back() == ' ' || text.back() == '\n' || text.back() == '\r' || text.back() == '\t')) {
        text.remove_suffix(1);
    }
    bool const cut = text.size() > max_bytes;
    if (cut) {
        std::size_t end = max_bytes;
        // Back up to the start of a UTF-8 sequence so the cut does not leave half a character.
        while (end > 0 && is_continuation_byte(static_cast<unsigned char>(text[end]))) --end;
        text = text.substr(0, end);
    }
    std::string out;
    out.reserve(text.size() + 3);
    for (char const ch : text) {
        auto const c = static_cast<unsigned char>(ch);
        if (c == '\n' || c == '\r' || c == '\t') {
            out += ' ';
        } else if (c < 0x20 || c == 0x7F) {
            out += '?';
        } else {
            out += ch;
        }
    }
    if (cut) out += "...";
    return out;
}

}  // namespace gic::util
