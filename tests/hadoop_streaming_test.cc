// `braid streaming` as a Hadoop user runs it: the examples of Hadoop 3's streaming documentation,
// with their command lines as written there, and each output checked against the semantics the
// documentation states; secondary sort against a `sort -k` reference; and the options Braid
// refuses, refused by name.

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/braid_process.h"
#include "tests/job_outputs.h"
#include "tests/temp_files.h"
#include "tests/word_count_scripts.h"

namespace braid {
namespace {

using testing::CommandResult;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::ProcessCluster;

constexpr char kKeyFieldPartitioner[] = "org.apache.hadoop.mapred.lib.KeyFieldBasedPartitioner";
constexpr char kKeyFieldComparator[] =
    "org.apache.hadoop.mapreduce.lib.partition.KeyFieldBasedComparator";

// One cluster for the whole suite: each test runs its jobs on it with -coordinator.
class HadoopStreamingTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ProcessCluster::Options options;
    options.workers = 2;
    options.slots = 2;
    cluster_ = new ProcessCluster(options);
  }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }

  // `braid streaming ARGS -coordinator ENDPOINT`, from the test's directory.
  CommandResult Streaming(std::vector<std::string> args) {
    args.insert(args.begin(), "streaming");
    args.insert(args.end(), {"-coordinator", cluster_->endpoint()});
    return testing::RunBraidIn(dir_.path(), args, absl::Seconds(90));
  }

  std::string File(const std::string& name) { return dir_.File(name); }
  void WriteScript(const std::string& name, const std::string& text) {
    testing::WriteFile(File(name), text);
    chmod(File(name).c_str(), 0755);
  }

  static ProcessCluster* cluster_;
  testing::TempDir dir_;
};

ProcessCluster* HadoopStreamingTest::cluster_ = nullptr;

// Each part file's lines.
std::vector<std::vector<std::string>> Parts(const std::string& dir) {
  std::vector<std::vector<std::string>> parts;
  for (const std::string& part : testing::PartFiles(dir)) {
    parts.push_back(absl::StrSplit(testing::ReadFile(part), '\n', absl::SkipEmpty()));
  }
  return parts;
}

constexpr char kAddresses[] = "11.12.1.2\n11.14.2.3\n11.11.4.1\n11.12.1.1\n11.14.2.2\n";

TEST_F(HadoopStreamingTest, TheKeyFieldBasedPartitionerExample) {
  testing::WriteFile(File("in.txt"), kAddresses);
  CommandResult run = Streaming({"-D",           "stream.map.output.field.separator=.",
                                 "-D",           "stream.num.map.output.key.fields=4",
                                 "-D",           "map.output.key.field.separator=.",
                                 "-D",           "mapreduce.partition.keypartitioner.options=-k1,2",
                                 "-D",           "mapreduce.job.reduces=12",
                                 "-input",       "in.txt",
                                 "-output",      "out",
                                 "-mapper",      "/bin/cat",
                                 "-reducer",     "/bin/cat",
                                 "-partitioner", kKeyFieldPartitioner});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  // As the documentation says: the first two fields choose the partition, all four sort within
  // it, and the whole line is the key (an empty value: the tab after it).
  std::vector<std::vector<std::string>> groups;
  for (std::vector<std::string>& part : Parts(File("out"))) {
    if (!part.empty()) groups.push_back(part);
  }
  std::sort(groups.begin(), groups.end());
  EXPECT_THAT(groups,
              ElementsAre(ElementsAre("11.11.4.1\t"), ElementsAre("11.12.1.1\t", "11.12.1.2\t"),
                          ElementsAre("11.14.2.2\t", "11.14.2.3\t")));
  EXPECT_EQ(testing::PartFiles(File("out")).size(), 12u);
}

TEST_F(HadoopStreamingTest, TheKeyFieldBasedComparatorExample) {
  testing::WriteFile(File("in.txt"), kAddresses);
  CommandResult run = Streaming(
      {"-D",       absl::StrCat("mapreduce.job.output.key.comparator.class=", kKeyFieldComparator),
       "-D",       "stream.map.output.field.separator=.",
       "-D",       "stream.num.map.output.key.fields=4",
       "-D",       "mapreduce.map.output.key.field.separator=.",
       "-D",       "mapreduce.partition.keycomparator.options=-k2,2nr",
       "-D",       "mapreduce.job.reduces=1",
       "-input",   "in.txt",
       "-output",  "out",
       "-mapper",  "/bin/cat",
       "-reducer", "/bin/cat"});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  // Sorted by the second field, numerically, largest first.
  std::vector<std::string> seconds;
  for (absl::string_view line :
       absl::StrSplit(testing::ReadFile(File("out/part-r-00000")), '\n', absl::SkipEmpty())) {
    std::vector<std::string> fields = absl::StrSplit(line, '.');
    seconds.push_back(fields[1]);
  }
  EXPECT_THAT(seconds, ElementsAre("14", "14", "12", "12", "11"));
}

