"""ZeroGPU readiness: model-running handlers go through spaces.GPU when the package exists."""

from __future__ import annotations

import importlib
import sys
import types

import generative.ui.gpu


def test_without_spaces_handlers_are_unchanged(monkeypatch):
    monkeypatch.setitem(sys.modules, "spaces", None)  # import spaces -> ImportError
    module = importlib.reload(generative.ui.gpu)

    def handler(x: int) -> int:
        return x + 1

    assert module.gpu(handler) is handler


def test_with_spaces_handlers_are_wrapped_by_spaces_gpu(monkeypatch):
    wrapped: list[str] = []
    fake = types.ModuleType("spaces")
    fake.GPU = lambda fn: wrapped.append(fn.__name__) or fn
    monkeypatch.setitem(sys.modules, "spaces", fake)
    module = importlib.reload(generative.ui.gpu)
    module.gpu(lambda: None)
    assert wrapped == ["<lambda>"]
    monkeypatch.delitem(sys.modules, "spaces")
    importlib.reload(generative.ui.gpu)
