"""A tab whose model has not been trained yet: one line that says so, nothing fake."""

from __future__ import annotations

import gradio as gr


def build(what: str) -> None:
    """Say in one line what the tab will show once its model is trained and shipped."""
    gr.Markdown(f"**Not built yet.** This tab will show {what} once its model is trained and shipped.",
                elem_classes=["pending-tab"])
