// Env's contract, held by both PosixEnv (in a temporary directory) and FakeEnv: a test that
// passes on FakeEnv says something about the real filesystem.

#include "base/env.h"

#include <memory>
#include <string>

#include "base/fake_env.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/temp_files.h"
#include "third_party/absl_compat/status_matchers.h"

namespace braid {
namespace {

using ::braid_compat::testing::IsOk;
using ::braid_compat::testing::IsOkAndHolds;
using ::braid_compat::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

// An Env and a directory of its own to work in.
struct Fixture {
  virtual ~Fixture() = default;
  virtual Env& env() = 0;
  virtual std::string root() = 0;
};

struct PosixFixture : Fixture {
  Env& env() override { return *Env::Default(); }
  std::string root() override { return dir.path(); }
  testing::TempDir dir;
};

struct FakeFixture : Fixture {
  FakeFixture() { env_.CreateDirs("/work").IgnoreError(); }
  Env& env() override { return env_; }
  std::string root() override { return "/work"; }
  FakeEnv env_;
};

class EnvTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    if (GetParam()) {
      fixture_ = std::make_unique<FakeFixture>();
    } else {
      fixture_ = std::make_unique<PosixFixture>();
    }
  }
  Env& env() { return fixture_->env(); }
  std::string Path(const std::string& name) { return fixture_->root() + "/" + name; }

  std::unique_ptr<Fixture> fixture_;
};

INSTANTIATE_TEST_SUITE_P(PosixAndFake, EnvTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Fake" : "Posix"; });

TEST_P(EnvTest, WrittenFileReadsBack) {
  auto file = env().NewWritableFile(Path("a"));
  ASSERT_THAT(file, IsOk());
  EXPECT_THAT((*file)->Append("hello "), IsOk());
  EXPECT_THAT((*file)->Append("world"), IsOk());
  EXPECT_THAT((*file)->Sync(), IsOk());
  EXPECT_THAT((*file)->Close(), IsOk());
  EXPECT_THAT(env().ReadFile(Path("a")), IsOkAndHolds("hello world"));
}

TEST_P(EnvTest, SequentialFileReadsFromItsOffsetToTheEnd) {
  ASSERT_THAT(env().WriteStringToFile(Path("a"), "0123456789"), IsOk());
  auto file = env().NewSequentialFile(Path("a"), 3);
  ASSERT_THAT(file, IsOk());
  char buffer[4];
  EXPECT_THAT((*file)->Read(buffer, sizeof(buffer)), IsOkAndHolds(4));
  EXPECT_EQ(std::string(buffer, 4), "3456");
  EXPECT_THAT((*file)->Read(buffer, sizeof(buffer)), IsOkAndHolds(3));
  EXPECT_EQ(std::string(buffer, 3), "789");
  EXPECT_THAT((*file)->Read(buffer, sizeof(buffer)), IsOkAndHolds(0));
  EXPECT_THAT(env().NewSequentialFile(Path("none"), 0).status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("none")));
}

TEST_P(EnvTest, NewWritableFileEmptiesAnExistingFile) {
  ASSERT_THAT(env().WriteStringToFile(Path("a"), "old contents"), IsOk());
  ASSERT_THAT(env().WriteStringToFile(Path("a"), "new"), IsOk());
  EXPECT_THAT(env().ReadFile(Path("a")), IsOkAndHolds("new"));
}

TEST_P(EnvTest, PrivateFileIsTheOwnersAloneAndNeverReplacesAFile) {
  auto file = env().NewPrivateFile(Path("secret"));
  ASSERT_THAT(file, IsOk());
  EXPECT_THAT((*file)->Append("s3cr3t"), IsOk());
  EXPECT_THAT((*file)->Close(), IsOk());
  auto info = env().Stat(Path("secret"));
  ASSERT_THAT(info, IsOk());
  EXPECT_EQ(info->permissions, 0600u);
  EXPECT_THAT(env().ReadFile(Path("secret")), IsOkAndHolds("s3cr3t"));

  EXPECT_THAT(env().NewPrivateFile(Path("secret")).status(),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("secret")));
  EXPECT_THAT(env().ReadFile(Path("secret")), IsOkAndHolds("s3cr3t"));
}

TEST_P(EnvTest, AppendableFileKeepsWhatWasThere) {
  ASSERT_THAT(env().WriteStringToFile(Path("a"), "one "), IsOk());
  auto file = env().NewAppendableFile(Path("a"));
  ASSERT_THAT(file, IsOk());
  EXPECT_THAT((*file)->Append("two"), IsOk());
  EXPECT_THAT((*file)->Close(), IsOk());
  EXPECT_THAT(env().ReadFile(Path("a")), IsOkAndHolds("one two"));
}

