"""braid_worker: a braid binary that also runs your jobs."""

def braid_worker(name, srcs = [], deps = [], **kwargs):
    """A `braid` binary (every subcommand, the built-in jobs) that also runs the jobs in `srcs`.

    Each job registers itself with BRAID_REGISTER_JOB (job/registry.h). Run the binary's
    `worker` subcommand on the machines of a fleet, or its `simulate` subcommand to try the jobs
    on this machine:

        braid_worker(
            name = "braid",
            srcs = ["bigrams.cc"],
        )

    Args:
      name: the binary.
      srcs: the jobs' sources (compiled into the binary, so their registrations are kept).
      deps: what the sources need besides Braid's job API.
      **kwargs: passed to cc_binary (visibility, tags, ...).
    """
    native.cc_binary(
        name = name,
        srcs = srcs,
        deps = deps + [
            Label("//job"),
            Label("//job:sum_reducer"),
            Label("//tools:braid_main"),
        ],
        malloc = Label("//third_party:malloc"),
        **kwargs
    )
