"""Offline stand-in for rules_proto: the native proto rules under their rules_proto names."""

def proto_library(**attrs):
    native.proto_library(**attrs)


def proto_lang_toolchain(**attrs):
    native.proto_lang_toolchain(**attrs)
