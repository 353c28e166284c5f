// LeaderElectionRecord <-> Lease spec, as client-go reads and writes it.

#include "election/lease_record.hpp"
#include "util/time_format.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

using namespace gic;
using namespace gic::election;
namespace json = boost::json;

namespace {

WallTime at(char const* text) { return to_wall_time(*util::parse_rfc3339(text)); }

// A Lease as a client-go elector (controller-runtime) leaves it.
json::object client_go_lease() {
    return json::parse(R"({"apiVersion":"coordination.k8s.io/v1","kind":"Lease",
        "metadata":{"name":"gic","namespace":"ns","resourceVersion":"812","uid":"5d0c","labels":{"team":"edge"}},
        "spec":{"holderIdentity":"gateway-7f9c_3b0c1a2e-0d4b-4c59-9f57-6e1d2a3b4c5d","leaseDurationSeconds":15,
                "acquireTime":"2026-11-29T15:46:26.123456Z","renewTime":"2026-11-29T15:46:30.654321Z",
                "leaseTransitions":4}})").as_object();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(lease_record)

BOOST_AUTO_TEST_CASE(reads_a_client_go_record) {
    auto record = record_from_lease(client_go_lease());
    BOOST_TEST_REQUIRE(record.has_value());
    BOOST_TEST(record->holder_identity == "gateway-7f9c_3b0c1a2e-0d4b-4c59-9f57-6e1d2a3b4c5d");
    BOOST_TEST(record->lease_duration_seconds == 15);
    BOOST_TEST(record->leader_transitions == 4);
    BOOST_TEST((record->acquire_time == at("2026-11-29T15:46:26.123456Z")));
    BOOST_TEST((record->renew_time == at("2026-11-29T15:46:30.654321Z")));
}

BOOST_AUTO_TEST_CASE(writes_micro_time_with_exactly_six_digits_and_no_coordinated_fields) {
    LeaderElectionRecord record;
    record.holder_identity = "me";
    record.lease_duration_seconds = 15;
    record.acquire_time = at("2026-11-29T15:46:26Z");  // a whole second still gets .000000
    record.renew_time = at("2026-11-29T15:46:27.5Z");
    record.leader_transitions = 2;
    auto lease = client_go_lease();
    lease["spec"].as_object()["strategy"] = "OldestEmulationVersion";
    lease["spec"].as_object()["preferredHolder"] = "someone";
    lease["metadata"].as_object()["ownerReferences"] = json::array{json::object{{"kind", "Deployment"}, {"name", "gw"}}};
    lease["status"] = json::object{{"unknown", true}};
    auto typed = parse_lease(lease);
    BOOST_TEST_REQUIRE(typed.has_value());
    typed->record = record;
    auto written = to_json(*typed);
    auto const& spec = written.at("spec").as_object();
    BOOST_TEST(spec.at("acquireTime").as_string() == "2026-11-29T15:46:26.000000Z");
    BOOST_TEST(spec.at("renewTime").as_string() == "2026-11-29T15:46:27.500000Z");
    BOOST_TEST(spec.at("holderIdentity").as_string() == "me");
    BOOST_TEST(spec.at("leaseDurationSeconds").as_int64() == 15);
    BOOST_TEST(spec.at("leaseTransitions").as_int64() == 2);
    BOOST_TEST(!spec.contains("strategy"));
    BOOST_TEST(!spec.contains("preferredHolder"));
    // Metadata as read is kept: the update is checked against its resourceVersion; labels survive.
    BOOST_TEST(written.at("metadata").at("resourceVersion").as_string() == "812");
    BOOST_TEST(written.at("metadata").at("labels").at("team").as_string() == "edge");
    // Fields we do not model travel back as read (a PUT replaces the whole object).
    BOOST_TEST((written.at("metadata").at("ownerReferences") == lease.at("metadata").at("ownerReferences")));
    BOOST_TEST((written.at("status") == lease.at("status")));
}

BOOST_AUTO_TEST_CASE(a_lease_reads_its_metadata_and_record_once) {
    auto typed = parse_lease(client_go_lease());
    BOOST_TEST_REQUIRE(typed.has_value());
    BOOST_TEST(typed->metadata.resource_version == "812");
    BOOST_TEST(typed->metadata.labels.at("team") == "edge");
    BOOST_TEST((typed->record == *record_from_lease(client_go_lease())));
    auto bad_meta = client_go_lease();
    bad_meta["metadata"].as_object()["uid"] = 5;
    BOOST_TEST(parse_lease(bad_meta).error().message == "metadata.uid: not a string");
    auto bad_spec = client_go_lease();
    bad_spec["spec"].as_object()["leaseTransitions"] = "many";
    BOOST_TEST(parse_lease(bad_spec).error().message == "Lease spec.leaseTransitions: not an int32");
}

BOOST_AUTO_TEST_CASE(round_trips_and_keeps_an_empty_holder_explicit) {
    LeaderElectionRecord record;
    record.holder_identity = "";
    record.lease_duration_seconds = 1;
    record.acquire_time = at("2026-11-29T15:46:26.000001Z");
    record.renew_time = record.acquire_time;
    record.leader_transitions = 7;
    auto lease = to_json(new_lease("ns", "gic", record));
    BOOST_TEST(lease.at("spec").at("holderIdentity").as_string() == "");
    BOOST_TEST(lease.at("metadata").at("namespace").as_string() == "ns");
    BOOST_TEST(lease.at("apiVersion").as_string() == "coordination.k8s.io/v1");
    auto back = record_from_lease(json::parse(json::serialize(lease)).as_object());
    BOOST_TEST_REQUIRE(back.has_value());
    BOOST_TEST((*back == record));
}

BOOST_AUTO_TEST_CASE(missing_spec_and_null_times_read_as_zero_values) {
    auto empty = record_from_lease(json::parse(R"({"metadata":{"name":"gic"}})").as_object());
    BOOST_TEST_REQUIRE(empty.has_value());
    BOOST_TEST(empty->holder_identity.empty());
    BOOST_TEST(empty->lease_duration_seconds == 0);
    auto nulls = record_from_lease(
        json::parse(R"({"spec":{"holderIdentity":null,"acquireTime":null,"renewTime":null}})").as_object());
    BOOST_TEST_REQUIRE(nulls.has_value());
    BOOST_TEST(!nulls->acquire_time.has_value());
    LeaderElectionRecord zero;
    BOOST_TEST(lease_spec(zero).at("renewTime").is_null());
    // Fewer or more fraction digits (other writers) are read too.
    auto lenient = record_from_lease(
        json::parse(R"({"spec":{"renewTime":"2026-11-29T15:46:30.65Z","acquireTime":"2026-11-29T15:46:30.123456789Z"}})")
            .as_object());
    BOOST_TEST_REQUIRE(lenient.has_value());
    BOOST_TEST((lenient->renew_time == at("2026-11-29T15:46:30.650000Z")));
    BOOST_TEST((lenient->acquire_time == at("2026-11-29T15:46:30.123456Z")));
}

struct BadSpec {
    char const* spec;
    char const* error;
};

BOOST_AUTO_TEST_CASE(rejects_bad_fields_naming_them) {
    BadSpec const cases[] = {
        {R"("nope")", "Lease spec: not an object"},
        {R"({"holderIdentity":3})", "Lease spec.holderIdentity: not a string"},
        {R"({"leaseDurationSeconds":"15"})", "Lease spec.leaseDurationSeconds: not an int32"},
        {R"({"leaseDurationSeconds":4294967296})", "Lease spec.leaseDurationSeconds: out of int32 range"},
        {R"({"leaseTransitions":1.5})", "Lease spec.leaseTransitions: not an int32"},
        {R"({"renewTime":12})", "Lease spec.renewTime: not a string"},
        {R"({"acquireTime":"yesterday"})", "Lease spec.acquireTime: not an RFC 3339 time: \"yesterday\""},
    };
    for (auto const& c : cases) {
        auto lease = json::parse(std::string(R"({"spec":)") + c.spec + "}").as_object();
        auto record = record_from_lease(lease);
        BOOST_TEST_REQUIRE(!record.has_value(), c.spec);
        BOOST_TEST(record.error().message == c.error);
    }
}

BOOST_AUTO_TEST_CASE(a_lease_with_missing_parts_reads_as_zero_values) {
    for (char const* text : {R"({})", R"({"metadata":null,"spec":null})", R"({"metadata":{},"spec":{}})"}) {
        BOOST_TEST_CONTEXT(text) {
            auto typed = parse_lease(json::parse(text).as_object());
            BOOST_TEST_REQUIRE(typed.has_value());
            BOOST_TEST((typed->metadata == kube::ObjectMeta{}));
            BOOST_TEST((typed->record == LeaderElectionRecord{}));
        }
    }
    // A Lease nobody has held yet (kubectl create): metadata only.
    auto fresh = parse_lease(json::parse(R"({"metadata":{"name":"gic","resourceVersion":"3"}})").as_object());
    BOOST_TEST_REQUIRE(fresh.has_value());
    BOOST_TEST(fresh->metadata.resource_version == "3");
    BOOST_TEST(fresh->record.holder_identity.empty());
    BOOST_TEST(!fresh->record.renew_time.has_value());
}

BOOST_AUTO_TEST_CASE(a_lease_with_wrong_types_names_the_field) {
    BadSpec const cases[] = {
        {R"({"metadata":"gic"})", "metadata: not an object"},
        {R"({"metadata":{"resourceVersion":812}})", "metadata.resourceVersion: not a string"},
        {R"({"metadata":{"labels":{"team":1}}})", "metadata.labels[team]: not a string"},
        {R"({"spec":[]})", "Lease spec: not an object"},
        {R"({"spec":{"leaseDurationSeconds":true}})", "Lease spec.leaseDurationSeconds: not an int32"},
        {R"({"spec":{"leaseTransitions":-2147483649}})", "Lease spec.leaseTransitions: out of int32 range"},
        {R"({"spec":{"renewTime":"2026-11-29 15:46:30"}})",
         "Lease spec.renewTime: not an RFC 3339 time: \"2026-11-29 15:46:30\""},
    };
    for (auto const& c : cases) {
        BOOST_TEST_CONTEXT(c.spec) {
            auto typed = parse_lease(json::parse(c.spec).as_object());
            BOOST_TEST_REQUIRE(!typed.has_value());
            BOOST_TEST(typed.error().message == c.error);
        }
    }
}

BOOST_AUTO_TEST_CASE(a_client_go_lease_round_trips_unchanged) {
    // Read and written back without a change: the same object, byte for byte once serialised,
    // unknown fields (top level, metadata) included.
    auto lease = client_go_lease();
    lease["metadata"].as_object()["managedFields"] = json::array{json::object{{"manager", "kube-controller-manager"}}};
    lease["metadata"].as_object()["creationTimestamp"] = "2026-11-29T15:40:00Z";
    lease["futureField"] = json::object{{"nested", json::array{1, 2}}};
    auto typed = parse_lease(lease);
    BOOST_TEST_REQUIRE(typed.has_value());
    BOOST_TEST(json::serialize(to_json(*typed)) == json::serialize(lease));
    // A renewal changes the record and the resourceVersion only.
    typed->record.renew_time = at("2026-11-29T15:46:32.000001Z");
    typed->metadata.resource_version = "813";
    auto renewed = to_json(*typed);
    BOOST_TEST(renewed.at("spec").at("renewTime").as_string() == "2026-11-29T15:46:32.000001Z");
    BOOST_TEST(renewed.at("metadata").at("resourceVersion").as_string() == "813");
    BOOST_TEST((renewed.at("futureField") == lease.at("futureField")));
    BOOST_TEST((renewed.at("metadata").at("managedFields") == lease.at("metadata").at("managedFields")));
    BOOST_TEST(renewed.at("metadata").at("creationTimestamp").as_string() == "2026-11-29T15:40:00Z");
}

BOOST_AUTO_TEST_CASE(micro_time_is_written_as_client_go_writes_it) {
    // metav1.MicroTime marshals as RFC 3339 in UTC with exactly six fraction digits
    // ("2006-01-02T15:04:05.000000Z07:00"); finer digits are truncated, never rounded.
    struct Case {
        char const* read;
        char const* written;
    };
    Case const cases[] = {
        {"2026-11-29T15:46:26Z", "2026-11-29T15:46:26.000000Z"},
        {"2026-11-29T15:46:26.1Z", "2026-11-29T15:46:26.100000Z"},
        {"2026-11-29T15:46:26.000001Z", "2026-11-29T15:46:26.000001Z"},
        {"2026-11-29T15:46:26.999999999Z", "2026-11-29T15:46:26.999999Z"},
        {"2026-11-29T17:46:26.5+02:00", "2026-11-29T15:46:26.500000Z"},
        {"2026-12-31T23:59:59.123456Z", "2026-12-31T23:59:59.123456Z"},
    };
    for (auto const& c : cases) {
        BOOST_TEST_CONTEXT(c.read) {
            auto object = json::object{{"spec", json::object{{"renewTime", c.read}, {"acquireTime", c.read}}}};
            auto typed = parse_lease(object);
            BOOST_TEST_REQUIRE(typed.has_value());
            auto const written = to_json(*typed);
            BOOST_TEST(written.at("spec").at("renewTime").as_string() == c.written);
            BOOST_TEST(written.at("spec").at("acquireTime").as_string() == c.written);
            // What we write reads back to the same instant.
            BOOST_TEST((parse_lease(written)->record == typed->record));
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
