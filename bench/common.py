"""Helpers shared by the benchmarks: timing, the machine description, JSON output."""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import torch

from generative.device import one_cpu_thread

RESULTS = Path(__file__).resolve().parent / "results"


def machine() -> dict:
    """What the numbers were measured on."""
    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
    }


def load_average() -> list[float]:
    """The machine's load average over 1, 5 and 15 minutes, to 2 decimals: how busy the cores were."""
    return [round(v, 2) for v in os.getloadavg()]


def cpu_reference_ms(repeats: int = 7) -> float:
    """Median milliseconds of a fixed one-thread job (20 small 3 x 3 convolutions in torch): how fast the machine
    runs now. Shared virtual machines slow down and speed up with their neighbours' load, which the load average
    does not show; runs are comparable only at similar figures."""
    x, w = torch.ones(1, 24, 96, 96), torch.full((24, 24, 3, 3), 0.01)
    with one_cpu_thread(), torch.inference_mode():
        ms = [1000 * t for t in timings(lambda: [torch.conv2d(x, w, padding=1) for _ in range(20)], repeats, warmup=2)]
    return round(statistics.median(ms), 1)


def timings(fn: Callable[[], object], repeats: int, warmup: int = 1) -> list[float]:
    """Wall-clock seconds of ``repeats`` calls of ``fn`` after ``warmup`` untimed calls."""
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def summary_ms(seconds: list[float]) -> dict:
    """Median and 90th percentile in milliseconds."""
    ordered = sorted(seconds)
    return {
        "median_ms": round(1000 * statistics.median(ordered), 2),
        "p90_ms": round(1000 * ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))], 2),
        "n": len(ordered),
    }


def write(name: str, result: dict) -> Path:
    """Save ``result`` (with the machine description) as ``bench/results/<name>.json``."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps({"machine": machine(), **result}, indent=2) + "\n")
    return path
