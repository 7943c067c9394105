// A braid command's flags as its user sees them: --help lists each one with dashes, its default
// and its help text; a flag no command defines is refused with the nearest one of the command's.

#ifndef BRAID_TOOLS_FLAG_HELP_H_
#define BRAID_TOOLS_FLAG_HELP_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace braid {

// Whether a flag defined in `file` (a source path) is one of the command's.
using FlagFilePredicate = std::function<bool(absl::string_view file)>;

// `usage`, then every flag of the command (sorted, with dashes, its default unless that is
// empty, and its help text wrapped to 80 columns).
std::string FlagHelp(absl::string_view usage, const FlagFilePredicate& mine);

// InvalidArgument naming the first argument of `args` (flag names with underscores, as the flag
// library takes them; "--" already dropped) that is a flag no part of braid defines, with the
// command's flag nearest to it when one is near, or a flag of another command (which this one
// would ignore).
absl::Status CheckFlagsAreKnown(const std::vector<std::string>& args,
                                const FlagFilePredicate& mine);

// Whether `args` asks for help (--help, -h, --helpfull, --helpshort, -help).
bool AsksForHelp(const std::vector<std::string>& args);

}  // namespace braid

#endif  // BRAID_TOOLS_FLAG_HELP_H_
