"""generative.load: the manifest, the sha256 check and the errors a user sees."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

import generative
from generative.weights import (
    UnknownModelError,
    WeightsError,
    load_model,
    read_manifest,
    save_model,
    sha256_of,
    update_metrics,
)

COMMAND = "python -m generative.train.tiny --out weights/tiny.safetensors"


@pytest.fixture()
def weights_dir(tmp_path: Path) -> Path:
    """A weights folder with one small model: a torch Linear layer with known weights."""
    layer = torch.nn.Linear(3, 2)
    with torch.no_grad():
        layer.weight.copy_(torch.arange(6.0).reshape(2, 3))
        layer.bias.fill_(0.5)
    save_file(layer.state_dict(), tmp_path / "tiny.safetensors")
    manifest = {
        "models": {
            "tiny": {
                "file": "tiny.safetensors",
                "sha256": sha256_of(tmp_path / "tiny.safetensors"),
                "builder": "torch.nn:Linear",
                "config": {"in_features": 3, "out_features": 2},
                "parameters": 8,
                "data": "none",
                "command": COMMAND,
                "metrics": {},
            }
        }
    }
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    return tmp_path


def test_loads_weights_in_eval_mode(weights_dir):
    model = load_model("tiny", torch.device("cpu"), weights_dir)
    assert not model.training
    out = model(torch.ones(1, 3))
    torch.testing.assert_close(out, torch.tensor([[3.5, 12.5]]))


def test_unknown_name_lists_known_models(weights_dir):
    with pytest.raises(UnknownModelError, match="known models: tiny"):
        load_model("tinny", torch.device("cpu"), weights_dir)


def test_missing_file_names_it_and_the_rebuild_command(weights_dir):
    (weights_dir / "tiny.safetensors").unlink()
    with pytest.raises(WeightsError) as info:
        load_model("tiny", torch.device("cpu"), weights_dir)
    assert "tiny.safetensors" in str(info.value) and "is missing" in str(info.value)
    assert COMMAND in str(info.value)


@pytest.mark.parametrize("damage", [lambda b: b[:-10], lambda b: b[:100] + b"\x00" + b[101:], lambda b: b""])
def test_corrupt_file_names_it_and_the_rebuild_command(weights_dir, damage):
    path = weights_dir / "tiny.safetensors"
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(WeightsError) as info:
        load_model("tiny", torch.device("cpu"), weights_dir)
    assert "tiny.safetensors" in str(info.value) and "corrupt" in str(info.value)
    assert COMMAND in str(info.value)


def test_weights_that_do_not_fit_the_model_are_reported(weights_dir):
    manifest = json.loads((weights_dir / "manifest.json").read_text())
    manifest["models"]["tiny"]["config"]["in_features"] = 4
    (weights_dir / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(WeightsError, match="does not fit"):
        load_model("tiny", torch.device("cpu"), weights_dir)


def test_committed_manifest_matches_committed_files():
    """Every model in weights/manifest.json has its file, hash and provenance."""
    models = read_manifest()
    assert generative.available() == sorted(models)
    for name, entry in models.items():
        path = Path(generative.weights.WEIGHTS_DIR) / entry["file"]
        assert path.suffix == ".safetensors" and path.stat().st_size <= 10 * 1024 * 1024, name
        assert sha256_of(path) == entry["sha256"], name
        for key in ("parameters", "data", "command", "metrics", "builder"):
            assert entry.get(key) not in (None, ""), f"{name} lacks {key}"


def test_public_load_rejects_unknown_names_and_devices():
    with pytest.raises(UnknownModelError, match="unknown model"):
        generative.load("no-such-model")
    with pytest.raises(ValueError, match="auto, cpu, cuda"):
        generative.load("no-such-model", device="tpu")


def test_new_weights_drop_the_old_weights_metrics(weights_dir):
    entry = {"builder": "torch.nn:Linear", "config": {"in_features": 3, "out_features": 2}, "command": COMMAND}
    layer = load_model("tiny", torch.device("cpu"), weights_dir)
    save_model("tiny", layer, entry, weights_dir)
    update_metrics("tiny", {"loss": 1.0}, weights_dir)
    save_model("tiny", layer, entry, weights_dir)  # the same weights: their measurements still hold
    assert read_manifest(weights_dir)["tiny"]["metrics"] == {"loss": 1.0}
    with torch.no_grad():
        layer.bias.fill_(9.0)
    save_model("tiny", layer, entry, weights_dir)  # new weights: nothing measured on them yet
    assert read_manifest(weights_dir)["tiny"]["metrics"] == {}
