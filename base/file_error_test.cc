// FileError: errno named as the status a caller should act on.

#include "base/file_error.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "third_party/absl_compat/status_matchers.h"

namespace braid {
namespace {

using ::braid_compat::testing::IsOk;
using ::braid_compat::testing::StatusIs;
using ::testing::HasSubstr;

TEST(FileError, AFullDiskIsResourceExhaustedNotPermissionDenied) {
  EXPECT_THAT(
      FileError("sync", "/state/journal", ENOSPC),
      StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("cannot sync '/state/journal'")));
  EXPECT_EQ(ErrnoCode(EDQUOT), absl::StatusCode::kResourceExhausted);
}

TEST(FileError, EachErrnoGetsTheCodeACallerActsOn) {
  EXPECT_EQ(ErrnoCode(ENOENT), absl::StatusCode::kNotFound);
  EXPECT_EQ(ErrnoCode(EEXIST), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ErrnoCode(EACCES), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(ErrnoCode(EROFS), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(ErrnoCode(EMFILE), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ErrnoCode(EISDIR), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrnoCode(EAGAIN), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ErrnoCode(EIO), absl::StatusCode::kDataLoss);
  EXPECT_EQ(ErrnoCode(EXDEV), absl::StatusCode::kInternal);
}

TEST(FileError, ReadsErrnoRightAfterTheFailedCall) {
  ASSERT_LT(open("/nonexistent-braid-dir/file", O_RDONLY), 0);
  EXPECT_THAT(FileError("open", "/nonexistent-braid-dir/file"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("No such file")));
}

TEST(WriteAll, WritesEverythingAndNamesTheFileOnFailure) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  EXPECT_THAT(WriteAll(fds[1], "hello", "the pipe"), IsOk());
  char buffer[8] = {};
  ASSERT_EQ(read(fds[0], buffer, sizeof(buffer)), 5);
  EXPECT_STREQ(buffer, "hello");
  close(fds[0]);
  close(fds[1]);
  EXPECT_THAT(WriteAll(fds[1], "x", "the closed pipe"),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("the closed pipe")));
}

}  // namespace
}  // namespace braid
