// --slots, which braid worker and braid simulate share.

#include "absl/flags/flag.h"

ABSL_FLAG(int, slots, 0,
          "tasks a worker runs at once (0: braid worker uses the number of cores; braid simulate "
          "shares the cores among its workers)");
