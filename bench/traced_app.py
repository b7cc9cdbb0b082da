"""``python app.py`` with every event handler timed on the server: ``python -m bench.traced_app TRACE [app args]``.

Each finished run appends one JSON line ``{"api_name", "start", "end"}`` (wall-clock seconds) to TRACE, so
``bench.load`` can count how many runs of one event the server really processed at once.
"""

from __future__ import annotations

import functools
import inspect
import json
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path


def traced(fn: Callable, name: str, trace: Path, lock: threading.Lock) -> Callable:
    """``fn`` (plain or generator function) that records when each call started and ended."""

    def record(start: float) -> None:
        line = json.dumps({"api_name": name, "start": start, "end": time.time()})
        with lock, trace.open("a") as f:
            f.write(line + "\n")

    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def generator(*args, **kwargs):
            start = time.time()
            try:
                yield from fn(*args, **kwargs)
            finally:
                record(start)
        return generator

    @functools.wraps(fn)
    def plain(*args, **kwargs):
        start = time.time()
        try:
            return fn(*args, **kwargs)
        finally:
            record(start)
    return plain


def main(argv: list[str]) -> None:
    """Wrap every handler of ``app.demo``, then run ``app.main`` with the remaining arguments."""
    import app

    trace, lock = Path(argv[0]), threading.Lock()
    for block_fn in app.demo.fns.values():
        if block_fn.fn is not None and not inspect.iscoroutinefunction(block_fn.fn):
            block_fn.fn = traced(block_fn.fn, block_fn.api_name or block_fn.name, trace, lock)
    app.main(argv[1:])


if __name__ == "__main__":
    main(sys.argv[1:])
