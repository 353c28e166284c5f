#include "agent/decisions/output_dir_layout.hpp"

#include <boost/test/unit_test.hpp>

#include <sys/stat.h>

using namespace gic::agent::output_layout;
using namespace std::chrono;

BOOST_AUTO_TEST_SUITE(test_output_dir_layout)

BOOST_AUTO_TEST_CASE(timestamped_names_are_kubelets_shape_in_utc) {
    auto const at = system_clock::time_point(sys_days{year{2026} / 12 / 7} + hours(13) + minutes(53) + seconds(46) +
                                             nanoseconds(123456789));
    BOOST_TEST(timestamp_dir_name(at) == "..2026_12_07_13_53_46.123456789");
    BOOST_TEST(timestamp_dir_name(system_clock::time_point(sys_days{year{2027} / 1 / 2})) == "..2027_01_02_00_00_00.000000000");
    BOOST_TEST(is_timestamp_dir_name(timestamp_dir_name(at)));
    // Far-away clocks are clamped, never overflowed.
    BOOST_TEST(timestamp_dir_name(system_clock::time_point::max()) == "..2200_01_01_00_00_00.000000000");
    BOOST_TEST(timestamp_dir_name(system_clock::time_point::min()) == "..1970_01_01_00_00_00.000000000");
}

BOOST_AUTO_TEST_CASE(only_exact_timestamped_names_are_recognised) {
    BOOST_TEST(is_timestamp_dir_name("..2026_12_07_13_53_46.123456789"));
    BOOST_TEST(!is_timestamp_dir_name("..2026_12_07_13_53_46.12345678"));
    BOOST_TEST(!is_timestamp_dir_name("..2026_12_07_13_53_46.1234567890"));
    BOOST_TEST(!is_timestamp_dir_name("..2026_12_07_13_53_46x123456789"));
    BOOST_TEST(!is_timestamp_dir_name("..2026_12_07_13_53_4a.123456789"));
    BOOST_TEST(!is_timestamp_dir_name("../026_12_07_13_53_46.123456789"));
    BOOST_TEST(!is_timestamp_dir_name("..data"));
    BOOST_TEST(!is_timestamp_dir_name(""));
}

BOOST_AUTO_TEST_CASE(visible_names_link_through_data) {
    BOOST_TEST(visible_link_target("tls.key") == "..data/tls.key");
    BOOST_TEST(visible_link_tmp_name("tls.key", 0x0123456789abcdefULL) == "..tls.key.tmp-0123456789abcdef");
    BOOST_TEST((classify_visible(false, false, "", "tls.key") == VisibleEntry::missing));
    BOOST_TEST((classify_visible(true, true, "..data/tls.key", "tls.key") == VisibleEntry::data_link));
    BOOST_TEST((classify_visible(true, true, "..data/tls.crt", "tls.key") == VisibleEntry::other));
    BOOST_TEST((classify_visible(true, true, "/home/victim/.ssh/id_rsa", "tls.key") == VisibleEntry::other));
    BOOST_TEST((classify_visible(true, false, "", "tls.key") == VisibleEntry::other));
}

BOOST_AUTO_TEST_CASE(a_plain_set_is_preserved_before_the_names_change) {
    using E = VisibleEntry;
    BOOST_TEST(must_preserve_visible_set({E::other, E::other, E::other}, true));
    BOOST_TEST(must_preserve_visible_set({E::data_link, E::other, E::other}, true));  // an interrupted migration
    BOOST_TEST(!must_preserve_visible_set({E::other, E::other, E::other}, false));    // nothing whole to keep
    BOOST_TEST(!must_preserve_visible_set({E::data_link, E::data_link, E::data_link}, true));
    BOOST_TEST(!must_preserve_visible_set({E::missing, E::data_link, E::missing}, true));
}

BOOST_AUTO_TEST_CASE(leftovers_are_only_names_we_create) {
    std::string const keep = "..2026_12_07_13_53_46.123456789";
    BOOST_TEST(is_leftover("..2026_12_07_13_00_00.000000001", keep));
    BOOST_TEST(!is_leftover(keep, keep));
    BOOST_TEST(is_leftover("..2026_12_07_13_00_00.000000001", ""));
    BOOST_TEST(is_leftover("..data_tmp", keep));
    BOOST_TEST(is_leftover("..tls.key.tmp-0123456789abcdef", keep));
    BOOST_TEST(is_leftover("..ca.crt.tmp-0123456789abcdef", keep));
    BOOST_TEST(!is_leftover("..tls.key.tmp-0123", keep));
    BOOST_TEST(is_leftover(".tls.key.tmp", keep));  // an older version's temporary file
    BOOST_TEST(is_leftover(".tls.crt.tmp", keep));
    for (auto const* name : {"..data", "tls.key", "tls.crt", "ca.crt", ".gen-istio-cert.lock", "notes.txt", ".", "..",
                             "..2026_12_07", ".tls.key.tmp.bak"})
        BOOST_TEST(!is_leftover(name, keep), name);
}

BOOST_AUTO_TEST_CASE(unsafe_directories_are_refused_with_the_reason) {
    uid_t const me = 1000;
    auto facts = [&](mode_t mode, uid_t owner = 1000) { return DirectoryFacts{false, true, owner, S_IFDIR | mode}; };
    BOOST_TEST(!directory_refusal(facts(0700), me).has_value());
    BOOST_TEST(!directory_refusal(facts(0755), me).has_value());
    BOOST_TEST(!directory_refusal(facts(01777), me).has_value());  // sticky, like /tmp
    BOOST_TEST(!directory_refusal(facts(01770), me).has_value());
    BOOST_TEST(directory_refusal(facts(0777), me).value() ==
               "is writable by group or others without the sticky bit (mode 0777)");
    BOOST_TEST(directory_refusal(facts(0770), me).value() ==
               "is writable by group or others without the sticky bit (mode 0770)");
    BOOST_TEST(directory_refusal(facts(02775), me).value() ==
               "is writable by group or others without the sticky bit (mode 2775)");
    BOOST_TEST(directory_refusal(facts(0700, 0), me).value() == "is owned by uid 0, not by this user (uid 1000)");
    BOOST_TEST(directory_refusal(DirectoryFacts{true, false, me, S_IFLNK | 0777}, me).value() == "is a symbolic link");
    BOOST_TEST(directory_refusal(DirectoryFacts{false, false, me, S_IFREG | 0600}, me).value() == "is not a directory");
}

BOOST_AUTO_TEST_SUITE_END()
