"""2-D point sets for the density playground: presets and CSV files of x,y columns."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

MAX_ROWS = 50_000
MAX_CSV_BYTES = 5 * 1024 * 1024


def _blobs(rng: np.random.Generator) -> np.ndarray:
    centres = np.array([[-2.5, -1.5], [2.5, -1.0], [0.0, 2.5]])
    return np.concatenate([c + 0.7 * rng.standard_normal((100, 2)) for c in centres])


def _anisotropic(rng: np.random.Generator) -> np.ndarray:
    shear = np.array([[0.6, -0.6], [-0.4, 0.8]])
    centres = np.array([[-2.0, 2.0], [0.5, -0.5], [3.0, -3.0]])
    return np.concatenate([c + rng.standard_normal((100, 2)) @ shear for c in centres])


def _moons(rng: np.random.Generator) -> np.ndarray:
    t = rng.uniform(0, np.pi, 150)
    upper = np.stack([np.cos(t), np.sin(t)], axis=1)
    lower = np.stack([1 - np.cos(t), 0.5 - np.sin(t)], axis=1)
    return 2.5 * (np.concatenate([upper, lower]) - [0.5, 0.25]) + 0.15 * rng.standard_normal((300, 2))


def _ring(rng: np.random.Generator) -> np.ndarray:
    t = rng.uniform(0, 2 * np.pi, 300)
    r = 3.0 + 0.25 * rng.standard_normal(300)
    return np.stack([r * np.cos(t), r * np.sin(t)], axis=1)


def _uneven(rng: np.random.Generator) -> np.ndarray:
    big = [-1.5, 0.0] + 1.2 * rng.standard_normal((400, 2))
    medium = [3.0, 2.5] + 0.5 * rng.standard_normal((80, 2))
    small = [3.0, -2.5] + 0.25 * rng.standard_normal((20, 2))
    return np.concatenate([big, medium, small])


RING8_RADIUS, RING8_STD = 3.0, 0.15
RING8_CENTRES = RING8_RADIUS * np.stack([np.cos(np.arange(8) * np.pi / 4), np.sin(np.arange(8) * np.pi / 4)], axis=1)


def _ring8(rng: np.random.Generator) -> np.ndarray:
    """Eight small Gaussians on a circle: the classic test of a GAN's mode collapse."""
    return np.repeat(RING8_CENTRES, 50, axis=0) + RING8_STD * rng.standard_normal((400, 2))


def _spiral(rng: np.random.Generator) -> np.ndarray:
    t = np.sqrt(rng.uniform(0, 1, 400)) * 3 * np.pi
    arm = np.stack([t * np.cos(t), t * np.sin(t)], axis=1) / (3 * np.pi) * 4.0
    return arm + 0.12 * rng.standard_normal((400, 2))


PRESETS = {
    "blobs": _blobs,
    "anisotropic": _anisotropic,
    "moons": _moons,
    "ring": _ring,
    "uneven cluster sizes": _uneven,
    "8 Gaussians on a ring": _ring8,
    "spiral": _spiral,
}


def preset(name: str, seed: int = 0) -> np.ndarray:
    """Points (N, 2) of a named preset; the same seed gives the same points."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")
    return PRESETS[name](np.random.default_rng(seed))


def read_points_csv(path: str | os.PathLike[str]) -> np.ndarray:
    """Read (N, 2) points from a CSV file of two numeric columns (named x,y or the first two).

    A header row is optional. Raises ValueError with a message that says what to fix: an empty or
    oversized file, fewer than two columns, text, missing, NaN or infinite values, too many rows.
    """
    path = Path(path)
    size = path.stat().st_size
    if size == 0:
        raise ValueError("The CSV file is empty: give two columns x,y, one point per row.")
    if size > MAX_CSV_BYTES:
        raise ValueError(f"The CSV file is {size / 1e6:.1f} MB; the limit is {MAX_CSV_BYTES // 2**20} MB.")
    try:
        table = pd.read_csv(path, header=None, dtype=str, skipinitialspace=True, sep=_delimiter(path),
                            keep_default_na=False, na_values=[""], nrows=MAX_ROWS + 2)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"Could not read the file as CSV ({exc}). Give two columns x,y, one point per row.") from None
    if table.empty:
        raise ValueError("The CSV file has no rows: give two columns x,y, one point per row.")
    header = [str(v).strip().lower() for v in table.iloc[0]]
    has_header = all(_not_a_number(v) for v in header[:2])
    columns = [0, 1]
    if has_header:
        if "x" in header and "y" in header:
            columns = [header.index("x"), header.index("y")]
        table = table.iloc[1:]
    if table.shape[1] < 2:
        raise ValueError(f"The CSV needs two columns x,y; it has {table.shape[1]}.")
    if len(table) > MAX_ROWS:
        raise ValueError(f"The CSV has more than {MAX_ROWS:,} rows; the limit is {MAX_ROWS:,}: subsample it.")
    if len(table) == 0:
        raise ValueError("The CSV has a header but no points.")
    data = table.iloc[:, columns]
    values = data.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=np.float64)
    line_offset = 2 if has_header else 1
    text = data.to_numpy(dtype=object)
    checks = (
        ("is missing", data.isna().to_numpy()),
        ("is not a number", np.isnan(values) & data.notna().to_numpy()),
        ("is infinite", np.isinf(values)),
    )
    for what, bad in checks:
        if bad.any():
            row, col = np.argwhere(bad)[0]
            shown = f" ({text[row, col]!r})" if isinstance(text[row, col], str) else ""
            raise ValueError(
                f"Line {row + line_offset}, column {col + 1}{shown} {what}: every x and y must be a finite number."
            )
    return values


def _delimiter(path: Path) -> str:
    """Semicolon or tab if the first line uses one instead of commas, else comma."""
    with open(path, encoding="utf-8", errors="replace") as fh:
        first = next((line for line in fh if line.strip()), "")
    for sep in (",", ";", "\t"):
        if sep in first:
            return sep
    return ","


def _not_a_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return True
    return False
