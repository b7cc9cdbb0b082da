"""Every image input of the running app against 35 bad or odd files: a result or a clear message, never a crash."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from gradio_client import Client, handle_file
from oddfiles import make_odd_files
from PIL import Image

from generative.ui.vae import EXAMPLES

GENERIC = "has not enabled verbose error reporting"  # what a client sees when a handler crashes
EMPTY_PAD = {"background": None, "layers": [], "composite": None}
DIGIT = EXAMPLES[0]

PHOTOS = {"photo.png", "cmyk.jpg", "sixteen-bit.png", "exif-rotated-6.jpg", "animated.gif", "palette.png"}
DIGITS = {"photo.png", "photo.jpg", "photo.webp", "photo.bmp", "greyscale.png", "rgba.png", "palette.png", "cmyk.jpg",
          "sixteen-bit.png", "exif-rotated-6.jpg", "animated.gif"}
# api_name -> (the arguments of one call with the uploaded file, the files that must give a result); the VAE's odd
# files are variants of a drawn digit (it refuses colour photos: "not one digit")
ENDPOINTS: dict[str, tuple[Callable[[dict], tuple], set[str]]] = {
    "/vae_encode": (lambda f: ("vae-mnist", EMPTY_PAD, f, 0), DIGITS),
    "/faces_judge": (lambda f: (f, 0.8, 0.5, 0.45), PHOTOS),
    "/cyclegan_translate": (lambda f: (f, "horse → zebra", "Fast (256 px)"), PHOTOS),
    "/sr_upscale": (lambda f: (f, "GAN net", 0.5, 0.5, 64), PHOTOS),
}


@pytest.fixture(scope="module")
def odd_files(tmp_path_factory) -> dict[str, Path]:
    return make_odd_files(tmp_path_factory.mktemp("odd"))


@pytest.fixture(scope="module")
def odd_digits(tmp_path_factory) -> dict[str, Path]:
    digit = np.asarray(Image.open(DIGIT).convert("RGB"))
    return make_odd_files(tmp_path_factory.mktemp("odd-digits"), digit)


@pytest.fixture(scope="module")
def client(app_url: str) -> Client:
    return Client(app_url, verbose=False)


@pytest.mark.parametrize("api_name", sorted(ENDPOINTS))
def test_odd_uploads_give_a_result_or_a_clear_message(client, request, api_name):
    odd_files = request.getfixturevalue("odd_digits" if api_name == "/vae_encode" else "odd_files")
    if api_name not in client.view_api(print_info=False, return_format="dict")["named_endpoints"]:
        pytest.skip(f"{api_name} is not served (its model is not trained yet)")
    assert len(odd_files) >= 30
    arguments, must_answer = ENDPOINTS[api_name]
    crashes, answered = [], []
    for name, path in odd_files.items():
        try:
            client.predict(*arguments(handle_file(str(path))), api_name=api_name)
            answered.append(name)
        except Exception as exc:  # noqa: BLE001 - the message is what is checked
            if GENERIC in str(exc) or not str(exc).strip():
                crashes.append(name)
    assert not crashes, f"{api_name} crashed without a message on: {crashes}"
    assert must_answer <= set(answered)
    with pytest.raises(Exception, match="upload"):  # the server still answers afterwards
        client.predict(*arguments(handle_file(str(odd_files["empty.png"]))), api_name=api_name)
