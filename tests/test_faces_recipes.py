"""The face GAN's recipes against mode collapse: minibatch std, mapping blocks, warm starts, EMA, losses, resume."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

import generative
from generative.faces import Discriminator, Generator, MappingBlock, MinibatchStd
from generative.train import load_checkpoint
from generative.train.faces import (
    LOSSES,
    RECIPES,
    Recipe,
    Trainer,
    checkpoint,
    ema_update,
    resume,
    warm_start,
    warm_start_discriminator,
)

SHIPPED = {"faces-gan", "faces-gan-d"} <= set(generative.available())


def _images(n: int, seed: int = 0) -> torch.Tensor:
    return torch.rand(n, 3, 64, 64, generator=torch.Generator().manual_seed(seed)) * 2 - 1


def test_minibatch_std_appends_the_spread_of_each_group():
    x = torch.randn(8, 5, 4, 4, generator=torch.Generator().manual_seed(0))
    y = MinibatchStd()(x)
    assert y.shape == (8, 6, 4, 4) and torch.equal(y[:, :5], x)
    for group in (slice(0, 4), slice(4, 8)):  # groups of 4 consecutive images, one value per group
        torch.testing.assert_close(y[group, 5], x[group].std(0, unbiased=False).mean().expand(4, 4, 4))
    # a batch of 6 makes groups of 3; a lone image has no spread
    torch.testing.assert_close(MinibatchStd()(x[:6])[0, 5, 0, 0], x[:3].std(0, unbiased=False).mean())
    assert MinibatchStd()(x[:1])[0, 5].abs().max() < 1e-3
    assert MinibatchStd()(x.to(memory_format=torch.channels_last)).is_contiguous(memory_format=torch.channels_last)


def test_a_lone_image_is_judged_as_if_in_a_group_of_the_measured_spread():
    """An upload is judged alone: with ``lone_spread`` set to a group's measured spread, each of that group's
    images alone gets the verdict it gets in the group (and another one with the default spread of 0)."""
    torch.manual_seed(0)
    d = Discriminator(minibatch_std=True).eval()
    faces = ((_images(4, seed=3) + 1) * 127.5).round().permute(0, 2, 3, 1).numpy().astype(np.uint8)
    spread = d.real_group_spread(faces)
    assert spread > 0
    calibrated = Discriminator(minibatch_std=True, lone_spread=spread).eval()
    calibrated.load_state_dict(d.state_dict())
    in_group = d.prob_real(faces)
    alone = np.concatenate([calibrated.prob_real(face[None]) for face in faces])
    np.testing.assert_allclose(alone, in_group, atol=1e-5)
    uncalibrated = np.concatenate([d.prob_real(face[None]) for face in faces])
    assert np.abs(uncalibrated - in_group).max() > 1e-4
    np.testing.assert_allclose(calibrated.prob_real(faces), in_group, atol=1e-6)  # groups still use their own spread


def test_minibatch_std_lets_d_see_the_rest_of_the_group():
    torch.manual_seed(0)
    with_std, plain = Discriminator(minibatch_std=True).eval(), Discriminator().eval()
    x = _images(8)
    alike = x.clone()
    alike[1:4] = x[0]  # image 0's group-mates become copies of it: the group no longer varies
    with torch.no_grad():
        assert (with_std(x)[0] - with_std(alike)[0]).abs() > 1e-4  # the same image, another verdict
        torch.testing.assert_close(with_std(x)[4:], with_std(alike)[4:])  # the other group is untouched
        assert torch.equal(plain(x)[0], plain(alike)[0])  # without the layer, images are judged alone
    for n in (1, 5, 36):  # any batch size, as the app's single uploads and grids need
        p = with_std.prob_real(np.zeros((n, 64, 64, 3), dtype=np.uint8))
        assert p.shape == (n,) and ((0 < p) & (p < 1)).all()


def _spectral_norm_layers(d: Discriminator) -> int:
    return sum(hasattr(m, "parametrizations") for m in d.modules() if isinstance(m, (nn.Conv2d, nn.Linear)))


@pytest.mark.parametrize("options", [{"minibatch_std": True}, {"spectral_norm": False},
                                     {"minibatch_std": True, "spectral_norm": False}])
def test_warm_started_discriminator_computes_what_its_source_did(options):
    torch.manual_seed(0)
    source, x = Discriminator(), _images(8)
    with torch.no_grad():
        for _ in range(3):
            source(x)  # training-mode power iterations move the stored spectral-norm vectors, as training does
    source.eval()
    d = Discriminator(**options).eval()
    with torch.no_grad():
        expected = source(x)
        assert (d(x) - expected).abs().max() > 1e-3  # freshly built: another function
        warm_start_discriminator(d, source)
        torch.testing.assert_close(d(x), expected, rtol=1e-4, atol=1e-6)
    assert _spectral_norm_layers(d) == (0 if options.get("spectral_norm") is False else 5)


def test_a_discriminator_starts_only_from_one_it_can_hold():
    """A D with minibatch std and no spectral norm (the sg2 recipe's) passes to its own kind, not to a D without
    minibatch std or with spectral norm, whose function could not be the source's."""
    torch.manual_seed(0)
    x = _images(8)
    source = Discriminator(minibatch_std=True, spectral_norm=False).eval()
    same = Discriminator(minibatch_std=True, spectral_norm=False).eval()
    with torch.no_grad():
        warm_start_discriminator(same, source)
        torch.testing.assert_close(same(x), source(x))
    for options, why in [({}, "minibatch-std"), ({"minibatch_std": True}, "spectral norm"),
                         ({"spectral_norm": False}, "minibatch-std")]:
        with pytest.raises(generative.weights.WeightsError, match=why):
            warm_start_discriminator(Discriminator(**options), source)


def test_mapping_blocks_start_as_the_identity_and_then_learn():
    block = MappingBlock(8)
    z = torch.randn(5, 8)
    assert torch.equal(block(z), z)
    block(z).square().sum().backward()
    torch.optim.SGD(block.parameters(), lr=0.1).step()
    assert not torch.equal(block(z), z)
    g = Generator(mapping_blocks=3)
    assert len(g.mapping_net) == 3 and g(torch.randn(2, g.z_dim)).shape == (2, 3, 64, 64)
    assert not any(key.startswith("mapping_net") for key in Generator().state_dict())  # the shipped layout


def _holds_the_shipped_networks(recipe: Recipe) -> bool:
    """Whether a recipe's networks have every part of the shipped ones (mapping blocks, minibatch std, and no
    spectral norm where the shipped D has none)."""
    manifest = generative.weights.read_manifest()
    g, d = manifest["faces-gan"]["config"], manifest["faces-gan-d"]["config"]
    return (recipe.config_g.get("mapping_blocks", 0) >= g.get("mapping_blocks", 0)
            and recipe.config_d.get("minibatch_std", False) >= d.get("minibatch_std", False)
            and recipe.config_d.get("spectral_norm", True) <= d.get("spectral_norm", True))


@pytest.mark.skipif(not SHIPPED, reason="no face GAN weights in weights/")
@pytest.mark.parametrize("recipe", sorted(RECIPES))
def test_every_recipe_starts_from_the_shipped_faces_and_verdicts_or_says_why_not(recipe):
    g, d = generative.load("faces-gan", device="cpu"), generative.load("faces-gan-d", device="cpu")
    trainer = Trainer(RECIPES[recipe])
    if not _holds_the_shipped_networks(RECIPES[recipe]):
        with pytest.raises(generative.weights.WeightsError, match="--from-scratch"):
            warm_start(trainer)
        return
    warm_start(trainer)
    faces = g.generate(list(range(8)), 0.7)
    np.testing.assert_array_equal(trainer.g_ema.generate(list(range(8)), 0.7), faces)
    np.testing.assert_allclose(trainer.d.eval().prob_real(faces), d.prob_real(faces), atol=1e-5)
    assert trainer.step_count == generative.weights.read_manifest()["faces-gan"]["trained_steps"]
    assert "shipped weights" in trainer.origin


def test_ema_update_moves_each_parameter_by_one_minus_decay():
    torch.manual_seed(0)
    ema, net = nn.Linear(3, 2), nn.Linear(3, 2)
    before = [p.clone() for p in ema.parameters()]
    ema_update(ema, net, 0.9)
    for old, p_ema, p in zip(before, ema.parameters(), net.parameters()):
        torch.testing.assert_close(p_ema, 0.9 * old + 0.1 * p)
    ema_update(ema, net, 0.0)
    assert all(torch.equal(p_ema, p) for p_ema, p in zip(ema.parameters(), net.parameters()))


def test_a_step_applies_the_recipes_ema_decay():
    torch.manual_seed(0)
    trainer = Trainer(RECIPES["r1-ema"])
    before = [p.clone() for p in trainer.g_ema.parameters()]
    trainer.step(_images(4), torch.Generator().manual_seed(1))
    for old, p_ema, p in zip(before, trainer.g_ema.parameters(), trainer.g.parameters()):
        torch.testing.assert_close(p_ema, 0.995 * old + 0.005 * p)



def test_the_slow_ema_runs_beside_the_fast_one_and_starts_as_it_when_resumed(tmp_path):
    """sg2-slow resumes an sg2-late checkpoint with its slow EMA starting at the fast one; each EMA then moves by
    its own decay, and a checkpoint of sg2-slow brings the slow EMA back exactly."""
    path = tmp_path / "faces.pt"
    torch.manual_seed(0)
    late = Trainer(RECIPES["sg2-late"])
    late.step(_images(4), torch.Generator().manual_seed(1))
    assert set(late.averages()) == {"fast"} and "g_slow" not in late.modules()
    checkpoint(late, "sg2-late", path)
    slow = Trainer(RECIPES["sg2-slow"])
    resume(slow, path, "sg2-slow")
    assert all(torch.equal(a, b) for a, b in zip(slow.g_slow.parameters(), late.g_ema.parameters()))
    fast_before = [p.clone() for p in slow.g_ema.parameters()]
    slow_before = [p.clone() for p in slow.g_slow.parameters()]
    slow.step(_images(4, 2), torch.Generator().manual_seed(3))
    for old_fast, old_slow, p_fast, p_slow, p in zip(fast_before, slow_before, slow.g_ema.parameters(),
                                                      slow.g_slow.parameters(), slow.g.parameters()):
        torch.testing.assert_close(p_fast, 0.999 * old_fast + 0.001 * p)
        torch.testing.assert_close(p_slow, 0.9998 * old_slow + 0.0002 * p)
    assert not all(torch.equal(a, b) for a, b in zip(slow.g_slow.parameters(), slow.g_ema.parameters()))
    checkpoint(slow, "sg2-slow", path)
    again = Trainer(RECIPES["sg2-slow"])
    resume(again, path, "sg2-slow")
    assert all(torch.equal(a, b) for a, b in zip(again.g_slow.parameters(), slow.g_slow.parameters()))


def test_export_writes_the_chosen_ema_or_says_the_recipe_has_none(tmp_path):
    import argparse

    from generative.train.faces import export
    from generative.weights import load_model

    torch.manual_seed(0)
    trainer = Trainer(RECIPES["sg2-slow"])
    trainer.step(_images(4), torch.Generator().manual_seed(1))
    faces = np.random.default_rng(0).integers(0, 256, (8, 64, 64, 3), dtype=np.uint8)
    for ema, source in (("fast", trainer.g_ema), ("slow", trainer.g_slow)):
        args = argparse.Namespace(ema=ema, recipe="sg2-slow", name="trial", weights=tmp_path / ema)
        export(trainer, args, faces)
        g = load_model("faces-gan", torch.device("cpu"), tmp_path / ema)
        assert all(torch.equal(a, b) for a, b in zip(g.parameters(), source.parameters()))
        command = generative.weights.read_manifest(tmp_path / ema)["faces-gan"]["command"]
        assert command.endswith("--name trial --ema slow") == (ema == "slow")
    args = argparse.Namespace(ema="slow", recipe="sg2-late", name="trial", weights=tmp_path / "late")
    with pytest.raises(SystemExit, match="keeps no slow EMA"):
        export(Trainer(RECIPES["sg2-late"]), args, faces)

def test_losses():
    zero = torch.zeros(3)
    d_hinge, g_hinge = LOSSES["hinge"]
    d_logistic, g_logistic = LOSSES["logistic"]
    assert float(d_hinge(zero, zero)) == 2 and float(d_hinge(zero + 1, zero - 1)) == 0  # margins met: no loss
    assert math.isclose(float(d_logistic(zero, zero)), 2 * math.log(2), rel_tol=1e-6)
    assert math.isclose(float(g_logistic(zero)), math.log(2), rel_tol=1e-6)
    for g_loss in (g_hinge, g_logistic):  # G gains when D finds its faces more real
        assert float(g_loss(zero + 1)) < float(g_loss(zero))


def _parameters(trainer: Trainer) -> list[tuple[str, torch.Tensor]]:
    return [(f"{key}.{name}", p) for key in ("g", "d") for name, p in getattr(trainer, key).named_parameters()]


@pytest.mark.parametrize("recipe", sorted(RECIPES))
def test_steps_are_deterministic_and_train_both_nets(recipe):
    runs = []
    for _ in range(2):
        torch.manual_seed(0)
        trainer = Trainer(RECIPES[recipe])
        trainer.channels_last()
        before = {name: p.clone() for name, p in _parameters(trainer)}
        gen = torch.Generator().manual_seed(1)
        # the first step holds the R1 penalty; recipes with more D steps per G step take new batches for them
        losses = [trainer.step(_images(8, seed), gen, lambda: _images(8, 7)) for seed in range(2)]
        runs.append(losses)
        assert all(math.isfinite(v) for row in losses for v in row)
        # every parameter learns, but D's output bias under the hinge loss: its gradient is 0 while all logits lie
        # inside the margin (as many real as fake logits count)
        unchanged = {name for name, p in _parameters(trainer) if torch.equal(before[name], p)}
        assert unchanged <= {"d.head.bias"} and (RECIPES[recipe].loss == "hinge" or not unchanged)
    assert runs[0] == runs[1]


def test_a_step_of_d_alone_leaves_the_generators_and_the_step_count_as_they_are():
    torch.manual_seed(0)
    trainer = Trainer(RECIPES["sg2-slow"])
    before = {name: p.clone() for name, p in _parameters(trainer)}
    averages = [p.clone() for g in trainer.averages().values() for p in g.parameters()]
    gen = torch.Generator().manual_seed(1)
    rows = [trainer.d_step(_images(8, seed), gen) for seed in range(2)]
    assert all(len(row) == 3 and all(math.isfinite(v) for v in row) for row in rows)
    changed = {name for name, p in _parameters(trainer) if not torch.equal(before[name], p)}
    assert changed == {name for name in before if name.startswith("d.")}
    assert all(torch.equal(a, p) for a, p in zip(averages, (p for g in trainer.averages().values() for p in g.parameters())))
    assert (trainer.step_count, trainer.d_only_steps) == (0, 2)
    assert not trainer.opt_g.state_dict()["state"]


def test_a_recipe_with_more_d_steps_gives_d_that_many_steps_per_g_step():
    torch.manual_seed(0)
    trainer = Trainer(RECIPES["sg2-restart"])
    gen = torch.Generator().manual_seed(1)
    batches = []
    trainer.step(_images(8), gen, lambda: batches.append(1) or _images(8, len(batches)))
    assert len(batches) == RECIPES["sg2-restart"].d_steps - 1 == 2
    assert (trainer.step_count, trainer.d_only_steps) == (1, 2)
    assert all(state["step"] == 3 for state in trainer.opt_d.state_dict()["state"].values())
    assert all(state["step"] == 1 for state in trainer.opt_g.state_dict()["state"].values())
    with pytest.raises(ValueError, match="more_real"):
        trainer.step(_images(8), gen)


def test_g_rate_ramp_sets_a_share_of_the_recipes_rate():
    from generative.train.faces import ramp_g_rate

    trainer = Trainer(RECIPES["sg2-restart"])
    ramp_g_rate(trainer, 0.25)
    assert [group["lr"] for group in trainer.opt_g.param_groups] == [0.25 * RECIPES["sg2-restart"].lr_g]
    assert [group["lr"] for group in trainer.opt_d.param_groups] == [RECIPES["sg2-restart"].lr_d]


def test_resume_continues_exactly_and_refuses_other_networks(tmp_path):
    path = tmp_path / "faces.pt"
    torch.manual_seed(0)
    trainer = Trainer(RECIPES["sg2"])
    trainer.step(_images(4), torch.Generator().manual_seed(1))
    checkpoint(trainer, "sg2", path)
    torch.manual_seed(5)  # other initial weights: all of them must come from the checkpoint
    resumed = Trainer(RECIPES["sg2"])
    resume(resumed, path, "sg2")
    assert resumed.step_count == 1
    after = [t.step(_images(4, 2), torch.Generator().manual_seed(3)) for t in (trainer, resumed)]
    assert after[0] == after[1]  # the same next step: weights, EMA and both optimisers' state restored
    assert all(torch.equal(a, b) for a, b in zip(trainer.g_ema.parameters(), resumed.g_ema.parameters()))
    with pytest.raises(SystemExit, match="networks differ"):
        resume(Trainer(RECIPES["r1"]), path, "r1")


def test_a_run_resumed_with_its_late_recipe_takes_that_recipes_rates_and_ema(tmp_path):
    """sg2-late continues an sg2 checkpoint (same networks) at its own learning rates, not the saved ones."""
    path = tmp_path / "faces.pt"
    trainer = Trainer(RECIPES["sg2"])
    trainer.step(_images(4), torch.Generator().manual_seed(1))
    checkpoint(trainer, "sg2", path)
    late = Trainer(RECIPES["sg2-late"])
    resume(late, path, "sg2-late")
    assert late.step_count == 1 and RECIPES["sg2-late"].lr_g < RECIPES["sg2"].lr_g
    assert [g["lr"] for g in late.opt_g.param_groups] == [RECIPES["sg2-late"].lr_g]
    assert [g["lr"] for g in late.opt_d.param_groups] == [RECIPES["sg2-late"].lr_d]
    assert late.opt_g.state_dict()["state"]  # Adam's moments still come from the checkpoint
    assert late.recipe.ema_decay == 0.999


def test_a_short_run_resumes_and_exports_a_calibrated_discriminator(tmp_path, monkeypatch):
    """Two steps of the sg2 recipe on a tiny face folder, a resumed third, and an export to another folder: the
    manifest names the command and the start, D's lone-image spread is measured, and the weights load back."""
    from PIL import Image

    from generative.train import faces as train
    from generative.weights import load_model

    monkeypatch.setattr("generative.train.CURVES", tmp_path / "curves")
    folder = tmp_path / "data" / "faces" / "train_src"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(8):
        Image.fromarray(rng.integers(0, 256, (109, 89, 3), dtype=np.uint8)).save(folder / f"{i:06d}.jpg")
    common = ["--data", str(tmp_path / "data"), "--checkpoints", str(tmp_path / "ckpt"), "--threads", "1",
              "--recipe", "sg2", "--name", "trial", "--batch", "4", "--fid-n", "0", "--weights", str(tmp_path / "w")]
    start = train.read_manifest()["faces-gan"]["trained_steps"] if SHIPPED else 0  # a run starts from the shipped
    train.main([*common, "--steps", str(start + 2), "--d-warmup", "3", "--g-ramp", "4"])
    first = load_checkpoint(tmp_path / "ckpt" / "trial.pt")
    assert first["step"] == start + 2
    assert ("then 3 steps of D alone" in first["origin"]) == SHIPPED  # only a start from the shipped weights
    assert ("rising from 0 over 4 steps" in first["origin"]) == SHIPPED
    if SHIPPED:  # two of the four ramp steps done: G's rate is at half the recipe's
        assert first["opt_g"]["param_groups"][0]["lr"] == pytest.approx(RECIPES["sg2"].lr_g / 2)
    train.main([*common, "--steps", str(start + 3)])
    again = load_checkpoint(tmp_path / "ckpt" / "trial.pt")
    assert (again["step"], again["origin"]) == (first["step"] + 1, first["origin"])
    train.main([*common, "--export"])
    manifest = train.read_manifest(tmp_path / "w")
    assert manifest["faces-gan-d"]["config"]["lone_spread"] > 0
    assert manifest["faces-gan"]["started_from"] == first["origin"]
    assert "--recipe sg2 --name trial" in manifest["faces-gan"]["command"]
    assert (tmp_path / "curves" / "train-trial.csv").read_text().startswith("step,")
    train.main([*common[:-2], "--name", "fresh", "--from-scratch", "--steps", "1"])
    fresh = load_checkpoint(tmp_path / "ckpt" / "fresh.pt")
    assert (fresh["step"], fresh["origin"]) == (1, "random initialisation")
    d = load_model("faces-gan-d", torch.device("cpu"), tmp_path / "w")
    assert d.prob_real(np.zeros((1, 64, 64, 3), dtype=np.uint8)).shape == (1,)
    g = load_model("faces-gan", torch.device("cpu"), tmp_path / "w")
    assert g.generate([0, 1]).shape == (2, 64, 64, 3)
