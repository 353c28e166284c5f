#pragma once
// A minimal protobuf wire-format reader: enough to decode the few Kubernetes messages kubectl
// 1.32 sends as request bodies. Varints and length-delimited fields are read; fixed32/fixed64
// are skipped; groups are rejected. No schema, no encoder.

#include "util/error.hpp"

#include <cstdint>
#include <string_view>
#include <vector>

namespace gic::emu::kube::pb {

enum class WireType : std::uint8_t { varint = 0, fixed64 = 1, length_delimited = 2, fixed32 = 5 };

struct Field {
    std::uint32_t number = 0;
    WireType type = WireType::varint;
    std::uint64_t varint = 0;     // for varint fields (and the raw value of fixed ones)
    std::string_view bytes;       // for length-delimited fields; points into the input
};

// Reads one varint at `pos`, advancing it. Errors on truncation and on more than 10 bytes.
Result<std::uint64_t> read_varint(std::string_view data, std::size_t& pos);

// Splits a message into its fields, in wire order (repeated fields appear repeatedly).
// Errors name the byte offset and what is wrong.
Result<std::vector<Field>> parse_message(std::string_view data);

}  // namespace gic::emu::kube::pb
