#pragma once
// Hand-encodes protobuf wire bytes for decoder tests (the emulator itself has no encoder).

#include <cstdint>
#include <string>

namespace gic::emu::kube::test {

inline std::string varint(std::uint64_t v) {
    std::string out;
    do {
        std::uint8_t b = v & 0x7f;
        v >>= 7;
        if (v) b |= 0x80;
        out += static_cast<char>(b);
    } while (v);
    return out;
}

inline std::string tag(std::uint32_t field, unsigned wire) { return varint((std::uint64_t{field} << 3) | wire); }
inline std::string varint_field(std::uint32_t field, std::uint64_t v) { return tag(field, 0) + varint(v); }
inline std::string bytes_field(std::uint32_t field, std::string const& bytes) {
    return tag(field, 2) + varint(bytes.size()) + bytes;
}
inline std::string map_entry(std::uint32_t field, std::string const& key, std::string const& value) {
    return bytes_field(field, bytes_field(1, key) + bytes_field(2, value));
}
// "k8s\0" + runtime.Unknown{typeMeta{apiVersion, kind}, raw, "", ""}, as client-go sends it.
inline std::string envelope(std::string const& api_version, std::string const& kind, std::string const& raw) {
    std::string unknown = bytes_field(1, bytes_field(1, api_version) + bytes_field(2, kind)) + bytes_field(2, raw) +
                          bytes_field(3, "") + bytes_field(4, "");
    return std::string("k8s\0", 4) + unknown;
}

}  // namespace gic::emu::kube::test
