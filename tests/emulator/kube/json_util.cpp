#include "json_util.hpp"

#include <openssl/rand.h>

#include <array>
#include <cstdio>
#include <ctime>
#include <stdexcept>

namespace gic::emu::kube {

namespace json = boost::json;

std::string string_field(json::object const& obj, std::string_view key) {
    auto it = obj.find(key);
    if (it == obj.end() || !it->value().is_string()) return {};
    return std::string(it->value().get_string());
}

json::object const* object_field(json::object const& obj, std::string_view key) {
    auto it = obj.find(key);
    if (it == obj.end() || !it->value().is_object()) return nullptr;
    return &it->value().get_object();
}

json::object& ensure_object(json::object& obj, std::string_view key) {
    auto& v = obj[key];
    if (!v.is_object()) v = json::object();
    return v.get_object();
}

std::string metadata_string(json::object const& obj, std::string_view key) {
    auto const* meta = object_field(obj, "metadata");
    return meta ? string_field(*meta, key) : std::string();
}

std::string format_rfc3339(std::chrono::system_clock::time_point t) {
    std::time_t tt = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::string now_rfc3339() { return format_rfc3339(std::chrono::system_clock::now()); }

namespace {

template <std::size_t N>
std::array<unsigned char, N> random_bytes() {
    std::array<unsigned char, N> b{};
    if (RAND_bytes(b.data(), static_cast<int>(N)) != 1) throw std::runtime_error("RAND_bytes failed");
    return b;
}

}  // namespace

std::string random_uuid() {
    auto b = random_bytes<16>();
    b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
    b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
    char out[37];
    std::snprintf(out, sizeof out, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                  b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
    return out;
}

std::string random_name_suffix() {
    // apimachinery's utilrand.String alphabet: no vowels, no confusable digits.
    static constexpr std::string_view alphabet = "bcdfghjklmnpqrstvwxz2456789";
    auto b = random_bytes<5>();
    std::string s;
    for (auto c : b) s += alphabet[c % alphabet.size()];
    return s;
}

}  // namespace gic::emu::kube
