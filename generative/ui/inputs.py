"""Checks of the number boxes of every tab, with messages that say what to type.

Number boxes are built with ``precision=None`` (see :func:`number_box`) so that a typed 2.5 or 1e30 reaches
these checks as it was typed: Gradio's own ``precision=0`` would round 2.5 to 2 without a word.
"""

from __future__ import annotations

import math

import gradio as gr

MAX_SEED = 2**32 - 1


def _as_float(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return math.nan


def _shown(value: object) -> str:
    if value is None or value == "":
        return "an empty box"
    number = _as_float(value)
    return f"{number:g}" if math.isfinite(number) else str(value)


def whole_number(value: object, what: str, low: int, high: int) -> int:
    """``value`` as an int in [low, high], or a ``gr.Error`` naming the box, the range and what was typed."""
    number = _as_float(value)
    if not (math.isfinite(number) and number == math.floor(number) and low <= number <= high):
        raise gr.Error(f"{what} must be a whole number from {low} to {high}; got {_shown(value)}.")
    return int(number)


def number_in(value: object, what: str, low: float, high: float) -> float:
    """``value`` as a float in [low, high], or a ``gr.Error`` naming the box, the range and what was typed."""
    number = _as_float(value)
    if not (math.isfinite(number) and low <= number <= high):
        raise gr.Error(f"{what} must be a number from {low:g} to {high:g}; got {_shown(value)}.")
    return number


def seed_value(seed: object, what: str = "The seed", maximum: int = MAX_SEED) -> int:
    """A seed: a whole number in [0, maximum], or a ``gr.Error`` saying so."""
    return whole_number(seed, what, 0, maximum)


def number_box(**kwargs) -> gr.Number:
    """A ``gr.Number`` that hands its handler the value as typed (no rounding), for the checks above."""
    return gr.Number(precision=None, **kwargs)
