"""Where models run: ``auto`` picks CUDA when a GPU is present, else the CPU."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

import torch

DeviceChoice = Literal["auto", "cpu", "cuda"]
_current: torch.device | None = None


def resolve_device(choice: str = "auto") -> torch.device:
    """Turn ``auto``/``cpu``/``cuda`` into a torch device; ``cuda`` without a GPU is an error."""
    if choice == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if choice == "cpu":
        return torch.device("cpu")
    if choice == "cuda":
        if not torch.cuda.is_available():
            raise RuntimeError("--device cuda was asked for, but torch sees no CUDA GPU: use --device auto or cpu")
        return torch.device("cuda")
    raise ValueError(f"device must be one of auto, cpu, cuda; got {choice!r}")


def set_device(choice: str) -> torch.device:
    """Set the device that :func:`generative.load` uses from now on."""
    global _current
    _current = resolve_device(choice)
    return _current


def current_device() -> torch.device:
    """The device chosen with :func:`set_device`, or the ``auto`` choice."""
    return _current if _current is not None else resolve_device("auto")


@contextmanager
def one_cpu_thread(when: bool = True) -> Iterator[None]:
    """Run torch on one thread inside (if ``when``), then restore the count: for many tiny operations, where
    splitting each over threads only adds waiting (on busy cores, several times slower)."""
    threads = torch.get_num_threads()
    if not when or threads == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
