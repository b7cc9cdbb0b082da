"""A variational autoencoder for 28 x 28 binarised images (MNIST, Fashion-MNIST).

The encoder outputs the mean and log-variance of q(z | x) = N(mu, diag(sigma^2)); a sample
z = mu + sigma * eps passes the bottleneck; the decoder gives Bernoulli pixel probabilities p(x | z).
Training maximises the ELBO = E_q[log p(x | z)] - KL(q(z | x) || N(0, I)).
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

PIXELS = 28 * 28
MAP_POINTS = 5000  # test images whose latent means are stored with the weights, for the latent map
N_CLASSES = 10


def _mlp(sizes: list[int]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(nn.ELU())
    return nn.Sequential(*layers)


class VAE(nn.Module):
    """MLP encoder and decoder with ``depth`` hidden layers of ``hidden`` units each."""

    def __init__(self, latent_dim: int = 2, hidden: int = 512, depth: int = 2) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        self.encoder = _mlp([PIXELS] + [hidden] * depth + [2 * latent_dim])
        self.decoder = _mlp([latent_dim] + [hidden] * depth + [PIXELS])
        # Filled by the training script's export from the test set: the map and the class prototypes
        # are the model's own encodings, so the app needs no data set.
        self.register_buffer("map_points", torch.zeros(MAP_POINTS, 2))
        self.register_buffer("map_labels", torch.zeros(MAP_POINTS, dtype=torch.uint8))
        self.register_buffer("class_means", torch.zeros(N_CLASSES, latent_dim))

    @torch.no_grad()
    def summarise(self, x: torch.Tensor, labels: torch.Tensor) -> None:
        """Store the latent means of images x: dims 1-2 of the first MAP_POINTS, and each class's mean."""
        mu = torch.cat([self.encode(batch)[0] for batch in x.split(1000)])
        self.map_points.copy_(mu[:MAP_POINTS, :2] if self.latent_dim >= 2 else torch.zeros(MAP_POINTS, 2))
        self.map_labels.copy_(labels[:MAP_POINTS].to(torch.uint8))
        self.class_means.copy_(torch.stack([mu[labels == c].mean(dim=0) for c in range(N_CLASSES)]))

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x (N, 1, 28, 28) in [0, 1] -> (mu, logvar), each (N, latent_dim)."""
        mu, logvar = self.encoder(x.reshape(len(x), PIXELS)).chunk(2, dim=1)
        return mu, logvar.clamp(-12.0, 8.0)

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        """Bernoulli logits of every pixel, (N, 784)."""
        return self.decoder(z)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """z (N, latent_dim) -> Bernoulli means (N, 1, 28, 28)."""
        return torch.sigmoid(self.decode_logits(z)).reshape(len(z), 1, 28, 28)

    def elbo_terms(self, x: torch.Tensor, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-image reconstruction term -log p(x | z) (one z sample) and KL(q(z | x) || p(z)), in nats."""
        mu, logvar = self.encode(x)
        eps = torch.randn(mu.shape, generator=generator, device=mu.device, dtype=mu.dtype)
        z = mu + torch.exp(0.5 * logvar) * eps
        target = x.reshape(len(x), PIXELS)
        recon = F.binary_cross_entropy_with_logits(self.decode_logits(z), target, reduction="none").sum(dim=1)
        kl = 0.5 * (mu.square() + logvar.exp() - 1.0 - logvar).sum(dim=1)
        return recon, kl

    @torch.no_grad()
    def posterior(self, x: torch.Tensor, n: int, generator: torch.Generator | None = None
                  ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """q(z | x) of one image x (1, 1, 28, 28): its mean and standard deviation (latent_dim,) each,
        and ``n`` samples z = mu + sigma * eps, (n, latent_dim)."""
        mu, logvar = self.encode(x)
        sigma = torch.exp(0.5 * logvar)
        eps = torch.randn((n, self.latent_dim), generator=generator, device=mu.device, dtype=mu.dtype)
        return mu[0], sigma[0], mu + sigma * eps

    @torch.no_grad()
    def elbo_estimate(self, x: torch.Tensor, n_samples: int = 64,
                      generator: torch.Generator | None = None) -> tuple[float, float]:
        """The two ELBO terms of one image x, in nats: -E_q[log p(x | z)] averaged over ``n_samples`` draws
        z ~ q(z | x), and KL(q(z | x) || N(0, I)) (exact). ELBO = -(first + second)."""
        recon, kl = zip(*(self.elbo_terms(x, generator) for _ in range(n_samples)))
        return float(torch.cat(recon).mean()), float(kl[0][0])

    @torch.no_grad()
    def importance_nll(self, x: torch.Tensor, k: int = 1000, chunk: int = 250,
                       generator: torch.Generator | None = None) -> torch.Tensor:
        """-log p(x) estimated with k importance samples from q(z | x) (the IWAE bound), per image."""
        mu, logvar = self.encode(x)
        std = torch.exp(0.5 * logvar)
        target = x.reshape(len(x), 1, PIXELS)
        log_w = []
        for start in range(0, k, chunk):
            n = min(chunk, k - start)
            eps = torch.randn((len(x), n, self.latent_dim), generator=generator, device=x.device, dtype=mu.dtype)
            z = mu[:, None] + std[:, None] * eps
            logits = self.decode_logits(z.reshape(-1, self.latent_dim)).reshape(len(x), n, PIXELS)
            log_px_z = -F.binary_cross_entropy_with_logits(logits, target.expand_as(logits), reduction="none").sum(-1)
            log_pz = -0.5 * (z.square() + math.log(2 * math.pi)).sum(-1)
            log_qz = -0.5 * (eps.square() + logvar[:, None] + math.log(2 * math.pi)).sum(-1)
            log_w.append(log_px_z + log_pz - log_qz)
        return -(torch.logsumexp(torch.cat(log_w, dim=1), dim=1) - math.log(k))
