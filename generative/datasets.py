"""Training images read from ``--data`` (default ``../shared/data``; see its README), resized once and cached as
``.npy`` in the checkpoint folder: the loaders that the training scripts and benchmarks share.

MNIST and Fashion-MNIST are read by :func:`generative.digits.load_digits`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

FACE_BOX = (9.5, 19.5, 79.5, 89.5)  # the standard CelebA-64 face box on the 89 x 109 images


def _cached(path: Path, build: Callable[[], np.ndarray]) -> np.ndarray:
    if path.exists():
        return np.load(path)
    array = build()
    np.save(path, array)
    return array


def load_faces(data: str, cache: Path) -> np.ndarray:
    """The 9,000 training faces cropped and resized to 64 x 64 (uint8, N x 64 x 64 x 3), cached as .npy."""
    files = sorted((Path(data) / "faces" / "train_src").glob("*.jpg"))
    return _cached(cache / "faces_64_train.npy", lambda: np.stack([
        np.asarray(Image.open(f).convert("RGB").resize((64, 64), Image.Resampling.LANCZOS, box=FACE_BOX))
        for f in files]))


def load_domain(data: str, folder: str, size: int, cache: Path) -> np.ndarray:
    """All images of ``horse2zebra/<folder>`` resized to size x size (uint8, N x size x size x 3), cached."""
    files = sorted((Path(data) / "horse2zebra" / folder).glob("*.jpg"))
    return _cached(cache / f"horse2zebra_{folder}_{size}.npy", lambda: np.stack([
        np.asarray(Image.open(f).convert("RGB").resize((size, size), Image.Resampling.BICUBIC)) for f in files]))


def _landscape(img: np.ndarray) -> np.ndarray:
    return img.transpose(1, 0, 2) if img.shape[0] > img.shape[1] else img


SR_HELD_OUT = ("100007", "104010", "108069", "123057", "141012", "157032", "163096", "187058", "196088", "208078",
               "226043", "246009", "259060", "289011", "317043", "35028", "388006", "45000", "69000", "80085")
"""20 of the 400 SR training photos (every 10th of ``sr/train/BSDS500test`` in sorted file order), never trained on:
they choose the GAN net's checkpoint, so that no choice is made on Set5 / Set14 / B100."""


def load_sr_photos(data: str, cache: Path) -> tuple[np.ndarray, np.ndarray]:
    """The SR training photos, BSD200 and BSDS500test, as (train, held_out) uint8 arrays of shape (N, 321, 481, 3)
    (portrait photos transposed): 380 to train on and the 20 :data:`SR_HELD_OUT` ones; cached as .npy."""

    def photos(held: bool) -> np.ndarray:
        folders = [Path(data) / "sr" / "train" / name for name in ("BSD200", "BSDS500test")]
        missing = [str(f) for f in folders if not f.is_dir()]
        if missing:
            raise FileNotFoundError(f"SR training photos not found: {', '.join(missing)} (see {data}/README.md)")
        files = sorted(f for folder in folders for f in folder.glob("*.jpg"))
        held_out = [f for f in files if f.stem in SR_HELD_OUT]
        if len(held_out) != len(SR_HELD_OUT):
            raise FileNotFoundError(f"{len(SR_HELD_OUT) - len(held_out)} held-out SR photos missing in {folders[1]}")
        chosen = held_out if held else [f for f in files if f.stem not in SR_HELD_OUT]
        return np.stack([_landscape(np.asarray(Image.open(f).convert("RGB"))) for f in chosen])

    return (_cached(cache / "sr_train_photos.npy", lambda: photos(held=False)),
            _cached(cache / "sr_held_out_photos.npy", lambda: photos(held=True)))
