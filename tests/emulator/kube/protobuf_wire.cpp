#include "protobuf_wire.hpp"

#include <string>

namespace gic::emu::kube::pb {

Result<std::uint64_t> read_varint(std::string_view data, std::size_t& pos) {
    std::uint64_t value = 0;
    for (int i = 0; i < 10; ++i) {
        if (pos >= data.size()) return make_error("protobuf: truncated varint at offset " + std::to_string(pos));
        auto byte = static_cast<std::uint8_t>(data[pos++]);
        value |= static_cast<std::uint64_t>(byte & 0x7f) << (7 * i);
        if (!(byte & 0x80)) return value;
    }
    return make_error("protobuf: varint longer than 10 bytes at offset " + std::to_string(pos));
}

Result<std::vector<Field>> parse_message(std::string_view data) {
    std::vector<Field> fields;
    std::size_t pos = 0;
    while (pos < data.size()) {
        std::size_t start = pos;
        auto tag = read_varint(data, pos);
        if (!tag) return tag.error();
        Field f;
        auto wire = static_cast<unsigned>(*tag & 7);
        f.number = static_cast<std::uint32_t>(*tag >> 3);
        if (f.number == 0) return make_error("protobuf: field number 0 at offset " + std::to_string(start));
        switch (wire) {
        case 0: {
            f.type = WireType::varint;
            auto v = read_varint(data, pos);
            if (!v) return v.error();
            f.varint = *v;
            break;
        }
        case 1:
        case 5: {
            std::size_t width = wire == 1 ? 8 : 4;
            if (data.size() - pos < width)
                return make_error("protobuf: truncated fixed-width field " + std::to_string(f.number) + " at offset " +
                                  std::to_string(start));
            f.type = wire == 1 ? WireType::fixed64 : WireType::fixed32;
            for (std::size_t i = 0; i < width; ++i)
                f.varint |= static_cast<std::uint64_t>(static_cast<std::uint8_t>(data[pos + i])) << (8 * i);
            pos += width;
            break;
        }
        case 2: {
            f.type = WireType::length_delimited;
            auto len = read_varint(data, pos);
            if (!len) return len.error();
            if (*len > data.size() - pos)
                return make_error("protobuf: field " + std::to_string(f.number) + " at offset " + std::to_string(start) +
                                  " claims " + std::to_string(*len) + " bytes but " + std::to_string(data.size() - pos) +
                                  " remain");
            f.bytes = data.substr(pos, static_cast<std::size_t>(*len));
            pos += static_cast<std::size_t>(*len);
            break;
        }
        default:
            return make_error("protobuf: unsupported wire type " + std::to_string(wire) + " for field " +
                              std::to_string(f.number) + " at offset " + std::to_string(start));
        }
        fields.push_back(f);
    }
    return fields;
}

}  // namespace gic::emu::kube::pb
