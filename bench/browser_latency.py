"""Each tab's main action timed in Chromium, as a person sees it: ``python -m bench.browser_latency [--repeats 10]``.

``--only TEXT`` probes just the actions whose name contains TEXT (printed, not recorded).

Starts ``python app.py``, opens it in Debian's Chromium (Playwright) and, per action, times from the click (or
the file chosen in an upload box, as the page's own events see it) until the output pictures have new sources and
all have loaded in the page: the request, the run, the outputs' encoding and transfer, and the browser's decoding.
Every call must draw something new (an unchanged picture keeps its address): presets and digits alternate (neither
is what the tab opens with), and each uploaded photo is an asset with one corner pixel set to the call's number.
Completion is polled once per animation frame, so a figure includes up to one frame (about 16 ms) of polling.

``bench.latency`` times the same work with gradio_client, whose SSE loop polls every 50 ms and which downloads
each output file in turn over a fresh connection; a browser streams the result and fetches pictures in parallel.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from bench.actions import ROOT, running_app
from bench.common import cpu_reference_ms, load_average, write

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
SOURCES = "(sels) => sels.flatMap(s => [...document.querySelectorAll(s)]).map(i => i.currentSrc || i.src).join()"
# The user's act is timed in the page: the first click or file choice after arming (not Playwright's own checks).
ARM = """() => {
  if (!window.__actTimer) {
    window.__actTimer = true;
    const mark = () => { if (window.__armed) { window.__armed = false; window.__t0 = performance.now(); } };
    for (const kind of ['click', 'input', 'change']) document.addEventListener(kind, mark, true);
  }
  window.__armed = true;
  window.__t0 = null;
}"""
# Milliseconds since the act once the output pictures have new sources (Gradio sets all outputs of a call at
# once, so some having changed means all are set) and every one has loaded, else false.
SHOWN = """([sels, before]) => {
  const imgs = sels.flatMap(s => [...document.querySelectorAll(s)]);
  return window.__t0 !== null && imgs.length > 0 && imgs.map(i => i.currentSrc || i.src).join() !== before
         && imgs.every(i => i.complete && i.naturalWidth > 0) && performance.now() - window.__t0;
}"""


@dataclass(frozen=True)
class BrowserAction:
    """A tab (and sub-tab), what the user does (``act(page, i)`` for the i-th call; alternate inputs) and the
    pictures it changes."""

    name: str
    tab: str
    act: Callable[[object, int], None]
    outputs: tuple[str, ...]
    subtab: str | None = None


def click(selector: str) -> Callable[[object, int], None]:
    return lambda page, i: page.click(selector)


def choose(selector: str, labels: tuple[str, str]) -> Callable[[object, int], None]:
    """Pick one of two radio choices in turn."""
    return lambda page, i: page.locator(selector).get_by_label(labels[i % 2], exact=True).check()


def upload(selector: str, photos: tuple[str, ...], folder: Path, mark: bool = True) -> Callable[[object, int], None]:
    """Choose, in an image upload box (its upload event runs the action), the asset photo for call i: the photos
    in turn, each marked for the call unless ``mark`` is off (a digit's mark would be read as ink)."""
    def act(page, i: int) -> None:
        name = photos[i % len(photos)]
        path = marked(name, i, folder) if mark else ROOT / "assets" / name
        page.locator(f"{selector} input[type=file]").set_input_files(str(path))
    return act


def marked(name: str, i: int, folder: Path) -> Path:
    """The asset photo ``name`` with its top-left pixel set to grey level i (mod 256): the same work, a new picture."""
    pixels = np.array(Image.open(ROOT / "assets" / name).convert("RGB"))
    pixels[0, 0] = i % 256
    path = folder / f"{i}-{Path(name).stem}.png"
    Image.fromarray(pixels).save(path)
    return path


def actions(folder: Path) -> list[BrowserAction]:
    """The timed actions; ``folder`` receives the marked photos."""
    sr_out = tuple(f"#sr-out-{k} img" for k in range(3))
    return [
        BrowserAction("GMM playground: pick a preset", "GMM playground",
                      choose("#gmm-presets", ("moons", "anisotropic")), ("#gmm-canvas img",)),
        BrowserAction("VAE latent slider: upload a digit (encoded at once)", "VAE latent slider",
                      upload("#vae-upload", ("digit_five.png", "digit_nine.png"), folder, mark=False),
                      ("#vae-seen img",), subtab="Upload"),
        BrowserAction("GAN lab (2-D): Step (50 iterations) and redraw", "GAN lab (2-D)",
                      click("#gan2d-step"), ("#gan2d-canvas img",)),
        BrowserAction("This person does not exist: New faces (8)", "This person does not exist",
                      click("#faces-new"), ("#faces-gallery img",)),
        BrowserAction("Horse to zebra: upload a photo (256 px, there and back)", "Horse to zebra",
                      upload("#cyclegan-upload", ("horses_nokota.jpg",), folder),
                      ("#cyclegan-slider img", "#cyclegan-change img", "#cyclegan-heatmap img")),
        BrowserAction("2x super-resolution: upload a photo (three methods)", "2x super-resolution",
                      upload("#sr-upload", ("sr_coffee.png",), folder), sr_out),
        BrowserAction("2x super-resolution: upload a 512 × 512 photo", "2x super-resolution",
                      upload("#sr-upload", ("astronaut.jpg",), folder), sr_out),
    ]


def time_action(page, action: BrowserAction, i: int, timeout_ms: float = 120_000) -> float:
    """Seconds from the user's act (as the page's events see it) until every output picture is new and loaded."""
    before = page.evaluate(SOURCES, list(action.outputs))
    page.evaluate(ARM)
    action.act(page, i)
    shown = page.wait_for_function(SHOWN, arg=[list(action.outputs), before], timeout=timeout_ms)
    return shown.json_value() / 1000


def open_tab(page, action: BrowserAction, quiet_s: float = 2.0, timeout_s: float = 120.0) -> None:
    """Show the action's tab (and sub-tab), then wait until its output pictures have not changed for ``quiet_s``:
    the tab's first-visit example has arrived and cannot be mistaken for the first timed call's result."""
    page.get_by_role("tab", name=action.tab).click()
    if action.subtab:
        page.get_by_role("tab", name=action.subtab, exact=True).click()  # only the shown tab's sub-tabs count
    seen, since, start = None, time.perf_counter(), time.perf_counter()
    while time.perf_counter() - since < quiet_s and time.perf_counter() - start < timeout_s:
        now = page.evaluate(SOURCES, list(action.outputs))
        if now != seen:
            seen, since = now, time.perf_counter()
        page.wait_for_timeout(200)


def measure(url: str, repeats: int, warmup: int, only: str | None = None) -> list[dict]:
    """Per action: the first call (loads its model), then the median and p90 of ``repeats`` more."""
    from playwright.sync_api import sync_playwright

    rows = []
    with sync_playwright() as pw, tempfile.TemporaryDirectory() as tmp:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url)
        page.get_by_role("tab", name="GMM playground").wait_for(timeout=60_000)
        for action in [a for a in actions(Path(tmp)) if only is None or only.lower() in a.name.lower()]:
            open_tab(page, action)
            calls = [time_action(page, action, i) for i in range(warmup + repeats)]
            times = calls[warmup:]
            rows.append({"action": action.name, "first_call_ms": round(1000 * calls[0], 1),
                         "median_ms": round(1000 * statistics.median(times), 1),
                         "p90_ms": round(1000 * float(np.percentile(times, 90)), 1), "n": len(times)})
            print(f"{action.name:<58} first {rows[-1]['first_call_ms']:>7.0f} ms  median "
                  f"{rows[-1]['median_ms']:>6.0f} ms  p90 {rows[-1]['p90_ms']:>6.0f} ms", flush=True)
        browser.close()
    return rows


def main(argv: list[str] | None = None) -> dict:
    """Measure, print, write ``bench/results/browser_latency.json``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2, help="untimed calls per action first (models load)")
    parser.add_argument("--only", metavar="TEXT", help="just the actions whose name contains TEXT (e.g. 'GAN lab')")
    args = parser.parse_args(argv)
    load_start, speed_start = load_average(), cpu_reference_ms()
    with running_app(port=7874) as (url, cold_start, _):
        rows = measure(url, args.repeats, args.warmup, args.only)
    result = {"cold_start_s": round(cold_start, 2), "actions": rows,
              "load_average_1_5_15": {"start": load_start, "end": load_average()},
              "cpu_reference_ms": {"start": speed_start, "end": cpu_reference_ms()}}
    print(f"load average (1, 5, 15 min) at the start {result['load_average_1_5_15']['start']}, "
          f"at the end {result['load_average_1_5_15']['end']}; machine speed (bench.common.cpu_reference_ms, "
          f"lower is faster) {speed_start} ms at the start, {result['cpu_reference_ms']['end']} ms at the end")
    if args.only is None:  # a probe of some actions leaves the record of all of them alone
        write("browser_latency", result)
    return result


if __name__ == "__main__":
    main()
