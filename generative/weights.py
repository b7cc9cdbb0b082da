"""The model registry: ``weights/manifest.json`` names each model, its safetensors file and builder.

A manifest entry::

    "vae-mnist-2d": {
        "file": "vae-mnist-2d.safetensors",      # inside weights/
        "sha256": "...",                         # checked before every load
        "builder": "generative.vae:VAE",          # module:callable, called with **config
        "config": {...},
        "parameters": 12345,
        "data": "...", "command": "python -m generative.train.vae ...", "metrics": {...}
    }

Weights are read with safetensors only: no pickle, so a weight file cannot run code.
"""

from __future__ import annotations

import hashlib
import importlib
import json
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

WEIGHTS_DIR = Path(__file__).resolve().parent.parent / "weights"
MANIFEST_NAME = "manifest.json"


class UnknownModelError(LookupError):
    """No model of that name is in the manifest."""


class WeightsError(RuntimeError):
    """A weight file is missing, corrupt or does not fit its model."""


def read_manifest(weights_dir: Path = WEIGHTS_DIR) -> dict[str, dict[str, Any]]:
    """The ``models`` mapping of the manifest (empty if there is no manifest)."""
    path = Path(weights_dir) / MANIFEST_NAME
    if not path.exists():
        return {}
    return json.loads(path.read_text())["models"]


def training_record(name: str) -> tuple[int | None, dict[str, Any]]:
    """A shipped model's trained steps and measured metrics from the manifest (None and {} if absent)."""
    entry = read_manifest().get(name, {})
    return entry.get("trained_steps"), entry.get("metrics", {})


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _builder(spec: str) -> Any:
    module_name, _, attr = spec.partition(":")
    target: Any = importlib.import_module(module_name)
    for part in attr.split("."):
        target = getattr(target, part)
    return target


def load_model(name: str, device: torch.device, weights_dir: Path = WEIGHTS_DIR) -> torch.nn.Module:
    """Build the model ``name``, check and load its weights, and return it in eval mode on ``device``."""
    models = read_manifest(weights_dir)
    if name not in models:
        known = ", ".join(sorted(models)) or "none yet"
        raise UnknownModelError(f"unknown model {name!r}; known models: {known}")
    entry = models[name]
    path = Path(weights_dir) / entry["file"]
    rebuild = f"Rebuild it with `{entry['command']}` (or restore it with `git checkout -- weights/{entry['file']}`)."
    if not path.is_file():
        raise WeightsError(f"weight file {path} for model {name!r} is missing. {rebuild}")
    actual = sha256_of(path)
    if actual != entry["sha256"]:
        raise WeightsError(
            f"weight file {path} for model {name!r} is corrupt: sha256 {actual[:12]}… does not match the "
            f"manifest's {entry['sha256'][:12]}…. {rebuild}"
        )
    model = _builder(entry["builder"])(**entry.get("config", {}))
    try:
        model.load_state_dict(load_file(path), strict=True)
    except (RuntimeError, KeyError) as exc:
        raise WeightsError(f"weight file {path} does not fit model {name!r} ({exc}). {rebuild}") from exc
    return model.eval().to(device)


def save_model(name: str, model: torch.nn.Module, entry: dict[str, Any], weights_dir: Path = WEIGHTS_DIR) -> Path:
    """Write ``model``'s weights as ``<name>.safetensors`` and its manifest entry (sha256, parameter count).

    ``entry`` gives builder, config, data, command and metrics. Metrics already in the manifest for
    this name are kept only if the weights are unchanged (same sha256): new weights need new measurements.
    """
    weights_dir = Path(weights_dir)
    path = weights_dir / f"{name}.safetensors"
    state = {k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
    save_file(state, path)
    manifest_path = weights_dir / MANIFEST_NAME
    models = read_manifest(weights_dir)
    sha256 = sha256_of(path)
    old = models.get(name, {})
    kept = old.get("metrics", {}) if old.get("sha256") == sha256 else {}
    metrics = {**kept, **entry.get("metrics", {})}
    models[name] = {
        **entry,
        "file": path.name,
        "sha256": sha256,
        "parameters": sum(p.numel() for p in model.parameters()),
        "metrics": metrics,
    }
    manifest_path.write_text(json.dumps({"models": dict(sorted(models.items()))}, indent=2) + "\n")
    return path


def update_metrics(name: str, metrics: dict[str, Any], weights_dir: Path = WEIGHTS_DIR) -> None:
    """Merge measured ``metrics`` into the manifest entry of ``name``."""
    manifest_path = Path(weights_dir) / MANIFEST_NAME
    models = read_manifest(weights_dir)
    models[name]["metrics"] = {**models[name].get("metrics", {}), **metrics}
    manifest_path.write_text(json.dumps({"models": models}, indent=2) + "\n")
