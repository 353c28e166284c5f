#include "protobuf_builder.hpp"
#include "protobuf_wire.hpp"

#include <boost/test/unit_test.hpp>

using namespace gic::emu::kube;
using namespace gic::emu::kube::test;

BOOST_AUTO_TEST_SUITE(protobuf_wire)

BOOST_AUTO_TEST_CASE(reads_multi_byte_varints) {
    for (std::uint64_t v : {0ull, 1ull, 127ull, 128ull, 300ull, 1200ull, 0xffffffffull, ~0ull}) {
        auto bytes = varint(v);
        std::size_t pos = 0;
        auto got = pb::read_varint(bytes, pos);
        BOOST_TEST_REQUIRE(got.has_value());
        BOOST_TEST(*got == v);
        BOOST_TEST(pos == bytes.size());
    }
}

BOOST_AUTO_TEST_CASE(splits_fields_in_wire_order_and_keeps_repeats) {
    std::string msg = bytes_field(1, "a") + varint_field(4, 1200) + bytes_field(1, "b") + bytes_field(9, "");
    auto fields = pb::parse_message(msg);
    BOOST_TEST_REQUIRE(fields.has_value());
    BOOST_TEST_REQUIRE(fields->size() == 4u);
    BOOST_TEST((*fields)[0].number == 1u);
    BOOST_TEST((*fields)[0].bytes == "a");
    BOOST_TEST((*fields)[1].number == 4u);
    BOOST_TEST((*fields)[1].varint == 1200u);
    BOOST_TEST((*fields)[2].bytes == "b");
    BOOST_TEST((*fields)[3].bytes.empty());
}

BOOST_AUTO_TEST_CASE(skips_fixed_width_fields) {
    std::string msg = tag(2, 1) + std::string(8, '\x01') + tag(3, 5) + std::string(4, '\x02') + varint_field(5, 7);
    auto fields = pb::parse_message(msg);
    BOOST_TEST_REQUIRE(fields.has_value());
    BOOST_TEST_REQUIRE(fields->size() == 3u);
    BOOST_TEST((*fields)[2].number == 5u);
    BOOST_TEST((*fields)[2].varint == 7u);
}

BOOST_AUTO_TEST_CASE(empty_message_has_no_fields) {
    auto fields = pb::parse_message("");
    BOOST_TEST_REQUIRE(fields.has_value());
    BOOST_TEST(fields->empty());
}

BOOST_AUTO_TEST_CASE(rejects_truncated_varint) {
    std::size_t pos = 0;
    auto got = pb::read_varint("\x80\x80", pos);
    BOOST_TEST_REQUIRE(!got.has_value());
    BOOST_TEST(got.error().message.find("truncated varint") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(rejects_overlong_varint) {
    std::size_t pos = 0;
    auto got = pb::read_varint(std::string(11, '\x80'), pos);
    BOOST_TEST_REQUIRE(!got.has_value());
    BOOST_TEST(got.error().message.find("longer than 10 bytes") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(rejects_length_past_the_end) {
    auto fields = pb::parse_message(tag(1, 2) + varint(10) + "abc");
    BOOST_TEST_REQUIRE(!fields.has_value());
    BOOST_TEST(fields.error().message == "protobuf: field 1 at offset 0 claims 10 bytes but 3 remain");
}

BOOST_AUTO_TEST_CASE(rejects_truncated_fixed64) {
    auto fields = pb::parse_message(tag(2, 1) + "abc");
    BOOST_TEST_REQUIRE(!fields.has_value());
    BOOST_TEST(fields.error().message.find("truncated fixed-width field 2") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(rejects_groups) {
    auto fields = pb::parse_message(tag(1, 3));
    BOOST_TEST_REQUIRE(!fields.has_value());
    BOOST_TEST(fields.error().message.find("unsupported wire type 3") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(rejects_field_number_zero) {
    auto fields = pb::parse_message(varint(0) + varint(1));
    BOOST_TEST_REQUIRE(!fields.has_value());
    BOOST_TEST(fields.error().message.find("field number 0") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
