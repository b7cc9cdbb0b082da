"""The gated PixelCNN: causal masks without a blind spot, exact likelihood, the fast sampler, the trained model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

import generative
from generative import digits
from generative.images import load_rgb
from generative.pixelcnn import SIZE, PixelCNN

ASSETS = Path(__file__).resolve().parents[1] / "assets"


@pytest.fixture(scope="module")
def untrained() -> PixelCNN:
    torch.manual_seed(0)
    return PixelCNN(channels=8, layers=4, head=16).eval()


@pytest.fixture(scope="module")
def trained() -> PixelCNN:
    if "pixelcnn-mnist" not in generative.available():
        pytest.skip("no trained PixelCNN in weights/")
    return generative.load("pixelcnn-mnist", device="cpu")


def drawn_digits() -> torch.Tensor:
    """The committed example drawings, preprocessed as the app does and thresholded at 0.5."""
    images = [digits.preprocess_digit(load_rgb(str(ASSETS / f"digit_{n}.png"))) for n in ("two", "five", "nine")]
    return torch.from_numpy((np.stack(images)[:, None] > 0.5).astype(np.float32))


def random_images(n: int, seed: int = 0) -> torch.Tensor:
    return torch.bernoulli(torch.full((n, 1, SIZE, SIZE), 0.3), generator=torch.Generator().manual_seed(seed))


@torch.no_grad()
@pytest.mark.parametrize("row, col", [(0, 0), (0, 27), (5, 3), (13, 13), (14, 0), (20, 27), (27, 26)])
def test_changing_a_pixel_never_changes_the_predictions_before_it(untrained, row, col):
    x = random_images(2)
    flipped = x.clone()
    flipped[:, :, row, col] = 1 - flipped[:, :, row, col]
    change = (untrained(flipped) - untrained(x)).abs().flatten(1)
    index = row * SIZE + col
    assert change[:, : index + 1].max() == 0  # pixel i's own prediction must not see pixel i either
    assert change[:, index + 1:].max() > 0    # but something after it does depend on it


def test_no_blind_spot_every_pixel_in_reach_above_and_left_is_seen(untrained):
    x = random_images(1).requires_grad_(True)
    untrained(x)[0, 0, 14, 14].backward()
    seen = x.grad[0, 0].abs() > 0
    reach = untrained.reach - 1
    assert seen[14, 14 - reach: 14].all()                # the row so far
    assert seen[14 - reach: 14, 14 - 3: 14 + 4].all()    # rows above, including up-right (the masked-conv blind spot)
    assert not seen[14, 14:].any() and not seen[15:].any()


@torch.no_grad()
def test_the_row_by_row_sampler_draws_from_the_full_networks_conditionals(untrained):
    samples = untrained.sample(4, seed=3)
    uniform = torch.rand(4, 1, SIZE, SIZE, generator=torch.Generator().manual_seed(3))
    expected = (uniform < torch.sigmoid(untrained(samples))).float()
    assert torch.equal(samples, expected)


@torch.no_grad()
def test_sampling_is_deterministic_by_seed_and_streams_rows(untrained):
    a, b, c = untrained.sample(3, seed=7), untrained.sample(3, seed=7), untrained.sample(3, seed=8)
    assert a.shape == (3, 1, SIZE, SIZE) and set(a.unique().tolist()) <= {0.0, 1.0}
    assert torch.equal(a, b) and not torch.equal(a, c)
    steps = list(untrained.sample_rows(2, seed=1))
    assert len(steps) == SIZE and steps[-1][1] == SIZE * SIZE
    assert steps[0][0][:, :, 1:].abs().sum() == 0  # after the first row nothing below it is filled


@torch.no_grad()
def test_given_pixels_are_kept_and_only_the_rest_is_drawn(untrained):
    image = drawn_digits()[:1]
    mask = torch.zeros_like(image)
    mask[:, :, :14] = 1
    out = untrained.sample(5, seed=0, given=(image, mask))
    assert torch.equal(out[:, :, :14], image[:, :, :14].expand(5, 1, 14, SIZE))
    *_, (_, evaluations) = untrained.sample_rows(5, seed=0, given=(image, mask))
    assert evaluations == 14 * SIZE  # the observed rows cost nothing


@torch.no_grad()
def test_log_prob_is_the_sum_of_the_pixel_terms(trained):
    x = drawn_digits()
    nll = trained.pixel_nll(x)
    assert nll.shape == x.shape and (nll >= 0).all()
    torch.testing.assert_close(trained.log_prob(x), -nll.flatten(1).sum(dim=1))


@torch.no_grad()
def test_trained_model_beats_an_untrained_one_by_a_wide_margin(trained):
    x = drawn_digits()
    fresh = PixelCNN(**generative.weights.read_manifest()["pixelcnn-mnist"]["config"]).eval()
    trained_nll, fresh_nll = -trained.log_prob(x), -fresh.log_prob(x)
    assert (fresh_nll > 400).all()             # about 784 ln 2 = 543 nats: a coin per pixel
    assert (trained_nll < 0.5 * fresh_nll).all()
    assert (-trained.log_prob(random_images(3)) > 2 * trained_nll.max()).all()  # noise is improbable


@pytest.mark.parametrize("bad, message", [
    (torch.zeros(2, 28, 28), "shape"),
    (torch.zeros(1, 3, 28, 28), "shape"),
    (torch.full((1, 1, 28, 28), 0.5), "binary"),
])
def test_bad_images_are_refused_with_a_reason(untrained, bad, message):
    with pytest.raises(ValueError, match=message):
        untrained.log_prob(bad)


@pytest.mark.parametrize("n", [0, -1, 5000])
def test_impossible_sample_counts_are_refused(untrained, n):
    with pytest.raises(ValueError, match="between 1 and"):
        untrained.sample(n)
