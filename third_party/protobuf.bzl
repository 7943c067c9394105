"""C++ code generation for .proto files with Debian's protoc (no @com_google_protobuf sources).

Bazel's proto_library and cc_proto_library need protobuf's sources, which an offline build does
not have; this macro runs the packaged compiler in a genrule and wraps its output in a cc_library.
Switching to the native rules later changes only this file.
"""

load("@rules_cc//cc:defs.bzl", "cc_library")

def braid_cc_proto_library(name, srcs, deps = [], visibility = None):
    """A cc_library `name` with the C++ classes of `srcs`.

    Args:
      name: the cc_library's name; `name + "_srcs"` is a filegroup of the .proto files, which
        dependent braid_cc_proto_library targets import through `deps`.
      srcs: .proto files of this package.
      deps: other braid_cc_proto_library targets whose .proto files `srcs` import.
      visibility: of the cc_library and the filegroup.
    """
    package = native.package_name()
    prefix = package + "/" if package else ""
    stems = [src[:-len(".proto")] for src in srcs]
    native.filegroup(
        name = name + "_srcs",
        srcs = srcs + [dep + "_srcs" for dep in deps],
        visibility = visibility,
    )
    native.genrule(
        name = name + "_protoc",
        srcs = [name + "_srcs"],
        outs = [stem + ext for stem in stems for ext in [".pb.h", ".pb.cc"]],
        tools = ["@com_google_protobuf//:protoc"],
        cmd = "$(location @com_google_protobuf//:protoc) --proto_path=. --cpp_out=$(GENDIR) " +
              " ".join([prefix + src for src in srcs]),
    )
    cc_library(
        name = name,
        srcs = [stem + ".pb.cc" for stem in stems],
        hdrs = [stem + ".pb.h" for stem in stems],
        deps = deps + ["@com_google_protobuf//:protobuf"],
        visibility = visibility,
    )
