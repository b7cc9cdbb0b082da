"""The README's gradio_client examples, run as written against the running app, and what they print."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

README = Path(__file__).resolve().parent.parent / "README.md"
README_URL = "http://127.0.0.1:7860/"


def _api_section_code() -> str:
    text = README.read_text()
    section = text.split("## Calling the running app", 1)[1].split("\n## ", 1)[0]
    return "\n".join(re.findall(r"```python\n(.*?)```", section, flags=re.S))


def _printed_outputs(code: str) -> list[str]:
    """The outputs the README promises, one per print: ``print(...)  # "what it prints"`` ("..." stands for any text)."""
    promised = []
    for line in code.splitlines():
        if line.lstrip().startswith("print("):
            shown = re.search(r'#\s*"(.*)"\s*$', line)
            assert shown, f"a print in the README does not show its output: {line.strip()}"
            promised.append(shown.group(1))
    return promised


def _image_shape(value) -> tuple[int, ...]:
    from PIL import Image

    return np.asarray(Image.open(value["path"] if isinstance(value, dict) else value)).shape


def _check_documented_outputs(ns: dict) -> None:
    """What the README's comments and prose say the outputs are: counts, seeds, sizes and texts."""
    if "digit" in ns:  # one decoded digit, and the encode outputs with the 32-D model's first 8 latent values
        assert len(_image_shape(ns["digit"])) >= 2
        assert "ELBO of this input" in ns["elbo_text"] and len(ns["z"]) == 8 and any(ns["z"])
    if "gallery" in ns:  # "faces 7..14"
        assert [re.search(r"seed (\d+)", item["caption"]).group(1) for item in ns["gallery"]] == [
            str(seed) for seed in range(7, 15)]
        assert "P(real)" in ns["verdict"] and str(ns["gif"]).endswith(".gif")
    if "summary" in ns:
        assert "cycle error" in ns["summary"]
    if "outputs" in ns:  # "the first three outputs of /sr_upscale are the bicubic, PSNR-net and GAN-net results"
        sizes = {_image_shape(image)[:2] for image in ns["outputs"][:3]}
        assert sizes == {(800, 1200)}, sizes  # sr_coffee.png is 600 x 400
        assert all(label in ns["scores"] for label in ("Bicubic", "PSNR net", "GAN net"))


def test_readme_examples_run_against_the_app(app_url, monkeypatch):
    code = _api_section_code()
    assert README_URL in code
    monkeypatch.chdir(README.parent)  # the examples use paths relative to the repository
    printed: list[str] = []
    namespace: dict = {"print": lambda *args: printed.append(" ".join(map(str, args)))}
    exec(compile(code.replace(README_URL, app_url), str(README), "exec"), namespace)  # noqa: S102
    promised = _printed_outputs(code)
    assert len(printed) == len(promised), f"the README shows {len(promised)} printed outputs for {len(printed)} prints"
    for got, shown in zip(printed, promised):
        pattern = ".*?".join(re.escape(part) for part in shown.split("..."))
        assert re.fullmatch(pattern, got, flags=re.S), f"the README says print gives {shown!r}; it gave {got!r}"
    _check_documented_outputs(namespace)
    served = namespace["client"].view_api(print_info=False, return_format="dict")["named_endpoints"]
    for tab in ("gmm", "vae", "faces", "cyclegan", "sr"):  # every tab the app serves has an example
        if any(name.startswith(f"/{tab}_") for name in served):
            assert f'api_name="/{tab}_' in code, f"the README shows no gradio_client example for the {tab} tab"
