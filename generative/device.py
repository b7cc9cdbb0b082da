"""Where models run: ``auto`` picks CUDA when a GPU is present, else the CPU; and in which precision the image
networks infer: ``auto`` picks bfloat16 on CPUs that compute it natively, else float32."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

import torch

DeviceChoice = Literal["auto", "cpu", "cuda"]
PRECISIONS = ("auto", "float32", "bfloat16")
_current: torch.device | None = None
_precision = "auto"


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


def native_bfloat16() -> bool:
    """Whether this CPU computes bfloat16 natively (AVX512-BF16 or AMX). There the SR tab's three results came 1.56x
    and a horse-to-zebra cycle 1.37x faster in bfloat16 on 2 cores (``python -m bench.precision``); without it,
    bfloat16 convolutions may be slower than float32."""
    checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(getattr(torch.cpu, check, lambda: False)() for check in checks)


def set_precision(choice: str) -> str:
    """Set the precision of :func:`inference_precision` from now on: ``auto``, ``float32`` or ``bfloat16``."""
    global _precision
    if choice not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}; got {choice!r}")
    _precision = choice
    return choice


def current_precision(device: torch.device) -> torch.dtype:
    """The precision the image networks infer in on ``device``: the :func:`set_precision` choice; ``auto`` is
    bfloat16 on a CPU with :func:`native_bfloat16` and float32 otherwise (a GPU is fast enough in float32)."""
    if _precision == "auto":
        return torch.bfloat16 if device.type == "cpu" and native_bfloat16() else torch.float32
    return torch.bfloat16 if _precision == "bfloat16" else torch.float32


@contextmanager
def inference_precision(device: torch.device) -> Iterator[None]:
    """Run what is inside in :func:`current_precision`: plain float32, or bfloat16 autocast (convolutions in
    bfloat16, normalisations kept in float32; an output may come out in bfloat16). Autocast is per thread: enter it
    in the thread that runs the net."""
    dtype = current_precision(device)
    if dtype == torch.float32:
        yield
        return
    with torch.autocast(device.type, dtype=dtype):
        yield
