"""A tab's trained models: loaded with a message a visitor can act on, or one line saying they are not trained yet."""

from __future__ import annotations

import gradio as gr
import torch

import generative


def trained(*names: str) -> bool:
    """Whether every model in ``names`` is listed in weights/manifest.json."""
    return set(names) <= set(generative.available())


def load(name: str, device: str | None = None) -> torch.nn.Module:
    """``generative.load(name, device)``; a missing, corrupt or unknown model becomes a ``gr.Error`` that names the
    file and the command that rebuilds it."""
    try:
        return generative.load(name, device)
    except (generative.WeightsError, generative.UnknownModelError) as exc:
        raise gr.Error(str(exc)) from None


def not_trained(what: str) -> None:
    """Say in one line what the tab will show once its model is trained and shipped (nothing fake in its place)."""
    gr.Markdown(f"**Not built yet.** This tab will show {what} once its model is trained and shipped.",
                elem_classes=["pending-tab"])
