// --coordinator, which every command that speaks to a coordinator takes.

#include <string>

#include "absl/flags/flag.h"
#include "absl/time/time.h"

ABSL_FLAG(std::string, coordinator, "tcp://127.0.0.1:7070", "the coordinator's endpoint");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(30),
          "how long a client command waits for a coordinator it cannot reach (one that is "
          "restarting) before it gives up");
