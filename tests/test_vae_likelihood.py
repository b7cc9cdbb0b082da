"""VAE.importance_nll, the source of the README's test-set NLL, against exact integration on tiny models.

With a latent of one or two dimensions, -log p(x) = -log ∫ p(x | z) N(z; 0, I) dz can be computed on a grid;
the importance-weighted estimate must approach it, and in expectation the bounds must be ordered
-ELBO ≥ NLL_k ≥ NLL_k' ≥ NLL for k < k' (Burda et al., 2016).
"""

from __future__ import annotations

import math

import pytest
import torch
from torch.nn import functional as F

from generative.vae import PIXELS, VAE


def tiny_vae(latent_dim: int, q_std: float, seed: int = 0) -> VAE:
    """An untrained VAE whose decoder is sharp enough that q(z | x) is far from the posterior (-ELBO exceeds
    the NLL by about 100 nats), with encoder standard deviations near ``q_std``."""
    torch.manual_seed(seed)
    model = VAE(latent_dim=latent_dim, hidden=16, depth=1).eval()
    with torch.no_grad():
        for p in model.decoder.parameters():
            p.mul_(3.0)
        model.encoder[-1].bias[latent_dim:] += 2 * math.log(q_std)  # the log-variance half of the output
    return model


def images(n: int = 4) -> torch.Tensor:
    return (torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(1)) < 0.3).float()


@torch.no_grad()
def exact_nll(model: VAE, x: torch.Tensor, points: int, limit: float) -> torch.Tensor:
    """-log p(x) per image by the rectangle rule on a grid of ``points`` per axis over [-limit, limit]^d."""
    axis = torch.linspace(-limit, limit, points, dtype=torch.float64)
    z = axis[:, None] if model.latent_dim == 1 else torch.cartesian_prod(axis, axis)
    logits = model.decode_logits(z.float()).double()  # (G, 784)
    target = x.reshape(len(x), PIXELS).double()
    log_px_z = target @ logits.T - F.softplus(logits).sum(dim=1)  # Bernoulli log-likelihood, (N, G)
    log_pz = -0.5 * (z.square() + math.log(2 * math.pi)).sum(dim=1)
    log_cell = model.latent_dim * math.log(float(axis[1] - axis[0]))
    return -(torch.logsumexp(log_px_z + log_pz, dim=1) + log_cell)


@pytest.mark.parametrize("latent_dim, q_std, points, limit, tolerance",
                         [(1, 0.5, 4001, 7.0, 0.3), (1, 2.0, 4001, 7.0, 0.3), (2, 0.5, 101, 4.0, 1.0)],
                         ids=["1d-narrow-q", "1d-broad-q", "2d"])
def test_importance_nll_approaches_the_exact_integral(latent_dim, q_std, points, limit, tolerance):
    model, x = tiny_vae(latent_dim, q_std), images()
    exact = exact_nll(model, x, points, limit)
    finer = exact_nll(model, x, 2 * points - 1, limit)
    assert (exact - finer).abs().max() < 0.01  # the grid resolves the posterior
    estimate = model.importance_nll(x, k=4000, generator=torch.Generator().manual_seed(0)).double()
    assert estimate.shape == (4,)
    assert (estimate - exact).abs().max() < tolerance, (estimate, exact)


def test_bounds_are_ordered_in_expectation():
    """Averaged over repeats: -ELBO (analytic KL) ≈ NLL_1 > NLL_10 > NLL_100 ≳ NLL_1000 ≥ exact NLL."""
    model, x = tiny_vae(1, 0.5), images()
    exact = exact_nll(model, x, 4001, 7.0).mean().item()
    gen = torch.Generator().manual_seed(0)
    means, errors = {}, {}
    for k, repeats in ((1, 400), (10, 100), (100, 30), (1000, 10)):
        runs = torch.stack([model.importance_nll(x, k=k, generator=gen).mean() for _ in range(repeats)])
        means[k], errors[k] = runs.mean().item(), runs.std().item() / math.sqrt(repeats)
    with torch.no_grad():
        recon, kl = zip(*(model.elbo_terms(x, gen) for _ in range(400)))
    neg_elbo = (torch.stack(recon).mean() + kl[0].mean()).item()
    assert neg_elbo > exact + 50  # the tiny model's q is poor: the bounds have room to tighten
    assert abs(means[1] - neg_elbo) < 4 * errors[1] + 1.0  # k = 1 is the ELBO, with the KL sampled
    for small, large in ((1, 10), (10, 100)):
        assert means[small] > means[large] + 3 * math.hypot(errors[small], errors[large]), (small, means)
    assert means[1000] < means[100] + 3 * math.hypot(errors[100], errors[1000])  # the gap left is below the noise
    assert means[1000] > exact - 3 * errors[1000] - 0.01
