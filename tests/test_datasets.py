"""The shared training-image loaders (generative.datasets) on a small data folder made here."""

from __future__ import annotations

import numpy as np
from PIL import Image

from generative import datasets


def _photos(folder, sizes):
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i, (w, h) in enumerate(sizes):
        Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(folder / f"{i:03d}.jpg")


def test_loaders_resize_and_cache(tmp_path):
    data, cache = tmp_path / "data", tmp_path / "cache"
    cache.mkdir()
    _photos(data / "faces" / "train_src", [(89, 109)] * 3)
    _photos(data / "horse2zebra" / "trainA", [(256, 256), (300, 200)])
    _photos(data / "sr" / "train" / "BSD200", [(481, 321), (321, 481)])
    faces = datasets.load_faces(str(data), cache)
    horses = datasets.load_domain(str(data), "trainA", 40, cache)
    bsd = datasets.load_bsd200(str(data), cache)
    assert faces.shape == (3, 64, 64, 3) and horses.shape == (2, 40, 40, 3) and bsd.shape == (2, 321, 481, 3)
    assert all(a.dtype == np.uint8 for a in (faces, horses, bsd))
    assert sorted(p.name for p in cache.iterdir()) == ["faces_64_train.npy", "horse2zebra_trainA_40.npy",
                                                        "sr_bsd200_train.npy"]
    for folder in ("faces", "horse2zebra", "sr"):  # a second call reads the cache, not the photos
        for photo in (data / folder).rglob("*.jpg"):
            photo.unlink()
    np.testing.assert_array_equal(datasets.load_domain(str(data), "trainA", 40, cache), horses)
    np.testing.assert_array_equal(datasets.load_faces(str(data), cache), faces)
