"""Each tab's main action as an API call, shared by the latency, load and Spaces benchmarks."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from gradio_client import Client, handle_file

ROOT = Path(__file__).resolve().parent.parent
EMPTY_PAD = {"background": None, "layers": [], "composite": None}


@dataclass(frozen=True)
class Action:
    """One tab's main action: its endpoint, the models it needs and the arguments of a typical call."""

    tab: str
    api_name: str
    models: tuple[str, ...]
    arguments: Callable[[], tuple]


def _asset(name: str) -> dict:
    return handle_file(str(ROOT / "assets" / name))


ACTIONS = [
    Action("GMM playground", "/gmm_preset", (), lambda: ("blobs", 0, False)),
    Action("VAE latent slider", "/vae_encode", ("vae-mnist",),
           lambda: ("vae-mnist", EMPTY_PAD, _asset("digit_two.png"), 0)),
    Action("This person does not exist", "/faces_generate", ("faces-gan", "faces-gan-d"), lambda: (7, 0.8)),
    Action("Horse to zebra", "/cyclegan_translate", ("cyclegan-horse2zebra", "cyclegan-zebra2horse"),
           lambda: (_asset("chelsea_cat.jpg"), "horse → zebra", "Fast (256 px)")),
    Action("2x super-resolution", "/sr_upscale", ("sr-x2-psnr", "sr-x2-gan"),
           lambda: (_asset("sr_coffee.png"), "GAN net", 0.5, 0.5, 64)),
]


@dataclass
class Served:
    """One running app as the benchmark calls it: gradio_client with its defaults, a second one that leaves
    the output files on the server, one kept-alive connection that fetches them, and the server's pid."""

    url: str
    pid: int

    def __post_init__(self) -> None:
        self.client = Client(self.url, verbose=False)
        self.lean = Client(self.url, verbose=False, download_files=False)
        self.files = httpx.Client()

    def fetch(self, result: object) -> int:
        """Fetch every output file of a ``lean`` result over the kept-alive connection; how many there were."""
        urls = output_urls(result)
        for url in urls:
            self.files.get(url).raise_for_status()
        return len(urls)


def output_urls(value: object) -> list[str]:
    """The URLs of the files in an API result left on the server (``download_files=False``), at any depth."""
    if isinstance(value, dict):
        if isinstance(value.get("url"), str) and "path" in value:
            return [value["url"]]
        return [url for item in value.values() for url in output_urls(item)]
    if isinstance(value, list | tuple):
        return [url for item in value for url in output_urls(item)]
    return []


def served(client: Client) -> list[Action]:
    """The actions whose endpoint the running app serves (a tab without trained weights serves none)."""
    names = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    return [a for a in ACTIONS if a.api_name in names]


@contextlib.contextmanager
def running_app(python: str = sys.executable, port: int = 7861, timeout: float = 120.0, env: dict | None = None,
                script: tuple[str, ...] = ("app.py",), root: Path = ROOT) -> Iterator[tuple[str, float, subprocess.Popen]]:
    """Start ``python app.py`` as a user would; yield (url, seconds until the first page answered, process).

    With ``env`` given, the port comes from its ``GRADIO_SERVER_PORT`` (as on Hugging Face Spaces);
    ``script`` replaces ``app.py`` (e.g. ``("-m", "bench.traced_app", TRACE)``); ``root`` is the checkout it runs in.
    """
    import urllib.request

    args = [python, *script] if env else [python, *script, "--port", str(port)]
    port = int(env.get("GRADIO_SERVER_PORT", 7860)) if env else port
    url = f"http://127.0.0.1:{port}/"
    with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2):
        raise RuntimeError(f"something already answers on {url}: it would be measured instead; pick another port")
    start = time.perf_counter()
    proc = subprocess.Popen(args, cwd=root, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"app.py exited with {proc.returncode}: {proc.stderr.read()[-2000:]}")
            if time.perf_counter() - start > timeout:
                raise TimeoutError(f"app.py did not answer on {url} within {timeout:.0f} s")
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.2)
        yield url, time.perf_counter() - start, proc
    finally:
        proc.terminate()
        proc.wait(timeout=30)
