"""GPU work for Hugging Face ZeroGPU Spaces: handlers that run a network are wrapped with :func:`gpu`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

try:  # present on Hugging Face Spaces; ZeroGPU lends a GPU only inside functions decorated by it
    import spaces
except ImportError:
    spaces = None

F = TypeVar("F", bound=Callable)


def gpu(fn: F) -> F:
    """``spaces.GPU(fn)`` when the ``spaces`` package is installed, ``fn`` itself otherwise."""
    return fn if spaces is None else spaces.GPU(fn)
