"""Inference precision of the image networks: the choice, and what bfloat16 changes in the outputs."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import app
import generative
from generative import device


def test_auto_is_bfloat16_only_on_a_cpu_that_computes_it_natively(monkeypatch):
    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    for native in (True, False):
        monkeypatch.setattr(device, "native_bfloat16", lambda native=native: native)
        assert device.current_precision(cpu) == (torch.bfloat16 if native else torch.float32)
        assert device.current_precision(cuda) == torch.float32
    generative.set_precision("bfloat16")
    assert device.current_precision(cpu) == torch.bfloat16
    generative.set_precision("float32")
    monkeypatch.setattr(device, "native_bfloat16", lambda: True)
    assert device.current_precision(cpu) == torch.float32
    with pytest.raises(ValueError, match="auto, float32, bfloat16"):
        generative.set_precision("float16")


def test_the_command_line_sets_the_precision(monkeypatch):
    launched = []
    monkeypatch.setattr(app, "queued", lambda demo: type("Demo", (), {"launch": lambda self, **kw: launched.append(kw)})())
    app.main(["--precision", "float32"])
    assert launched and device._precision == "float32"
    app.main([])
    assert device._precision == "auto"


def _both(run) -> dict[str, np.ndarray]:
    out = {}
    for precision in ("float32", "bfloat16"):
        generative.set_precision(precision)
        out[precision] = run()
    return out


def test_bfloat16_upscales_within_a_grey_level_of_float32():
    """Convolutions in bfloat16, the bicubic skip and the output in float32: the same picture to the eye."""
    up = generative.load("sr-x2-psnr", device="cpu")
    img = np.random.default_rng(0).integers(0, 256, (40, 56, 3), dtype=np.uint8)
    out = _both(lambda: up(img))
    diff = np.abs(out["float32"].astype(int) - out["bfloat16"])
    assert out["bfloat16"].shape == (80, 112, 3) and out["bfloat16"].dtype == np.uint8
    assert 0 < diff.mean() < 0.5 and diff.max() <= 8  # it does run in bfloat16, and stays close


def test_bfloat16_translates_close_to_float32():
    g = generative.load("cyclegan-horse2zebra", device="cpu")
    img = np.random.default_rng(1).integers(0, 256, (48, 64, 3), dtype=np.uint8)
    out = _both(lambda: g.at_size(img))
    diff = np.abs(out["float32"].astype(int) - out["bfloat16"])
    assert out["bfloat16"].shape == img.shape and out["bfloat16"].dtype == np.uint8
    assert 0 < diff.mean() < 1.0 and np.quantile(diff, 0.99) <= 6
