"""generative.images.load_rgb: every odd upload becomes RGB uint8 or a clear ImageError."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from generative.images import ImageError, load_rgb


def _save(tmp_path, image: Image.Image, name: str, **kw) -> str:
    path = tmp_path / name
    image.save(path, **kw)
    return str(path)


GRADIENT = np.tile(np.arange(0, 256, 4, dtype=np.uint8), (48, 1))  # 48 x 64


@pytest.mark.parametrize(
    "make, name",
    [
        (lambda: Image.fromarray(GRADIENT, "L"), "grey.png"),
        (lambda: Image.fromarray(GRADIENT, "L").convert("1"), "bilevel.png"),
        (lambda: Image.fromarray(GRADIENT, "L").convert("LA"), "grey-alpha.png"),
        (lambda: Image.fromarray(np.stack([GRADIENT] * 3, -1)).convert("P"), "palette.png"),
        (lambda: Image.fromarray(np.stack([GRADIENT] * 4, -1), "RGBA"), "rgba.png"),
        (lambda: Image.fromarray(GRADIENT.astype(np.uint16) * 257), "sixteen.png"),
        (lambda: Image.fromarray(np.stack([GRADIENT] * 3, -1)).convert("CMYK"), "cmyk.jpg"),
        (lambda: Image.fromarray(GRADIENT.astype(np.float32) / 255.0, "F"), "float.tif"),
        (lambda: Image.fromarray(np.stack([GRADIENT] * 3, -1)), "photo.webp"),
    ],
)
def test_modes_become_rgb_uint8(tmp_path, make, name):
    image = make()
    rgb = load_rgb(_save(tmp_path, image, name))
    assert rgb.dtype == np.uint8 and rgb.shape == (48, 64, 3)
    if name.startswith(("grey", "sixteen", "float")):  # the left-to-right gradient survives
        assert rgb[0, 0, 0] < 20 and rgb[0, -1, 0] > 230


def test_transparent_pixels_become_white(tmp_path):
    rgba = np.zeros((4, 4, 4), dtype=np.uint8)  # fully transparent black
    assert (load_rgb(_save(tmp_path, Image.fromarray(rgba, "RGBA"), "clear.png")) == 255).all()


def test_exif_rotation_is_applied(tmp_path):
    image = Image.fromarray(np.zeros((20, 40, 3), dtype=np.uint8))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise on display
    assert load_rgb(_save(tmp_path, image, "rotated.jpg", exif=exif)).shape == (40, 20, 3)


def test_animated_gif_gives_its_first_frame(tmp_path):
    frames = [Image.new("RGB", (8, 8), colour) for colour in ("red", "blue")]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:])
    rgb = load_rgb(str(path))
    assert rgb.shape == (8, 8, 3) and rgb[0, 0, 0] > 200 and rgb[0, 0, 2] < 50


def test_one_pixel_image(tmp_path):
    assert load_rgb(_save(tmp_path, Image.new("RGB", (1, 1), "green"), "dot.png")).shape == (1, 1, 3)


def _png_header_claiming(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 64))


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "empty"),
        (b"this is not an image at all", "not an image"),
        (b"\x89PNG\r\n\x1a\n\x00\x00garbage", "not an image"),
        (_png_header_claiming(100_000, 100_000), "megapixels"),
        (_png_header_claiming(64, 64), "truncated or corrupt"),
    ],
)
def test_bad_files_say_what_to_do(tmp_path, content, message):
    path = tmp_path / "upload.png"
    path.write_bytes(content)
    with pytest.raises(ImageError, match=message):
        load_rgb(str(path))


def test_truncated_jpeg_is_reported(tmp_path):
    path = tmp_path / "cut.jpg"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageError, match="truncated or corrupt"):
        load_rgb(str(path))


def test_missing_file(tmp_path):
    with pytest.raises(ImageError, match="No image"):
        load_rgb(str(tmp_path / "nothing.png"))
