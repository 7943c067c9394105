#include "job/streaming_spec.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "third_party/absl_compat/status_matchers.h"

namespace braid {
namespace {

using ::braid_compat::testing::IsOk;
using ::braid_compat::testing::StatusIs;
using ::testing::HasSubstr;

proto::JobSpec Streaming(const std::string& mapper) {
  proto::JobSpec spec;
  spec.set_job(std::string(kStreamingJob));
  spec.mutable_streaming()->set_mapper(mapper);
  return spec;
}

TEST(ValidateStreamingSpec, AcceptsAMapperAlone) {
  EXPECT_THAT(ValidateStreamingSpec(Streaming("cat")), IsOk());
}

TEST(ValidateStreamingSpec, NeedsAMapper) {
  EXPECT_THAT(ValidateStreamingSpec(Streaming("  ")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--mapper")));
}

TEST(ValidateStreamingSpec, RefusesStreamingPartsForOtherJobs) {
  proto::JobSpec spec = Streaming("cat");
  spec.set_job("wordcount");
  EXPECT_THAT(ValidateStreamingSpec(spec),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not 'wordcount'")));
  spec.clear_streaming();
  EXPECT_THAT(ValidateStreamingSpec(spec), IsOk());
}

TEST(ValidateStreamingSpec, RefusesCmdenvThatIsNotNameEqualsValue) {
  for (const char* bad : {"NOVALUE", "=x", "1ABC=x", "A-B=x"}) {
    proto::JobSpec spec = Streaming("cat");
    spec.mutable_streaming()->add_cmdenv(bad);
    EXPECT_THAT(ValidateStreamingSpec(spec),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--cmdenv")))
        << bad;
  }
  proto::JobSpec spec = Streaming("cat");
  spec.mutable_streaming()->add_cmdenv("GREETING=hello=world");
  EXPECT_THAT(ValidateStreamingSpec(spec), IsOk());
}

TEST(ValidateStreamingSpec, RefusesFileNamesThatAreNotPlainOrAreRepeated) {
  for (const char* bad : {"", ".", "..", "a/b"}) {
    proto::JobSpec spec = Streaming("cat");
    spec.mutable_streaming()->add_files()->set_name(bad);
    EXPECT_THAT(ValidateStreamingSpec(spec),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("plain file name")))
        << bad;
  }
  proto::JobSpec spec = Streaming("cat");
  spec.mutable_streaming()->add_files()->set_name("map.py");
  spec.mutable_streaming()->add_files()->set_name("map.py");
  EXPECT_THAT(ValidateStreamingSpec(spec),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("two files")));
}

TEST(ValidateStreamingSpec, BoundsTheShippedBytes) {
  proto::JobSpec spec = Streaming("cat");
  proto::ShippedFile* file = spec.mutable_streaming()->add_files();
  file->set_name("big");
  file->set_content(std::string(kMaxShippedBytes, 'x'));
  EXPECT_THAT(ValidateStreamingSpec(spec), IsOk());
  spec.mutable_streaming()->add_files()->set_name("one-more");
  spec.mutable_streaming()->mutable_files(1)->set_content("y");
  EXPECT_THAT(ValidateStreamingSpec(spec),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("at most 16 MiB")));
}

TEST(ValidateStreamingSpec, RefusesAModeBeyondPermissionBits) {
  proto::JobSpec spec = Streaming("cat");
  proto::ShippedFile* file = spec.mutable_streaming()->add_files();
  file->set_name("x");
  file->set_mode(04755);
  EXPECT_THAT(ValidateStreamingSpec(spec),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("permission bits")));
}

}  // namespace
}  // namespace braid
