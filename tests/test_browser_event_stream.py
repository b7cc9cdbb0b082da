"""Every result reaches the page, even for an event submitted just as the server closes the page's event stream."""

from __future__ import annotations

import time

import pytest
from test_browser import CHROMIUM, browser  # noqa: F401  (browser: the fixture)

if not CHROMIUM.exists():
    pytest.skip("Chromium is not installed at /usr/bin/chromium", allow_module_level=True)

import gradio as gr  # noqa: E402
from playwright.sync_api import Route, expect  # noqa: E402

from generative.ui import launch_options, queued  # noqa: E402


def _two_buttons() -> gr.Blocks:
    with gr.Blocks() as demo:
        first, second = gr.Button("First", elem_id="first"), gr.Button("Second", elem_id="second")
        first_out, second_out = gr.Textbox(elem_id="first-out"), gr.Textbox(elem_id="second-out")
        first.click(lambda: "first done", None, first_out)
        second.click(lambda: "second done", None, second_out)
    return demo


def _second_result_after_a_late_close(browser, head: str | None) -> bool:  # noqa: F811
    """Click "First"; hold the page's event stream until the server has closed it; click "Second" (the server
    takes it while no stream is open, the page still believes one is); then deliver the held stream, which ends
    with the server's ``close_stream``. Does "Second"'s result reach the page?"""
    demo = queued(_two_buttons())
    _, url, _ = demo.launch(prevent_thread_lock=True, quiet=True, server_name="127.0.0.1",
                            **{**launch_options(), "head": head})
    held: list = []

    def hold_the_first_stream(route: Route) -> None:
        if held:
            route.continue_()
        else:
            held.append((route, route.fetch()))  # returns when the server ends the stream: "First" is done

    page = browser.new_page()
    try:
        page.route("**/queue/data*", hold_the_first_stream)
        page.goto(url)
        page.locator("#first").click()
        deadline = time.monotonic() + 30
        while not held and time.monotonic() < deadline:
            page.wait_for_timeout(50)
        assert held, "the first event's stream never ended"
        with page.expect_response("**/queue/join*"):
            page.locator("#second").click()
        route, response = held[0]
        route.fulfill(response=response)
        expect(page.locator("#first-out textarea")).to_have_value("first done")
        try:
            expect(page.locator("#second-out textarea")).to_have_value("second done", timeout=5_000)
            return True
        except AssertionError:
            return False
    finally:
        page.close()
        demo.close()


def test_a_result_submitted_as_the_stream_closes_arrives(browser):  # noqa: F811
    assert _second_result_after_a_late_close(browser, launch_options()["head"])


def test_gradio_alone_loses_that_result(browser):  # noqa: F811
    """Why the app's pages carry the fix: without it this Gradio version never shows the second result. When a
    Gradio upgrade makes this test fail, the fix in ``generative/ui/event_stream.py`` can go."""
    assert not _second_result_after_a_late_close(browser, None)
