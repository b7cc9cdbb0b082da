"""Checks of the number fields that several tabs share, with messages that say what to type."""

from __future__ import annotations

import gradio as gr
import numpy as np

MAX_SEED = 2**32 - 1


def seed_value(seed: float | None, what: str = "The seed", maximum: int = MAX_SEED) -> int:
    """A whole number in [0, maximum], or a gr.Error saying so."""
    if seed is None or not np.isfinite(seed) or seed < 0 or seed != int(seed) or seed > maximum:
        raise gr.Error(f"{what} must be a whole number between 0 and {maximum}.")
    return int(seed)
