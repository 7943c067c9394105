"""Offline stand-in for rules_python: the native Python rules under their rules_python names."""

def py_binary(**attrs):
    native.py_binary(**attrs)


def py_library(**attrs):
    native.py_library(**attrs)


def py_runtime(**attrs):
    native.py_runtime(**attrs)


def py_runtime_pair(**attrs):
    native.py_runtime_pair(**attrs)


def py_test(**attrs):
    native.py_test(**attrs)