TEST_F(HadoopStreamingTest, TheWordCountExampleWithFilesAndBothDForms) {
  WriteScript("mapper.py", testing::kWordCountMapper);
  WriteScript("reducer.py", testing::kWordCountReducer);
  testing::WriteFile(File("a.txt"), "the cat sat\non the mat\n");
  testing::WriteFile(File("b.txt"), "the end\n");
  CommandResult run =
      Streaming({"-Dmapreduce.job.name=wc", "-D", "mapreduce.job.reduces=2", "-files",
                 "mapper.py,reducer.py", "-input", "a.txt", "-input", "b.txt", "-output", "out",
                 "-mapper", "mapper.py", "-reducer", "reducer.py"});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(testing::PartFiles(File("out")).size(), 2u);
  EXPECT_EQ(testing::SortedOutputLines(File("out")),
            (std::vector<std::string>{"cat\t1", "end\t1", "mat\t1", "on\t1", "sat\t1", "the\t3"}));
}

// The documentation's aggregate example: the mapper writes LongValueSum:KEY<TAB>1 for each line's
// first field, and -reducer aggregate sums them. The other aggregators ride along.
TEST_F(HadoopStreamingTest, TheAggregateExample) {
  WriteScript("aggregator.py", R"(#!/usr/bin/python3
import sys
for line in sys.stdin:
    fields = line.rstrip("\n").split("\t")
    print("LongValueSum:" + fields[0] + "\t1")
    print("UniqValueCount:uniq-" + fields[0] + "\t" + fields[1])
    print("ValueHistogram:hist\t" + fields[0])
    print("LongValueMax:max\t" + str(len(fields[1])))
)");
  testing::WriteFile(File("in.txt"), "k1\tx\nk2\ty\nk1\tz\nk1\tx\n");
  CommandResult run = Streaming({"-input", "in.txt", "-output", "out", "-mapper", "aggregator.py",
                                 "-reducer", "aggregate", "-file", "aggregator.py"});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(testing::SortedOutputLines(File("out")),
            (std::vector<std::string>{"hist\t2\t1\t3\t3\t2.0\t1.0", "k1\t3", "k2\t1", "max\t1",
                                      "uniq-k1\t2", "uniq-k2\t1"}));
  // Its combiner ran too, as Hadoop's aggregate brings one.
  EXPECT_THAT(run.output, HasSubstr("COMBINE_INPUT_RECORDS=16"));
}

TEST_F(HadoopStreamingTest, AnAggregateKeyWithoutAKnownTypeFailsTheJobNamingIt) {
  testing::WriteFile(File("in.txt"), "x\n");
  CommandResult run = Streaming(
      {"-input", "in.txt", "-output", "out", "-mapper", "sed 's/^/Average:/'", "-reducer",
       "aggregate", "-D", "mapreduce.map.maxattempts=1", "-D", "mapreduce.reduce.maxattempts=1"});
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_THAT(run.output, HasSubstr("'Average' is not an aggregator"));
}

TEST_F(HadoopStreamingTest, CompressedOutputIsNamedByItsCodecAndReadsBack) {
  testing::WriteFile(File("in.txt"), "b a\na c\n");
  CommandResult run = Streaming(
      {"-D", "mapreduce.output.fileoutputformat.compress=true", "-D",
       "mapreduce.output.fileoutputformat.compress.codec=org.apache.hadoop.io.compress.GzipCodec",
       "-input", "in.txt", "-output", "out", "-mapper", "tr ' ' '\\n'", "-reducer", "uniq -c"});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  ASSERT_TRUE(std::filesystem::exists(File("out/part-r-00000.gz"))) << run.output;
  // Read back by another job, as its compressed input.
  run = Streaming(
      {"-input", "out/part-r-00000.gz", "-output", "again", "-mapper", "cat", "-reducer", "NONE"});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  std::vector<std::string> lines;
  for (absl::string_view line :
       absl::StrSplit(testing::ReadFile(File("again/part-m-00000")), '\n', absl::SkipEmpty())) {
    lines.push_back(std::string(absl::StripAsciiWhitespace(line)));
  }
  EXPECT_THAT(lines, ElementsAre("2 a", "1 b", "1 c"));
}

