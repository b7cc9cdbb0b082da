"""Generative models of an introductory course, usable from a notebook without any UI.

    import generative
    generative.available()            # names of the trained models in weights/
    model = generative.load(name)     # eval mode, on the chosen device, sha256-checked

Density estimators fitted live: :mod:`generative.gmm` (``GaussianMixture``, ``KernelDensity``).
"""

from __future__ import annotations

import torch

from generative.device import current_device, resolve_device, set_device, set_precision
from generative.weights import UnknownModelError, WeightsError, load_model, read_manifest

__all__ = ["available", "load", "set_device", "set_precision", "current_device", "UnknownModelError",
           "WeightsError"]

_cache: dict[tuple[str, str], torch.nn.Module] = {}


def available() -> list[str]:
    """Names of the models listed in ``weights/manifest.json``."""
    return sorted(read_manifest())


def load(name: str, device: str | torch.device | None = None) -> torch.nn.Module:
    """Return the trained model ``name`` (cached), in eval mode on ``device`` or the current device.

    Raises ``UnknownModelError`` listing the known names, or ``WeightsError`` naming the missing or
    corrupt file and the command that rebuilds it.
    """
    dev = current_device() if device is None else resolve_device(device) if isinstance(device, str) else device
    key = (name, str(dev))
    if key not in _cache:
        _cache[key] = load_model(name, dev)
    return _cache[key]
