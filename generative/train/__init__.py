"""Resumable training scripts, one per model family: ``python -m generative.train.<family>``.

They share a command line (:func:`parser`) and a start-up (:func:`start_run`): ``--data`` (default
``../shared/data``), ``--threads``, and ``--checkpoints`` (default ``~/.cache/generative``), the folder that
holds checkpoints and cached training arrays, from which a rerun resumes. They are run from the repository root,
and their learning curves go to ``bench/results/`` there (:data:`CURVES`, relative like ``--data``).
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from safetensors.torch import save_file

from generative.device import set_precision

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
    """Apply ``--threads``, seed torch, run inference in float32 (held-out scores as the benchmarks take them),
    create the ``--checkpoints`` folder and return it."""
    if args.threads:
        torch.set_num_threads(args.threads)
    set_precision("float32")
    torch.manual_seed(0)
    folder = Path(args.checkpoints).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _flatten(value: Any, tensors: dict[str, torch.Tensor]) -> Any:
    """``value`` as JSON-able data, each tensor moved to ``tensors`` and replaced by its key there."""
    if isinstance(value, torch.Tensor):
        key = str(len(tensors))
        tensors[key] = value.detach().cpu().clone().contiguous()  # clone: safetensors refuses shared storage
        return {"tensor": key}
    if isinstance(value, dict):  # as pairs: keys keep their type (an optimiser's state is keyed by int)
        return {"dict": [[k, _flatten(v, tensors)] for k, v in value.items()]}
    if isinstance(value, (list, tuple)):
        return {"tuple" if isinstance(value, tuple) else "list": [_flatten(v, tensors) for v in value]}
    return value


def _unflatten(value: Any, tensors: dict[str, torch.Tensor]) -> Any:
    if not isinstance(value, dict):
        return value
    if "tensor" in value:
        return tensors[value["tensor"]]
    if "dict" in value:
        return {k: _unflatten(v, tensors) for k, v in value["dict"]}
    items = [_unflatten(v, tensors) for v in value.get("list", value.get("tuple", []))]
    return tuple(items) if "tuple" in value else items


def save_checkpoint(state: dict, path: Path) -> None:
    """Write ``state`` (nested dicts, lists, tensors, numbers, strings) to ``path`` as safetensors, no pickle: the
    tensors as tensors, the rest as JSON in the header. Atomic, so that a job killed mid-write keeps its previous
    checkpoint."""
    tensors: dict[str, torch.Tensor] = {}
    layout = json.dumps(_flatten(state, tensors))
    tmp = path.with_suffix(".tmp")
    save_file(tensors, tmp, metadata={"checkpoint": layout})
    tmp.replace(path)


def load_checkpoint(path: Path, device: str = "cpu") -> dict:
    """What :func:`save_checkpoint` wrote to ``path``."""
    with safe_open(path, framework="pt", device=device) as f:
        layout = (f.metadata() or {}).get("checkpoint")
        if layout is None:
            raise SystemExit(f"{path} is not a checkpoint of this project's format (safetensors): move it aside")
        tensors = {key: f.get_tensor(key) for key in f.keys()}
    return _unflatten(json.loads(layout), tensors)


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