// The documentation's Java-class example: IdentityMapper keys each line by its byte offset.
TEST_F(HadoopStreamingTest, TheIdentityMapperExample) {
  testing::WriteFile(File("in.txt"), "ab\ncd\n");
  CommandResult run =
      Streaming({"-input", "in.txt", "-output", "out", "-mapper",
                 "org.apache.hadoop.mapred.lib.IdentityMapper", "-reducer", "/usr/bin/wc"});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  // wc of "0<TAB>ab" and "3<TAB>cd": 2 lines, 4 words, 10 bytes.
  std::vector<std::string> words = absl::StrSplit(testing::ReadFile(File("out/part-r-00000")),
                                                  absl::ByAnyChar(" \t\n"), absl::SkipEmpty());
  EXPECT_THAT(words, ElementsAre("2", "4", "10"));
}

TEST_F(HadoopStreamingTest, WithoutAMapperTheOffsetsAreKeysSortedAsNumbers) {
  std::string text;
  for (int i = 0; i < 12; ++i) absl::StrAppend(&text, "l", i % 10, "\n");
  testing::WriteFile(File("in.txt"), text);
  CommandResult run = Streaming({"-input", "in.txt", "-output", "out"});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  std::string expected;
  for (int i = 0; i < 12; ++i) absl::StrAppend(&expected, i * 3, "\tl", i % 10, "\n");
  EXPECT_EQ(testing::ReadFile(File("out/part-r-00000")), expected);
}

// The documentation's field selection example, with ',' for its '.': Hadoop reads the
// separator as a regular expression, and '.' there cuts at every character.
TEST_F(HadoopStreamingTest, TheFieldSelectionExample) {
  testing::WriteFile(File("in.txt"), "a,b,c,d,e,f,g\nh,i,j,k,l,m,n\n");
  std::vector<std::string> args = {
      "-D",           "mapreduce.map.output.key.field.separator=,",
      "-D",           "mapreduce.partition.keypartitioner.options=-k1,2",
      "-D",           "mapreduce.fieldsel.data.field.separator=,",
      "-D",           "mapreduce.fieldsel.map.output.key.value.fields.spec=6,5,1-3:0-",
      "-D",           "mapreduce.fieldsel.reduce.output.key.value.fields.spec=0-2:5-",
      "-D",           "mapreduce.map.output.key.class=org.apache.hadoop.io.Text",
      "-D",           "mapreduce.job.reduces=12",
      "-input",       "in.txt",
      "-output",      "out",
      "-mapper",      "org.apache.hadoop.mapred.lib.FieldSelectionMapReduce",
      "-reducer",     "org.apache.hadoop.mapred.lib.FieldSelectionMapReduce",
      "-partitioner", kKeyFieldPartitioner};
  CommandResult run = Streaming(args);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(testing::SortedOutputLines(File("out")),
            (std::vector<std::string>{"g,f,b\ta,b,c,d,e,f,g", "n,m,i\th,i,j,k,l,m,n"}));
  // The property Braid does not know is named, not dropped in silence.
  EXPECT_THAT(run.output, HasSubstr("mapreduce.map.output.key.class"));
  // With the documentation's own '.', refused by name.
  args[5] = "mapreduce.fieldsel.data.field.separator=.";
  args[17] = "out-dot";
  run = Streaming(args);
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_THAT(run.output, HasSubstr("mapreduce.fieldsel.data.field.separator='.'"));
}

TEST_F(HadoopStreamingTest, FieldSelectionPropertiesInAJobThatSelectsNoFieldsOnlyWarn) {
  testing::WriteFile(File("in.txt"), "x\n");
  CommandResult run = Streaming({"-D", "mapreduce.fieldsel.data.field.separator=|", "-input",
                                 "in.txt", "-output", "out", "-mapper", "cat"});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_THAT(run.output, HasSubstr("has no effect"));
  EXPECT_EQ(testing::ReadFile(File("out/part-r-00000")), "x\t\n");
}

