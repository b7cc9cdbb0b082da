"""Progress bars only for work long enough to need one.

Every progress update makes Gradio's page refresh the loading state of each component that any event of the
session has updated, copying each one's properties; after a few tabs that is tens of milliseconds of the
browser's time per update, taken from a click that would be over in 0.3 s. So quick work reports nothing (the
spinner still shows) and long work reports a few times a second.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

AFTER_S = 0.5  # no bar for work that ends sooner
EVERY_S = 0.25  # then at most four updates a second


def one_light_bar(component: Any) -> dict[str, Any]:
    """Event options that show progress (timer, bar, tile count) on ``component`` alone and without the spinning
    overlay: with Chromium on the same 2 cores, spinners over every big output cost the page about 200 ms of CPU per
    upscale (``bench.browser_latency``), taken from the handler."""
    return {"show_progress_on": [component], "show_progress": "minimal"}


def patient(progress: Callable[..., object], after_s: float = AFTER_S,
            every_s: float = EVERY_S) -> Callable[[float, str | None], None]:
    """``progress`` (e.g. a ``gr.Progress``) called only once ``after_s`` have passed, then at most every ``every_s``."""
    start = last = time.perf_counter()

    def report(fraction: float, desc: str | None = None) -> None:
        nonlocal last
        now = time.perf_counter()
        if now - start >= after_s and now - last >= every_s:
            last = now
            progress(fraction, desc=desc)

    return report
