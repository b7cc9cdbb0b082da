"""The tabs' model guard: a missing model becomes a message that says what to run, never a bare error."""

from __future__ import annotations

import gradio as gr
import pytest

import generative
from generative.ui import models


def test_trained_lists_only_models_in_the_manifest():
    shipped = generative.available()
    assert models.trained(*shipped[:2])
    assert not models.trained(shipped[0], "no-such-model")


def test_an_unknown_model_is_a_gr_error_naming_it():
    with pytest.raises(gr.Error, match="no-such-model"):
        models.load("no-such-model")


def test_a_corrupt_weight_file_is_a_gr_error_naming_the_file(monkeypatch):
    def broken(name, device=None):
        raise generative.WeightsError(f"weights/{name}.safetensors is corrupt: rebuild it with `python -m x`")

    monkeypatch.setattr(generative, "load", broken)
    with pytest.raises(gr.Error, match=r"weights/vae-mnist-2d.safetensors is corrupt.*python -m x"):
        models.load("vae-mnist-2d")
