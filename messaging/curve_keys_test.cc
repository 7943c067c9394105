#include "messaging/curve_keys.h"

#include <string>

#include "base/fake_env.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "third_party/absl_compat/status_matchers.h"

namespace braid {
namespace {

using ::braid_compat::testing::IsOk;
using ::braid_compat::testing::IsOkAndHolds;
using ::braid_compat::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

class CurveKeysTest : public ::testing::Test {
 protected:
  CurveKeysTest() { EXPECT_THAT(env_.CreateDirs("/keys"), IsOk()); }

  CurveKeyPair NewPair() {
    absl::StatusOr<CurveKeyPair> pair = GenerateCurveKeyPair();
    EXPECT_THAT(pair, IsOk());
    return pair.ok() ? *pair : CurveKeyPair{};
  }

  FakeEnv env_;
};

TEST_F(CurveKeysTest, GeneratedKeysAreZ85AndDistinct) {
  const CurveKeyPair one = NewPair();
  const CurveKeyPair two = NewPair();
  EXPECT_TRUE(IsCurveKey(one.public_key));
  EXPECT_TRUE(IsCurveKey(one.secret_key));
  EXPECT_NE(one.public_key, two.public_key);
  EXPECT_NE(one.secret_key, two.secret_key);
}

TEST_F(CurveKeysTest, IsCurveKeyWantsFortyZ85Characters) {
  EXPECT_TRUE(IsCurveKey("rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"));
  EXPECT_FALSE(IsCurveKey("rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf"));    // 39
  EXPECT_FALSE(IsCurveKey("rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7a"));  // 41
  EXPECT_FALSE(IsCurveKey("rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]y f7"));  // a space
  EXPECT_FALSE(IsCurveKey(""));
  EXPECT_FALSE(IsCurveKey(std::string(40, '%')));  // the alphabet's, but overflows on decoding
}

TEST_F(CurveKeysTest, WrittenPairReadsBackWithASecretFileOfItsOwner) {
  const CurveKeyPair pair = NewPair();
  ASSERT_THAT(WriteCurveKeyPair(env_, "/keys/alice", pair), IsOk());
  auto info = env_.Stat("/keys/alice.key");
  ASSERT_THAT(info, IsOk());
  EXPECT_EQ(info->permissions, 0600u);

  auto read = ReadCurveKeyPair(env_, "/keys/alice.key");
  ASSERT_THAT(read, IsOk());
  EXPECT_EQ(read->public_key, pair.public_key);
  EXPECT_EQ(read->secret_key, pair.secret_key);
  EXPECT_THAT(ReadCurvePublicKey(env_, "/keys/alice.pub"), IsOkAndHolds(pair.public_key));
  EXPECT_THAT(ReadCurvePublicKey(env_, "/keys/alice.key"), IsOkAndHolds(pair.public_key));
  // The public file holds no secret.
  auto shared = env_.ReadFile("/keys/alice.pub");
  ASSERT_THAT(shared, IsOk());
  EXPECT_THAT(*shared, Not(HasSubstr(pair.secret_key)));
}

TEST_F(CurveKeysTest, WritingNeverOverwritesEitherFile) {
  const CurveKeyPair first = NewPair();
  ASSERT_THAT(WriteCurveKeyPair(env_, "/keys/alice", first), IsOk());
  EXPECT_THAT(WriteCurveKeyPair(env_, "/keys/alice", NewPair()),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("/keys/alice.pub")));
  EXPECT_THAT(ReadCurvePublicKey(env_, "/keys/alice.pub"), IsOkAndHolds(first.public_key));

  ASSERT_THAT(env_.RemoveFile("/keys/alice.pub"), IsOk());
  EXPECT_THAT(WriteCurveKeyPair(env_, "/keys/alice", NewPair()),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("/keys/alice.key")));
  auto kept = ReadCurveKeyPair(env_, "/keys/alice.key");
  ASSERT_THAT(kept, IsOk());
  EXPECT_EQ(kept->secret_key, first.secret_key);
  EXPECT_FALSE(env_.Exists("/keys/alice.pub"));
}

TEST_F(CurveKeysTest, FailedWriteLeavesNoHalfPair) {
  env_.FailOn(FakeEnv::Op::kCreate, "alice.pub", absl::ResourceExhaustedError("disk full"));
  EXPECT_THAT(WriteCurveKeyPair(env_, "/keys/alice", NewPair()),
              StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_FALSE(env_.Exists("/keys/alice.key"));
  EXPECT_FALSE(env_.Exists("/keys/alice.pub"));
}

TEST_F(CurveKeysTest, KeyFileOthersMayReadIsRefused) {
  ASSERT_THAT(WriteCurveKeyPair(env_, "/keys/alice", NewPair()), IsOk());
  ASSERT_THAT(env_.SetPermissions("/keys/alice.key", 0644), IsOk());
  EXPECT_THAT(ReadCurveKeyPair(env_, "/keys/alice.key").status(),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("chmod 600")));
}

TEST_F(CurveKeysTest, MalformedKeyFilesAreRefusedByName) {
  const CurveKeyPair pair = NewPair();
  const CurveKeyPair other = NewPair();
  auto write_secret = [&](const std::string& path, const std::string& text) {
    auto file = env_.NewPrivateFile(path);
    ASSERT_THAT(file, IsOk());
    ASSERT_THAT((*file)->Append(text), IsOk());
    ASSERT_THAT((*file)->Close(), IsOk());
  };
  write_secret("/keys/garbage.key", "not a key\n");
  write_secret("/keys/half.key", "public " + pair.public_key + "\n");
  write_secret("/keys/mismatch.key",
               "public " + other.public_key + "\nsecret " + pair.secret_key + "\n");
  EXPECT_THAT(ReadCurveKeyPair(env_, "/keys/garbage.key").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("/keys/garbage.key")));
  EXPECT_THAT(ReadCurveKeyPair(env_, "/keys/half.key").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("both")));
  EXPECT_THAT(ReadCurveKeyPair(env_, "/keys/mismatch.key").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not the secret key's")));
  EXPECT_THAT(ReadCurveKeyPair(env_, "/keys/none.key").status(),
              StatusIs(absl::StatusCode::kNotFound));
  ASSERT_THAT(env_.WriteStringToFile("/keys/empty.pub", "# nothing\n"), IsOk());
  EXPECT_THAT(ReadCurvePublicKey(env_, "/keys/empty.pub").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("/keys/empty.pub")));
}

}  // namespace
}  // namespace braid
