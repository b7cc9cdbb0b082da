"""Shared fixtures: the real app served on a local port."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def app_url() -> Iterator[str]:
    """Launch the app exactly as ``python app.py`` does, on a free local port, and yield its URL."""
    import app
    from generative.ui import launch_options, queued

    queued(app.demo)
    _, url, _ = app.demo.launch(prevent_thread_lock=True, quiet=True, server_name="127.0.0.1", **launch_options())
    yield url
    app.demo.close()


@pytest.fixture(autouse=True)
def auto_precision() -> Iterator[None]:
    """Every test starts and ends with the image networks' precision on ``auto``, as the app starts (a training
    script sets float32 for the rest of its process)."""
    import generative

    generative.set_precision("auto")
    yield
    generative.set_precision("auto")


@pytest.fixture
def float32(auto_precision: None) -> None:
    """The image networks in float32 for one test (its outputs are compared with float32 arithmetic)."""
    import generative

    generative.set_precision("float32")
