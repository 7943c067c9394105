#include "tools/flag_help.h"

#include <algorithm>
#include <cctype>
#include <cstddef>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"

namespace braid {
namespace {

constexpr size_t kWidth = 80;
constexpr char kIndent[] = "      ";

std::string Dashed(absl::string_view name) { return absl::StrReplaceAll(name, {{"_", "-"}}); }

// `text` wrapped at kWidth, each line after kIndent.
std::string Wrapped(absl::string_view text) {
  std::string out;
  std::string line = kIndent;
  for (absl::string_view word : absl::StrSplit(text, ' ', absl::SkipEmpty())) {
    if (line.size() > sizeof(kIndent) - 1 && line.size() + 1 + word.size() > kWidth) {
      absl::StrAppend(&out, line, "\n");
      line = kIndent;
    }
    if (line.size() > sizeof(kIndent) - 1) line += ' ';
    absl::StrAppend(&line, word);
  }
  if (line.size() > sizeof(kIndent) - 1) absl::StrAppend(&out, line, "\n");
  return out;
}

// The flag name an argument sets ("" if the argument is not a flag): --name, --name=value,
// -name; the flag library also takes --noname for a boolean.
std::string FlagName(absl::string_view arg) {
  if (!absl::ConsumePrefix(&arg, "--") && !absl::ConsumePrefix(&arg, "-")) return "";
  if (arg.empty() || !std::isalpha(static_cast<unsigned char>(arg.front()))) return "";
  return std::string(arg.substr(0, arg.find('=')));
}

size_t EditDistance(absl::string_view a, absl::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::vector<const absl::CommandLineFlag*> FlagsOf(const FlagFilePredicate& mine) {
  std::vector<const absl::CommandLineFlag*> flags;
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (mine(flag->Filename())) flags.push_back(flag);
  }
  std::sort(flags.begin(), flags.end(),
            [](const absl::CommandLineFlag* a, const absl::CommandLineFlag* b) {
              return a->Name() < b->Name();
            });
  return flags;
}

}  // namespace

std::string FlagHelp(absl::string_view usage, const FlagFilePredicate& mine) {
  std::string help = absl::StrCat(usage, "\n");
  const std::vector<const absl::CommandLineFlag*> flags = FlagsOf(mine);
  if (flags.empty()) return help;
  absl::StrAppend(&help, "\nflags:\n");
  for (const absl::CommandLineFlag* flag : flags) {
    const std::string fallback = flag->DefaultValue();
    absl::StrAppend(&help, "  --", Dashed(flag->Name()),
                    fallback.empty() ? "" : absl::StrCat(" (default ", fallback, ")"), "\n",
                    Wrapped(flag->Help()));
  }
  return help;
}

absl::Status CheckFlagsAreKnown(const std::vector<std::string>& args,
                                const FlagFilePredicate& mine) {
  for (const std::string& arg : args) {
    const std::string name = FlagName(arg);
    if (name.empty()) continue;
    const absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    if (flag == nullptr && absl::StartsWith(name, "no")) {
      flag = absl::FindCommandLineFlag(name.substr(2));
    }
    if (flag != nullptr) {
      // Another command's flag would be ignored here: refused, rather than silently unused.
      // (The flag library's own, --version say, are left to it.)
      if (!mine(flag->Filename()) && !absl::StrContains(flag->Filename(), "absl/")) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--", Dashed(flag->Name()), " is not a flag of this command (--help lists its flags)"));
      }
      continue;
    }
    std::string nearest;
    size_t best = std::max<size_t>(2, name.size() / 3) + 1;
    for (const absl::CommandLineFlag* flag : FlagsOf(mine)) {
      const size_t distance = EditDistance(name, flag->Name());
      if (distance < best) {
        best = distance;
        nearest = std::string(flag->Name());
      }
    }
    return absl::InvalidArgumentError(
        absl::StrCat("unknown flag --", Dashed(name),
                     nearest.empty() ? "" : absl::StrCat("; did you mean --", Dashed(nearest), "?"),
                     " (--help lists the flags)"));
  }
  return absl::OkStatus();
}

bool AsksForHelp(const std::vector<std::string>& args) {
  for (const std::string& arg : args) {
    const std::string name = FlagName(arg);
    if (name == "help" || name == "h" || name == "helpfull" || name == "helpshort") return true;
  }
  return false;
}

}  // namespace braid
