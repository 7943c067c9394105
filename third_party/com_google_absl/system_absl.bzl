"""An Abseil target backed by the libabsl_*.so files that Debian installs."""

def system_absl_library(name, libs = [], deps = [], visibility = ["//visibility:public"]):
    native.cc_library(
        name = name,
        linkopts = ["-labsl_" + lib for lib in libs],
        deps = deps,
        visibility = visibility,
    )