TEST_F(HadoopStreamingTest, CommaSeparatedInputsAndTheDeprecatedJobconf) {
  testing::WriteFile(File("a.txt"), "x\n");
  testing::WriteFile(File("b.txt"), "y\n");
  CommandResult run =
      Streaming({"-jobconf", "mapred.reduce.tasks=1", "-input", "a.txt,b.txt", "-output", "out",
                 "-mapper", "cat", "-reducer", "org.apache.hadoop.mapred.lib.IdentityReducer"});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(testing::ReadFile(File("out/part-r-00000")), "x\t\ny\t\n");
}

TEST_F(HadoopStreamingTest, NumReduceTasksWinsOverTheReducesPropertyWhereverEitherIs) {
  testing::WriteFile(File("in.txt"), "a\nb\nc\n");
  CommandResult run = Streaming({"-numReduceTasks", "3", "-D", "mapreduce.job.reduces=1", "-input",
                                 "in.txt", "-output", "out", "-mapper", "cat"});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(testing::PartFiles(File("out")).size(), 3u);
}

TEST_F(HadoopStreamingTest, GlobBracesKeepTheirCommasAndFileUrlsNameLocalPaths) {
  std::filesystem::create_directories(File("in"));
  testing::WriteFile(File("in/a.txt"), "a\n");
  testing::WriteFile(File("in/b.txt"), "b\n");
  testing::WriteFile(File("in/c.txt"), "c\n");
  CommandResult run =
      Streaming({"-input", "in/{a,b}.txt", "-output", "file:" + File("out"), "-mapper", "cat",
                 "-combiner", "org.apache.hadoop.mapred.lib.IdentityReducer"});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(testing::ReadFile(File("out/part-r-00000")), "a\t\nb\t\n");
}

TEST_F(HadoopStreamingTest, AReducerOfNoneIsAMapOnlyJob) {
  testing::WriteFile(File("in.txt"), "k\tv\nalone\n");
  CommandResult run =
      Streaming({"-input", "in.txt", "-output", "out", "-mapper", "cat", "-reducer", "NONE"});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  ASSERT_TRUE(std::filesystem::exists(File("out/part-m-00000"))) << run.output;
  EXPECT_EQ(testing::ReadFile(File("out/part-m-00000")), "k\tv\nalone\t\n");
}

TEST_F(HadoopStreamingTest, SmallFilesAreCombinedOnlyWithCombineTextInputFormat) {
  for (const char* name : {"a", "b", "c"}) testing::WriteFile(File(name), absl::StrCat(name, "\n"));
  const std::vector<std::string> job = {
      "-numReduceTasks", "0",
      "-input",          "?",
      "-mapper",         "cat; echo \"file=${map_input_file-unset}\""};
  auto with = [&job](std::vector<std::string> more) {
    more.insert(more.end(), job.begin(), job.end());
    return more;
  };
  // A task per file, which its command is told.
  CommandResult run = Streaming(with({"-output", "apart"}));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_THAT(Parts(File("apart")),
              ElementsAre(ElementsAre("a\t", absl::StrCat("file=", File("a"), "\t")),
                          ElementsAre("b\t", absl::StrCat("file=", File("b"), "\t")),
                          ElementsAre("c\t", absl::StrCat("file=", File("c"), "\t"))));
  // One task for the three, which names no one file.
  run = Streaming(with({"-inputformat", "org.apache.hadoop.mapred.lib.CombineTextInputFormat",
                        "-output", "packed"}));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_THAT(Parts(File("packed")), ElementsAre(ElementsAre("a\t", "b\t", "c\t", "file=unset\t")));
}

TEST_F(HadoopStreamingTest, CmdenvAndFileReachTheCommands) {
  WriteScript("greet.sh", "#!/bin/sh\nwhile read line; do echo \"$GREETING $line\"; done\n");
  testing::WriteFile(File("in.txt"), "world\n");
  CommandResult run =
      Streaming({"-file", "greet.sh", "-cmdenv", "GREETING=hello", "-numReduceTasks", "0", "-input",
                 "in.txt", "-output", "out", "-mapper", "./greet.sh"});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(testing::ReadFile(File("out/part-m-00000")), "hello world\t\n");
}

