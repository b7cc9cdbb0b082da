"""The shared training-image loaders (generative.datasets) on a small data folder made here."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from generative import datasets


def _photos(folder, sizes, names=None):
    folder.mkdir(parents=True)
    rng = np.random.default_rng(len(names or ()))
    for i, (w, h) in enumerate(sizes):
        name = names[i] if names else f"{i:03d}"
        Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(folder / f"{name}.jpg")


def test_loaders_resize_and_cache(tmp_path):
    data, cache = tmp_path / "data", tmp_path / "cache"
    cache.mkdir()
    _photos(data / "faces" / "train_src", [(89, 109)] * 3)
    _photos(data / "horse2zebra" / "trainA", [(256, 256), (300, 200)])
    _photos(data / "sr" / "train" / "BSD200", [(481, 321), (321, 481)])
    _photos(data / "sr" / "train" / "BSDS500test", [(481, 321)] * 22, [*datasets.SR_HELD_OUT, "900001", "900002"])
    faces = datasets.load_faces(str(data), cache)
    horses = datasets.load_domain(str(data), "trainA", 40, cache)
    train, held_out = datasets.load_sr_photos(str(data), cache)
    assert faces.shape == (3, 64, 64, 3) and horses.shape == (2, 40, 40, 3)
    assert train.shape == (4, 321, 481, 3) and held_out.shape == (20, 321, 481, 3)
    assert all(a.dtype == np.uint8 for a in (faces, horses, train, held_out))
    assert sorted(p.name for p in cache.iterdir()) == ["faces_64_train.npy", "horse2zebra_trainA_40.npy",
                                                        "sr_held_out_photos.npy", "sr_train_photos.npy"]
    for folder in ("faces", "horse2zebra", "sr"):  # a second call reads the cache, not the photos
        for photo in (data / folder).rglob("*.jpg"):
            photo.unlink()
    np.testing.assert_array_equal(datasets.load_domain(str(data), "trainA", 40, cache), horses)
    np.testing.assert_array_equal(datasets.load_faces(str(data), cache), faces)
    for got, expected in zip(datasets.load_sr_photos(str(data), cache), (train, held_out)):
        np.testing.assert_array_equal(got, expected)


def test_sr_photos_keep_the_held_out_ones_apart(tmp_path):
    data = tmp_path / "data"
    _photos(data / "sr" / "train" / "BSD200", [(481, 321)])
    _photos(data / "sr" / "train" / "BSDS500test", [(481, 321)] * 21, ["900001", *datasets.SR_HELD_OUT])
    train, held_out = datasets.load_sr_photos(str(data), tmp_path)
    assert len(train) == 2 and len(held_out) == 20
    differences = np.abs(train[:, None].astype(int) - held_out[None].astype(int)).mean(axis=(2, 3, 4))
    assert differences.min() > 50  # no held-out photo among the training ones (random photos differ by ~85)
    (data / "sr" / "train" / "BSDS500test" / f"{datasets.SR_HELD_OUT[0]}.jpg").unlink()
    (tmp_path / "elsewhere").mkdir()
    with pytest.raises(FileNotFoundError, match="1 held-out SR photos missing"):
        datasets.load_sr_photos(str(data), tmp_path / "elsewhere")
    with pytest.raises(FileNotFoundError, match="BSDS500test"):
        datasets.load_sr_photos(str(tmp_path / "old"), tmp_path / "elsewhere")