TEST_P(EnvTest, TruncateCutsTheFile) {
  auto file = env().NewWritableFile(Path("a"));
  ASSERT_THAT(file, IsOk());
  ASSERT_THAT((*file)->Append("keep-cut"), IsOk());
  EXPECT_THAT((*file)->Truncate(4), IsOk());
  EXPECT_THAT((*file)->Close(), IsOk());
  EXPECT_THAT(env().ReadFile(Path("a")), IsOkAndHolds("keep"));
}

TEST_P(EnvTest, ClosedFileRefusesWrites) {
  auto file = env().NewWritableFile(Path("a"));
  ASSERT_THAT(file, IsOk());
  ASSERT_THAT((*file)->Close(), IsOk());
  EXPECT_THAT((*file)->Append("x"), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_P(EnvTest, FileInAMissingDirectoryIsNotFound) {
  EXPECT_THAT(env().NewWritableFile(Path("missing/a")).status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("missing/a")));
}

TEST_P(EnvTest, MissingFileIsNotFoundEverywhere) {
  EXPECT_THAT(env().ReadFile(Path("none")).status(), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(env().CheckReadable(Path("none")), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(env().Stat(Path("none")).status(), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(env().RemoveFile(Path("none")), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(env().RenameFile(Path("none"), Path("b")), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(env().GetChildren(Path("none")).status(), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_FALSE(env().Exists(Path("none")));
}

TEST_P(EnvTest, StatTellsFilesFromDirectories) {
  ASSERT_THAT(env().WriteStringToFile(Path("a"), "12345"), IsOk());
  ASSERT_THAT(env().CreateDirs(Path("d")), IsOk());
  auto file = env().Stat(Path("a"));
  ASSERT_THAT(file, IsOk());
  EXPECT_EQ(file->type, FileInfo::Type::kRegular);
  EXPECT_EQ(file->size, 5u);
  auto dir = env().Stat(Path("d"));
  ASSERT_THAT(dir, IsOk());
  EXPECT_EQ(dir->type, FileInfo::Type::kDirectory);
}

TEST_P(EnvTest, CreateDirsMakesParentsAndAcceptsAnExistingDirectory) {
  EXPECT_THAT(env().CreateDirs(Path("x/y/z")), IsOk());
  EXPECT_THAT(env().CreateDirs(Path("x/y/z")), IsOk());
  EXPECT_THAT(env().WriteStringToFile(Path("x/y/z/f"), "f"), IsOk());
}

TEST_P(EnvTest, GetChildrenListsNamesOfFilesAndDirectories) {
  ASSERT_THAT(env().CreateDirs(Path("d/sub/deeper")), IsOk());
  ASSERT_THAT(env().WriteStringToFile(Path("d/one"), "1"), IsOk());
  ASSERT_THAT(env().WriteStringToFile(Path("d/two"), "2"), IsOk());
  EXPECT_THAT(env().GetChildren(Path("d")),
              IsOkAndHolds(UnorderedElementsAre("one", "two", "sub")));
  EXPECT_THAT(env().GetChildren(Path("d/sub/deeper")), IsOkAndHolds(IsEmpty()));
}

TEST_P(EnvTest, GlobMatchesWithinOneDirectoryLevelSorted) {
  ASSERT_THAT(env().CreateDirs(Path("in/nested")), IsOk());
  ASSERT_THAT(env().WriteStringToFile(Path("in/b.txt"), "b"), IsOk());
  ASSERT_THAT(env().WriteStringToFile(Path("in/a.txt"), "a"), IsOk());
  ASSERT_THAT(env().WriteStringToFile(Path("in/c.log"), "c"), IsOk());
  ASSERT_THAT(env().WriteStringToFile(Path("in/nested/d.txt"), "d"), IsOk());
  EXPECT_THAT(env().Glob(Path("in/*.txt")),
              IsOkAndHolds(ElementsAre(Path("in/a.txt"), Path("in/b.txt"))));
  EXPECT_THAT(env().Glob(Path("in/[c]?log")), IsOkAndHolds(ElementsAre(Path("in/c.log"))));
  EXPECT_THAT(env().Glob(Path("in/*.none")), IsOkAndHolds(IsEmpty()));
}

TEST_P(EnvTest, RenameReplacesTheTarget) {
  ASSERT_THAT(env().WriteStringToFile(Path("new"), "new"), IsOk());
  ASSERT_THAT(env().WriteStringToFile(Path("old"), "old"), IsOk());
  EXPECT_THAT(env().RenameFile(Path("new"), Path("old")), IsOk());
  EXPECT_THAT(env().ReadFile(Path("old")), IsOkAndHolds("new"));
  EXPECT_FALSE(env().Exists(Path("new")));
}

TEST_P(EnvTest, RenameMovesADirectoryWithWhatItHolds) {
  ASSERT_THAT(env().CreateDirs(Path("from/sub")), IsOk());
  ASSERT_THAT(env().WriteStringToFile(Path("from/sub/f"), "f"), IsOk());
  EXPECT_THAT(env().RenameFile(Path("from"), Path("to")), IsOk());
  EXPECT_THAT(env().ReadFile(Path("to/sub/f")), IsOkAndHolds("f"));
  EXPECT_FALSE(env().Exists(Path("from")));
}

TEST_P(EnvTest, OpenFileKeepsWritingAfterARename) {
  auto file = env().NewWritableFile(Path("a.new"));
  ASSERT_THAT(file, IsOk());
  ASSERT_THAT((*file)->Append("before "), IsOk());
  ASSERT_THAT(env().RenameFile(Path("a.new"), Path("a")), IsOk());
  ASSERT_THAT((*file)->Append("after"), IsOk());
  ASSERT_THAT((*file)->Close(), IsOk());
  EXPECT_THAT(env().ReadFile(Path("a")), IsOkAndHolds("before after"));
}

TEST_P(EnvTest, PathsAreReadAsTheKernelReadsThem) {
  ASSERT_THAT(env().CreateDirs(Path("d//e/")), IsOk());
  ASSERT_THAT(env().WriteStringToFile(Path("d/./e//f"), "f"), IsOk());
  EXPECT_THAT(env().ReadFile(Path("d/e/f")), IsOkAndHolds("f"));
  EXPECT_THAT(env().GetChildren(Path("d/")), IsOkAndHolds(ElementsAre("e")));
  EXPECT_THAT(env().RemoveAll(Path("d/")), IsOk());
  EXPECT_FALSE(env().Exists(Path("d/e/f")));
}

TEST_P(EnvTest, CreateDirsOverAFileIsRefused) {
  ASSERT_THAT(env().WriteStringToFile(Path("f"), ""), IsOk());
  EXPECT_THAT(env().CreateDirs(Path("f")),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("Not a directory")));
  EXPECT_THAT(env().CreateDirs(Path("f/sub")), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(EnvTest, ADirectoryRenamedOntoAnEmptyOneReplacesIt) {
  ASSERT_THAT(env().CreateDirs(Path("from")), IsOk());
  ASSERT_THAT(env().WriteStringToFile(Path("from/f"), "f"), IsOk());
  ASSERT_THAT(env().CreateDirs(Path("empty")), IsOk());
  EXPECT_THAT(env().RenameFile(Path("from"), Path("empty")), IsOk());
  EXPECT_THAT(env().ReadFile(Path("empty/f")), IsOkAndHolds("f"));
}

TEST_P(EnvTest, ADirectoryIsNotRenamedOntoOneWithEntriesOrIntoItself) {
  ASSERT_THAT(env().CreateDirs(Path("from/sub")), IsOk());
  ASSERT_THAT(env().CreateDirs(Path("full")), IsOk());
  ASSERT_THAT(env().WriteStringToFile(Path("full/f"), "f"), IsOk());
  EXPECT_FALSE(env().RenameFile(Path("from"), Path("full")).ok());
  EXPECT_THAT(env().RenameFile(Path("from"), Path("from/sub/inside")),
              StatusIs(absl::StatusCode::kInternal));  // EINVAL
  EXPECT_TRUE(env().Exists(Path("from/sub")));
}

TEST_P(EnvTest, RemoveAllRemovesATreeAndAcceptsNothing) {
  ASSERT_THAT(env().CreateDirs(Path("t/a/b")), IsOk());
  ASSERT_THAT(env().WriteStringToFile(Path("t/a/b/f"), "f"), IsOk());
  ASSERT_THAT(env().WriteStringToFile(Path("t/g"), "g"), IsOk());
  ASSERT_THAT(env().WriteStringToFile(Path("tx"), "a sibling with the same prefix"), IsOk());
  EXPECT_THAT(env().RemoveAll(Path("t")), IsOk());
  EXPECT_FALSE(env().Exists(Path("t")));
  EXPECT_FALSE(env().Exists(Path("t/a/b/f")));
  EXPECT_TRUE(env().Exists(Path("tx")));
  EXPECT_THAT(env().RemoveAll(Path("t")), IsOk());
}

TEST_P(EnvTest, SyncDirNeedsADirectory) {
  EXPECT_THAT(env().SyncDir(fixture_->root()), IsOk());
  EXPECT_THAT(env().SyncDir(Path("none")), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(EnvTest, SecondLockOfAPathIsUnavailableUntilTheFirstGoes) {
  auto first = env().LockFile(Path("LOCK"));
  ASSERT_THAT(first, IsOk());
  EXPECT_THAT(env().LockFile(Path("LOCK")).status(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("LOCK")));
  first->reset();
  EXPECT_THAT(env().LockFile(Path("LOCK")), IsOk());
}

}  // namespace
}  // namespace braid