TEST_F(HadoopStreamingTest, FilesShipUnderTheNameAfterTheirHash) {
  std::filesystem::create_directories(File("a"));
  std::filesystem::create_directories(File("b"));
  WriteScript("a/tool.sh", "#!/bin/sh\nsed 's/^/a:/'\n");
  WriteScript("b/tool.sh", "#!/bin/sh\nsed 's/^/b:/'\n");
  testing::WriteFile(File("in.txt"), "x\n");
  CommandResult run =
      Streaming({"-files", "a/tool.sh,b/tool.sh#other.sh", "-numReduceTasks", "0", "-input",
                 "in.txt", "-output", "out", "-mapper", "./tool.sh | ./other.sh"});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(testing::ReadFile(File("out/part-m-00000")), "b:a:x\t\n");
  // Two different files under one name would leave one of them out: refused.
  run = Streaming({"-files", "a/tool.sh,b/tool.sh", "-input", "in.txt", "-output", "out2",
                   "-mapper", "./tool.sh"});
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_THAT(run.output, HasSubstr("already shipped as 'tool.sh'"));
}

TEST_F(HadoopStreamingTest, CarriageReturnsNeverReachTheMapper) {
  testing::WriteFile(File("crlf.txt"), "b a\r\nc a\r\n");
  testing::WriteFile(File("cr.txt"), "a b\rc\r");
  CommandResult run = Streaming({"-input", "crlf.txt", "-input", "cr.txt", "-output", "out",
                                 "-mapper", "tr ' ' '\\n'", "-reducer", "uniq -c"});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const std::string output = testing::ReadFile(File("out/part-r-00000"));
  EXPECT_EQ(output.find('\r'), std::string::npos) << output;
  std::vector<std::string> counts;
  for (absl::string_view line : absl::StrSplit(output, '\n', absl::SkipEmpty())) {
    counts.push_back(std::string(absl::StripAsciiWhitespace(line)));
  }
  EXPECT_THAT(counts, ElementsAre("3 a", "2 b", "2 c"));
}

// Lines "user.time.event", shuffled: the reducer prints each user's times in the order it
// received them, which with the comparator is by time, largest first.
TEST_F(HadoopStreamingTest, SecondarySortGivesWhatSortKGivesForAnyReducerCount) {
  std::mt19937 random(5);
  std::vector<std::string> lines;
  std::map<std::string, std::vector<int>> expected_times;
  for (int user = 0; user < 40; ++user) {
    for (int event = 0; event < 1 + user % 7; ++event) {
      const int time = static_cast<int>(random() % 5000);
      const std::string name = absl::StrCat("u", user * 37 % 101);
      lines.push_back(absl::StrCat(name, ".", time, ".e", event));
      expected_times[name].push_back(time);
    }
  }
  std::shuffle(lines.begin(), lines.end(), random);
  // The input in three files, each a split of its own.
  std::filesystem::create_directories(File("in"));
  for (int f = 0; f < 3; ++f) {
    std::string text;
    for (size_t i = f; i < lines.size(); i += 3) absl::StrAppend(&text, lines[i], "\n");
    testing::WriteFile(File(absl::StrCat("in/", f, ".txt")), text);
  }
  // sort -t. -k1,1 -k2,2nr: per user, the times largest first.
  std::vector<std::string> expected;
  for (auto& [user, times] : expected_times) {
    std::sort(times.begin(), times.end(), std::greater<int>());
    expected.push_back(absl::StrCat(user, "\t", absl::StrJoin(times, ",")));
  }
  std::sort(expected.begin(), expected.end());
  WriteScript("times.sh", R"(#!/bin/sh
awk -F'\t' '{ split($1, k, "."); if (k[1] != user) { if (user != "") print user "\t" times;
  user = k[1]; times = k[2] } else times = times "," k[2] }
  END { if (user != "") print user "\t" times }'
)");
  for (int reducers : {1, 2, 5}) {
    const std::string out = absl::StrCat("out-", reducers);
    CommandResult run =
        Streaming({"-D",
                   "stream.map.output.field.separator=.",
                   "-D",
                   "stream.num.map.output.key.fields=2",
                   "-D",
                   "mapreduce.map.output.key.field.separator=.",
                   "-D",
                   "mapreduce.partition.keypartitioner.options=-k1,1",
                   "-D",
                   absl::StrCat("mapreduce.job.output.key.comparator.class=", kKeyFieldComparator),
                   "-D",
                   "mapreduce.partition.keycomparator.options=-k1,1 -k2,2nr",
                   "-numReduceTasks",
                   absl::StrCat(reducers),
                   "-partitioner",
                   kKeyFieldPartitioner,
                   "-file",
                   "times.sh",
                   "-input",
                   "in",
                   "-output",
                   out,
                   "-mapper",
                   "cat",
                   "-reducer",
                   "./times.sh"});
    ASSERT_EQ(run.exit_code, 0) << run.output;
    EXPECT_EQ(testing::SortedOutputLines(File(out)), expected) << reducers << " reducers";
  }
}

