// --coordinator, which every command that speaks to a coordinator takes.

#include <string>

#include "absl/flags/flag.h"

ABSL_FLAG(std::string, coordinator, "tcp://127.0.0.1:7070", "the coordinator's endpoint");
