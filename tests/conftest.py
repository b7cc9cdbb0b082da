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