struct Refusal {
  std::vector<std::string> args;
  std::string message;
};

TEST_F(HadoopStreamingTest, WhatBraidCannotDoIsRefusedByName) {
  testing::WriteFile(File("in.txt"), "x\n");
  const std::vector<std::string> job = {"-input", "in.txt", "-output", "out", "-mapper", "cat"};
  auto with = [&job](std::vector<std::string> more) {
    more.insert(more.end(), job.begin(), job.end());
    return more;
  };
  for (const Refusal& refusal : std::vector<Refusal>{
           {with({"-inputformat", "org.apache.hadoop.mapred.SequenceFileAsTextInputFormat"}),
            "-inputformat org.apache.hadoop.mapred.SequenceFileAsTextInputFormat is not "
            "supported"},
           {with({"-outputformat", "org.apache.hadoop.mapred.SequenceFileOutputFormat"}),
            "-outputformat org.apache.hadoop.mapred.SequenceFileOutputFormat is not supported"},
           {with({"-libjars", "x.jar"}), "-libjars is not supported"},
           {with({"-reducer", "org.apache.hadoop.mapred.lib.IdentityMapper"}),
            "IdentityMapper is a mapper"},
           {with({"-D", "stream.map.output=typedbytes"}),
            "stream.map.output=typedbytes is not supported"},
           {with({"-reducer", "org.apache.hadoop.mapred.lib.RegexMapper"}), "names a Java class"},
           {with({"-partitioner", "org.apache.hadoop.mapred.lib.TotalOrderPartitioner"}),
            "TotalOrderPartitioner is not supported"},
           {with({"-D", "mapreduce.partition.keycomparator.options=-k2,2nr"}),
            "is not KeyFieldBasedComparator"},
           {with({"-D", "mapreduce.output.fileoutputformat.compress=true", "-D",
                  "mapreduce.output.fileoutputformat.compress.codec="
                  "org.apache.hadoop.io.compress.SnappyCodec"}),
            "SnappyCodec is not supported"},
           {with({"-fs", "hdfs://namenode:8020"}), "-fs hdfs://namenode:8020 is not supported"},
           {with({"-jt", "resourcemanager:8032"}), "-jt resourcemanager:8032 is not supported"},
           {with({"-D", "novalue"}), "-D 'novalue' is not PROPERTY=VALUE"},
           {with({"-numReduceTasks", "many"}), "-numReduceTasks many"},
           {with({"-frobnicate", "x"}), "unknown option -frobnicate"},
           {{"-input", "hdfs:///data/in", "-output", "out", "-mapper", "cat"},
            "names another filesystem (hdfs://)"},
           {{"-output", "out", "-mapper", "cat"}, "-input is required"},
       }) {
    CommandResult run = Streaming(refusal.args);
    EXPECT_EQ(run.exit_code, 2) << absl::StrJoin(refusal.args, " ") << "\n" << run.output;
    EXPECT_THAT(run.output, HasSubstr(refusal.message)) << absl::StrJoin(refusal.args, " ");
    EXPECT_FALSE(std::filesystem::exists(File("out"))) << absl::StrJoin(refusal.args, " ");
  }
}

TEST(HadoopStreamingLocalTest, WithoutACoordinatorTheJobRunsOnALocalCluster) {
  testing::TempDir dir;
  testing::WriteFile(dir.File("in.txt"), "b\na\n");
  CommandResult run = testing::RunBraid({"streaming", "-workers", "1", "-input", dir.File("in.txt"),
                                         "-output", dir.File("out"), "-mapper", "cat"},
                                        absl::Seconds(90));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(testing::ReadFile(dir.File("out/part-r-00000")), "a\t\nb\t\n");
}

TEST(HadoopStreamingLocalTest, HelpPrintsTheOptionsAndExitsZero) {
  CommandResult run = testing::RunBraid({"streaming", "-help"});
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_THAT(run.output, HasSubstr("-numReduceTasks"));
}

}  // namespace
}  // namespace braid
