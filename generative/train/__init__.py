"""Resumable training scripts, one per model family: ``python -m generative.train.<family>``.

They share a command line (:func:`parser`) and a start-up (:func:`start_run`): ``--data`` (default
``../shared/data``), ``--threads``, and ``--checkpoints`` (default ``~/.cache/generative``), the folder that
holds checkpoints and cached training arrays, from which a rerun resumes. They are run from the repository root,
and their learning curves go to ``bench/results/`` there (:data:`CURVES`, relative like ``--data``).
"""

from __future__ import annotations

import argparse
import csv
import time
from collections.abc import Callable
from pathlib import Path

import torch

CHECKPOINTS = Path.home() / ".cache" / "generative"
CURVES = Path("bench") / "results"  # relative to the working directory, the repository root


def parser(doc: str, *, minutes: bool = True, export: bool = True) -> argparse.ArgumentParser:
    """An argument parser described by ``doc``'s first line, with the options every training script shares."""
    p = argparse.ArgumentParser(description=doc.splitlines()[0])
    p.add_argument("--data", default="../shared/data", help="folder holding the datasets (default ../shared/data)")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    p.add_argument("--checkpoints", default=str(CHECKPOINTS), help="folder for checkpoints and cached arrays")
    if minutes:
        p.add_argument("--minutes", type=float, default=None, help="stop (and checkpoint) after this long")
    if export:
        p.add_argument("--export", action="store_true", help="only export the checkpoint's weights")
    return p


def start_run(args: argparse.Namespace) -> Path:
    """Apply ``--threads``, seed torch, create the ``--checkpoints`` folder and return it."""
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    folder = Path(args.checkpoints).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def save_checkpoint(state: dict, path: Path) -> None:
    """Write ``state`` to ``path`` atomically, so that a job killed mid-write keeps its previous checkpoint."""
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    tmp.replace(path)


def learning_curve(name: str, columns: list[str], fresh: bool) -> Path:
    """``bench/results/train-<name>.csv``, started with its header row when ``fresh`` or absent."""
    curve = CURVES / f"train-{name}.csv"
    curve.parent.mkdir(exist_ok=True)
    if fresh or not curve.exists():
        curve.write_text(",".join(columns) + "\n")
    return curve


def append_row(curve: Path, row: list) -> None:
    """Append one row to the learning-curve CSV ``curve``."""
    with open(curve, "a", newline="") as fh:
        csv.writer(fh).writerow(row)


def every(seconds: float, action: Callable[[], None]) -> Callable[[], None]:
    """A function that runs ``action`` if ``seconds`` have passed since it last ran (e.g. checkpoints)."""
    last = time.time()

    def maybe() -> None:
        nonlocal last
        if time.time() - last > seconds:
            action()
            last = time.time()

    return maybe
