"""A mixture of Bernoullis fitted by EM: the Gaussian mixture's sibling for binary pixels.

p(x) = sum_k pi_k prod_d mu_kd^x_d (1 - mu_kd)^(1 - x_d): an explicit, tractable density with one
"prototype" image mu_k per component. The interface follows scikit-learn (``fit``, ``score_samples``,
``score``, ``predict_proba``, ``sample``; numpy in, numpy out, learned attributes end in ``_``); every
E and M step is one vectorised torch computation. It is also a ``torch.nn.Module`` whose (non-trainable)
parameters hold the fit, so that ``generative.load`` can read it from safetensors like the nets.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn


class BernoulliMixture(nn.Module):
    """K products of independent Bernoullis over ``n_features`` binary values, mixed with weights pi."""

    def __init__(self, n_components: int = 10, n_features: int = 784, *, tol: float = 1e-3, max_iter: int = 100,
                 smoothing: float = 1e-2, random_state: int | None = None) -> None:
        super().__init__()
        if not isinstance(n_components, (int, np.integer)) or n_components < 1:
            raise ValueError(f"n_components must be a positive integer, got {n_components!r}")
        self.n_components, self.n_features = int(n_components), int(n_features)
        self.tol, self.max_iter, self.smoothing, self.random_state = tol, max_iter, smoothing, random_state
        # Fitted by EM, not by gradients: parameters only so that they are counted and saved like a net's.
        self.mixing = nn.Parameter(torch.full((n_components,), 1.0 / n_components), requires_grad=False)
        self.probs = nn.Parameter(torch.full((n_components, n_features), 0.5), requires_grad=False)
        self.converged_, self.n_iter_, self.lower_bound_ = False, 0, -np.inf

    @property
    def weights_(self) -> np.ndarray:
        """Mixing weights pi, shape (K,)."""
        return self.mixing.double().cpu().numpy()

    @property
    def means_(self) -> np.ndarray:
        """Pixel probabilities mu of each component, shape (K, D)."""
        return self.probs.double().cpu().numpy()

    def _check(self, X: np.ndarray | torch.Tensor) -> torch.Tensor:
        x = torch.as_tensor(np.asarray(X, dtype=np.float32)).to(self.probs.device)
        if x.ndim != 2 or x.shape[1] != self.n_features:
            raise ValueError(f"X must have shape (N, {self.n_features}), got {tuple(x.shape)}")
        if len(x) == 0:
            raise ValueError("X is empty")
        if not bool(((x == 0) | (x == 1)).all()):
            raise ValueError("X must be binary: every value 0 or 1")
        return x

    def _joint_log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """log pi_k + log p(x | k), shape (N, K)."""
        log_p, log_q = torch.log(self.probs), torch.log1p(-self.probs)
        return x @ (log_p - log_q).T + log_q.sum(dim=1) + torch.log(self.mixing)

    def fit(self, X: np.ndarray, y: object = None) -> BernoulliMixture:
        """Run EM from components started at spread-out data points (k-means++ seeding) blended with the mean."""
        x = self._check(X)
        if len(x) < self.n_components:
            raise ValueError(f"n_components={self.n_components} needs at least as many rows, got {len(x)}")
        gen = torch.Generator().manual_seed(0 if self.random_state is None else int(self.random_state))
        start = _spread_out_rows(x, self.n_components, gen)
        self.probs.copy_((0.5 * x[start] + 0.5 * x.mean(dim=0)).clamp(0.05, 0.95))
        self.mixing.fill_(1.0 / self.n_components)
        self.lower_bound_, self.converged_ = -np.inf, False
        for it in range(1, self.max_iter + 1):
            joint = self._joint_log_prob(x)
            log_lik = torch.logsumexp(joint, dim=1, keepdim=True)
            resp = torch.exp(joint - log_lik)                       # E step: p(k | x_n)
            counts = resp.sum(dim=0)                                # M step: weighted counts and means
            self.mixing.copy_(counts / len(x))
            a = self.smoothing                                      # a Beta(1 + a, 1 + a) prior keeps mu off 0 and 1
            self.probs.copy_((resp.T @ x + a) / (counts[:, None] + 2 * a))
            previous, self.lower_bound_ = self.lower_bound_, float(log_lik.mean())
            self.n_iter_ = it
            if abs(self.lower_bound_ - previous) < self.tol:
                self.converged_ = True
                break
        return self

    def score_samples(self, X: np.ndarray) -> np.ndarray:
        """log p(x) in nats for each row of X."""
        return torch.logsumexp(self._joint_log_prob(self._check(X)), dim=1).double().cpu().numpy()

    def score(self, X: np.ndarray, y: object = None) -> float:
        """Mean log-likelihood per row."""
        return float(self.score_samples(X).mean())

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Responsibilities p(k | x), shape (N, K)."""
        return torch.softmax(self._joint_log_prob(self._check(X)), dim=1).double().cpu().numpy()

    def sample(self, n_samples: int = 1, random_state: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Draw ``n_samples`` binary rows; returns (X, component labels) like scikit-learn."""
        if n_samples < 1:
            raise ValueError(f"n_samples must be at least 1, got {n_samples}")
        rng = np.random.default_rng(self.random_state if random_state is None else random_state)
        weights = self.weights_
        labels = rng.choice(self.n_components, size=n_samples, p=weights / weights.sum())
        X = (rng.random((n_samples, self.n_features)) < self.means_[labels]).astype(np.float32)
        return X, labels

    def n_parameters(self) -> int:
        """Free parameters: K - 1 weights and K x D pixel probabilities."""
        return self.n_components - 1 + self.n_components * self.n_features


def _spread_out_rows(x: torch.Tensor, k: int, gen: torch.Generator) -> torch.Tensor:
    """Indices of k rows chosen as k-means++ does: each next row with probability ~ squared distance."""
    chosen = [int(torch.randint(len(x), (1,), generator=gen))]
    norms = x.square().sum(dim=1)
    nearest = norms - 2 * x @ x[chosen[0]] + norms[chosen[0]]
    for _ in range(1, k):
        weights = nearest.clamp_min(0).cpu().double()
        row = int(torch.multinomial(weights if weights.sum() > 0 else torch.ones_like(weights), 1, generator=gen))
        chosen.append(row)
        nearest = torch.minimum(nearest, norms - 2 * x @ x[row] + norms[row])
    return torch.tensor(chosen, device=x.device)
