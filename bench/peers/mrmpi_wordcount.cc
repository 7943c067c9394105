// Word count on MR-MPI (Sandia's MapReduce-MPI library, Debian's libmrmpi-dev): the baseline
// bench/run compares Braid's word count with. It follows the library's own wordfreq example:
// each input file is one map task (files are dealt out to the MPI ranks), words are emitted with
// no value, collate() brings each word's values together on one rank, and reduce() counts them.
// Each rank writes its words as "word<TAB>count" lines to OUTPUT.RANK.
//
//   mpirun -np 2 mrmpi_wordcount OUTPUT FILE...
//
// Built by bench/run with g++ outside Bazel, since the library is an optional package (see
// build_mrmpi in bench/run for the command line).

#include <keyvalue.h>
#include <mapreduce.h>
#include <mpi.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

// Map: one file, read whole; every word becomes a key with no value.
void CountFile(int, char* path, MAPREDUCE_NS::KeyValue* kv, void*) {
  std::FILE* file = std::fopen(path, "rb");
  if (file == nullptr) {
    std::fprintf(stderr, "mrmpi_wordcount: cannot open %s\n", path);
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  std::fseek(file, 0, SEEK_END);
  const long size = std::ftell(file);
  std::fseek(file, 0, SEEK_SET);
  std::vector<char> text(static_cast<size_t>(size) + 1);
  if (std::fread(text.data(), 1, static_cast<size_t>(size), file) != static_cast<size_t>(size)) {
    std::fprintf(stderr, "mrmpi_wordcount: cannot read %s\n", path);
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  std::fclose(file);
  char* p = text.data();
  char* end = p + size;
  while (p < end) {
    while (p < end && IsSpace(*p)) ++p;
    char* start = p;
    while (p < end && !IsSpace(*p)) ++p;
    if (p > start) kv->add(start, static_cast<int>(p - start), nullptr, 0);
  }
}

// Reduce: a word and its (empty) values; the count is the number of values.
void Sum(char* key, int key_bytes, char*, int values, int*, MAPREDUCE_NS::KeyValue* kv, void*) {
  kv->add(key, key_bytes, reinterpret_cast<char*>(&values), sizeof(values));
}

void Write(uint64_t, char* key, int key_bytes, char* value, int, MAPREDUCE_NS::KeyValue*,
           void* out) {
  int count;
  std::memcpy(&count, value, sizeof(count));
  std::fprintf(static_cast<std::FILE*>(out), "%.*s\t%d\n", key_bytes, key, count);
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (argc < 3) {
    if (rank == 0) std::fprintf(stderr, "usage: mrmpi_wordcount OUTPUT FILE...\n");
    MPI_Finalize();
    return 2;
  }
  {
    MAPREDUCE_NS::MapReduce mr(MPI_COMM_WORLD);
    mr.verbosity = 0;
    mr.timer = 0;
    mr.map(argc - 2, &argv[2], 0, 0, 0, CountFile, nullptr);
    mr.collate(nullptr);
    mr.reduce(Sum, nullptr);
    const std::string output = std::string(argv[1]) + "." + std::to_string(rank);
    std::FILE* out = std::fopen(output.c_str(), "wb");
    if (out == nullptr) {
      std::fprintf(stderr, "mrmpi_wordcount: cannot write %s\n", output.c_str());
      MPI_Abort(MPI_COMM_WORLD, 1);
    }
    mr.map(&mr, Write, out);
    std::fclose(out);
  }
  MPI_Finalize();
  return 0;
}
