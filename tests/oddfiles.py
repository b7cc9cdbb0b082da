"""Bad and odd image files, made on the fly, that every image input of the app must survive."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image


def png_header_claiming(width: int, height: int) -> bytes:
    """A PNG whose header declares ``width`` x ``height`` but whose pixel data is a few bytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 64))


def _photo(h: int = 96, w: int = 128) -> np.ndarray:
    """A smooth colourful test picture with an edge and a disc, (h, w, 3) uint8."""
    yy, xx = np.mgrid[0:h, 0:w] / max(h, w)
    rgb = np.stack([xx, yy, 1 - xx * yy], -1) * 200 + 20
    rgb[(yy - 0.4) ** 2 + (xx - 0.5) ** 2 < 0.05] = (230, 60, 40)
    rgb[:, : w // 6] = 15
    return rgb.astype(np.uint8)


def _exif(orientation: int) -> Image.Exif:
    exif = Image.Exif()
    exif[0x0112] = orientation
    return exif


def make_odd_files(folder: Path, picture: np.ndarray | None = None) -> dict[str, Path]:
    """Write 34 odd files into ``folder``: name -> path. Each must give a correct result or a clear message.

    The readable ones are variants of ``picture`` ((H, W, 3) uint8; a colourful test picture by default)."""
    folder.mkdir(parents=True, exist_ok=True)
    base = _photo() if picture is None else picture
    photo = Image.fromarray(base)
    grey = photo.convert("L")
    files: dict[str, Path] = {}

    def save(name: str, image: Image.Image, **kw) -> None:
        files[name] = folder / name
        image.save(files[name], **kw)

    def raw(name: str, content: bytes) -> None:
        files[name] = folder / name
        files[name].write_bytes(content)

    raw("empty.png", b"")
    raw("text.png", b"this is not an image at all\n")
    raw("png-signature-then-garbage.png", b"\x89PNG\r\n\x1a\n\x00\x00garbage")
    raw("random-bytes.jpg", np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    raw("bomb-header-100000x100000.png", png_header_claiming(100_000, 100_000))
    raw("header-without-pixels.png", png_header_claiming(64, 64))
    raw("drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')
    raw("page.html.png", b"<html><body>not an image</body></html>")
    save("photo.jpg", photo, quality=90)
    raw("truncated.jpg", files["photo.jpg"].read_bytes()[:600])
    save("photo.png", photo)
    raw("truncated.png", files["photo.png"].read_bytes()[:300])
    save("huge-10000x10000.png", Image.new("1", (10_000, 10_000)))
    save("one-pixel.png", Image.new("RGB", (1, 1), "orange"))
    save("one-pixel.jpg", Image.new("RGB", (1, 1), "orange"))
    save("two-by-one.png", Image.new("RGB", (2, 1), "teal"))
    save("thin-3x700.png", photo.resize((3, 700)))
    save("greyscale.png", grey)
    save("bilevel.png", grey.convert("1"))
    save("grey-alpha.png", grey.convert("LA"))
    save("palette.png", photo.convert("P"))
    transparent = photo.convert("P")
    transparent.info["transparency"] = 0
    save("palette-transparent.png", transparent)
    save("rgba.png", photo.convert("RGBA"))
    save("rgba-fully-transparent.png", Image.new("RGBA", (64, 48), (0, 0, 0, 0)))
    save("sixteen-bit.png", Image.fromarray(np.asarray(grey).astype(np.uint16) * 257))
    save("thirty-two-bit.tif", Image.fromarray(np.asarray(grey).astype(np.int32) * 1000))
    save("float.tif", Image.fromarray(np.asarray(grey).astype(np.float32) / 255.0, "F"))
    save("cmyk.jpg", photo.convert("CMYK"))
    save("cmyk.tif", photo.convert("CMYK"))
    save("exif-rotated-6.jpg", photo, exif=_exif(6))
    save("exif-rotated-8.jpg", photo, exif=_exif(8))
    frames = [Image.fromarray(base), Image.fromarray(255 - base)]
    files["animated.gif"] = folder / "animated.gif"
    frames[0].save(files["animated.gif"], save_all=True, append_images=frames[1:], duration=100, loop=0)
    save("photo.webp", photo)
    save("photo.bmp", photo)
    save("jpeg-named.png", photo, format="JPEG")
    return files
