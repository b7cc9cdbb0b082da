"""The 2-D GAN: hand-written gradients against autograd, each loss, determinism, mode coverage, bad input."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from generative.gan2d import (
    LOSSES,
    MLP,
    SCENARIOS,
    Adam,
    Gan2D,
    _d_loss_and_grads,
    _g_loss_and_grad,
    energy_distance,
    mode_shares,
    precision_recall,
)
from generative.toydata import RING8_CENTRES, RING8_STD, preset

RING = preset("8 Gaussians on a ring", 0)
STABLE, COLLAPSE = SCENARIOS["stable: covers all 8 modes"], SCENARIOS["mode collapse"]
VANISHING = SCENARIOS["too-strong D, minimax loss: vanishing gradient"]


def _modes_covered(gan: Gan2D) -> int:
    """Modes of the ring holding 6-20 % of 1,000 samples (a sample counts within 4 standard deviations)."""
    shares = mode_shares(gan.sample(1000, seed=123), RING8_CENTRES, 4 * RING8_STD)
    return int(((shares >= 0.06) & (shares <= 0.20)).sum())


def _autograd_forward(params: list[torch.Tensor], x: torch.Tensor, slope: float) -> torch.Tensor:
    w1, b1, w2, b2, w3, b3 = params
    h = F.leaky_relu(x @ w1 + b1, slope)
    return F.leaky_relu(h @ w2 + b2, slope) @ w3 + b3


@pytest.mark.parametrize("loss", LOSSES)
def test_discriminator_gradients_match_autograd(loss):
    d = MLP(2, 16, 1, 0.2, torch.Generator().manual_seed(0))
    x = torch.randn(12, 2, generator=torch.Generator().manual_seed(1))
    params = [p.clone().requires_grad_(True) for p in d.params]
    logits = _autograd_forward(params, x, 0.2)[:, 0]
    real, fake = logits[:6], logits[6:]
    if loss in ("minimax", "non-saturating"):
        expected = F.softplus(-real).mean() + F.softplus(fake).mean()
    elif loss == "hinge":
        expected = F.relu(1 - real).mean() + F.relu(1 + fake).mean()
    else:
        between = x[:6].clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(_autograd_forward(params, between, 0.2).sum(), between, create_graph=True)
        expected = fake.mean() - real.mean() + 10 * ((grad.norm(dim=1) - 1) ** 2).mean()
    expected.backward()

    out, cache = d.forward(x)
    value, g_real, g_fake = _d_loss_and_grads(loss, out[:6, 0], out[6:, 0])
    d.backward(cache, torch.cat([g_real, g_fake])[:, None] / 6, accumulate=True)
    if loss == "wgan-gp":
        d.add_gradient_penalty(x[:6], 10.0)
        value += 10 * float(MLP.input_gradient_penalty(d, x[:6]))
    assert value == pytest.approx(expected.item(), abs=1e-5)
    for ours, theirs in zip(d.grads, params):
        torch.testing.assert_close(ours, theirs.grad, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("loss", LOSSES)
def test_generator_gradients_match_autograd(loss):
    rng = torch.Generator().manual_seed(0)
    g, d = MLP(3, 16, 2, 0.0, rng), MLP(2, 16, 1, 0.2, rng)
    z = torch.randn(8, 3, generator=rng)
    params = [p.clone().requires_grad_(True) for p in g.params]
    logits = _autograd_forward(d.params, _autograd_forward(params, z, 0.0), 0.2)[:, 0]
    expected = {"minimax": -F.softplus(logits).mean(), "non-saturating": F.softplus(-logits).mean()}.get(
        loss, -logits.mean())
    expected.backward()

    x, g_cache = g.forward(z)
    out, d_cache = d.forward(x)
    value, grad = _g_loss_and_grad(loss, out[:, 0])
    g.backward(g_cache, d.backward(d_cache, grad[:, None] / 8, accumulate=False), accumulate=True)
    assert value == pytest.approx(expected.item(), abs=1e-6)
    for ours, theirs in zip(g.grads, params):
        torch.testing.assert_close(ours, theirs.grad, atol=1e-6, rtol=1e-4)
    assert not d.grad.any()  # the generator's update leaves the discriminator's gradients alone


def test_adam_matches_torch():
    model = MLP(2, 8, 1, 0.2, torch.Generator().manual_seed(0))
    reference = [p.clone().requires_grad_(True) for p in model.params]
    ours, theirs = Adam(model, 1e-2), torch.optim.Adam(reference, lr=1e-2, betas=(0.5, 0.9))
    rng = torch.Generator().manual_seed(1)
    for _ in range(5):
        grads = [torch.randn(p.shape, generator=rng) for p in model.params]
        for slot, g, p in zip(model.grads, grads, reference):
            slot.copy_(g)
            p.grad = g.clone()
        ours.step()
        theirs.step()
    for a, b in zip(model.params, reference):
        torch.testing.assert_close(a, b.detach(), atol=1e-6, rtol=1e-5)
    assert not model.grad.any()


@pytest.mark.parametrize("loss", LOSSES)
def test_each_loss_brings_the_samples_to_the_data(loss):
    gan = Gan2D(RING, seed=0, loss=loss, d_steps=2 if loss == "wgan-gp" else 1)
    before = energy_distance(gan.sample(500), RING)
    gan.step(250)
    assert energy_distance(gan.sample(500), RING) < 0.1 * before
    assert gan.iterations == 250 and len(gan.history.d_loss) == 250
    assert np.isfinite(gan.history.g_loss).all()
    assert all(0 <= p <= 1 for p in gan.history.d_real + gan.history.d_fake)


def test_the_minimax_loss_saturates_against_a_strong_discriminator():
    gan = Gan2D(RING, seed=0, **vars(VANISHING))
    gan.step(250)
    assert np.mean(gan.history.d_real[-50:]) > 0.95 and np.mean(gan.history.d_fake[-50:]) < 0.05  # D wins
    minimax = np.linalg.norm(gan.generator_pull(200)[1], axis=1).mean()
    gan.settings = replace(gan.settings, loss="non-saturating")  # the same networks, the other G loss
    non_saturating = np.linalg.norm(gan.generator_pull(200)[1], axis=1).mean()
    assert minimax < 1e-3 * non_saturating


def test_the_same_seed_gives_the_same_run_and_another_seed_another():
    runs = []
    for seed in (3, 3, 4):
        gan = Gan2D(RING, seed=seed)
        gan.step(40)
        runs.append((gan.history.g_loss, gan.sample(50)))
    assert runs[0][0] == runs[1][0]
    np.testing.assert_array_equal(runs[0][1], runs[1][1])
    assert runs[0][0] != runs[2][0]


def test_what_the_model_shows_has_the_documented_shapes():
    gan = Gan2D(RING * 100 + 7, seed=0, noise_dim=3)  # other units: the model works in standardised ones inside
    gan.step(5)
    assert gan.sample(17).shape == (17, 2)
    p = gan.prob_real(RING * 100 + 7)
    assert p.shape == (400,) and ((0 <= p) & (p <= 1)).all()
    assert gan.generator_grid(lines=5, points_per_line=9).shape == (10, 9, 2)
    starts, pull = gan.generator_pull(12)
    assert starts.shape == pull.shape == (12, 2) and np.isfinite(pull).all()
    np.testing.assert_allclose(gan.generate(gan.noise(4, seed=9)), gan.sample(4, seed=9))


def test_the_stable_preset_covers_all_eight_modes_within_3000_iterations_for_five_seeds():
    assert Gan2D(RING).settings == STABLE  # the defaults are the stable setting
    for seed in range(5):
        gan = Gan2D(RING, seed=seed, **vars(STABLE))
        covered = 0
        while covered < 8 and gan.iterations < 3000:
            gan.step(250)
            covered = _modes_covered(gan)
        assert covered == 8, f"seed {seed}: {covered} modes after {gan.iterations} iterations"


def test_the_mode_collapse_preset_covers_at_most_four_modes():
    for seed in range(5):
        gan = Gan2D(RING, seed=seed, **vars(COLLAPSE))
        gan.step(1000)
        assert _modes_covered(gan) <= 4, f"seed {seed}"


def test_energy_distance_and_precision_recall():
    a = np.random.default_rng(0).normal(size=(300, 2))
    assert energy_distance(a, a) == pytest.approx(0.0, abs=1e-9)
    assert energy_distance(a, a + 3) > 1.0
    assert energy_distance(a, a + 0.1) == pytest.approx(energy_distance(a + 0.1, a))
    one_mode = RING8_CENTRES[0] + RING8_STD * np.random.default_rng(1).normal(size=(500, 2))
    precision, recall = precision_recall(RING, one_mode)
    assert precision > 0.9 and recall < 0.2  # the signature of mode collapse
    precision, recall = precision_recall(RING, preset("8 Gaussians on a ring", 5))
    assert precision > 0.9 and recall > 0.9


@pytest.mark.parametrize(
    "points, settings, message",
    [
        (np.empty((0, 2)), {}, "no rows"),
        (np.array([[0.0, 1.0], [np.nan, 2.0]]), {}, "NaN or infinite"),
        (np.array([[1.0, 2.0]]), {}, "at least 2"),
        (np.ones((30, 2)), {}, "identical"),
        (np.zeros((5, 3)), {}, "two columns"),
        (RING, {"loss": "least-squares"}, "loss must be one of"),
        (RING, {"lr_g": 0.0}, "learning rate"),
        (RING, {"lr_d": float("nan")}, "learning rate"),
        (RING, {"noise_dim": 9}, "noise_dim must be a whole number from 2 to 8"),
        (RING, {"noise_dim": 2.5}, "noise_dim"),
        (RING, {"d_steps": 0}, "d_steps"),
        (RING, {"hidden": 100_000}, "hidden"),
        (RING, {"batch": -1}, "batch"),
        (RING, {"gp_weight": -1.0}, "gp_weight"),
        (RING, {"units": 10}, "unknown setting"),
    ],
)
def test_bad_input_is_a_clear_error(points, settings, message):
    with pytest.raises(ValueError, match=message):
        Gan2D(points, **settings)


@pytest.mark.parametrize("call, message", [(lambda g: g.step(0), "n \\(iterations\\)"),
                                           (lambda g: g.step(2.5), "whole number"),
                                           (lambda g: g.sample(0), "n must be"),
                                           (lambda g: g.prob_real(np.zeros((3, 3))), "two columns"),
                                           (lambda g: g.generate(np.zeros((2, 5))), "shape")])
def test_impossible_calls_are_clear_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call(Gan2D(RING))
    with pytest.raises(ValueError, match="seed"):
        Gan2D(RING, seed=-1)


def test_a_diverged_run_stops_with_advice():
    gan = Gan2D(RING, seed=0)
    gan.step(3)
    gan.discriminator.theta[0] = float("inf")  # as after an overflowing update
    with pytest.raises(FloatingPointError, match="diverged at iteration 4.*lower the learning rates"):
        gan.step(5)
