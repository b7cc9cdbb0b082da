"""The 2x super-resolution training script (generative.train.sr) on photos made here: data, GAN step choice, resuming."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from generative import datasets
from generative.sr import SRNet
from generative.srmetrics import bicubic_x2, crop_even, downscale_x2, psnr_y
from generative.train import load_checkpoint
from generative.train import sr as train


@pytest.fixture
def data(tmp_path):
    """A data folder with 2 + 2 training photos and the 20 held-out ones, smooth enough to upscale."""
    yy, xx = np.mgrid[0:321, 0:481] / 321
    names = {"BSD200": ["1", "2"], "BSDS500test": ["3", "4", *datasets.SR_HELD_OUT]}
    for folder, stems in names.items():
        (tmp_path / "data" / "sr" / "train" / folder).mkdir(parents=True)
        for i, stem in enumerate(stems):
            img = np.stack([128 + 100 * np.sin((3 + i % 5) * xx + c + i * yy) for c in range(3)], axis=-1)
            Image.fromarray(img.astype(np.uint8)).save(tmp_path / "data" / "sr" / "train" / folder / f"{stem}.jpg")
    return tmp_path / "data"


def test_gan_step_score_needs_a_gain_over_bicubic_then_prefers_natural_sharpness():
    assert train.gan_step_score(30.4, 29.5, 1.0) is None  # sharp but under bicubic + 1 dB: not eligible
    assert train.gan_step_score(30.5, 29.5, 0.9) == pytest.approx(0.1)
    assert train.gan_step_score(31.0, 29.5, 1.05) == pytest.approx(0.05)  # closer to the originals' sharpness wins
    assert train.gan_step_score(31.0, 29.5, 1.2) == pytest.approx(0.2)  # over-sharpened is as bad as blurred


def test_held_out_scores(data, tmp_path):
    _, held_out = datasets.load_sr_photos(str(data), tmp_path)
    torch.manual_seed(0)
    psnr, bicubic, sharp = train.held_out_scores(SRNet(channels=8, blocks=1), held_out[:3])
    expected = np.mean([psnr_y(bicubic_x2(downscale_x2(hr)), hr) for hr in map(crop_even, held_out[:3])])
    assert bicubic == pytest.approx(expected)
    assert 10 < psnr < 60 and 0.2 < sharp < 2


def test_batches_have_the_patch_size_asked_for_and_lr_is_the_protocol_downscale(data, tmp_path):
    images, _ = datasets.load_sr_photos(str(data), tmp_path)
    for patch in (64, 128):
        lr, hr = train.sample_batch(images, 3, patch, np.random.default_rng(0))
        assert lr.shape == (3, 3, patch // 2, patch // 2) and hr.shape == (3, 3, patch, patch)
        hr0 = (hr[0].permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
        np.testing.assert_array_equal((lr[0].permute(1, 2, 0).numpy() * 255).round().astype(np.uint8),
                                      downscale_x2(hr0))


def test_cosine_schedule_runs_from_the_peak_to_two_percent_over_the_horizon():
    rates = [train.cosine_rate(step, 1000, 5e-4) for step in range(0, 1001, 100)]
    assert rates[0] == pytest.approx(5e-4) and rates[-1] == pytest.approx(1e-5)
    assert all(a > b for a, b in zip(rates, rates[1:]))
    assert train.cosine_rate(1500, 1000, 5e-4) == pytest.approx(1e-5)  # past the horizon it stays at the floor


def test_training_runs_checkpoints_and_resumes_with_its_recipe(data, tmp_path, monkeypatch):
    monkeypatch.setattr("generative.train.CURVES", tmp_path / "curves")
    exported = []
    monkeypatch.setattr(train, "export", lambda stage, net, step, recipe, weights: exported.append(
        (stage, step, dict(recipe))))
    cache = tmp_path / "cache"
    common = ["--data", str(data), "--checkpoints", str(cache), "--threads", "1", "--channels", "8", "--blocks", "1"]
    train.main([*common, "--patch", "32", "--batch", "2", "--steps", "3", "--lr", "1e-3", "--channels-last"])
    ckpt = load_checkpoint(cache / "sr-psnr-c8b1.pt")
    assert ckpt["step"] == 3 and ckpt["config"] == {"channels": 8, "blocks": 1}
    assert ckpt["recipe"] == {"patch": 32, "batch": 2, "lr": 1e-3, "steps": 3}
    assert exported == [("psnr", 3, ckpt["recipe"])]
    assert (tmp_path / "curves" / "train-sr-psnr-c8b1.csv").read_text().startswith("step,l1,lr,set5_psnr")
    net = SRNet(channels=8, blocks=1)
    net.load_state_dict(ckpt["net"])
    assert any(n.endswith("conv1.weight") and p.abs().sum() > 0 for n, p in ckpt["net"].items())
    up = train.checkpoint_upscaler(cache / "sr-psnr-c8b1.pt")  # what bench.sr --checkpoint scores
    x = torch.rand(1, 3, 20, 24)
    with torch.no_grad():
        torch.testing.assert_close(up.net(x), net(x), rtol=1e-5, atol=1e-5)
    train.main([*common, "--steps", "5"])  # a longer horizon: resumes with the saved patch, batch and lr
    again = load_checkpoint(cache / "sr-psnr-c8b1.pt")
    assert again["step"] == 5 and again["recipe"] == {"patch": 32, "batch": 2, "lr": 1e-3, "steps": 5,
                                                      "horizons": [[0, 3], [3, 5]]}  # the change is recorded
    assert train.horizon_text(again["recipe"]) == "a horizon of 3 steps from step 0, then 5 steps from step 3"
    assert train.horizon_text(ckpt["recipe"]) == "3 steps"
    assert not torch.equal(again["net"]["head.conv3.weight"], ckpt["net"]["head.conv3.weight"])
    assert exported[-1][:2] == ("psnr", 5)


def test_training_refuses_what_it_cannot_do(data, tmp_path):
    common = ["--data", str(data), "--checkpoints", str(tmp_path), "--threads", "1"]
    with pytest.raises(SystemExit, match="nothing to export"):
        train.main([*common, "--channels", "8", "--export"])
    with pytest.raises(SystemExit, match="even"):
        train.main([*common, "--channels", "8", "--patch", "33"])
    shipped = train.read_manifest().get("sr-x2-psnr")
    if shipped:  # a run of the shipped net's size continues from the shipped weights
        size = ["--channels", str(shipped["config"]["channels"]), "--blocks", str(shipped["config"]["blocks"])]
        with pytest.raises(SystemExit, match="give --steps beyond"):
            train.main([*common, *size, "--steps", "100"])


def test_from_scratch_trains_the_shipped_size_from_step_0(data, tmp_path, monkeypatch):
    monkeypatch.setattr("generative.train.CURVES", tmp_path / "curves")
    train.main(["--data", str(data), "--checkpoints", str(tmp_path), "--threads", "1", "--from-scratch",
                "--patch", "32", "--batch", "2", "--steps", "2", "--weights", str(tmp_path / "trial")])
    ckpt = load_checkpoint(tmp_path / "sr-psnr.pt")
    assert ckpt["step"] == 2 and ckpt["config"] == train.CONFIG and "origin" not in ckpt["recipe"]
    entry = train.read_manifest(tmp_path / "trial")["sr-x2-psnr"]  # exported beside the trial, not to weights/
    assert entry["trained_steps"] == 2 and "--steps 2 " in entry["command"]
    assert (tmp_path / "trial" / "sr-x2-psnr.safetensors").exists()


def _gan_matches_psnr_net() -> bool:
    shipped = train.read_manifest()
    return "sr-x2-gan" in shipped and shipped["sr-x2-gan"]["config"] == shipped.get("sr-x2-psnr", {}).get("config")


@pytest.mark.skipif(not _gan_matches_psnr_net(), reason="no shipped SR GAN of the shipped PSNR net's size to continue")
def test_gan_stage_continues_the_shipped_gan(data, tmp_path, monkeypatch):
    monkeypatch.setattr("generative.train.CURVES", tmp_path / "curves")
    exported = []
    monkeypatch.setattr(train, "export", lambda stage, net, step, recipe, weights: exported.append((stage, step)))
    done = train.read_manifest()["sr-x2-gan"]["trained_steps"]
    train.main(["--data", str(data), "--checkpoints", str(tmp_path), "--threads", "1", "--stage", "gan",
                "--patch", "32", "--batch", "2", "--steps", str(done + 2)])
    ckpt = load_checkpoint(tmp_path / f"{train.run_name('gan', train.read_manifest()['sr-x2-gan']['config'])}.pt")
    assert ckpt["step"] == done + 2 and "d" in ckpt and "continued from the shipped" in ckpt["recipe"]["origin"]
    assert exported == [("gan", done + 2)]  # no held-out choice yet (that comes every 100 steps): the last step


def test_compiled_training_checkpoints_the_plain_net(data, tmp_path, monkeypatch):
    monkeypatch.setattr("generative.train.CURVES", tmp_path / "curves")
    monkeypatch.setattr(train, "export", lambda *args: None)
    train.main(["--data", str(data), "--checkpoints", str(tmp_path), "--threads", "1", "--channels", "8",
                "--blocks", "1", "--patch", "16", "--batch", "2", "--steps", "2", "--compile", "--channels-last"])
    ckpt = load_checkpoint(tmp_path / "sr-psnr-c8b1.pt")
    assert ckpt["step"] == 2 and set(ckpt["net"]) == set(SRNet(channels=8, blocks=1).state_dict())


def test_a_deeper_net_grows_from_a_shallower_one_with_its_function():
    """Extra body convs start as identities, so the grown training-form net computes what the deploy net did,
    and they train: their weights get gradients."""
    torch.manual_seed(3)
    small = SRNet(channels=8, blocks=2)
    with torch.no_grad():
        for act in small.acts:
            act.weight.uniform_(0.1, 0.4)  # every slope matters
    deploy_state = {f"net.{k}": v for k, v in small.reparameterised().state_dict().items()}
    assert train.deploy_blocks(deploy_state) == 2
    grown = train.training_form(deploy_state, {"channels": 8, "blocks": 4})
    x = torch.rand(2, 3, 17, 21)
    with torch.no_grad():
        torch.testing.assert_close(grown(x), small(x), rtol=1e-5, atol=1e-5)
    grown(x).square().mean().backward()
    assert grown.body[3].conv3.weight.grad.abs().sum() > 0 and grown.acts[4].weight.grad.abs().sum() > 0
    assert train.grows_from({"channels": 8, "blocks": 2}, {"channels": 8, "blocks": 4})
    assert not train.grows_from({"channels": 8, "blocks": 2}, {"channels": 16, "blocks": 4})
    assert not train.grows_from({"channels": 8, "blocks": 4}, {"channels": 8, "blocks": 2})
    assert not train.grows_from(None, {"channels": 8, "blocks": 2})


def test_a_deeper_run_of_the_shipped_width_starts_from_the_shipped_net(data, tmp_path, monkeypatch):
    shipped = train.read_manifest().get("sr-x2-psnr")
    if shipped is None:
        pytest.skip("no shipped PSNR net to grow")
    monkeypatch.setattr("generative.train.CURVES", tmp_path / "curves")
    monkeypatch.setattr(train, "export", lambda *args, **kwargs: None)
    config = {"channels": shipped["config"]["channels"], "blocks": shipped["config"]["blocks"] + 1}
    train.main(["--data", str(data), "--checkpoints", str(tmp_path), "--threads", "1", "--channels",
                str(config["channels"]), "--blocks", str(config["blocks"]), "--patch", "32", "--batch", "2",
                "--steps", str(shipped["trained_steps"] + 1)])
    ckpt = load_checkpoint(tmp_path / f"{train.run_name('psnr', config)}.pt")
    assert ckpt["step"] == shipped["trained_steps"] + 1 and ckpt["config"] == config
    assert "grown by 1 identity body conv " in ckpt["recipe"]["origin"]
